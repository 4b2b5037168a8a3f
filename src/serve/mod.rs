//! `bangfu serve`: the live page for a committee's meeting. A local web server holds the
//! rules, the data and the baseline; the page sends its settings (the command line's
//! what-if flags, in its own address) and gets back what changed, the counts, the
//! distribution of totals, the entities near a line and any entity's trace. The rules and
//! the data are never written; a settings page may only add new scenario files.

pub mod api;
pub mod model;
pub mod session;

use crate::cli::Options;
use crate::exit::Exit;
use session::{Folders, Session};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// What `bangfu serve` was asked for.
#[derive(Debug, Clone)]
pub struct ServeArgs {
    pub host: String,
    pub port: u16,
    pub token: Option<String>,
    pub open: bool,
}

/// Everything a request reads.
pub struct App {
    pub session: Session,
    pub token: Option<String>,
    /// The page, its style and script inlined.
    pub page: String,
}

/// The page with its style and script in it: one document, no other request.
pub fn page() -> String {
    include_str!("page/index.html")
        .replace("/*__APP_CSS__*/", include_str!("page/app.css"))
        .replace("/*__APP_JS__*/", include_str!("page/app.js"))
}

impl App {
    /// Read the rules, the data and the baseline of `folders` into a server's state, with
    /// problems as text (the command prints them as the other commands do).
    pub fn open(folders: Folders, token: Option<String>) -> Result<Arc<App>, String> {
        let text = |d: &[crate::diag::Diagnostic]| {
            d.iter()
                .map(|d| session::problem_of(d).message)
                .collect::<Vec<_>>()
                .join("\n")
        };
        let files = crate::rules::load::read_files(&folders.rules).map_err(|d| text(&d))?;
        let (rules, _) = crate::rules::load_files(&files).map_err(|d| text(&d))?;
        let ds = crate::data::DataSet::open(&folders.data).map_err(|e| e.to_string())?;
        let frame = ds.load_primary(&rules.primary).map_err(|errs| {
            errs.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        })?;
        let session = Session::open(folders, files, rules, ds, frame)
            .map_err(|_| "the baseline could not be evaluated".to_string())?;
        Ok(Arc::new(App {
            session,
            token,
            page: page(),
        }))
    }
}

/// Read everything, then serve until Ctrl-C.
pub fn run(opts: &Options, args: &ServeArgs) -> Exit {
    let ip: IpAddr = match args.host.parse() {
        Ok(ip) => ip,
        Err(_) if args.host == "localhost" => IpAddr::from([127, 0, 0, 1]),
        Err(_) => {
            crate::errln!(
                "error: `--host {}` is not an address; give one such as 127.0.0.1 or 0.0.0.0",
                args.host
            );
            return Exit::Usage;
        }
    };
    if let Some(t) = &args.token {
        if t.chars().count() < 16 || t.chars().any(|c| !c.is_ascii_graphic()) {
            crate::errln!(
                "error: `--token` must be at least 16 letters, digits or signs, without spaces"
            );
            crate::errln!("  help: for example `--token {}`", new_token());
            return Exit::Usage;
        }
    }
    if !ip.is_loopback() && args.token.is_none() {
        crate::errln!(
            "error: `--host {}` lets other machines reach the page; it needs `--token`, which every request must then carry",
            args.host
        );
        crate::errln!(
            "  help: `bangfu serve --host {} --token {}` (a token made just now), and share the address it prints",
            args.host,
            new_token()
        );
        return Exit::Usage;
    }
    let files = match crate::rules::load::read_files(&opts.rules) {
        Ok(f) => f,
        Err(d) => {
            crate::cli::output::print_diags(&d, opts.color);
            return Exit::InvalidRules;
        }
    };
    let rules = match crate::cli::pipeline::load_rules(opts) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let (ds, frame) = match crate::cli::pipeline::load_data(opts, &rules) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let folders = Folders {
        rules: opts.rules.clone(),
        data: opts.data.clone(),
        scenarios: opts.scenarios.clone(),
    };
    let shown = ds.clone();
    let session = match Session::open(folders, files, rules, ds, frame) {
        Ok(s) => s,
        Err(e) => {
            return crate::cli::pipeline::eval_error(opts, crate::cli::pipeline::located(&shown, e))
        }
    };
    let app = Arc::new(App {
        session,
        token: args.token.clone(),
        page: page(),
    });
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            crate::errln!("error: the server could not start: {e}");
            return Exit::Usage;
        }
    };
    runtime.block_on(serve(app, SocketAddr::new(ip, args.port), args.open))
}

async fn serve(app: Arc<App>, addr: SocketAddr, open: bool) -> Exit {
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            crate::errln!("error: cannot listen on {addr}: {e}");
            crate::errln!("  help: another program may use the port; pick another with `--port`, or `--port 0` for any free one");
            return Exit::Usage;
        }
    };
    let local = listener.local_addr().unwrap_or(addr);
    let shown = if local.ip().is_unspecified() {
        SocketAddr::new(IpAddr::from([127, 0, 0, 1]), local.port())
    } else {
        local
    };
    let url = match &app.token {
        Some(t) => format!("http://{shown}/?token={t}"),
        None => format!("http://{shown}/"),
    };
    let rules = &app.session.base.rules;
    crate::outln!("bangfu serve: {} {}", rules.name, rules.version);
    crate::outln!(
        "  rules {}, data {}, scenarios saved to {}",
        app.session.folders.rules.display(),
        app.session.folders.data.display(),
        app.session.folders.scenarios.display()
    );
    crate::outln!("  open {url}");
    crate::outln!("  Ctrl-C stops the server; the rules and the data are only read");
    if open {
        open_browser(&url);
    }
    let router = api::router(Arc::clone(&app));
    let stopped = axum::serve(listener, router)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await;
    match stopped {
        Ok(()) => {
            crate::outln!("bangfu serve: stopped");
            Exit::Ok
        }
        Err(e) => {
            crate::errln!("error: the server stopped: {e}");
            Exit::Usage
        }
    }
}

/// A token no one can guess: 32 hexadecimal digits from hashers the standard library seeds
/// from the system's random source.
fn new_token() -> String {
    use std::hash::{BuildHasher, Hasher};
    (0..2)
        .map(|i| {
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u32(i);
            format!("{:016x}", h.finish())
        })
        .collect()
}

/// Ask the desktop to open the page (`--open`); a failure is only a note.
fn open_browser(url: &str) {
    let (cmd, args): (&str, Vec<&str>) = if cfg!(target_os = "windows") {
        ("cmd", vec!["/C", "start", "", url])
    } else if cfg!(target_os = "macos") {
        ("open", vec![url])
    } else {
        ("xdg-open", vec![url])
    };
    if std::process::Command::new(cmd).args(&args).spawn().is_err() {
        crate::errln!("note: no browser could be opened; open {url} by hand");
    }
}
