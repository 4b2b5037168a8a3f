//! The release archives that `dist/build.sh` writes to `dist/out/`: what each holds, and that
//! the binaries in them give the results this build gives. The ARM64 binary runs under
//! qemu-user; the Windows binary cannot run here (Debian's Wine lacks `bcryptprimitives.dll`,
//! which the Rust standard library needs), so it is checked as a file.
//!
//! Ignored in a plain `cargo test`; `.ci/run` builds the archives and runs these with
//! `BANGFU_DIST=1`. Run by hand: `dist/build.sh && BANGFU_DIST=1 cargo test --test dist -- --ignored`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
#[path = "common/rc1gen.rs"]
mod rc1gen;

use common::root;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The archive for `platform` (`linux-arm64`, …); a missing one fails the test.
fn archive(platform: &str) -> PathBuf {
    assert_eq!(
        std::env::var("BANGFU_DIST").as_deref(),
        Ok("1"),
        "these tests check the release archives: run dist/build.sh and set BANGFU_DIST=1"
    );
    let ext = if platform.starts_with("windows") {
        "zip"
    } else {
        "tar.gz"
    };
    let path = root().join(format!("dist/out/bangfu-{VERSION}-{platform}.{ext}"));
    assert!(
        path.is_file(),
        "`{}` is missing: run dist/build.sh",
        path.display()
    );
    path
}

/// The folder the archive unpacks to, inside a fresh temporary folder.
fn unpack(archive: &Path) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let o = if archive.extension().is_some_and(|e| e == "zip") {
        Command::new("python3")
            .args(["-m", "zipfile", "-e"])
            .arg(archive)
            .arg(tmp.path())
            .output()
    } else {
        Command::new("tar")
            .arg("-xzf")
            .arg(archive)
            .arg("-C")
            .arg(tmp.path())
            .output()
    }
    .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let tops: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let name = archive
        .file_name()
        .unwrap()
        .to_string_lossy()
        .replace(".tar.gz", "")
        .replace(".zip", "");
    assert_eq!(
        tops,
        std::slice::from_ref(&name),
        "one folder, named as the archive"
    );
    let dir = tmp.path().join(name);
    (tmp, dir)
}

/// Every file under `dir`, by its path relative to `dir` (with `/`), with its bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, into: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, into);
            } else {
                let rel = p
                    .strip_prefix(base)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                into.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut m = BTreeMap::new();
    walk(dir, dir, &mut m);
    m
}

fn ok(o: &Output) {
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// The short hash of the commit checked out, which the archives must be built from.
fn head() -> String {
    let o = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(root())
        .output()
        .unwrap();
    ok(&o);
    String::from_utf8(o.stdout).unwrap().trim().to_string()
}

/// The ELF file's machine and whether it asks for a program interpreter (a dynamic loader):
/// a static binary does not.
fn elf(path: &Path) -> (u16, bool) {
    let b = std::fs::read(path).unwrap();
    assert_eq!(
        &b[..4],
        b"\x7fELF",
        "`{}` is not an ELF file",
        path.display()
    );
    assert_eq!(b[4], 2, "64-bit");
    let u16_at = |i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
    let u32_at = |i: usize| u32::from_le_bytes(b[i..i + 4].try_into().unwrap());
    let u64_at = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().unwrap());
    let machine = u16_at(18);
    let (phoff, phsize, phnum) = (
        u64_at(32) as usize,
        u16_at(54) as usize,
        u16_at(56) as usize,
    );
    const PT_INTERP: u32 = 3;
    let interp = (0..phnum).any(|i| u32_at(phoff + i * phsize) == PT_INTERP);
    (machine, interp)
}

/// The repository's copy of what an archive ships besides the binary.
fn shipped(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut want = BTreeMap::new();
    for folder in ["rules", "scenarios", "docs", "data/sample"] {
        for (rel, bytes) in files(&root().join(folder)) {
            want.insert(format!("{folder}/{rel}"), bytes);
        }
    }
    for f in ["README.md", "CHANGELOG.md", "LICENSE-MIT", "LICENSE-APACHE"] {
        want.insert(f.to_string(), std::fs::read(root().join(f)).unwrap());
    }
    let got = files(dir);
    for (rel, bytes) in &want {
        assert!(
            got.get(rel) == Some(bytes),
            "`{rel}` missing or different in {}",
            dir.display()
        );
    }
    got
}

/// Result files of `bangfu run --out` run in `cwd` with `args`, by `prefix` then the binary.
fn results(prefix: &[&str], bin: &Path, cwd: &Path, args: &[&str]) -> BTreeMap<String, Vec<u8>> {
    let out = tempfile::tempdir().unwrap();
    let (program, rest) = match prefix.split_first() {
        Some((p, rest)) => (PathBuf::from(p), rest.to_vec()),
        None => (bin.to_path_buf(), Vec::new()),
    };
    let mut cmd = Command::new(program);
    cmd.args(rest);
    if !prefix.is_empty() {
        cmd.arg(bin);
    }
    let o = cmd
        .args(["run", "--quiet"])
        .args(args)
        .arg("--out")
        .arg(out.path())
        .current_dir(cwd)
        .output()
        .unwrap();
    ok(&o);
    let got = files(out.path());
    assert!(got.contains_key("manifest.json"), "{got:?}");
    got
}

/// The sample (run with no flags in the unpacked folder, as a user would) and 10,000 RC-1
/// villages (YAML and rhai criteria): the binary gives the same bytes as this build.
fn same_results_as_this_build(prefix: &[&str], bin: &Path, dir: &Path) {
    let here = Path::new(env!("CARGO_BIN_EXE_bangfu"));
    let want = results(&[], here, dir, &[]);
    let got = results(prefix, bin, dir, &[]);
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &want {
        assert!(
            &got[name] == bytes,
            "sample: `{name}` differs from this build's"
        );
    }
    assert!(want.len() >= 10, "every result file: {:?}", want.keys());

    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("rc1");
    std::fs::create_dir_all(&data).unwrap();
    rc1gen::write_csv(
        &rc1gen::generate(10_000, 20261207),
        &data.join("villages.csv"),
    );
    for variant in ["yaml", "rhai"] {
        let rules = root().join("benches/rc1").join(variant);
        let args = [
            "--rules",
            rules.to_str().unwrap(),
            "--data",
            data.to_str().unwrap(),
        ];
        let want = results(&[], here, tmp.path(), &args);
        let got = results(prefix, bin, tmp.path(), &args);
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            want.keys().collect::<Vec<_>>()
        );
        for (name, bytes) in &want {
            assert!(
                &got[name] == bytes,
                "RC-1 {variant}: `{name}` differs from this build's"
            );
        }
        let villages = String::from_utf8_lossy(&want["villages.csv"])
            .lines()
            .count();
        assert_eq!(villages, 10_001, "a header and 10,000 villages");
    }
}

/// `--version` names the version, the target and the commit checked out.
fn version_names(prefix: &[&str], bin: &Path, triple: &str) {
    let (program, rest) = match prefix.split_first() {
        Some((p, rest)) => (PathBuf::from(p), rest.to_vec()),
        None => (bin.to_path_buf(), Vec::new()),
    };
    let mut cmd = Command::new(program);
    cmd.args(rest);
    if !prefix.is_empty() {
        cmd.arg(bin);
    }
    let o = cmd.arg("--version").output().unwrap();
    ok(&o);
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        format!("bangfu {VERSION} ({triple}, commit {})", head())
    );
}

#[test]
#[ignore = "needs the release archives: run dist/build.sh and set BANGFU_DIST=1"]
fn sha256sums_covers_every_archive() {
    let archives = ["linux-x86_64", "linux-arm64", "windows-x86_64"].map(archive);
    let sums = std::fs::read_to_string(root().join("dist/out/SHA256SUMS")).unwrap();
    let listed: BTreeMap<&str, &str> = sums
        .lines()
        .map(|l| {
            let (hash, name) = l
                .split_once("  ")
                .expect("`HASH  NAME` lines, as sha256sum writes");
            (name, hash)
        })
        .collect();
    assert_eq!(listed.len(), archives.len(), "{sums}");
    for a in archives {
        let name = a.file_name().unwrap().to_str().unwrap();
        let hash = format!("{:x}", Sha256::digest(std::fs::read(&a).unwrap()));
        assert_eq!(listed.get(name), Some(&hash.as_str()), "{name}");
    }
}

#[test]
#[ignore = "needs the release archives: run dist/build.sh and set BANGFU_DIST=1"]
fn the_arm64_binary_is_static_and_gives_the_x86_64_results_under_qemu() {
    let (_tmp, dir) = unpack(&archive("linux-arm64"));
    let got = shipped(&dir);
    let notes = String::from_utf8(got["安装说明.txt"].clone()).unwrap();
    assert!(
        notes.contains("./bangfu run") && !notes.contains('\r'),
        "{notes}"
    );
    let bin = dir.join("bangfu");
    const EM_AARCH64: u16 = 183;
    assert_eq!(elf(&bin), (EM_AARCH64, false), "a static ARM64 binary");
    // `-L` is where qemu finds the ARM64 loader and glibc; a static binary needs neither, and
    // runs the same with it.
    let qemu = ["qemu-aarch64", "-L", "/usr/aarch64-linux-gnu"];
    version_names(&qemu, &bin, "aarch64-unknown-linux-gnu");
    same_results_as_this_build(&qemu, &bin, &dir);
}

#[test]
#[ignore = "needs the release archives: run dist/build.sh and set BANGFU_DIST=1"]
fn the_static_x86_64_binary_gives_the_same_results() {
    let (_tmp, dir) = unpack(&archive("linux-x86_64"));
    shipped(&dir);
    let bin = dir.join("bangfu");
    const EM_X86_64: u16 = 62;
    assert_eq!(elf(&bin), (EM_X86_64, false), "a static x86-64 binary");
    let o = Command::new("ldd").arg(&bin).output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        said.contains("not a dynamic executable") || said.contains("statically linked"),
        "ldd: {said}"
    );
    version_names(&[], &bin, "x86_64-unknown-linux-musl");
    same_results_as_this_build(&[], &bin, &dir);
}

/// DLLs every 64-bit Windows 10 and 11 has: the binary may need nothing else (no MinGW
/// runtime such as `libgcc_s_seh-1.dll` or `libwinpthread-1.dll`).
const WINDOWS_OWN: &[&str] = &[
    "advapi32.dll",
    "bcrypt.dll",
    "bcryptprimitives.dll",
    "kernel32.dll",
    "msvcrt.dll",
    "ntdll.dll",
    "shell32.dll",
    "user32.dll",
    "userenv.dll",
    "ws2_32.dll",
];

#[test]
#[ignore = "needs the release archives: run dist/build.sh and set BANGFU_DIST=1"]
fn the_windows_binary_is_a_console_program_needing_only_windows_own_dlls() {
    let zip = archive("windows-x86_64");
    // Names that are not ASCII are marked UTF-8 in the archive, so Windows Explorer shows
    // 安装说明.txt rather than mojibake.
    let o = Command::new("python3")
        .arg("-c")
        .arg("import sys, zipfile\nfor i in zipfile.ZipFile(sys.argv[1]).infolist():\n    print(i.flag_bits & 0x800, i.filename)")
        .arg(&zip)
        .output()
        .unwrap();
    ok(&o);
    let listing = String::from_utf8(o.stdout).unwrap();
    let notes_entry = format!("2048 bangfu-{VERSION}-windows-x86_64/安装说明.txt");
    assert!(listing.lines().any(|l| l == notes_entry), "{listing}");

    let (_tmp, dir) = unpack(&zip);
    let got = shipped(&dir);
    let notes = &got["安装说明.txt"];
    assert!(
        notes.starts_with(b"\xEF\xBB\xBF"),
        "a byte-order mark for Notepad"
    );
    let text = String::from_utf8_lossy(notes);
    assert_eq!(
        text.matches('\n').count(),
        text.matches("\r\n").count(),
        "CRLF line ends"
    );
    assert!(text.contains("chcp 65001") && text.contains("bangfu.exe run"));

    let exe = dir.join("bangfu.exe");
    let b = std::fs::read(&exe).unwrap();
    assert_eq!(&b[..2], b"MZ");
    let pe = u32::from_le_bytes(b[0x3c..0x40].try_into().unwrap()) as usize;
    assert_eq!(&b[pe..pe + 4], b"PE\0\0", "a PE file");
    assert_eq!(u16::from_le_bytes([b[pe + 4], b[pe + 5]]), 0x8664, "x86-64");
    let optional = pe + 24;
    assert_eq!(
        u16::from_le_bytes([b[optional], b[optional + 1]]),
        0x20b,
        "PE32+"
    );
    const CONSOLE: u16 = 3;
    let subsystem = u16::from_le_bytes([b[optional + 68], b[optional + 69]]);
    assert_eq!(subsystem, CONSOLE, "a console program");
    let version = format!("{VERSION} (x86_64-pc-windows-gnu, commit {})", head());
    assert!(
        b.windows(version.len()).any(|w| w == version.as_bytes()),
        "`--version` would print `bangfu {version}`"
    );

    let o = Command::new("x86_64-w64-mingw32-objdump")
        .arg("-p")
        .arg(&exe)
        .output()
        .expect("x86_64-w64-mingw32-objdump (Debian binutils-mingw-w64-x86-64)");
    ok(&o);
    let dlls: Vec<String> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| l.trim().strip_prefix("DLL Name: "))
        .map(str::to_ascii_lowercase)
        .collect();
    assert!(dlls.iter().any(|d| d == "kernel32.dll"), "{dlls:?}");
    for d in &dlls {
        assert!(
            WINDOWS_OWN.contains(&d.as_str()) || d.starts_with("api-ms-win-"),
            "bangfu.exe needs `{d}`, which Windows does not have of its own: {dlls:?}"
        );
    }
}
