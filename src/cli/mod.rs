//! The command line: global flags turned into validated options in one place, then one file
//! per subcommand.

mod check;
mod compare;
mod criteria;
pub(crate) mod explain;
mod init;
pub mod output;
pub(crate) mod pipeline;
mod run;
mod sensitivity;
mod template;
mod test;

use crate::exit::Exit;
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Output format of a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
    Md,
    /// A self-contained page (`criteria`).
    Html,
    /// A workbook (`criteria`).
    Xlsx,
}

/// When to use colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

const ABOUT: &str =
    "bangfu (帮扶): score backward villages and helping units against a committee's criteria, \
and decide exit, reward or continued assistance.";

/// What `--version` prints: the version, the target the binary was built for and the commit
/// it was built from (`unknown` when built outside a git checkout), so a binary copied to an
/// office machine says which build it is. Result files name the version alone, so the same
/// inputs give the same files whichever build made them.
pub const LONG_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("BANGFU_TARGET"),
    ", commit ",
    env!("BANGFU_COMMIT"),
    ")"
);

/// What-ifs without a scenario file, for the commands that score.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct WhatIfArgs {
    /// Change a parameter (`pass_line=75`) or any rule field by its stable path
    /// (`village.dimensions.economy.min=15`), as a scenario file's `set` does; repeatable.
    /// Applied on top of `--scenario` when both are given.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
    /// Switch a gate off or on (`collective_petition=off`, `department.village_not_passed=on`);
    /// repeatable. Applied on top of `--scenario` when both are given.
    #[arg(long = "gate", value_name = "GATE=off|on")]
    pub gate: Vec<String>,
}

impl WhatIfArgs {
    /// The flags as the scenario module reads them.
    pub fn flags(&self) -> crate::scenario::Flags {
        crate::scenario::Flags {
            set: self.set.clone(),
            gates: self.gate.clone(),
        }
    }
}

/// Command-line arguments.
#[derive(Debug, Parser)]
#[command(name = "bangfu", version = LONG_VERSION, about = ABOUT, after_help = "Examples:\n  bangfu run\n  bangfu check --rules rules/\n  bangfu run --format json > results.json\n  bangfu run --out results/\n\nExit codes: 0 ok, 1 check found errors or tests failed, 2 usage, 3 invalid rules, 4 invalid data, 5 a script failed.")]
pub struct Cli {
    /// The rule set folder.
    #[arg(long, global = true, value_name = "DIR")]
    pub rules: Option<PathBuf>,
    /// The data set folder.
    #[arg(long, global = true, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// The folder of scenario files.
    #[arg(long, global = true, value_name = "DIR")]
    pub scenarios: Option<PathBuf>,
    /// Write result files into this folder.
    #[arg(long, global = true, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Worker threads (default: one per core). Results are identical at any count.
    #[arg(long, global = true, value_name = "N")]
    pub threads: Option<usize>,
    /// Print nothing but errors.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Colour in terminal output.
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate the rule set (and that the data has the columns it reads).
    #[command(
        after_help = "Examples:\n  bangfu check\n  bangfu check --rules my-rules/ --data data/2026/\n  bangfu check --format json"
    )]
    Check,
    /// Score every village and unit, decide outcomes, and report.
    #[command(
        after_help = "Examples:\n  bangfu run\n  bangfu run --format md > report.md\n  bangfu run --out results/ --quiet\n  bangfu run --scenario pass_line_75\n  bangfu run --set pass_line=75 --gate collective_petition=off\n  bangfu run --rules rules/ --data data/sample/ --threads 1"
    )]
    Run {
        /// Apply this what-if scenario (a name in `scenarios/`, or a file).
        #[arg(long, value_name = "NAME")]
        scenario: Option<String>,
        #[command(flatten)]
        what_if: WhatIfArgs,
        /// With `--out`: write the CSV files and manifest.json only, not results.json,
        /// results.xlsx or report.html (for data sets of hundreds of thousands of villages).
        #[arg(long)]
        csv_only: bool,
        /// Re-run and confirm that the result files in DIR are reproduced exactly.
        #[arg(long, value_name = "DIR")]
        verify: Option<PathBuf>,
    },
    /// What-if: the baseline and each scenario side by side, and every decision that changes.
    #[command(
        after_help = "Examples:\n  bangfu compare                      # every scenario in scenarios/\n  bangfu compare pass_line_75 economy_min_15\n  bangfu compare --set pass_line=75   # the baseline and this one change\n  bangfu compare --kind village,department --format md\n  bangfu compare --out handout/       # compare.xlsx, compare.html, compare.json, changes.csv\n  bangfu compare --format json"
    )]
    Compare {
        /// Scenario names (default: every scenario in the scenarios folder, unless `--set`
        /// or `--gate` is given).
        #[arg(value_name = "SCENARIO")]
        names: Vec<String>,
        /// Change a parameter (`pass_line=75`) or any rule field by its stable path
        /// (`village.dimensions.economy.min=15`), as a scenario file's `set` does; repeatable.
        /// The flags together are one more column, named after what they set.
        #[arg(long = "set", value_name = "PATH=VALUE")]
        set: Vec<String>,
        /// Switch a gate off or on (`collective_petition=off`); repeatable. Part of the
        /// column of `--set`.
        #[arg(long = "gate", value_name = "GATE=off|on")]
        gate: Vec<String>,
        /// Keep only these kinds in the counts, changes and awards (`village,department`).
        #[arg(long = "kind", value_name = "KIND,…", value_delimiter = ',')]
        kind: Vec<String>,
    },
    /// Monte Carlo over the rule set's uncertain parameters: outcome chances, borderline
    /// villages, unit rank bands, and which parameter matters most.
    #[command(
        after_help = "Examples:\n  bangfu sensitivity\n  bangfu sensitivity --draws 5000 --seed 7\n  bangfu sensitivity --format json\n  bangfu sensitivity --out sens/\n  bangfu sensitivity --scenario pass_line_75"
    )]
    Sensitivity {
        /// Analyse the rule set as this what-if scenario changes it (its overrides, data
        /// changes and any `uncertainty:` it declares).
        #[arg(long, value_name = "NAME")]
        scenario: Option<String>,
        #[command(flatten)]
        what_if: WhatIfArgs,
        /// Number of draws.
        #[arg(long, default_value_t = 1000)]
        draws: usize,
        /// Random seed: the same seed gives the same results at any thread count.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// The rule set as the printed scoring table (评分细则), to print or hand out.
    ///
    /// Every indicator under its dimension with its points, its scoring method in words, the
    /// data it needs and its reference; then the vetoes, the grade lines, the outcome rules
    /// and each unit kind the same way, and the parameters. Under a scenario or `--set` /
    /// `--gate` the table is the changed one, marked 模拟测算.
    #[command(
        after_help = "Examples:\n  bangfu criteria\n  bangfu criteria --format md > 评分细则.md\n  bangfu criteria --format html --out 评分细则.html\n  bangfu criteria --format xlsx --out 评分细则.xlsx\n  bangfu criteria --scenario pass_line_75 --format html --out proposal.html\n  bangfu criteria --set pass_line=75 --gate collective_petition=off"
    )]
    Criteria {
        /// Print the table as this what-if scenario changes it (a name in `scenarios/`, or a
        /// file); the output is marked 模拟测算.
        #[arg(long, value_name = "NAME")]
        scenario: Option<String>,
        #[command(flatten)]
        what_if: WhatIfArgs,
    },
    /// Run the rule set's test cases (`rules/tests/*.yaml`) and report coverage.
    #[command(
        after_help = "Examples:\n  bangfu test\n  bangfu test --rules my-rules/\n  bangfu test --set pass_line=75   # which agreed decisions would this change break?\n  bangfu test --format json"
    )]
    Test {
        /// Change a parameter (`pass_line=75`) or any rule field by its stable path, for
        /// every case: on top of the scenario a case names, if it names one; repeatable.
        #[arg(long = "set", value_name = "PATH=VALUE")]
        set: Vec<String>,
        /// Switch a gate off or on (`collective_petition=off`) for every case; repeatable.
        #[arg(long = "gate", value_name = "GATE=off|on")]
        gate: Vec<String>,
    },
    /// Write a new rule set, test cases and a sample data set to start from.
    #[command(
        after_help = "Examples:\n  bangfu init my-criteria\n  cd my-criteria && bangfu check && bangfu test && bangfu run"
    )]
    Init {
        /// The new folder (must not exist, or be empty).
        dir: PathBuf,
    },
    /// Data-entry workbooks for the rule set: a sheet per table it reads, with only the columns
    /// it reads, validated as it declares; with `--data`, the ids and labels filled in.
    #[command(
        after_help = "Examples:\n  bangfu template --out forms/                       # one blank workbook\n  bangfu template --out forms/ --data data/sample/   # ids and labels filled in\n  bangfu template --out forms/ --data data/sample/ --split-by town_id   # one per town\n  bangfu check --data returned/                      # the returned workbooks, checked\n  bangfu run --data returned/ --out results/"
    )]
    Template {
        /// One workbook per value of this column (`town_id`), each holding only its own rows,
        /// named by the value's label; tables whose rows are shared go in `共用表.xlsx`.
        #[arg(long, value_name = "COLUMN")]
        split_by: Option<String>,
    },
    /// Explain one village's or unit's decision, and what would change it.
    #[command(
        after_help = "Examples:\n  bangfu explain V14\n  bangfu explain D33 --kind department\n  bangfu explain V14 --scenario pass_line_75\n  bangfu explain V14 --set pass_line=75\n  bangfu explain V14 --format json"
    )]
    Explain {
        /// The id of a village or a unit.
        id: String,
        /// The entity kind, when the id is used by several.
        #[arg(long)]
        kind: Option<String>,
        /// Explain the decision under this what-if scenario (a name in `scenarios/`, or a
        /// file).
        #[arg(long, value_name = "NAME")]
        scenario: Option<String>,
        #[command(flatten)]
        what_if: WhatIfArgs,
    },
    /// The live page for a committee's meeting: move the criteria and see what changes.
    #[command(
        after_help = "Examples:\n  bangfu serve                        # http://127.0.0.1:8686/\n  bangfu serve --port 9000 --open\n  bangfu serve --rules my-rules/ --data data/2026/ --scenarios drafts/\n  bangfu serve --host 0.0.0.0 --token 3f9c0a…   # other machines, with a token"
    )]
    Serve {
        /// The port to listen on (0 for any free one).
        #[arg(long, default_value_t = 8686)]
        port: u16,
        /// The address to listen on. Anything but this machine (127.0.0.1) needs `--token`.
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// A secret every request must carry (`?token=…` in the address the server prints).
        #[arg(long, value_name = "SECRET")]
        token: Option<String>,
        /// Open the page in the desktop's browser.
        #[arg(long)]
        open: bool,
    },
}

/// Validated options shared by every command.
#[derive(Debug, Clone)]
pub struct Options {
    pub rules: PathBuf,
    pub data: PathBuf,
    /// Whether `--data` was given (a missing default data set is only a warning for `check`).
    pub data_given: bool,
    pub format: Format,
    pub out: Option<PathBuf>,
    pub scenarios: PathBuf,
    pub quiet: bool,
    pub color: bool,
}

/// Default folders are relative to the working directory, as documented; a missing default
/// is reported by the stage that reads it.
fn default_dir(rel: &str) -> PathBuf {
    PathBuf::from(rel)
}

/// The global flags a command does not read, which its `--help` leaves out (they are refused
/// when given: see [`flags_apply`]), and the formats it prints.
const NOT_READ: &[(&str, &[&str], &str)] = &[
    ("run", &[], "table, json, csv or md"),
    ("check", &["scenarios", "out"], "table or json"),
    ("test", &["data", "out"], "table or json"),
    ("explain", &["out", "quiet"], "table or json"),
    ("compare", &[], "table, json, csv or md"),
    ("sensitivity", &[], "table or json"),
    ("init", &["rules", "data", "scenarios", "out", "format"], ""),
    ("serve", &["out", "format", "quiet"], ""),
    ("criteria", &["data"], "table, md, html or xlsx"),
    ("template", &["scenarios", "format", "threads"], ""),
];

/// The command line, each command's `--help` listing only the flags it accepts and the
/// formats it prints.
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    let mut cmd = Cli::command();
    // Global flags are copied into each command when the whole is built.
    cmd.build();
    for (name, hidden, formats) in NOT_READ {
        cmd = cmd.mut_subcommand(*name, |sc| {
            sc.mut_args(|a| {
                let id = a.get_id().as_str();
                if hidden.contains(&id) {
                    a.hide(true)
                } else if id == "out" && *name == "criteria" {
                    a.value_name("FILE").help(
                        "Write the table into this file (replaced whole, never half-written); \
                         needed for xlsx",
                    )
                } else if id == "format" {
                    a.hide_possible_values(true)
                        .help(format!("Output format: {formats}"))
                } else {
                    a
                }
            })
        });
    }
    cmd
}

/// Parse arguments, run the command, and return the exit code.
pub fn main() -> std::process::ExitCode {
    use clap::FromArgMatches;
    let cli = match command()
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m))
    {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                Exit::Usage
            } else {
                Exit::Ok
            };
            let _ = e.print();
            return code.into();
        }
    };
    run_cli(cli).into()
}

/// Run a parsed command line.
pub fn run_cli(cli: Cli) -> Exit {
    if let Some(n) = cli.threads {
        if n == 0 {
            crate::errln!("error: `--threads` must be at least 1");
            return Exit::Usage;
        }
        if rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .is_err()
        {
            crate::errln!("error: could not start {n} worker threads");
            return Exit::Usage;
        }
    }
    if let Err(e) = flags_apply(&cli) {
        crate::errln!("error: {e}");
        return Exit::Usage;
    }
    use std::io::IsTerminal;
    let color = use_color(
        &cli.color,
        std::io::stderr().is_terminal(),
        std::env::var_os("NO_COLOR").is_some(),
        anstyle_query::windows::enable_ansi_colors,
    );
    let opts = Options {
        rules: cli.rules.unwrap_or_else(|| default_dir("rules")),
        data_given: cli.data.is_some(),
        data: cli.data.unwrap_or_else(|| default_dir("data/sample")),
        format: cli.format,
        out: cli.out,
        scenarios: cli.scenarios.unwrap_or_else(|| default_dir("scenarios")),
        quiet: cli.quiet,
        color,
    };
    match cli.command {
        Command::Check => check::run(&opts),
        Command::Test { set, gate } => test::run(&opts, &WhatIfArgs { set, gate }.flags()),
        Command::Sensitivity {
            draws,
            seed,
            scenario,
            what_if,
        } => sensitivity::run(&opts, draws, seed, scenario.as_deref(), &what_if.flags()),
        Command::Init { dir } => init::run(&opts, &dir),
        Command::Template { split_by } => template::run(&opts, split_by.as_deref()),
        Command::Serve {
            port,
            host,
            token,
            open,
        } => crate::serve::run(
            &opts,
            &crate::serve::ServeArgs {
                host,
                port,
                token,
                open,
            },
        ),
        Command::Run {
            scenario,
            what_if,
            csv_only,
            verify,
        } => run::run(
            &opts,
            scenario.as_deref(),
            &what_if.flags(),
            csv_only,
            verify.as_deref(),
        ),
        Command::Compare {
            names,
            set,
            gate,
            kind,
        } => compare::run(&opts, &names, &WhatIfArgs { set, gate }.flags(), &kind),
        Command::Criteria { scenario, what_if } => {
            criteria::run(&opts, scenario.as_deref(), &what_if.flags())
        }
        Command::Explain {
            id,
            kind,
            scenario,
            what_if,
        } => explain::run(
            &opts,
            &id,
            kind.as_deref(),
            scenario.as_deref(),
            &what_if.flags(),
        ),
    }
}

/// Whether problems on stderr are coloured. A Windows console shows colour codes as text
/// (`←[1;31merror`) until it is switched to ANSI mode: Windows Terminal is already, cmd and
/// PowerShell in the older console window are not. `console_ansi` makes that switch and says
/// whether it took (`None` on systems that have no such switch); it is tried only when colour
/// is wanted, and where it fails the text stays plain.
fn use_color(
    choice: &Color,
    stderr_terminal: bool,
    no_color: bool,
    console_ansi: impl FnOnce() -> Option<bool>,
) -> bool {
    match choice {
        Color::Never => false,
        Color::Always => {
            // Asked for outright: switched on where possible, written either way.
            let _ = console_ansi();
            true
        }
        Color::Auto => stderr_terminal && !no_color && console_ansi() != Some(false),
    }
}

/// A flag the command would ignore is refused: output a user asked for never goes missing.
fn flags_apply(cli: &Cli) -> Result<(), String> {
    const TABLE_OR_JSON: &[Format] = &[Format::Table, Format::Json];
    // What each command prints, whether it writes files, and which of `--rules`, `--data` and
    // `--scenarios` it reads.
    let (name, formats, writes, reads) = match &cli.command {
        Command::Run { .. } => (
            "run",
            &[Format::Table, Format::Json, Format::Csv, Format::Md][..],
            true,
            [true; 3],
        ),
        Command::Sensitivity { .. } => ("sensitivity", TABLE_OR_JSON, true, [true; 3]),
        Command::Compare { .. } => (
            "compare",
            &[Format::Table, Format::Json, Format::Csv, Format::Md][..],
            true,
            [true; 3],
        ),
        Command::Check => ("check", TABLE_OR_JSON, false, [true, true, false]),
        Command::Test { .. } => ("test", TABLE_OR_JSON, false, [true, false, true]),
        Command::Explain { .. } => ("explain", TABLE_OR_JSON, false, [true; 3]),
        Command::Init { .. } => ("init", &[Format::Table][..], false, [false; 3]),
        Command::Serve { .. } => ("serve", &[Format::Table][..], false, [true; 3]),
        Command::Criteria { .. } => (
            "criteria",
            &[Format::Table, Format::Md, Format::Html, Format::Xlsx][..],
            true,
            [true, false, true],
        ),
        Command::Template { .. } => ("template", &[Format::Table][..], true, [true, true, false]),
    };
    let given = [
        (cli.rules.is_some(), "--rules"),
        (cli.data.is_some(), "--data"),
        (cli.scenarios.is_some(), "--scenarios"),
    ];
    if let Some(((_, flag), _)) = given
        .iter()
        .zip(reads)
        .find(|((is_given, _), read)| *is_given && !read)
    {
        return Err(match &cli.command {
            Command::Init { .. } => format!(
                "`init` writes a new rule set and data set into its folder and reads none; `{flag}` does not apply"
            ),
            Command::Test { .. } => format!(
                "`test` runs each case on its own data (the file's `base:` and the case's rows); `{flag}` does not apply"
            ),
            _ => format!("`{name}` does not read `{flag}`"),
        });
    }
    if let Command::Run {
        csv_only, verify, ..
    } = &cli.command
    {
        if *csv_only && cli.out.is_none() && verify.is_none() {
            return Err("`--csv-only` chooses the files `--out` writes; add `--out DIR`".into());
        }
        if verify.is_some() && (cli.out.is_some() || *csv_only || cli.format != Format::Table) {
            return Err(
                "`--verify` re-creates the files of the folder it is given, as they were written, and writes nothing; leave out `--out`, `--csv-only` and `--format`".into(),
            );
        }
    }
    let spell = |f: &Format| {
        f.to_possible_value()
            .map(|v| v.get_name().to_string())
            .unwrap_or_default()
    };
    if !formats.contains(&cli.format) {
        let list: Vec<String> = formats.iter().map(|f| format!("`{}`", spell(f))).collect();
        return Err(format!(
            "`{name}` has no `--format {}`; it prints {}",
            spell(&cli.format),
            match list.len() {
                1 => "its messages only".to_string(),
                _ => list.join(" or "),
            }
        ));
    }
    if cli.quiet && matches!(cli.command, Command::Explain { .. }) {
        return Err(
            "`explain` prints its trace and nothing else; `--quiet` would leave nothing".into(),
        );
    }
    // `test --quiet` shows the failures; elsewhere `--quiet` prints nothing but errors.
    if cli.quiet && cli.out.is_none() && matches!(cli.command, Command::Criteria { .. }) {
        return Err(
            "`criteria` prints the table and nothing else; `--quiet` would leave nothing (it is for `--out FILE`)".into(),
        );
    }
    // `criteria --out FILE` writes its format into the file, whatever `--quiet` prints.
    let writes_file = matches!(cli.command, Command::Criteria { .. }) && cli.out.is_some();
    if cli.quiet
        && cli.format != Format::Table
        && !writes_file
        && !matches!(cli.command, Command::Test { .. })
    {
        return Err(format!(
            "`--quiet` prints nothing but errors, so `--format {}` would print nothing; leave out one of them",
            spell(&cli.format)
        ));
    }
    if matches!(cli.command, Command::Criteria { .. })
        && cli.format == Format::Xlsx
        && cli.out.is_none()
    {
        return Err(
            "`criteria --format xlsx` writes a workbook, which a terminal cannot show; add `--out FILE` (such as `--out 评分细则.xlsx`)".into(),
        );
    }
    if cli.out.is_some() && !writes {
        return Err(format!(
            "`{name}` writes no files; `--out` is for `run`, `compare` and `sensitivity` (print JSON with `--format json` instead)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
        super::command().debug_assert();
    }

    /// Each command's help, as `bangfu COMMAND --help` prints it.
    fn help(name: &str) -> String {
        let mut cmd = super::command();
        cmd.find_subcommand_mut(name)
            .map(|c| c.render_long_help().to_string())
            .unwrap_or_default()
    }

    #[test]
    fn a_command_s_help_lists_only_the_flags_it_accepts() {
        let init = help("init");
        for flag in ["--rules", "--data", "--scenarios", "--out", "--format"] {
            assert!(!init.contains(flag), "init lists {flag}:\n{init}");
        }
        assert!(help("compare").contains("--out"));
        assert!(help("compare").contains("--kind"));
        assert!(help("compare").contains("Output format: table, json, csv or md"));
        assert!(!help("check").contains("md"));
        assert!(!help("explain").contains("--quiet"));
        assert!(help("explain").contains("--scenario"));
        assert!(!help("check").contains("--scenarios"));
        assert!(!help("test").contains("--data"));
        let run = help("run");
        for flag in [
            "--rules",
            "--data",
            "--scenarios",
            "--out",
            "--set",
            "--gate",
        ] {
            assert!(run.contains(flag), "run does not list {flag}:\n{run}");
        }
        assert!(run.contains("table, json, csv or md"));
    }

    use super::{use_color, Color};
    use std::cell::Cell;

    /// A console switch that records whether it was tried and answers `answer`.
    fn switch(tried: &Cell<bool>, answer: Option<bool>) -> impl FnOnce() -> Option<bool> + '_ {
        move || {
            tried.set(true);
            answer
        }
    }

    #[test]
    fn a_windows_console_that_refuses_ansi_mode_gets_plain_text() {
        let tried = Cell::new(false);
        assert!(!use_color(
            &Color::Auto,
            true,
            false,
            switch(&tried, Some(false))
        ));
        assert!(tried.get());
    }

    #[test]
    fn a_windows_console_switched_to_ansi_mode_gets_colour() {
        let tried = Cell::new(false);
        assert!(use_color(
            &Color::Auto,
            true,
            false,
            switch(&tried, Some(true))
        ));
        assert!(tried.get());
    }

    #[test]
    fn a_terminal_without_a_console_switch_gets_colour() {
        let tried = Cell::new(false);
        assert!(use_color(&Color::Auto, true, false, switch(&tried, None)));
    }

    #[test]
    fn the_console_is_left_alone_when_no_colour_is_wanted() {
        for (choice, terminal, no_color) in [
            (Color::Auto, false, false),
            (Color::Auto, true, true),
            (Color::Never, true, false),
        ] {
            let tried = Cell::new(false);
            assert!(!use_color(
                &choice,
                terminal,
                no_color,
                switch(&tried, Some(true))
            ));
            assert!(
                !tried.get(),
                "{choice:?} terminal={terminal} NO_COLOR={no_color}"
            );
        }
    }

    #[test]
    fn colour_asked_for_is_written_even_where_the_console_refuses_ansi_mode() {
        let tried = Cell::new(false);
        assert!(use_color(
            &Color::Always,
            false,
            true,
            switch(&tried, Some(false))
        ));
        assert!(tried.get());
    }
}
