//! Helpers for tests that drive the `por` binary on a copy of the bundled demo: the
//! command with a clean environment, its output, the one `error:` line, and hashes of
//! everything published or stored, to compare byte for byte before and after.

use bitcoin::hashes::{Hash, sha256};
use por::format::Manifest;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn command(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_por"));
    c.args(args).env("POR_LOG", "error");
    for v in [
        "http_proxy",
        "https_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "all_proxy",
    ] {
        c.env_remove(v);
    }
    c
}

pub fn por(args: &[&str]) -> Output {
    command(args).output().unwrap()
}

/// `por run --config <d>/por.toml` with `args`.
pub fn run(d: &Path, args: &[&str]) -> Output {
    let config = d.join("por.toml");
    let mut all = vec!["run", "--config", config.to_str().unwrap()];
    all.extend(args);
    por(&all)
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The message of the one `error:` line that is all of stderr.
pub fn error_line(o: &Output) -> String {
    let e = stderr(o);
    assert!(
        e.starts_with("error: ") && e.ends_with('\n') && e.lines().count() == 1,
        "stderr is not one error line: {e:?}"
    );
    e["error: ".len()..].trim_end().to_string()
}

/// `por demo --out <t>/d`: three published snapshots and a site.
pub fn demo(t: &Path) -> PathBuf {
    let d = t.join("d");
    let o = por(&["demo", "--out", d.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    d
}

/// [`demo`] without its snapshot log: the `[log]` section `por demo` appends is cut
/// from the config, for the tests of `--replace` (a snapshot already in the log can
/// never be replaced: `witness_log` tests that) and of chain faults met while
/// re-publishing the newest snapshot.
pub fn demo_without_log(t: &Path) -> PathBuf {
    let d = demo(t);
    let config = d.join("por.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    let cut = text
        .find("\n# The snapshot log (FORMAT.md §7), written by `por demo`.")
        .expect("por demo writes a [log] section");
    std::fs::write(&config, &text[..cut + 1]).unwrap();
    d
}

/// Adds the inputs of a new snapshot `id` (the 2026-11-21 liabilities, or `liabilities`
/// when given; wallets signed for `id` with the demo keys).
pub fn add_inputs(d: &Path, id: &str, liabilities: Option<&Path>) {
    let from = liabilities
        .map(Path::to_path_buf)
        .unwrap_or_else(|| d.join("liabilities/2026-11-21.csv"));
    std::fs::copy(from, d.join(format!("liabilities/{id}.csv"))).unwrap();
    std::fs::copy(
        root().join(format!("tests/data/faults/wallets/{id}.csv")),
        d.join(format!("wallets/{id}.csv")),
    )
    .unwrap();
}

pub fn sha(bytes: &[u8]) -> String {
    sha256::Hash::hash(bytes).to_string()
}

/// Every file under `dir` (relative path → sha256), the run lock aside.
pub fn hashes(dir: &Path) -> BTreeMap<PathBuf, String> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(base, &p, out);
            } else if p.file_name().is_some_and(|n| n != ".por.lock") {
                out.insert(
                    p.strip_prefix(base).unwrap().into(),
                    sha(&std::fs::read(&p).unwrap()),
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Hashes of everything published or stored: `snapshots/`, `public/`, `private/`.
pub fn outputs(d: &Path) -> BTreeMap<PathBuf, String> {
    let mut all = BTreeMap::new();
    for sub in ["snapshots", "public", "private"] {
        for (p, h) in hashes(&d.join(sub)) {
            all.insert(Path::new(sub).join(p), h);
        }
    }
    all
}

pub fn only(all: &BTreeMap<PathBuf, String>, sub: &str) -> BTreeMap<PathBuf, String> {
    all.iter()
        .filter(|(p, _)| p.starts_with(sub))
        .map(|(p, h)| (p.clone(), h.clone()))
        .collect()
}

/// The rendered site's files, without `public/status.json`: it states the render's
/// clock (its time and the ages it reports), so it is the one file two renders of
/// the same published state write differently.
pub fn site_files(all: &BTreeMap<PathBuf, String>) -> BTreeMap<PathBuf, String> {
    let mut site = only(all, "public");
    site.remove(Path::new("public/status.json"));
    site
}

pub fn manifest(d: &Path, id: &str) -> Manifest {
    let bytes = std::fs::read(d.join(format!("snapshots/{id}/manifest.json"))).unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

pub fn replace_in(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} lacks {from:?}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

pub fn config_arg(d: &Path) -> String {
    d.join("por.toml").display().to_string()
}

/// No public folder holds anything but published content: no dot entries in the
/// snapshots folder, the site or beside the site.
pub fn assert_no_temp_in_public(d: &Path) {
    for dir in [d.join("snapshots"), d.join("public"), d.to_path_buf()] {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let allowed = dir == d && name == ".por-demo";
            assert!(
                !name.starts_with('.') || allowed,
                "{}: temp entry {name} in a public folder",
                dir.display()
            );
        }
    }
}

/// Nothing is left of any run: the staging area is empty, every proof store has its
/// published snapshot, and the site is exactly what a fresh render gives.
pub fn assert_clean_and_current(d: &Path) {
    assert_no_temp_in_public(d);
    let staging = d.join("private/.staging");
    assert_eq!(
        std::fs::read_dir(&staging).map(|r| r.count()).unwrap_or(0),
        0,
        "staging area not empty"
    );
    for e in std::fs::read_dir(d.join("private")).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.starts_with('.') {
            assert!(
                d.join("snapshots").join(&name).is_dir(),
                "orphan store {name}"
            );
        }
    }
    let site = site_files(&outputs(d));
    let o = por(&["render", "--config", &config_arg(d)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(site_files(&outputs(d)), site, "the site was not current");
}
