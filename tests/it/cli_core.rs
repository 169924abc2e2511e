//! The core commands end to end through the real binary, each case in a fresh temp
//! folder: `por snapshot`, `por proof`, `por verify`, and every refusal of bad
//! liabilities (exit 2, one line naming file and line, nothing written).

use crate::support::cli::{self, stderr};
use std::path::{Path, PathBuf};
use std::process::Output;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/liabilities")
        .join(name)
}

struct Case {
    dir: tempfile::TempDir,
}

impl Case {
    /// A case with the default tree (por/2).
    fn new(liabilities: &str) -> Case {
        Case::with_tree(liabilities, "")
    }

    /// A case whose config ends with `tree` (a `[tree]` section, or nothing).
    fn with_tree(liabilities: &str, tree: &str) -> Case {
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(fixture(liabilities), dir.path().join("liabilities.csv")).unwrap();
        std::fs::write(
            dir.path().join("por.toml"),
            r#"exchange = "Test Exchange"
[[assets]]
symbol = "BTC"
decimals = 8
[[assets]]
symbol = "ETH"
decimals = 18
[liabilities]
path = "liabilities.csv"
[output]
snapshots = "out/snapshots"
site = "out/public"
private = "secret"
"#
            .to_string()
                + tree,
        )
        .unwrap();
        Case { dir }
    }

    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    fn por(&self, args: &[&str]) -> Output {
        cli::command(args)
            .current_dir(self.dir.path())
            .env("POR_LOG", "warn")
            .output()
            .unwrap()
    }

    fn snapshot(&self, id: &str, as_of: &str) -> Output {
        self.por(&[
            "snapshot", "--config", "por.toml", "--id", id, "--as-of", as_of,
        ])
    }

    fn proof(&self, id: &str, uid: &str) -> Output {
        self.por(&["proof", "--config", "por.toml", "--id", id, "--uid", uid])
    }
}

/// Every salt of a proof of either version.
fn salts(proof: &serde_json::Value) -> Vec<String> {
    match proof["parts"].as_array() {
        Some(parts) => parts
            .iter()
            .map(|p| p["salt"].as_str().unwrap().to_string())
            .collect(),
        None => vec![proof["salt"].as_str().unwrap().to_string()],
    }
}

#[test]
fn snapshot_proof_verify_round_trip_por2() {
    round_trip("", 16, 4);
}

#[test]
fn snapshot_proof_verify_round_trip_por1() {
    round_trip("[tree]\nversion = 1\n", 3, 2);
}

fn round_trip(tree: &str, leaves: u64, height: u64) {
    let v2 = tree.is_empty();
    let c = Case::with_tree("good.csv", tree);
    let o = c.snapshot("2026-11-21", "2026-11-21T00:00:00Z");
    // No reserves are configured: every asset is short, which is exit 1, but published.
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let summary = String::from_utf8_lossy(&o.stdout);
    assert!(
        summary.contains("3 accounts") && summary.contains("BTC 0.0000 SHORT by 1.50000001"),
        "{summary}"
    );
    let manifest_path = c.path("out/snapshots/2026-11-21/manifest.json");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&manifest_path).unwrap()).unwrap();
    assert_eq!(manifest["format"], "por-manifest/1");
    assert_eq!(manifest["tree"]["leaves"], leaves);
    assert_eq!(manifest["tree"]["height"], height);
    if v2 {
        assert_eq!(manifest["tree"]["version"], 2);
        assert_eq!(manifest["tree"]["split"], 4);
        assert_eq!(manifest["tree"]["padding_bits"], 6);
        assert_eq!(manifest["tree"]["accounts"], serde_json::Value::Null);
    } else {
        assert!(manifest["tree"].get("version").is_none());
    }
    assert_eq!(
        manifest["tree"]["sums"],
        serde_json::json!(["150000001", "2000000000000000001"])
    );
    assert_eq!(manifest["assets"][1]["liabilities"], "2000000000000000001");
    assert_eq!(manifest["previous"], serde_json::Value::Null);

    for uid in ["alice", "bob", "carol"] {
        let o = c.proof("2026-11-21", uid);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let proof_path = c.path(&format!("{uid}.json"));
        std::fs::write(&proof_path, &o.stdout).unwrap();
        let v = c.por(&[
            "verify",
            "--proof",
            proof_path.to_str().unwrap(),
            "--manifest",
            manifest_path.to_str().unwrap(),
        ]);
        assert_eq!(
            v.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&v.stdout)
        );
        assert!(String::from_utf8_lossy(&v.stdout).starts_with(&format!("valid: uid \"{uid}\"")));
        let proof: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let format = if v2 {
            "por-inclusion-proof/2"
        } else {
            "por-inclusion-proof/1"
        };
        assert_eq!(proof["format"], format);
        if v2 {
            let parts = proof["parts"].as_array().unwrap();
            assert_eq!(parts.len(), 4);
            for p in parts {
                assert_eq!(p["path"].as_array().unwrap().len() as u64, height);
            }
        }
    }

    // A tampered balance is invalid (exit 1) and names the failed check: the leaf (in
    // por/2 the changed part's leaf, changed with the balance so that the parts still
    // add up) no longer leads to the root (step 4).
    let text = std::fs::read_to_string(c.path("alice.json")).unwrap();
    let tampered = crate::support::proofs::raise_first_balance(&text);
    std::fs::write(c.path("bad.json"), tampered).unwrap();
    let v = c.por(&[
        "verify",
        "--proof",
        "bad.json",
        "--manifest",
        manifest_path.to_str().unwrap(),
    ]);
    assert_eq!(v.status.code(), Some(1));
    let out = String::from_utf8_lossy(&v.stdout);
    assert!(out.starts_with("invalid: step 4 (root) failed"), "{out}");

    // Unusable input is exit 2.
    std::fs::write(c.path("junk.json"), "{not json").unwrap();
    let v = c.por(&[
        "verify",
        "--proof",
        "junk.json",
        "--manifest",
        manifest_path.to_str().unwrap(),
    ]);
    assert_eq!(v.status.code(), Some(2));
    let v = c.por(&[
        "verify",
        "--proof",
        "missing.json",
        "--manifest",
        manifest_path.to_str().unwrap(),
    ]);
    assert_eq!(v.status.code(), Some(2));

    // Unknown uid.
    let o = c.proof("2026-11-21", "mallory");
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o).trim(),
        "error: no account with uid \"mallory\" in snapshot 2026-11-21"
    );
}

#[test]
fn published_folder_holds_no_uid_salt_or_balance() {
    let c = Case::new("good.csv");
    c.snapshot("s1", "2026-11-21T00:00:00Z");
    let proof: serde_json::Value = serde_json::from_slice(&c.proof("s1", "alice").stdout).unwrap();
    let mut secrets: Vec<String> = salts(&proof);
    for p in proof["parts"].as_array().unwrap() {
        secrets.extend(
            p["balances"]
                .as_array()
                .unwrap()
                .iter()
                .map(|b| format!("{b}")),
        );
    }
    secrets.retain(|s| s != "\"0\"");
    let mut published = String::new();
    for entry in walk(&c.path("out")) {
        published.push_str(&String::from_utf8_lossy(&std::fs::read(entry).unwrap()));
    }
    for secret in ["alice", "bob", "carol", "\"150000000\"", "\"1\""]
        .into_iter()
        .chain(secrets.iter().map(String::as_str))
    {
        assert!(
            !published.contains(secret),
            "published output contains {secret}"
        );
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.path().is_dir() {
            out.extend(walk(&e.path()));
        } else {
            out.push(e.path());
        }
    }
    out
}

#[test]
fn snapshots_are_hash_chained_and_never_overwritten() {
    let c = Case::new("good.csv");
    c.snapshot("s1", "2026-11-21T00:00:00Z");
    let first = std::fs::read(c.path("out/snapshots/s1/manifest.json")).unwrap();
    // Same id again: refused, nothing touched.
    let o = c.snapshot("s1", "2026-11-22T00:00:00Z");
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("snapshot s1 is already published"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        std::fs::read(c.path("out/snapshots/s1/manifest.json")).unwrap(),
        first
    );
    // An as_of not after the previous one: refused.
    let o = c.snapshot("s0", "2026-11-20T00:00:00Z");
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("is not after the previous snapshot s1"),
        "{}",
        stderr(&o)
    );
    assert!(!c.path("out/snapshots/s0").exists() && !c.path("secret/s0").exists());
    // The next snapshot links to the exact bytes of the previous manifest.
    c.snapshot("s2", "2026-11-22T00:00:00Z");
    let second: serde_json::Value =
        serde_json::from_slice(&std::fs::read(c.path("out/snapshots/s2/manifest.json")).unwrap())
            .unwrap();
    use sha2::Digest;
    assert_eq!(second["previous"]["snapshot_id"], "s1");
    assert_eq!(
        second["previous"]["manifest_sha256"],
        hex::encode(sha2::Sha256::digest(&first))
    );
    // Fresh salts and order: the roots differ although the balances are the same.
    let first: serde_json::Value = serde_json::from_slice(&first).unwrap();
    assert_ne!(first["tree"]["root"], second["tree"]["root"]);
    assert_eq!(first["tree"]["sums"], second["tree"]["sums"]);
}

#[test]
fn reordered_columns_bom_crlf_and_quoted_uids_are_read() {
    let c = Case::new("reordered_columns_bom.csv");
    c.snapshot("s1", "2026-11-21T00:00:00Z");
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(c.path("out/snapshots/s1/manifest.json")).unwrap())
            .unwrap();
    assert_eq!(
        m["tree"]["sums"],
        serde_json::json!(["150000001", "2000000000000000001"])
    );
    let o = c.proof("s1", "c,arol");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn bad_liabilities_are_refused_with_their_location_and_nothing_is_written() {
    let cases = [
        ("empty_uid.csv", "liabilities.csv:3:1 (uid): empty uid"),
        (
            "uid_too_long.csv",
            "liabilities.csv:3:1 (uid): uid is 129 bytes, at most 128 allowed",
        ),
        (
            "duplicate_uid.csv",
            "liabilities.csv:4:1 (uid): duplicate uid \"alice\" (first on line 2)",
        ),
        (
            "negative_amount.csv",
            "liabilities.csv:2:2 (BTC): negative amount \"-1\"",
        ),
        (
            "non_numeric_amount.csv",
            "liabilities.csv:2:3 (ETH): not a number: \"abc\"",
        ),
        (
            "too_many_decimals.csv",
            "liabilities.csv:2:2 (BTC): \"0.000000001\" has 9 decimals, more than the asset's 8",
        ),
        (
            "amount_overflow.csv",
            "liabilities.csv:2:3 (ETH): \"340282366920938463463.374607431768211456\" exceeds 2^128-1 base units",
        ),
        (
            "total_overflow.csv",
            "liabilities.csv:3:3 (ETH): total of ETH exceeds 2^128-1 base units",
        ),
        (
            "missing_asset_column.csv",
            "liabilities.csv:1: configured asset \"ETH\" has no column",
        ),
        (
            "unknown_asset_column.csv",
            "liabilities.csv:1:4 (DOGE): column \"DOGE\" is not a configured asset",
        ),
        (
            "duplicate_asset_column.csv",
            "liabilities.csv:1:4 (BTC): column \"BTC\" appears twice",
        ),
        (
            "ragged_row.csv",
            "liabilities.csv:3: row has 2 fields, the header has 3",
        ),
        (
            "no_accounts.csv",
            "liabilities.csv:1: no accounts: the file has a header but no rows",
        ),
        (
            "empty_file.csv",
            "liabilities.csv:1: empty file: expected a header `uid,<SYMBOL>,...`",
        ),
        (
            "first_column_not_uid.csv",
            "liabilities.csv:1:1 (BTC): first column must be `uid`, found \"BTC\"",
        ),
        (
            "invalid_utf8.csv",
            "liabilities.csv:3:1 (uid): invalid UTF-8",
        ),
        // FORMAT.md §2: no control character (U+0000–U+001F, U+007F) in a uid, escaped
        // in the message; a quoted field's line break counts, at the record's first line.
        (
            "uid_with_nul.csv",
            "liabilities.csv:3:1 (uid): uid \"bob\\0x\" contains control character \\0 (U+0000) at character 4",
        ),
        (
            "uid_with_tab.csv",
            "liabilities.csv:3:1 (uid): uid \"car\\tol\" contains control character \\t (U+0009) at character 4",
        ),
        (
            "uid_with_newline.csv",
            "liabilities.csv:3:1 (uid): uid \"da\\nve\" contains control character \\n (U+000A) at character 3",
        ),
        (
            "uid_with_cr.csv",
            "liabilities.csv:3:1 (uid): uid \"ev\\re\" contains control character \\r (U+000D) at character 3",
        ),
        (
            "uid_with_del.csv",
            "liabilities.csv:3:1 (uid): uid \"fr\\u{7f}ed\" contains control character \\u{7f} (U+007F) at character 3",
        ),
        (
            "uid_with_escape.csv",
            "liabilities.csv:3:1 (uid): uid \"\\u{1b}[31mred\" contains control character \\u{1b} (U+001B) at character 1",
        ),
    ];
    for (file, want) in cases {
        let c = Case::new(file);
        let o = c.snapshot("s1", "2026-11-21T00:00:00Z");
        assert_eq!(o.status.code(), Some(2), "{file}");
        let err = stderr(&o);
        let line = err
            .lines()
            .find(|l| l.starts_with("error: "))
            .unwrap_or_else(|| panic!("{file}: {err}"));
        let msg = line.trim_start_matches("error: ");
        assert_eq!(msg, format!("./{want}"), "{file}");
        assert_eq!(
            err.lines().filter(|l| l.starts_with("error")).count(),
            1,
            "{file}: one line"
        );
        assert!(!c.path("out").exists(), "{file}: something was published");
        assert_eq!(
            names(&c.path("secret")),
            [".por.lock"],
            "{file}: only the run lock may exist"
        );
    }
}

/// The entries of a folder, sorted (empty when it does not exist).
fn names(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|r| {
            r.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// `por verify --bundle`: a dispute file (por-dispute/1) is re-checked against the
/// published manifest: valid and matching exits 0; a tampered proof inside it, or a
/// manifest other than the one it names, exits 1 and says which.
#[test]
fn verify_rechecks_a_dispute_file() {
    let c = Case::new("good.csv");
    c.snapshot("2026-11-21", "2026-11-21T00:00:00Z");
    let manifest_path = c.path("out/snapshots/2026-11-21/manifest.json");
    let manifest = std::fs::read(&manifest_path).unwrap();
    let o = c.proof("2026-11-21", "alice");
    let proof = String::from_utf8(o.stdout).unwrap();
    let bundle = |proof: &str, sha: &str, result: &str, check: Option<&str>| {
        serde_json::json!({
            "format": "por-dispute/1",
            "checked_at": "2026-12-01T21:30:00Z",
            "verifier": {"name": "por verify.js", "version": "0.1.0", "script_sha256": null},
            "proof": proof,
            "manifest": {"snapshot_id": "2026-11-21", "url": null, "sha256": sha,
                         "source": "fetched", "file_name": null, "index_check": "fetched"},
            "verdict": {"result": result, "check": check, "step": null, "reason": null, "error": null},
        })
        .to_string()
    };
    let sha = por::format::sha256_hex(&manifest);
    let check = |text: String| {
        std::fs::write(c.path("dispute.json"), text).unwrap();
        let o = c.por(&[
            "verify",
            "--bundle",
            "dispute.json",
            "--manifest",
            manifest_path.to_str().unwrap(),
        ]);
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
        )
    };
    let (code, out) = check(bundle(&proof, &sha, "valid", None));
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(
        out.trim_end(),
        "valid: the proof is valid; the manifest is the one the dispute file names; the page said valid, this re-check agrees"
    );
    let tampered = crate::support::proofs::raise_first_balance(&proof);
    let (code, out) = check(bundle(&tampered, &sha, "invalid", Some("root")));
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.starts_with("invalid: the proof is invalid: step 4 (root) failed")
            && out
                .trim_end()
                .ends_with("the page said invalid (root), this re-check agrees"),
        "{out}"
    );
    let (code, out) = check(bundle(&proof, &"0".repeat(64), "valid", None));
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("the manifest is NOT the one the dispute file names"),
        "{out}"
    );
}

/// `por verify` takes both formats, choosing by `format`: every por/2 vector proof
/// verifies against its manifest (exit 0, the account's totals and its parts), and an
/// invalid one is rejected at its named step (exit 1).
#[test]
fn verify_accepts_por2_proofs_and_rejects_invalid_ones() {
    let v: serde_json::Value = serde_json::from_slice(
        &std::fs::read(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/spec/vectors.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let d = tempfile::tempdir().unwrap();
    let verify = |proof: &serde_json::Value, manifest: &serde_json::Value| {
        let p = d.path().join("proof.json");
        let m = d.path().join("manifest.json");
        std::fs::write(&p, proof.to_string()).unwrap();
        std::fs::write(&m, manifest.to_string()).unwrap();
        let o = cli::command(&["verify", "--proof", p.to_str().unwrap()])
            .args(["--manifest", m.to_str().unwrap()])
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
        )
    };
    let t = &v["trees_v2"][3];
    let split = t["manifest"]["tree"]["split"].as_u64().unwrap();
    for proof in t["proofs"].as_array().unwrap() {
        let (code, out) = verify(proof, &t["manifest"]);
        assert_eq!(code, Some(0), "{out}");
        assert!(
            out.starts_with(&format!("valid: uid {}", proof["uid"]))
                && out
                    .trim_end()
                    .ends_with(&format!("{split} parts, each folding to the root")),
            "{out}"
        );
    }
    let case = v["invalid_proofs_v2"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "root" && c["proof"]["format"] == "por-inclusion-proof/2")
        .unwrap();
    let (code, out) = verify(&case["proof"], &case["manifest"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.starts_with("invalid: step 4 (root) failed"), "{out}");
}
