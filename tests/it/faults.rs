//! Fault tests of `por run` as cron runs it: killed runs, chain faults served by a
//! local Esplora-shaped server, unwritable output, the run lock, shortfalls, failed
//! ownership proofs and `--replace`. Each case works in its own copy of the bundled
//! demo (`por demo --out`) and asserts the exit code, the one `error:` line and the
//! files on disk (published files compared byte for byte before and after).

use crate::support::cli::*;
use crate::support::http_server;

use bitcoin::address::NetworkUnchecked;
use http_server::{Reply, TestServer};
use por::format::Manifest;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const NEWEST: &str = "2026-11-21";
const NEWEST_AS_OF: &str = "2026-11-21T00:00:00Z";

// --- 1. SIGKILL at random points -----------------------------------------------------

/// A published snapshot folder is whole: its manifest parses, every file it lists is
/// there with its hash, and its private proof store opens and was built for its root.
fn assert_complete(d: &Path, id: &str) {
    let m = manifest(d, id);
    assert_eq!(m.snapshot_id.as_str(), id);
    for (name, hash) in &m.files {
        let bytes = std::fs::read(d.join(format!("snapshots/{id}/{name}"))).unwrap();
        assert_eq!(&sha(&bytes), hash, "{id}/{name}");
    }
    let store = por::tree::store::AnyStore::open(&d.join(format!("private/{id}")))
        .unwrap_or_else(|e| panic!("private store of {id}: {e}"));
    assert_eq!(
        store.root().unwrap(),
        m.tree.root,
        "{id}: store and manifest agree"
    );
}

#[test]
fn sigkill_at_any_point_leaves_the_published_state_whole() {
    let t = tempfile::tempdir().unwrap();
    let d = demo(t.path());
    // 200k accounts make a run last long enough to be killed in every phase.
    let big = t.path().join("big.csv");
    {
        use std::io::Write;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&big).unwrap());
        writeln!(f, "uid,BTC,ETH,USDT,USDC").unwrap();
        for i in 0..200_000 {
            writeln!(f, "u{i:07},0.00000001,0.000000001,0.01,0.01").unwrap();
        }
    }
    let ids: Vec<String> = (18..=31).map(|day| format!("2026-12-{day}")).collect();
    for id in &ids {
        add_inputs(&d, id, Some(&big));
    }
    let as_of = |id: &str| format!("{id}T00:00:00Z");

    // Time one full run on a scratch copy of the folder.
    let full = {
        let scratch = t.path().join("scratch");
        let ok = Command::new("cp")
            .args(["-a", d.to_str().unwrap(), scratch.to_str().unwrap()])
            .status()
            .unwrap();
        assert!(ok.success());
        let start = Instant::now();
        let o = run(&scratch, &["--id", &ids[0], "--as-of", &as_of(&ids[0])]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let full = start.elapsed();
        std::fs::remove_dir_all(&scratch).unwrap();
        full
    };

    let mut next = 0;
    let mut before = outputs(&d);
    const KILLS: u32 = 12;
    let mut outcomes = Vec::new();
    for i in 0..KILLS {
        // From 1 ms to just past a full run.
        let delay =
            Duration::from_millis(1) + full.mul_f64(1.05 * f64::from(i) / f64::from(KILLS - 1));
        let id = ids[next].clone();
        let config = d.join("por.toml");
        let mut child = command(&[
            "run",
            "--config",
            config.to_str().unwrap(),
            "--id",
            &id,
            "--as-of",
            &as_of(&id),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
        std::thread::sleep(delay);
        let finished = child.try_wait().unwrap();
        if finished.is_none() {
            child.kill().unwrap(); // SIGKILL
        }
        let status = child.wait().unwrap();
        if finished.is_some() {
            assert!(status.success(), "an unkilled run failed: {status}");
        }
        // No temp folder is ever visible in a public folder.
        assert_no_temp_in_public(&d);
        let after = outputs(&d);
        // Every file published or stored before is byte-identical (the staging area
        // and the store of the snapshot being made aside).
        let in_flight = Path::new("private").join(&id);
        for (p, h) in &before {
            if p.starts_with("private/.staging") || p.starts_with(&in_flight) {
                continue;
            }
            if !p.starts_with("public") {
                assert_eq!(
                    after.get(p),
                    Some(h),
                    "kill {i} after {delay:?}: {} changed",
                    p.display()
                );
            }
        }
        let got_published = d.join("snapshots").join(&id).exists();
        if got_published {
            assert_complete(&d, &id);
            next += 1;
        }
        // The site is the previous one, byte for byte, or (the new snapshot was
        // published and the site swapped in) exactly what a render gives.
        if only(&after, "public") != only(&before, "public") {
            assert!(
                got_published,
                "kill {i} after {delay:?}: site changed without a new snapshot"
            );
            let o = por(&["render", "--config", config.to_str().unwrap()]);
            assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
            assert_eq!(
                site_files(&outputs(&d)),
                site_files(&after),
                "kill {i}: site not whole"
            );
        }
        outcomes.push(format!(
            "{delay:?}: {}{}",
            if finished.is_some() {
                format!("finished ({status})")
            } else {
                "killed".into()
            },
            if got_published { ", published" } else { "" }
        ));
        before = outputs(&d);
    }
    eprintln!("full run {full:?}; {}", outcomes.join("; "));

    // The killed runs' lock does not block the next run, which finishes the last
    // killed snapshot or publishes it anew; then nothing is left of any run and the
    // site is current.
    let id = &ids[next];
    let o = run(&d, &["--id", id, "--as-of", &as_of(id)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_complete(&d, id);
    assert_clean_and_current(&d);
}

// --- 2. Chain faults (Esplora served by a local server) ---------------------------

/// The demo's bitcoin side as an Esplora server would show it at the snapshot block of
/// 2026-11-21: the block, and per address one confirmed payment of its balance.
struct EsploraScene {
    height: u64,
    hash: String,
    time: u64,
    /// (address, scriptPubKey hex, balance in sat at the snapshot block)
    addresses: Vec<(String, String, u64)>,
}

impl EsploraScene {
    fn new(d: &Path) -> EsploraScene {
        let fixture: Value =
            serde_json::from_slice(&std::fs::read(d.join("chain-fixture.json")).unwrap()).unwrap();
        let btc = &fixture["bitcoin"];
        let as_of = por::time::Timestamp::parse_rfc3339(NEWEST_AS_OF).unwrap().0;
        let block = btc["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|b| b["time"].as_u64().unwrap() <= as_of)
            .max_by_key(|b| b["height"].as_u64().unwrap())
            .unwrap();
        let height = block["height"].as_u64().unwrap();
        let addresses = btc["balances"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(a, hist)| {
                let balance = hist
                    .as_array()
                    .unwrap()
                    .iter()
                    .rfind(|e| e[0].as_u64().unwrap() <= height)
                    .map(|e| e[1].as_str().unwrap().parse().unwrap())
                    .unwrap_or(0);
                let spk = a
                    .parse::<bitcoin::Address<NetworkUnchecked>>()
                    .unwrap()
                    .assume_checked()
                    .script_pubkey()
                    .to_hex_string();
                (a.clone(), spk, balance)
            })
            .collect();
        EsploraScene {
            height,
            hash: block["hash"].as_str().unwrap().to_string(),
            time: block["time"].as_u64().unwrap(),
            addresses,
        }
    }

    /// Serves the scene; `hash_replies` scripts `/block-height/<h>`, `block_replies`
    /// `/block/<hash>`, and `balance_of` may change an address's balance.
    fn serve(
        &self,
        hash_replies: Vec<Reply>,
        block_replies: Vec<Reply>,
        balance_of: impl Fn(&str, u64) -> u64,
    ) -> (TestServer, http_server::Route, http_server::Route) {
        let server = TestServer::start();
        let hash_route = server.route(
            "GET",
            &format!("/api/block-height/{}", self.height),
            hash_replies,
        );
        let block_route = server.route("GET", &format!("/api/block/{}", self.hash), block_replies);
        for (i, (address, spk, balance)) in self.addresses.iter().enumerate() {
            let txid = format!("{:064x}", i + 1);
            let tx = serde_json::json!([{
                "txid": txid,
                "vin": [],
                "vout": [{"scriptpubkey": spk, "value": balance_of(address, *balance)}],
                "status": {"confirmed": true, "block_height": self.height - 1,
                           "block_hash": format!("{:064x}", 0xb10c)},
            }]);
            server.route(
                "GET",
                &format!("/api/address/{address}/txs/chain"),
                [Reply::json(200, tx.to_string())],
            );
            server.route(
                "GET",
                &format!("/api/address/{address}/txs/chain/{txid}"),
                [Reply::json(200, "[]")],
            );
        }
        (server, hash_route, block_route)
    }

    fn hash_ok(&self) -> Reply {
        Reply::ok(self.hash.clone())
    }

    fn block_ok(&self) -> Reply {
        Reply::json(
            200,
            serde_json::json!({"id": self.hash, "height": self.height, "timestamp": self.time})
                .to_string(),
        )
    }
}

/// Points the demo's bitcoin side at Esplora endpoints (timeout 1 s, 2 attempts).
fn use_esplora(d: &Path, height: u64, urls: &[String]) {
    let endpoints: String = urls
        .iter()
        .map(|u| format!("[[chains.bitcoin.endpoints]]\nkind = \"esplora\"\nurl = \"{u}/api\"\n\n"))
        .collect();
    replace_in(
        &d.join("por.toml"),
        "[chains.bitcoin]\nnetwork = \"mainnet\"\n\n[[chains.bitcoin.endpoints]]\nkind = \"fixture\"\npath = \"chain-fixture.json\"\n",
        &format!(
            "[chains]\ntimeout_secs = 1\nattempts = 2\n\n[chains.bitcoin]\nnetwork = \"mainnet\"\nheight = {height}\n\n{endpoints}"
        ),
    );
}

/// Re-runs the newest demo snapshot (`--replace`) against the configured chains.
fn rerun_newest(d: &Path) -> Output {
    run(d, &["--id", NEWEST, "--as-of", NEWEST_AS_OF, "--replace"])
}

/// Runs a failing chain scene: exit 2, one error line, nothing changed on disk.
fn chain_fault(
    hash_replies: Vec<Reply>,
    block_replies: Vec<Reply>,
    second_server_balance: Option<u64>,
) -> (
    String,
    Vec<String>,
    TestServer,
    http_server::Route,
    http_server::Route,
) {
    let t = tempfile::tempdir().unwrap();
    let d = demo_without_log(t.path());
    let scene = EsploraScene::new(&d);
    let hash_replies = if hash_replies.is_empty() {
        vec![scene.hash_ok()]
    } else {
        hash_replies
    };
    let block_replies = if block_replies.is_empty() {
        vec![scene.block_ok()]
    } else {
        block_replies
    };
    let (server, hash_route, block_route) = scene.serve(hash_replies, block_replies, |_, b| b);
    let mut urls = vec![server.url()];
    let second = second_server_balance.map(|extra| {
        let first = scene.addresses[0].0.clone();
        let (s, _, _) = scene.serve(
            vec![scene.hash_ok()],
            vec![scene.block_ok()],
            move |a, b| {
                if a == first { b + extra } else { b }
            },
        );
        s
    });
    if let Some(s) = &second {
        urls.push(s.url());
    }
    use_esplora(&d, scene.height, &urls);
    let before = outputs(&d);
    let o = rerun_newest(&d);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let message = error_line(&o);
    assert!(o.stdout.is_empty());
    assert_eq!(
        outputs(&d),
        before,
        "a failed run changed the published files"
    );
    let mut details = urls;
    details.push(scene.addresses[0].0.clone());
    details.push(scene.addresses[0].2.to_string());
    drop(second);
    (message, details, server, hash_route, block_route)
}

#[test]
fn esplora_timeout_is_retried_then_exit_2() {
    let start = Instant::now();
    let slow = Reply::ok("0".repeat(64)).delayed(Duration::from_secs(3));
    let (message, details, server, hash_route, _) = chain_fault(vec![slow], vec![], None);
    assert!(
        message.starts_with(&format!(
            "{}/api: request failed: block hash at height ",
            details[0]
        )) && message.ends_with(": no answer within 1s"),
        "{message}"
    );
    assert_eq!(server.hits(hash_route), 2, "attempts = 2");
    assert!(start.elapsed() < Duration::from_secs(10));
}

#[test]
fn esplora_500_then_ok_is_retried_and_publishes() {
    let t = tempfile::tempdir().unwrap();
    let d = demo_without_log(t.path());
    let scene = EsploraScene::new(&d);
    let (server, hash_route, _) = scene.serve(
        vec![Reply::text(500, "internal error"), scene.hash_ok()],
        vec![scene.block_ok()],
        |_, b| b,
    );
    use_esplora(&d, scene.height, &[server.url()]);
    let before = manifest(&d, NEWEST);
    let o = rerun_newest(&d);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(server.hits(hash_route) >= 2);
    assert!(server.unmatched().is_empty(), "{:?}", server.unmatched());
    let after = manifest(&d, NEWEST);
    // Same block and the same reserves as the fixture gave; a fresh tree.
    assert_eq!(after.chains.get("bitcoin"), before.chains.get("bitcoin"));
    assert_eq!(after.assets, before.assets);
    assert_ne!(after.tree.root, before.tree.root);
}

#[test]
fn esplora_429_forever_is_exit_2_naming_endpoint_and_status() {
    let (message, details, server, hash_route, _) =
        chain_fault(vec![Reply::text(429, "slow down")], vec![], None);
    assert!(
        message.starts_with(&format!("{}/api: HTTP 429", details[0])),
        "{message}"
    );
    assert!(message.contains("slow down"), "{message}");
    assert_eq!(server.hits(hash_route), 2, "attempts = 2");
}

#[test]
fn esplora_malformed_json_is_exit_2_without_retry() {
    let (message, details, server, _, block_route) =
        chain_fault(vec![], vec![Reply::json(200, "{\"id\": \"abc\", ")], None);
    assert!(
        message.starts_with(&format!(
            "{}/api: malformed response for block ",
            details[0]
        )),
        "{message}"
    );
    assert_eq!(
        server.hits(block_route),
        1,
        "a malformed answer is not retried"
    );
}

#[test]
fn block_hash_changing_during_the_run_is_a_reorg() {
    let t = tempfile::tempdir().unwrap();
    let scene = EsploraScene::new(&demo_without_log(t.path()));
    let other = format!("{:064x}", 0xdead_u32);
    let (message, details, _, _, _) = chain_fault(
        vec![scene.hash_ok(), Reply::ok(other.clone())],
        vec![],
        None,
    );
    assert_eq!(
        message,
        format!(
            "{}/api: block at height {} changed from {} to {other} during the run (reorg); nothing published, run again",
            details[0], scene.height, scene.hash
        )
    );
}

#[test]
fn endpoints_disagreeing_on_a_balance_is_exit_2_naming_both() {
    let (message, details, _, _, _) = chain_fault(vec![], vec![], Some(1));
    let (a, b, address, balance) = (&details[0], &details[1], &details[2], &details[3]);
    let balance: u64 = balance.parse().unwrap();
    assert!(
        message.starts_with(&format!(
            "endpoints disagree on the balance of {address} at height "
        )) && message.ends_with(&format!(
            "{a}/api says {balance}, {b}/api says {}",
            balance + 1
        )),
        "{message}"
    );
}

// --- 3. Output not writable ------------------------------------------------------------

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

#[test]
fn read_only_snapshots_folder_is_exit_2() {
    if is_root() {
        eprintln!(
            "skipped: running as root, which ignores chmod 555; see \
             snapshot_temp_name_taken_by_a_file_is_exit_2 for the root-proof variant"
        );
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let t = tempfile::tempdir().unwrap();
    let d = demo(t.path());
    add_inputs(&d, "2026-12-21", None);
    let before = outputs(&d);
    let snaps = d.join("snapshots");
    std::fs::set_permissions(&snaps, std::fs::Permissions::from_mode(0o555)).unwrap();
    let o = run(
        &d,
        &["--id", "2026-12-21", "--as-of", "2026-12-21T00:00:00Z"],
    );
    std::fs::set_permissions(&snaps, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let message = error_line(&o);
    assert!(message.contains("Permission denied"), "{message}");
    assert_eq!(outputs(&d), before);
}

/// Leftovers of killed runs (an older version's `.<id>.tmp-<pid>` folder in the
/// published snapshots folder and beside the site, anything in the staging area, an
/// orphan proof store) are removed by the next run, which logs each one.
#[test]
fn leftovers_of_killed_runs_are_removed_and_logged() {
    let t = tempfile::tempdir().unwrap();
    let d = demo(t.path());
    add_inputs(&d, "2026-12-21", None);
    let leftovers = [
        d.join("snapshots/.2026-12-21.tmp-4242/manifest.json"),
        d.join(".public.tmp-4242/index.html"),
        d.join("private/.2026-12-21.tmp-4242/store.json"),
        d.join("private/.staging/snapshot-2026-12-20/manifest.json"),
        d.join("private/2026-12-20/store.json"),
    ];
    for p in &leftovers {
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, "left by a killed run").unwrap();
    }
    let config = d.join("por.toml");
    let o = command(&[
        "run",
        "--config",
        config.to_str().unwrap(),
        "--id",
        "2026-12-21",
        "--as-of",
        "2026-12-21T00:00:00Z",
    ])
    .env("POR_LOG", "warn")
    .output()
    .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let log = stderr(&o);
    for p in &leftovers {
        let top = p.parent().unwrap();
        assert!(!top.exists(), "{} is still there", top.display());
        assert!(
            log.contains(&format!(
                "removed a leftover of a killed run path={}",
                top.display()
            )),
            "not logged: {}\n{log}",
            top.display()
        );
    }
    assert_complete(&d, "2026-12-21");
}

/// The snapshot is published, but the site cannot be rendered (here: an older
/// snapshot's folder holds a file its manifest does not list). Exit 3, not 2; the
/// previous site stays; once the cause is gone, the same `por run --id` renders the
/// site and exits with the snapshot's own status, without touching the snapshot.
#[test]
fn site_not_rendered_is_exit_3_and_the_same_run_finishes_the_job() {
    let t = tempfile::tempdir().unwrap();
    let d = demo(t.path());
    add_inputs(&d, "2026-12-21", None);
    let stray = d.join("snapshots/2026-09-21/stray.txt");
    std::fs::write(&stray, "not listed").unwrap();
    let site = hashes(&d.join("public"));
    let args = ["--id", "2026-12-21", "--as-of", "2026-12-21T00:00:00Z"];
    let o = run(&d, &args);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert_eq!(
        error_line(&o),
        format!(
            "snapshot 2026-12-21 was published, but the site was not rendered: snapshot 2026-09-21: stray.txt is not listed in manifest.json's files; run `por run --config {} --id 2026-12-21` again to render it",
            d.join("por.toml").display()
        )
    );
    assert_eq!(hashes(&d.join("public")), site, "previous site intact");
    assert_complete(&d, "2026-12-21");
    std::fs::remove_file(&stray).unwrap();
    let published = only(&outputs(&d), "snapshots");
    let stores = only(&outputs(&d), "private");
    // Same id again, as cron would retry (another as_of: the snapshot is not redone).
    let o = run(
        &d,
        &["--id", "2026-12-21", "--as-of", "2026-12-22T00:00:00Z"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.starts_with("snapshot 2026-12-21 was already published (not changed)"),
        "{out}"
    );
    assert_eq!(
        only(&outputs(&d), "snapshots"),
        published,
        "snapshot untouched"
    );
    assert_eq!(only(&outputs(&d), "private"), stores, "store untouched");
    assert!(d.join("public/snapshots/2026-12-21/manifest.json").exists());
    assert_eq!(
        std::fs::read(d.join("public/latest/manifest.json")).unwrap(),
        std::fs::read(d.join("snapshots/2026-12-21/manifest.json")).unwrap()
    );
}

// --- 4. The run lock ---------------------------------------------------------------------

#[test]
fn a_held_lock_refuses_a_second_run_and_a_stale_one_does_not() {
    let t = tempfile::tempdir().unwrap();
    let d = demo(t.path());
    add_inputs(&d, "2026-12-21", None);
    let lock_path = d.join("private/.por.lock");
    let before = outputs(&d);
    let held = por::lock::RunLock::acquire(&lock_path).unwrap();
    let o = run(
        &d,
        &["--id", "2026-12-21", "--as-of", "2026-12-21T00:00:00Z"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(
        error_line(&o),
        format!(
            "another por command holds {} (pid {}); nothing done",
            lock_path.display(),
            std::process::id()
        )
    );
    assert_eq!(outputs(&d), before);
    drop(held);
    // A lock file left by a dead run (its pid, no flock) does not block.
    std::fs::write(&lock_path, "999999").unwrap();
    let o = run(
        &d,
        &["--id", "2026-12-21", "--as-of", "2026-12-21T00:00:00Z"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_complete(&d, "2026-12-21");
}

// --- 5. Shortfall ------------------------------------------------------------------------------

#[test]
fn a_short_asset_is_published_with_exit_1() {
    let t = tempfile::tempdir().unwrap();
    let d = demo_without_log(t.path());
    // Every bitcoin address empty at every height: BTC reserves are zero.
    let path = d.join("chain-fixture.json");
    let mut fixture: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    for hist in fixture["bitcoin"]["balances"]
        .as_object_mut()
        .unwrap()
        .values_mut()
    {
        for e in hist.as_array_mut().unwrap() {
            e[1] = Value::String("0".into());
        }
    }
    std::fs::write(&path, serde_json::to_vec(&fixture).unwrap()).unwrap();

    // The demo's reserves updates of the newest snapshot name its manifest: replacing
    // the snapshot removes them (they would name a manifest no longer published), and
    // the site renders.
    assert!(d.join("updates").join(NEWEST).is_dir());
    let o = rerun_newest(&d);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(!d.join("updates").join(NEWEST).exists());
    assert!(d.join("updates").join("2026-10-21").is_dir());
    let m = manifest(&d, NEWEST);
    let btc = &m.assets[0];
    assert_eq!(btc.symbol, "BTC");
    assert!(btc.is_short() && btc.reserves.to_string() == "0");
    let summary = String::from_utf8_lossy(&o.stdout);
    let expected = format!("BTC 0.0000 SHORT by {}", btc.liabilities.display_units(8));
    assert!(summary.contains(&expected), "{summary} lacks {expected}");
    assert!(!summary.contains("ETH 0.0000 SHORT"), "{summary}");
    assert!(d.join(format!("public/snapshots/{NEWEST}")).exists());

    let o = run(
        &d,
        &[
            "--id",
            NEWEST,
            "--as-of",
            NEWEST_AS_OF,
            "--replace",
            "--json",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let json: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["exit_code"], 1);
    let shorts: Vec<(String, bool)> = json["assets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["symbol"].as_str().unwrap().to_string(),
                a["short"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        shorts,
        [
            ("BTC", true),
            ("ETH", false),
            ("USDT", false),
            ("USDC", false)
        ]
        .map(|(s, b)| (s.to_string(), b))
    );
}

// --- 6. A failed ownership proof -----------------------------------------------------------------

#[test]
fn a_signature_over_another_message_is_published_unverified_with_exit_1() {
    let t = tempfile::tempdir().unwrap();
    let d = demo_without_log(t.path());
    let address = "1CGepp2jbTsXHg8ucBnAHnPUXw7SAM8zoP";
    // Well-formed bip137 signature by the right key, but over the 2026-10-21 message.
    let row = |id: &str| {
        std::fs::read_to_string(d.join(format!("wallets/{id}.csv")))
            .unwrap()
            .lines()
            .find(|l| l.contains(address))
            .unwrap()
            .to_string()
    };
    let (old_row, new_row) = (row("2026-10-21"), row(NEWEST));
    assert_ne!(old_row, new_row);
    replace_in(&d.join(format!("wallets/{NEWEST}.csv")), &new_row, &old_row);
    let before = manifest(&d, NEWEST);

    let o = rerun_newest(&d);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("ownership proof failed") && e.contains(address) && e.contains("bip137"),
        "{e}"
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("1 address(es) failed ownership verification"),
        "{stdout}"
    );

    let addresses: Value = serde_json::from_slice(
        &std::fs::read(d.join(format!("snapshots/{NEWEST}/addresses.json"))).unwrap(),
    )
    .unwrap();
    let entry = addresses["addresses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["address"] == address)
        .unwrap();
    assert_eq!(entry["ownership"]["verified"], false);
    let held: u128 = entry["holdings"][0]["amount"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let after = manifest(&d, NEWEST);
    let n = |a: &por::amount::Amount| a.to_string().parse::<u128>().unwrap();
    assert_eq!(
        n(&after.assets[0].reserves),
        n(&before.assets[0].reserves) - held
    );
    assert_eq!(
        n(&after.assets[0].unproven_reserves),
        n(&before.assets[0].unproven_reserves) + held
    );
}

// --- 7. --replace --------------------------------------------------------------------------

#[test]
fn replace_works_on_the_newest_snapshot_only() {
    let t = tempfile::tempdir().unwrap();
    let d = demo_without_log(t.path());
    let old_bytes = std::fs::read(d.join(format!("snapshots/{NEWEST}/manifest.json"))).unwrap();
    let old: Manifest = serde_json::from_slice(&old_bytes).unwrap();
    let o = rerun_newest(&d);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let new_bytes = std::fs::read(d.join(format!("snapshots/{NEWEST}/manifest.json"))).unwrap();
    assert_ne!(new_bytes, old_bytes);
    let new: Manifest = serde_json::from_slice(&new_bytes).unwrap();
    assert_eq!(new.previous, old.previous, "still linked to 2026-10-21");
    assert_eq!(
        new.previous.as_ref().unwrap().snapshot_id.as_str(),
        "2026-10-21"
    );
    assert_complete(&d, NEWEST);

    let before = outputs(&d);
    let o = run(
        &d,
        &[
            "--id",
            "2026-10-21",
            "--as-of",
            "2026-10-21T00:00:00Z",
            "--replace",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(
        error_line(&o),
        format!("--replace 2026-10-21: only the newest snapshot ({NEWEST}) may be replaced")
    );
    assert_eq!(outputs(&d), before);
}
