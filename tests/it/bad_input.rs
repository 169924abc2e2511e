//! The bad-input corpus of `por run`: one data file per case under `tests/fixtures/`
//! (`config/`, `wallets/`, `signatures/`, `liabilities/`), named by scenario. Every case
//! runs the whole job in a fresh copy of a published demo folder and must exit 2 with
//! one `error:` line naming the file and the line/key, and write nothing: no
//! `snapshots/<id>`, no `private/<id>`, the site byte-identical.

use crate::support::cli::{por, root};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const ID: &str = "2026-12-21";
const AS_OF: &str = "2026-12-21T00:00:00Z";

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// Every file under `dir` (relative path → bytes).
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
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
                    std::fs::read(&p).unwrap(),
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// The published state: snapshots, private stores and site.
fn outputs(d: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut all = BTreeMap::new();
    for sub in ["snapshots", "private", "public"] {
        for (p, b) in files(&d.join(sub)) {
            all.insert(Path::new(sub).join(p), b);
        }
    }
    all
}

/// A demo folder with three published snapshots and a site, plus valid inputs for
/// snapshot `ID` (the liabilities of 2026-11-21, wallets signed for `ID`), in `t`.
fn baseline(t: &Path) -> PathBuf {
    {
        let d = t.join("d");
        let o = por(&["demo", "--out", d.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{o:?}");
        std::fs::copy(
            d.join("liabilities/2026-11-21.csv"),
            d.join(format!("liabilities/{ID}.csv")),
        )
        .unwrap();
        std::fs::copy(
            root().join(format!("tests/data/faults/wallets/{ID}.csv")),
            d.join(format!("wallets/{ID}.csv")),
        )
        .unwrap();
    }
    t.join("d")
}

/// Where a case's data file goes in the demo folder.
#[derive(Clone, Copy)]
enum Slot {
    Config,
    Wallets,
    Liabilities,
    /// No file; the case is in the arguments.
    None,
}

struct Case {
    name: &'static str,
    file: &'static str,
    slot: Slot,
    /// Substrings of the one error line (`{d}` is the demo folder).
    expect: &'static [&'static str],
    args: &'static [&'static str],
}

const fn case(
    name: &'static str,
    file: &'static str,
    slot: Slot,
    expect: &'static [&'static str],
) -> Case {
    Case {
        name,
        file,
        slot,
        expect,
        args: &[],
    }
}

fn run_case(base: &Path, c: &Case) -> Result<(), String> {
    let place = |d: &Path| {
        let target = match c.slot {
            Slot::Config => d.join("por.toml"),
            Slot::Wallets => d.join(format!("wallets/{ID}.csv")),
            Slot::Liabilities => d.join(format!("liabilities/{ID}.csv")),
            Slot::None => return,
        };
        std::fs::copy(root().join("tests").join(c.file), target).unwrap();
    };
    refused(base, place, c.args, |d, stderr| {
        c.expect
            .iter()
            .map(|want| want.replace("{d}", &d.display().to_string()))
            .filter(|want| !stderr.contains(want))
            .map(|want| format!("missing {want:?}"))
            .collect()
    })
}

/// Runs `por run` in a fresh copy of `base` after `setup` changed it (`args` default to
/// `--id ID --as-of AS_OF`) and checks the refusal: exit 2, one `error:` line, nothing
/// on stdout, nothing written; `check` adds its own problems with the stderr.
fn refused(
    base: &Path,
    setup: impl FnOnce(&Path),
    args: &[&str],
    check: impl FnOnce(&Path, &str) -> Vec<String>,
) -> Result<(), String> {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("d");
    copy_tree(base, &d);
    setup(&d);
    let before = outputs(&d);
    let config = d.join("por.toml");
    let mut all = vec!["run", "--config", config.to_str().unwrap()];
    if args.is_empty() {
        all.extend(["--id", ID, "--as-of", AS_OF]);
    } else {
        all.extend(args);
    }
    let o = por(&all);
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    let mut problems = Vec::new();
    if o.status.code() != Some(2) {
        problems.push(format!("exit {:?}, expected 2", o.status.code()));
    }
    if !(stderr.starts_with("error: ") && stderr.ends_with('\n') && stderr.lines().count() == 1) {
        problems.push("stderr is not one `error:` line".into());
    }
    problems.extend(check(&d, &stderr));
    if !o.stdout.is_empty() {
        problems.push(format!("stdout: {}", String::from_utf8_lossy(&o.stdout)));
    }
    if outputs(&d) != before {
        problems.push("outputs changed".into());
    }
    for p in [d.join("snapshots").join(ID), d.join("private").join(ID)] {
        if p.exists() {
            problems.push(format!("{} exists", p.display()));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        let shown: String = stderr.chars().take(600).collect();
        Err(format!("{}\n    stderr: {shown}", problems.join("; ")))
    }
}

fn run_table(cases: &[Case]) {
    let t = tempfile::tempdir().unwrap();
    let base = baseline(t.path());
    let base = base.as_path();
    // Two at a time: the cases are independent (each has its own folder).
    let failures: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = cases
            .chunks(cases.len().div_ceil(2))
            .map(|chunk| {
                s.spawn(move || {
                    chunk
                        .iter()
                        .filter_map(|c| run_case(base, c).err().map(|e| format!("{}: {e}", c.name)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn bad_config() {
    use Slot::Config as C;
    run_table(&[
        case(
            "toml_syntax_error",
            "fixtures/config/toml_syntax_error.toml",
            C,
            &["{d}/por.toml:22:14: invalid basic string"],
        ),
        case(
            "unknown_top_level_key",
            "fixtures/config/unknown_top_level_key.toml",
            C,
            &["{d}/por.toml:12:1: unknown field `colour`"],
        ),
        case(
            "unknown_asset_key",
            "fixtures/config/unknown_asset_key.toml",
            C,
            &["{d}/por.toml:19:1: unknown field `price`, expected one of `symbol`"],
        ),
        case(
            "unknown_bitcoin_key",
            "fixtures/config/unknown_bitcoin_key.toml",
            C,
            &["{d}/por.toml:53:1: unknown field `confirmations`, expected one of `network`"],
        ),
        case(
            "unknown_endpoint_key",
            "fixtures/config/unknown_endpoint_key.toml",
            C,
            &["{d}/por.toml:57:1: unknown field `api_key`, expected one of `kind`"],
        ),
        case(
            "decimals_39",
            "fixtures/config/decimals_39.toml",
            C,
            &["{d}/por.toml: assets[0].decimals: 39 is more than 38"],
        ),
        case(
            "symbol_with_slash",
            "fixtures/config/symbol_with_slash.toml",
            C,
            &[
                "{d}/por.toml: assets[0].symbol: \"BTC/USD\": 1 to 16 characters of A-Z a-z 0-9 . _ -",
            ],
        ),
        case(
            "duplicate_symbol",
            "fixtures/config/duplicate_symbol.toml",
            C,
            &["{d}/por.toml: assets[3].symbol: \"USDT\" is configured twice"],
        ),
        case(
            "unknown_chain",
            "fixtures/config/unknown_chain.toml",
            C,
            &["{d}/por.toml: assets[0].chain: \"solana\": expected \"bitcoin\" or \"ethereum\""],
        ),
        case(
            "contract_bad_checksum",
            "fixtures/config/contract_bad_checksum.toml",
            C,
            &[
                "{d}/por.toml: assets[2].contract: 0xDAC17F958D2ee523a2206206994597C13D831ec7: bad eip-55 checksum (the checksummed form is 0xdAC17F958D2ee523a2206206994597C13D831ec7)",
            ],
        ),
        case(
            "asset_without_chain",
            "fixtures/config/asset_without_chain.toml",
            C,
            &["{d}/por.toml: assets[1].chain: asset ETH has no on-chain source"],
        ),
        case(
            "endpoint_kind_unknown",
            "fixtures/config/endpoint_kind_unknown.toml",
            C,
            &[
                "{d}/por.toml: chains.bitcoin.endpoints[0].kind: \"electrum\": expected one of esplora, bitcoind, fixture",
            ],
        ),
        case(
            "url_not_http",
            "fixtures/config/url_not_http.toml",
            C,
            &[
                "{d}/por.toml: chains.bitcoin.endpoints[0].url: \"ftp://127.0.0.1/api\": expected an http:// or https:// URL",
            ],
        ),
        case(
            "bitcoind_user_without_password",
            "fixtures/config/bitcoind_user_without_password.toml",
            C,
            &[
                "{d}/por.toml: chains.bitcoin.endpoints[0]: give either user and password, or cookie_file",
            ],
        ),
        case(
            "attempts_zero",
            "fixtures/config/attempts_zero.toml",
            C,
            &["{d}/por.toml: chains.attempts: must be at least 1"],
        ),
        Case {
            args: &["--id", "../x", "--as-of", AS_OF],
            ..case(
                "id_invalid",
                "",
                Slot::None,
                &["--id: snapshot id \"../x\" must match ^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$"],
            )
        },
        Case {
            args: &["--id", ID, "--as-of", "2026-12-21 00:00"],
            ..case(
                "as_of_not_rfc3339",
                "",
                Slot::None,
                &[
                    "--as-of: \"2026-12-21 00:00\" is not an RFC 3339 time like 2026-11-21T00:00:00Z",
                ],
            )
        },
        // Used to panic (exit 101): the parser sliced the text at fixed byte offsets.
        Case {
            args: &["--id", ID, "--as-of", "2026-12-21T00:00:0é"],
            ..case(
                "as_of_non_ascii",
                "",
                Slot::None,
                &[
                    "--as-of: \"2026-12-21T00:00:0é\" is not an RFC 3339 time like 2026-11-21T00:00:00Z",
                ],
            )
        },
        Case {
            args: &["--id", ID, "--as-of", "2026-12-21T00:00Z"],
            ..case(
                "as_of_without_seconds",
                "",
                Slot::None,
                &[
                    "--as-of: \"2026-12-21T00:00Z\" is not an RFC 3339 time like 2026-11-21T00:00:00Z",
                ],
            )
        },
        Case {
            args: &["--id", ID, "--as-of", "2026-02-30T00:00:00Z"],
            ..case(
                "as_of_no_such_day",
                "",
                Slot::None,
                &[
                    "--as-of: \"2026-02-30T00:00:00Z\" is not a valid time: parsed date is not valid: parameter 'day' for `2026-02` is invalid, must be in range `1..=28`",
                ],
            )
        },
    ]);
}

#[test]
fn bad_wallets() {
    use Slot::Wallets as W;
    run_table(&[
        case(
            "wrong_header",
            "fixtures/wallets/wrong_header.csv",
            W,
            &[
                "{d}/wallets/2026-12-21.csv:1: header must be chain,address,label,scheme,signature[,script], found chain,address,name,",
            ],
        ),
        case(
            "unknown_chain",
            "fixtures/wallets/unknown_chain.csv",
            W,
            &[
                "{d}/wallets/2026-12-21.csv:9:1 (chain): \"litecoin\": expected \"bitcoin\" or \"ethereum\"",
            ],
        ),
        case(
            "wrong_network_address",
            "fixtures/wallets/wrong_network_address.csv",
            W,
            &[
                "{d}/wallets/2026-12-21.csv:10:2 (address): tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx: not a bitcoin address (wrong network)",
            ],
        ),
        case(
            "bad_eip55_checksum",
            "fixtures/wallets/bad_eip55_checksum.csv",
            W,
            &[
                "{d}/wallets/2026-12-21.csv:7:2 (address): 0x95cD95717933D7cf6086F2d92C220F9E5D16Cff4: bad eip-55 checksum (the checksummed form is 0x95Cd95717933D7cf6086F2d92C220F9E5D16Cff4)",
            ],
        ),
        case(
            "unknown_scheme",
            "fixtures/wallets/unknown_scheme.csv",
            W,
            &[
                "{d}/wallets/2026-12-21.csv:4:4 (scheme): \"bip999\": expected bip137, bip322-simple, multisig, eip191, eip1271 or none",
            ],
        ),
        case(
            "eip191_on_bitcoin",
            "fixtures/wallets/eip191_on_bitcoin.csv",
            W,
            &[
                "{d}/wallets/2026-12-21.csv:4:4 (scheme): 1CGepp2jbTsXHg8ucBnAHnPUXw7SAM8zoP: scheme eip191 does not apply to p2pkh addresses",
            ],
        ),
        case(
            "bip137_on_p2tr",
            "fixtures/wallets/bip137_on_p2tr.csv",
            W,
            &[
                "{d}/wallets/2026-12-21.csv:3:4 (scheme): bc1p03g97lpnuchrzn5ucypg0rwtkxcexjewhpy2x29xck8vhx3s3ygsdcl3mt: scheme bip137 does not apply to p2tr addresses",
            ],
        ),
        case(
            "duplicate_address",
            "fixtures/wallets/duplicate_address.csv",
            W,
            &[
                "{d}/wallets/2026-12-21.csv:10:2 (address): 1CGepp2jbTsXHg8ucBnAHnPUXw7SAM8zoP is listed twice (first on line 4)",
            ],
        ),
        case(
            "empty_label",
            "fixtures/wallets/empty_label.csv",
            W,
            &[
                "{d}/wallets/2026-12-21.csv:4:3 (label): \"\": a label is 1 to 64 characters on one line",
            ],
        ),
        case(
            "ragged_row",
            "fixtures/wallets/ragged_row.csv",
            W,
            &["{d}/wallets/2026-12-21.csv:10: row has 3 fields, the header has 6"],
        ),
        case(
            "unterminated_quote",
            "fixtures/wallets/unterminated_quote.csv",
            W,
            &["{d}/wallets/2026-12-21.csv:10: unterminated quote"],
        ),
    ]);
}

#[test]
fn bad_signatures() {
    use Slot::Wallets as W;
    run_table(&[
        case(
            "bip137_not_base64",
            "fixtures/signatures/bip137_not_base64.csv",
            W,
            &[
                "{d}/wallets/2026-12-21.csv:4:5 (signature): bip137 signature `not*base64!`: not base64",
            ],
        ),
        case(
            "bip137_wrong_length",
            "fixtures/signatures/bip137_wrong_length.csv",
            W,
            &[
                "{d}/wallets/2026-12-21.csv:4:5 (signature): bip137 signature `AAAAAAAAAAAAAA==`: expected a 65-byte compact signature, got 10 bytes",
            ],
        ),
        case(
            "bip322_not_base64",
            "fixtures/signatures/bip322_not_base64.csv",
            W,
            &[
                "{d}/wallets/2026-12-21.csv:2:5 (signature): bip322-simple signature `%%%`: not base64",
            ],
        ),
        case(
            "eip191_not_hex",
            "fixtures/signatures/eip191_not_hex.csv",
            W,
            &[
                "{d}/wallets/2026-12-21.csv:7:5 (signature): eip191 signature `0xzz",
                "not hex: invalid character 'z' at position 0",
            ],
        ),
        case(
            "eip191_64_bytes",
            "fixtures/signatures/eip191_64_bytes.csv",
            W,
            &[
                "{d}/wallets/2026-12-21.csv:7:5 (signature): eip191 signature `0x1111",
                "expected 65 bytes (r, s, v), got 64",
            ],
        ),
        case(
            "multisig_without_script",
            "fixtures/signatures/multisig_without_script.csv",
            W,
            &[
                "{d}/wallets/2026-12-21.csv:5:5 (signature): multisig signature `[",
                "a multisig proof needs the script",
            ],
        ),
    ]);
}

#[test]
fn bad_liabilities_through_run() {
    // The refusals `por snapshot` is tested on (tests/cli_core.rs), in the demo's
    // four-asset shape, plus the header-level fixtures of tests/fixtures/liabilities.
    use Slot::Liabilities as L;
    run_table(&[
        case(
            "unterminated_quote",
            "data/faults/liabilities/unterminated_quote.csv",
            L,
            &[
                "{d}/liabilities/2026-12-21.csv:5: unterminated quote: a quoted field runs on past the end of this line",
            ],
        ),
        case(
            "no_accounts",
            "data/faults/liabilities/no_accounts.csv",
            L,
            &["{d}/liabilities/2026-12-21.csv:1: no accounts: the file has a header but no rows"],
        ),
        case(
            "invalid_utf8",
            "data/faults/liabilities/invalid_utf8.csv",
            L,
            &["{d}/liabilities/2026-12-21.csv:4:1 (uid): invalid UTF-8"],
        ),
        case(
            "duplicate_uid",
            "data/faults/liabilities/duplicate_uid.csv",
            L,
            &[
                "{d}/liabilities/2026-12-21.csv:5:1 (uid): duplicate uid \"acct-000369\" (first on line 3)",
            ],
        ),
        case(
            "empty_uid",
            "data/faults/liabilities/empty_uid.csv",
            L,
            &["{d}/liabilities/2026-12-21.csv:4:1 (uid): empty uid"],
        ),
        case(
            "uid_too_long",
            "data/faults/liabilities/uid_too_long.csv",
            L,
            &["{d}/liabilities/2026-12-21.csv:4:1 (uid): uid is 129 bytes, at most 128 allowed"],
        ),
        case(
            "negative_amount",
            "data/faults/liabilities/negative_amount.csv",
            L,
            &["{d}/liabilities/2026-12-21.csv:4:2 (BTC): negative amount \"-1\""],
        ),
        case(
            "non_numeric_amount",
            "data/faults/liabilities/non_numeric_amount.csv",
            L,
            &["{d}/liabilities/2026-12-21.csv:4:3 (ETH): not a number: \"abc\""],
        ),
        case(
            "too_many_decimals",
            "data/faults/liabilities/too_many_decimals.csv",
            L,
            &[
                "{d}/liabilities/2026-12-21.csv:4:2 (BTC): \"0.000000001\" has 9 decimals, more than the asset's 8",
            ],
        ),
        case(
            "amount_overflow",
            "data/faults/liabilities/amount_overflow.csv",
            L,
            &[
                "{d}/liabilities/2026-12-21.csv:4:4 (USDT): \"999999999999999999999999999999999999999\" exceeds 2^128-1 base units",
            ],
        ),
        case(
            "ragged_row",
            "data/faults/liabilities/ragged_row.csv",
            L,
            &["{d}/liabilities/2026-12-21.csv:4: row has 3 fields, the header has 5"],
        ),
        case(
            "empty_file",
            "fixtures/liabilities/empty_file.csv",
            L,
            &["{d}/liabilities/2026-12-21.csv", "empty file"],
        ),
        case(
            "first_column_not_uid",
            "fixtures/liabilities/first_column_not_uid.csv",
            L,
            &[
                "{d}/liabilities/2026-12-21.csv:1",
                "first column must be `uid`",
            ],
        ),
        case(
            "unknown_asset_column",
            "fixtures/liabilities/unknown_asset_column.csv",
            L,
            &[
                "{d}/liabilities/2026-12-21.csv:1",
                "is not a configured asset",
            ],
        ),
        case(
            "duplicate_asset_column",
            "fixtures/liabilities/duplicate_asset_column.csv",
            L,
            &["{d}/liabilities/2026-12-21.csv:1", "appears twice"],
        ),
        case(
            "missing_asset_column",
            "fixtures/liabilities/missing_asset_column.csv",
            L,
            &["{d}/liabilities/2026-12-21.csv:1", "has no column"],
        ),
    ]);
}

/// A multisig script that does not hash to the listed address is not a malformed row:
/// the proof is checked and fails (exit 1, published, the address counted unproven).
#[test]
fn multisig_script_not_matching_the_address_is_a_failed_proof() {
    let t = tempfile::tempdir().unwrap();
    let d = baseline(t.path());
    std::fs::copy(
        root().join("tests/fixtures/signatures/multisig_script_not_matching_address.csv"),
        d.join(format!("wallets/{ID}.csv")),
    )
    .unwrap();
    let config = d.join("por.toml");
    let o = por(&[
        "run",
        "--config",
        config.to_str().unwrap(),
        "--id",
        ID,
        "--as-of",
        AS_OF,
        "--json",
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("3BkhbH8cdqoYoveAdA3h1pMaNbGrhfcuvU")
            && stderr.contains("multisig")
            && stderr.contains("not the listed address"),
        "{stderr}"
    );
    let summary: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        summary["failed_addresses"][0]["address"],
        "3BkhbH8cdqoYoveAdA3h1pMaNbGrhfcuvU"
    );
    assert!(d.join(format!("snapshots/{ID}/manifest.json")).exists());
}

/// A hand-edited published manifest whose `as_of` is not a time (it used to panic with
/// exit 101): the next run names the file and the value, and publishes nothing.
#[test]
fn edited_manifest_as_of_is_refused_without_panicking() {
    let t = tempfile::tempdir().unwrap();
    let base = baseline(t.path());
    let edit = |d: &Path| {
        let path = d.join("snapshots/2026-11-21/manifest.json");
        let text = std::fs::read_to_string(&path).unwrap();
        let edited = text.replace(
            "\"as_of\": \"2026-11-21T00:00:00Z\"",
            "\"as_of\": \"2026-11-21T00:00:0é\"",
        );
        assert_ne!(edited, text);
        std::fs::write(&path, edited).unwrap();
    };
    refused(&base, edit, &[], |d, stderr| {
        let want = format!(
            "error: {}/snapshots/2026-11-21/manifest.json: unreadable published manifest: \"2026-11-21T00:00:0é\" is not an RFC 3339 time like 2026-11-21T00:00:00Z\n",
            d.display()
        );
        if stderr == want {
            vec![]
        } else {
            vec![format!("expected {want:?}")]
        }
    })
    .unwrap();
}

/// A 10 MB field in the liabilities: one short `error:` line that quotes 80 characters
/// of it and its length, exit 2, nothing published.
#[test]
fn huge_liabilities_fields_give_one_short_error_line() {
    let t = tempfile::tempdir().unwrap();
    let base = baseline(t.path());
    let big = 10 << 20;
    let (u, nines, x) = ("u".repeat(big), "9".repeat(big), "x".repeat(big));
    let file = format!("liabilities/{ID}.csv");
    let cases = [
        (
            format!("uid,BTC,ETH,USDT,USDC\nacct-1,0,0,0,0\n{u},1,0,0,0\n"),
            format!("{file}:3:1 (uid): uid is 10485760 bytes, at most 128 allowed"),
        ),
        (
            format!("uid,BTC,ETH,USDT,USDC\nacct-1,{nines},0,0,0\n"),
            format!(
                "{file}:2:2 (BTC): \"{}…\" (10485760 bytes) exceeds 2^128-1 base units",
                &nines[..80]
            ),
        ),
        (
            format!("uid,BTC,ETH,USDT,USDC\nacct-1,0,0,1{x},0\n"),
            format!(
                "{file}:2:4 (USDT): not a number: \"1{}…\" (10485761 bytes)",
                &x[..79]
            ),
        ),
        (
            format!("uid,BTC,ETH,USDT,USDC,{x}\nacct-1,0,0,0,0,0\n"),
            format!(
                "{file}:1:6 ({}… (10485760 bytes)): column \"{}…\" (10485760 bytes) is not a configured asset",
                &x[..80],
                &x[..80]
            ),
        ),
    ];
    for (content, want) in cases {
        let setup = |d: &Path| std::fs::write(d.join(&file), &content).unwrap();
        refused(&base, setup, &[], |d, stderr| {
            let want = format!("error: {}/{want}\n", d.display());
            let mut problems = Vec::new();
            if stderr != want {
                problems.push(format!("expected {:?}", want));
            }
            if stderr.len() >= 400 {
                problems.push(format!("{} bytes of stderr", stderr.len()));
            }
            problems
        })
        .unwrap();
    }
}
