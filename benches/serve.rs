//! The live page's answer to one change, as the server computes it: a request with new
//! settings through the routes (`/api/evaluate?set=pass_line=…`), evaluated over the
//! baseline and turned into the page's JSON. On the sample, and on 100,000 generated villages
//! of RC-1 (`benches/rc1/yaml`). Each iteration sends settings the server has not cached. They
//! measure; they assert nothing about time.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/common/rc1gen.rs"]
mod rc1gen;

use axum::body::Body;
use axum::http::Request;
use axum::Router;
use bangfu::serve::session::Folders;
use bangfu::serve::{api, App};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use tower::ServiceExt;

fn main() {
    divan::main();
}

struct Fixture {
    _dir: Option<tempfile::TempDir>,
    router: Router,
    runtime: tokio::runtime::Runtime,
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn sample() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let app = App::open(
            Folders {
                rules: root.join("rules"),
                data: root.join("data/sample"),
                scenarios: root.join("scenarios"),
            },
            None,
        )
        .unwrap();
        Fixture {
            _dir: None,
            router: api::router(app),
            runtime: runtime(),
        }
    })
}

fn rc1() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        rc1gen::write_csv(&rc1gen::generate(100_000, 7), &data.join("villages.csv"));
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let app = App::open(
            Folders {
                rules: root.join("benches/rc1/yaml"),
                data,
                scenarios: dir.path().join("scenarios"),
            },
            None,
        )
        .unwrap();
        Fixture {
            _dir: Some(dir),
            router: api::router(app),
            runtime: runtime(),
        }
    })
}

/// A pass line the server has not answered lately (its cache holds the last few).
fn next_line() -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let i = N.fetch_add(1, Ordering::Relaxed) % 40;
    format!("{}", 60.0 + i as f64 * 0.5)
}

fn ask(f: &Fixture, uri: &str) -> usize {
    f.runtime.block_on(async {
        let res = f
            .router
            .clone()
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert!(res.status().is_success(), "{uri}: {}", res.status());
        axum::body::to_bytes(res.into_body(), 1 << 30)
            .await
            .unwrap()
            .len()
    })
}

#[divan::bench(sample_count = 30)]
fn sample_pass_line(bencher: divan::Bencher) {
    let f = sample();
    bencher
        .with_inputs(|| format!("/api/evaluate?set=pass_line%3D{}", next_line()))
        .bench_local_values(|uri| ask(f, &uri));
}

#[divan::bench(sample_count = 30)]
fn sample_gate_and_minimum(bencher: divan::Bencher) {
    let f = sample();
    bencher
        .with_inputs(|| {
            format!(
                "/api/evaluate?gate=collective_petition%3Doff&set=village.dimensions.economy.min%3D{}",
                next_line().parse::<f64>().unwrap() / 5.0
            )
        })
        .bench_local_values(|uri| ask(f, &uri));
}

#[divan::bench(sample_count = 10)]
fn rc1_100k_pass_line(bencher: divan::Bencher) {
    let f = rc1();
    bencher
        .with_inputs(|| format!("/api/evaluate?set=pass_line%3D{}", next_line()))
        .bench_local_values(|uri| ask(f, &uri));
}

#[divan::bench(sample_count = 10)]
fn rc1_100k_reward_line(bencher: divan::Bencher) {
    let f = rc1();
    bencher
        .with_inputs(|| format!("/api/evaluate?set=reward_line%3D{}", next_line()))
        .bench_local_values(|uri| ask(f, &uri));
}

#[divan::bench(sample_count = 10)]
fn rc1_100k_near_the_line(bencher: divan::Bencher) {
    let f = rc1();
    bencher
        .with_inputs(|| {
            format!(
                "/api/near?line=pass&distance=1&set=pass_line%3D{}",
                next_line()
            )
        })
        .bench_local_values(|uri| ask(f, &uri));
}
