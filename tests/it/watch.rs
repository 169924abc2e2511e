//! `por watch` end to end against a real Ethereum dev node (anvil): a snapshot is
//! published by `por run`, funds move after it, and each reserves update must hold
//! exactly what the chain held at the update's block (checked with direct
//! `eth_getBalance` / `balanceOf` calls at that block), link to the previous update,
//! raise `drained` and `short` alerts with exit 1, publish nothing on a fault (endpoints
//! disagreeing, a reorg between pin and re-check, a broken previous update) but record
//! it, respect the run lock, survive a kill mid-update, and prune by `[watch] keep`.

use crate::site_render::schema_errors;
use crate::support::anvil::{self, Anvil, DEPLOYER, GENESIS_TIME};
use crate::support::cli::{self, error_line, hashes, sha, stderr};
use crate::support::http_server::{Reply, TestServer};

use alloy::primitives::{Address, B256, U256};
use alloy::signers::SignerSync;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::{SolCall, SolValue, sol};
use por::time::Timestamp;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

sol! {
    #![sol(alloy_sol_types = alloy::sol_types)]
    function mint(address to, uint256 value) external;
    function transfer(address to, uint256 value) external returns (bool);
    function balanceOf(address who) external view returns (uint256);
}

const ETH: u128 = 1_000_000_000_000_000_000;
const EXCHANGE: &str = "Watch Exchange";
const ID: &str = "2023-11-14";

/// A published snapshot on a live anvil chain: `hot` (2 ETH, 1000 TUSD) and `cold`
/// (1 ETH) proven with EIP-191, `claimed` (1 ETH, unproven), and `late`, listed in the
/// current wallets file only (since the snapshot).
struct Case {
    node: Anvil,
    dir: tempfile::TempDir,
    token: Address,
    hot: Address,
    cold: Address,
    claimed: Address,
    late: Address,
    as_of: Timestamp,
    watch: String,
}

impl Case {
    fn new(watch: &str) -> Case {
        let node = Anvil::start();
        let hot = PrivateKeySigner::from_bytes(&B256::repeat_byte(0x51)).unwrap();
        let cold = PrivateKeySigner::from_bytes(&B256::repeat_byte(0x53)).unwrap();
        let claimed: Address = "0x3333333333333333333333333333333333333333"
            .parse()
            .unwrap();
        let late: Address = "0x4444444444444444444444444444444444444444"
            .parse()
            .unwrap();
        let token = node.deploy(
            "TestToken",
            &("Test USD".to_string(), "TUSD".to_string()).abi_encode_params(),
        );
        node.send(DEPLOYER, Some(hot.address()), U256::from(2 * ETH), &[]);
        node.send(DEPLOYER, Some(cold.address()), U256::from(ETH), &[]);
        node.send(DEPLOYER, Some(claimed), U256::from(ETH), &[]);
        let m = mintCall {
            to: hot.address(),
            value: U256::from(1_000_000_000u64),
        };
        node.send(DEPLOYER, Some(token), U256::ZERO, &m.abi_encode());
        let t = GENESIS_TIME + 10_000;
        node.mine_at(t);
        node.mine_at(t + 60);
        let case = Case {
            node,
            dir: tempfile::tempdir().unwrap(),
            token,
            hot: hot.address(),
            cold: cold.address(),
            claimed,
            late,
            as_of: Timestamp(t + 30),
            watch: watch.to_string(),
        };
        case.write_config(&[case.node.url().to_string()]);
        std::fs::write(
            case.path("liabilities.csv"),
            "uid,ETH,TUSD\nalice,1,500\nbob,0.5,300\n",
        )
        .unwrap();
        let sign = |s: &PrivateKeySigner| {
            let message = por::ownership::message(EXCHANGE, ID, &s.address().to_string());
            let sig = s.sign_message_sync(message.as_bytes()).unwrap();
            format!("0x{}", hex::encode(sig.as_bytes()))
        };
        let rows = format!(
            "chain,address,label,scheme,signature,script\n\
             ethereum,{},hot,eip191,{},\n\
             ethereum,{},cold,eip191,{},\n\
             ethereum,{claimed},claimed,none,,\n",
            hot.address(),
            sign(&hot),
            cold.address(),
            sign(&cold),
        );
        std::fs::write(case.path("wallets.csv"), &rows).unwrap();
        std::fs::write(
            case.path("wallets-now.csv"),
            format!("{rows}ethereum,{late},listed since,none,,\n"),
        )
        .unwrap();
        let o = cli::por(&[
            "run",
            "--config",
            &case.config(),
            "--id",
            ID,
            "--as-of",
            &case.as_of.to_rfc3339(),
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        case
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn config(&self) -> String {
        self.path("por.toml").display().to_string()
    }

    /// The config, reading the chain through `urls` (every one must agree).
    fn write_config(&self, urls: &[String]) {
        let endpoints: String = urls
            .iter()
            .map(|u| format!("[[chains.ethereum.endpoints]]\nkind = \"jsonrpc\"\nurl = \"{u}\"\n"))
            .collect();
        std::fs::write(
            self.path("por.toml"),
            format!(
                r#"exchange = "{EXCHANGE}"
[[assets]]
symbol = "ETH"
decimals = 18
chain = "ethereum"
[[assets]]
symbol = "TUSD"
decimals = 6
chain = "ethereum"
contract = "{token}"
[liabilities]
path = "liabilities.csv"
[wallets]
path = "wallets.csv"
[chains]
timeout_secs = 5
attempts = 1
[chains.ethereum]
chain_id = 31337
{endpoints}[output]
snapshots = "snapshots"
site = "public"
private = "private"
[watch]
confirmations = 2
wallets = "wallets-now.csv"
{watch}
"#,
                token = self.token,
                watch = self.watch,
            ),
        )
        .unwrap();
    }

    /// The time `hours` after the snapshot.
    fn at(&self, hours: u64) -> String {
        Timestamp(self.as_of.0 + hours * 3600).to_rfc3339()
    }

    /// `por watch --json --now <as_of + hours>`.
    fn watch(&self, hours: u64) -> Output {
        self.watch_with(hours, &[])
    }

    fn watch_with(&self, hours: u64, env: &[(&str, &str)]) -> Output {
        let mut c = cli::command(&[
            "watch",
            "--config",
            &self.config(),
            "--json",
            "--now",
            &self.at(hours),
        ]);
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().unwrap()
    }

    /// The published updates of the snapshot, oldest first.
    fn updates(&self) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(self.path(&format!("updates/{ID}")))
            .map(|r| r.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        v.sort();
        v
    }

    fn failures(&self) -> Value {
        read_json(&self.path("updates/failures.json"))
    }

    fn balance(&self, who: Address, height: u64) -> u128 {
        let v = self
            .node
            .call("eth_getBalance", json!([who, format!("{height:#x}")]));
        u128::from_str_radix(v.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
    }

    fn token_balance(&self, who: Address, height: u64) -> u128 {
        let data = balanceOfCall { who }.abi_encode();
        let v = self.node.call(
            "eth_call",
            json!([{"to": self.token, "data": format!("0x{}", hex::encode(data))}, format!("{height:#x}")]),
        );
        u128::from_str_radix(v.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
    }

    /// Sends from an address the node lets us impersonate.
    fn send_eth(&self, from: Address, to: Address, wei: u128) {
        self.node.impersonate(from);
        self.node.send(from, Some(to), U256::from(wei), &[]);
    }

    fn send_token(&self, from: Address, to: Address, units: u64) {
        self.node.impersonate(from);
        let t = transferCall {
            to,
            value: U256::from(units),
        };
        self.node
            .send(from, Some(self.token), U256::ZERO, &t.abi_encode());
    }
}

fn read_json(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap()
}

/// Whether the site shows the published updates and failure record as they are now:
/// every render copies them byte for byte to `public/updates/` (a fault too records
/// its failure and renders), so this holds only after a render since the last change.
fn site_is_current(c: &Case) -> bool {
    let published = hashes(&c.path("updates"));
    !published.is_empty() && hashes(&c.path("public/updates")) == published
}

/// The site folder's inode: each render swaps a new folder into place.
fn site_inode(c: &Case) -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(c.path("public")).unwrap().ino()
}

fn summary(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON summary ({e}): {}", stderr(o)))
}

/// Every address of `update` holds what the node says it held at the update's block.
fn assert_matches_chain(c: &Case, update: &Value) {
    let h = update["chains"]["ethereum"]["height"].as_u64().unwrap();
    assert_eq!(
        update["chains"]["ethereum"]["block_hash"],
        format!("{}", c.node.block_hash(h))
    );
    for a in update["addresses"].as_array().unwrap() {
        let who: Address = a["address"].as_str().unwrap().parse().unwrap();
        let held = &a["holdings"];
        assert_eq!(held[0]["asset"], "ETH");
        assert_eq!(
            held[0]["amount"],
            c.balance(who, h).to_string(),
            "{who} ETH"
        );
        assert_eq!(held[1]["asset"], "TUSD");
        assert_eq!(held[1]["contract"], c.token.to_string());
        assert_eq!(
            held[1]["amount"],
            c.token_balance(who, h).to_string(),
            "{who} TUSD"
        );
    }
    assert_eq!(
        schema_errors("por-reserves-update-1.json", update),
        Vec::<String>::new()
    );
}

#[test]
fn updates_hold_what_the_chain_held_at_their_block_and_link() {
    let c = Case::new("");
    // After the snapshot: hot pays 0.5 ETH to the address listed since, and 100 TUSD
    // to the unproven one.
    c.send_eth(c.hot, c.late, ETH / 2);
    c.send_token(c.hot, c.claimed, 100_000_000);
    c.node.mine(1);
    let o = c.watch(1);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let s = summary(&o);
    let [first] = &c.updates()[..] else {
        panic!("one update: {:?}", c.updates())
    };
    assert_eq!(s["file"], first.display().to_string());
    assert_eq!(s["exit_code"], 0);
    assert_eq!(s["alerts"], json!([]));
    assert_eq!(s["pruned"]["count"], 0);
    let bytes = std::fs::read(first).unwrap();
    assert_eq!(s["sha256"], sha(&bytes));
    let u1: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(
        first.file_name().unwrap().to_str().unwrap(),
        por::format::update_file_name(&c.at(1))
    );
    assert_eq!(u1["time"], c.at(1));
    assert_eq!(u1["previous"], Value::Null);
    // Two confirmations: the block below the tip.
    let tip = c.node.height();
    assert_eq!(u1["chains"]["ethereum"]["height"], tip - 1);
    assert_eq!(u1["confirmations"], json!({"ethereum": 2}));
    let manifest = std::fs::read(c.path(&format!("snapshots/{ID}/manifest.json"))).unwrap();
    assert_eq!(u1["manifest_sha256"], sha(&manifest));
    assert_matches_chain(&c, &u1);
    let flags: Vec<(bool, bool, &str)> = u1["addresses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["verified"].as_bool().unwrap(),
                a["in_snapshot"].as_bool().unwrap(),
                a["scheme"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        flags,
        [
            (true, true, "eip191"),
            (true, true, "eip191"),
            (false, true, "none"),
            (false, false, "none")
        ]
    );
    let h = tip - 1;
    let eth = &u1["assets"][0];
    assert_eq!(eth["liabilities"], (3 * ETH / 2).to_string());
    assert_eq!(
        eth["reserves"],
        (c.balance(c.hot, h) + c.balance(c.cold, h)).to_string()
    );
    assert_eq!(
        eth["unproven_reserves"],
        (c.balance(c.claimed, h) + c.balance(c.late, h)).to_string()
    );
    let tusd = &u1["assets"][1];
    assert_eq!(tusd["reserves"], "900000000");
    assert_eq!(tusd["unproven_reserves"], "100000000");
    assert_eq!(tusd["reserve_ratio"], "1.1250");
    assert_eq!(u1["alerts"], json!([]));

    // More moves; the second update reads its own block and links to the first.
    c.send_eth(c.cold, c.late, ETH / 5);
    c.node.mine(2);
    let o = c.watch(2);
    let s2 = summary(&o);
    let updates = c.updates();
    assert_eq!(updates.len(), 2);
    let u2 = read_json(&updates[1]);
    assert_eq!(u2["chains"]["ethereum"]["height"], c.node.height() - 1);
    assert!(
        u2["chains"]["ethereum"]["height"].as_u64() > u1["chains"]["ethereum"]["height"].as_u64()
    );
    assert_matches_chain(&c, &u2);
    assert_eq!(
        u2["previous"],
        json!({"time": c.at(1), "sha256": sha(&bytes)})
    );
    assert_eq!(s2["previous_sha256"], sha(&bytes));
    // The site was rendered again after each update.
    assert!(site_is_current(&c), "the site shows both updates");
}

#[test]
fn a_drained_address_and_a_short_asset_are_alerts_with_exit_1() {
    let c = Case::new("");
    // cold held 1 ETH at the snapshot and holds nothing now: drained, still solvent.
    c.node.set_balance(c.cold, U256::ZERO);
    c.node.mine(2);
    let o = c.watch(1);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let drained = json!({
        "kind": "drained",
        "chain": "ethereum",
        "address": c.cold.to_string(),
        "at_snapshot": [{"asset": "ETH", "amount": ETH.to_string()}],
    });
    assert_eq!(summary(&o)["alerts"], json!([drained]));
    let u = read_json(&c.updates()[0]);
    assert_eq!(u["alerts"], json!([drained]));
    assert_eq!(summary(&o)["exit_code"], 1);
    // And hot's ETH gone too: ETH is short (0 of 1.5 ETH), the alert comes first.
    c.node.set_balance(c.hot, U256::ZERO);
    c.node.mine(2);
    let o = c.watch(2);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let u = read_json(&c.updates()[1]);
    assert_eq!(
        u["alerts"][0],
        json!({"kind": "short", "asset": "ETH", "reserve_ratio": "0.0000"})
    );
    assert_eq!(u["alerts"][1], drained);
    assert_eq!(
        u["alerts"].as_array().unwrap().len(),
        2,
        "hot still holds TUSD"
    );
    assert_matches_chain(&c, &u);
    // The one-line summary names them too.
    let o = cli::command(&["watch", "--config", &c.config(), "--now", &c.at(3)])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let line = String::from_utf8(o.stdout).unwrap();
    assert!(
        line.contains("ETH 0.0000 SHORT by 1.5")
            && line.contains(&format!("ethereum {} drained", c.cold)),
        "{line}"
    );
}

/// A JSON-RPC proxy in front of `node` that answers `eth_getBlockByNumber` for
/// `height` with another hash from its `from`-th such call on (1-based).
fn tampering_proxy(node: &Anvil, height: u64, from: usize) -> TestServer {
    let port = node.port();
    let calls = Arc::new(AtomicUsize::new(0));
    let target = format!("{height:#x}");
    let server = TestServer::start();
    server.route(
        "POST",
        "/",
        [Reply::from_request(move |req| {
            let request: Value = serde_json::from_str(&req.body).unwrap();
            let mut answer: Value =
                serde_json::from_str(&anvil::post_raw(port, &req.body)).unwrap();
            let tamper = |call: &Value, answer: &mut Value| {
                if call["method"] == "eth_getBlockByNumber" && call["params"][0] == target {
                    let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
                    if n >= from {
                        answer["result"]["hash"] = json!(format!("0x{}", "ab".repeat(32)));
                    }
                }
            };
            match (&request, &mut answer) {
                // A batch: answers are matched to calls by id.
                (Value::Array(calls), Value::Array(answers)) => {
                    for call in calls {
                        if let Some(a) = answers.iter_mut().find(|a| a["id"] == call["id"]) {
                            tamper(call, a);
                        }
                    }
                }
                (call, answer) => tamper(call, answer),
            }
            Reply::json(200, answer.to_string())
        })],
    );
    server
}

#[test]
fn faults_publish_nothing_and_are_recorded_for_the_feed() {
    let c = Case::new("");
    let site_ino = site_inode(&c);
    let h = c.node.height() - 1;
    // A second endpoint with another block at the update's height.
    let other = tampering_proxy(&c.node, h, 1);
    c.write_config(&[c.node.url().to_string(), other.url()]);
    let o = c.watch(1);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let disagree = error_line(&o);
    assert!(
        disagree.starts_with(&format!("endpoints disagree on the block at height {h}")),
        "{disagree}"
    );
    assert!(c.updates().is_empty(), "nothing published");
    assert!(o.stdout.is_empty());
    let f = c.failures();
    assert_eq!(f["format"], "por-watch-failures/1");
    assert_eq!(
        f["failures"],
        json!([{"time": c.at(1), "snapshot_id": ID, "error": disagree}])
    );
    assert_ne!(site_inode(&c), site_ino);
    assert!(
        site_is_current(&c),
        "the site is rendered after a failure too"
    );
    assert_eq!(
        schema_errors("por-watch-failures-1.json", &f),
        Vec::<String>::new()
    );

    // The block changes between the pin and the re-check after the reads: a reorg.
    let reorg = tampering_proxy(&c.node, h, 2);
    c.write_config(&[c.node.url().to_string(), reorg.url()]);
    let o = c.watch(2);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let message = error_line(&o);
    assert!(message.contains("(reorg)"), "{message}");
    assert!(c.updates().is_empty());
    assert_eq!(c.failures()["failures"][1]["error"], message);

    // Back to one endpoint: published, and the failures stay on record.
    c.write_config(&[c.node.url().to_string()]);
    let o = c.watch(3);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(c.updates().len(), 1);
    assert_eq!(c.failures()["failures"].as_array().unwrap().len(), 2);
    assert!(site_is_current(&c), "the site was rendered again");

    // A broken previous update stops the next one.
    let first = c.updates()[0].clone();
    let text = std::fs::read_to_string(&first).unwrap();
    let manifest_sha = read_json(&first)["manifest_sha256"]
        .as_str()
        .unwrap()
        .to_string();
    std::fs::write(&first, text.replace(&manifest_sha, &"0".repeat(64))).unwrap();
    let o = c.watch(4);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(
        error_line(&o),
        format!(
            "{}: manifest_sha256 {} is not the snapshot's manifest.json (sha256 {manifest_sha}); nothing published",
            first.display(),
            "0".repeat(64)
        )
    );
    assert_eq!(c.updates().len(), 1);
    assert_eq!(c.failures()["failures"].as_array().unwrap().len(), 3);
    // An update no later than the previous one is refused as well.
    std::fs::write(&first, &text).unwrap();
    let o = c.watch(3);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        error_line(&o),
        format!(
            "update time {t} is not later than the previous update ({t}); nothing published",
            t = c.at(3)
        )
    );
}

#[test]
fn the_run_lock_refuses_one_update_and_the_loop_waits_for_it() {
    let c = Case::new("");
    let lock = c.path("private/.por.lock");
    let held = por::lock::RunLock::acquire(&lock).unwrap();
    let o = c.watch(1);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        error_line(&o),
        format!(
            "another por command holds {} (pid {}); nothing done",
            lock.display(),
            std::process::id()
        )
    );
    assert!(c.updates().is_empty());
    assert!(
        !c.path("updates/failures.json").exists(),
        "not recorded: that needs the lock"
    );

    // `--every` waits for the lock, then publishes.
    let mut child = cli::command(&["watch", "--config", &c.config(), "--every", "1h", "--json"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    assert!(c.updates().is_empty(), "published while the lock was held");
    drop(held);
    let deadline = Instant::now() + Duration::from_secs(30);
    while c.updates().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(
        c.updates().len(),
        1,
        "the loop did not publish once the lock was free"
    );
}

#[test]
fn a_kill_mid_update_leaves_the_previous_update_and_the_site() {
    let c = Case::new("");
    assert_eq!(c.watch(1).status.code(), Some(0));
    let updates = hashes(&c.path("updates"));
    let site = hashes(&c.path("public"));
    let site_ino = site_inode(&c);
    c.send_eth(c.hot, c.late, ETH / 10);
    c.node.mine(1);
    // Killed with the new update staged: nothing changed.
    let o = c.watch_with(2, &[("POR_FAULT", "file-staged")]);
    assert_eq!(o.status.code(), None, "aborted: {}", stderr(&o));
    assert_eq!(hashes(&c.path("updates")), updates);
    assert_eq!(hashes(&c.path("public")), site);
    assert_eq!(site_inode(&c), site_ino);
    // Killed after publishing, before the site: the update is whole, the site the old one.
    let o = c.watch_with(2, &[("POR_FAULT", "update-published")]);
    assert_eq!(o.status.code(), None, "aborted: {}", stderr(&o));
    let files = c.updates();
    assert_eq!(files.len(), 2);
    let second = std::fs::read(&files[1]).unwrap();
    assert_matches_chain(&c, &serde_json::from_slice(&second).unwrap());
    assert_eq!(hashes(&c.path("public")), site);
    // The next update succeeds, links to the second, and renders the site.
    let o = c.watch(3);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let files = c.updates();
    assert_eq!(files.len(), 3);
    assert_eq!(read_json(&files[2])["previous"]["sha256"], sha(&second));
    assert!(site_is_current(&c), "the site was rendered again");
    assert_eq!(
        std::fs::read_dir(c.path("private/.staging"))
            .unwrap()
            .count(),
        0,
        "staging area not empty"
    );
}

#[test]
fn pruning_removes_exactly_the_updates_older_than_keep() {
    let c = Case::new("keep = \"2h\"");
    for h in [1, 2, 3] {
        let o = c.watch(h);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert_eq!(summary(&o)["pruned"]["count"], 0);
    }
    // At +5h the cutoff is +3h: the updates of +1h and +2h go, +3h stays.
    let o = c.watch(5);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        summary(&o)["pruned"],
        json!({"count": 2, "oldest": c.at(1), "newest": c.at(2)})
    );
    let names: Vec<String> = c
        .updates()
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            por::format::update_file_name(&c.at(3)),
            por::format::update_file_name(&c.at(5))
        ]
    );
    // The text summary says it too.
    let o = cli::command(&["watch", "--config", &c.config(), "--now", &c.at(9)])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    let line = String::from_utf8(o.stdout).unwrap();
    assert!(
        line.trim_end()
            .ends_with(&format!("; pruned 2 update(s), {} to {}", c.at(3), c.at(5))),
        "{line}"
    );
    assert_eq!(c.updates().len(), 1);
}

#[test]
fn a_bad_watch_config_is_one_line_naming_the_key() {
    let t = tempfile::tempdir().unwrap();
    let path = t.path().join("por.toml");
    let base = "exchange = \"X\"\n[[assets]]\nsymbol = \"BTC\"\ndecimals = 8\nchain = \"bitcoin\"\n[liabilities]\npath = \"l.csv\"\n[wallets]\npath = \"w.csv\"\n[chains.bitcoin]\nnetwork = \"regtest\"\n[[chains.bitcoin.endpoints]]\nkind = \"esplora\"\nurl = \"http://127.0.0.1:9\"\n[output]\nsnapshots = \"s\"\nsite = \"p\"\nprivate = \"v\"\n";
    let file = path.display().to_string();
    for (watch, want) in [
        (
            "[watch]\nkeep = \"soon\"\n",
            format!("{file}: watch.keep: \"soon\": expected a duration like 90s, 30m, 1h or 30d"),
        ),
        (
            "[watch]\n[watch.chain_confirmations]\nethereum = 3\n",
            format!(
                "{file}: watch.chain_confirmations.ethereum: \"ethereum\" is not a configured chain (expected one of \"bitcoin\")"
            ),
        ),
        (
            "",
            format!(
                "{file}: no [watch] section; add one to publish reserves updates (docs/reserves-update.md)"
            ),
        ),
    ] {
        std::fs::write(&path, format!("{base}{watch}")).unwrap();
        let o = cli::por(&["watch", "--config", &file]);
        assert_eq!(o.status.code(), Some(2));
        assert_eq!(error_line(&o), want);
    }
    std::fs::write(&path, format!("{base}[watch]\n")).unwrap();
    let o = cli::por(&["watch", "--config", &file, "--every", "0s"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(error_line(&o), "--every: \"0s\": must be more than zero");
    assert!(!t.path().join("v").exists(), "nothing written");
}

#[test]
fn the_demo_publishes_hash_chained_updates_between_its_snapshots() {
    let t = tempfile::tempdir().unwrap();
    let d = cli::demo(t.path());
    let ids = por::job::DEMO_SNAPSHOTS;
    let mut count = 0;
    for (i, (id, times)) in ids.iter().zip(por::job::demo::DEMO_UPDATES).enumerate() {
        let manifest = std::fs::read(d.join(format!("snapshots/{id}/manifest.json"))).unwrap();
        let mut previous = Value::Null;
        for time in times {
            let path = d.join(format!(
                "updates/{id}/{}",
                por::format::update_file_name(time)
            ));
            let bytes = std::fs::read(&path).unwrap();
            let u: Value = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(
                schema_errors("por-reserves-update-1.json", &u),
                Vec::<String>::new()
            );
            assert_eq!(u["snapshot_id"], *id);
            assert_eq!(u["manifest_sha256"], sha(&manifest));
            assert_eq!(u["previous"], previous);
            // Read at the fixture's blocks after the snapshot's, before the next one.
            let snap: Value = serde_json::from_slice(&manifest).unwrap();
            for chain in ["bitcoin", "ethereum"] {
                let (now, then) = (
                    &u["chains"][chain]["height"],
                    &snap["chains"][chain]["height"],
                );
                assert!(now.as_u64() > then.as_u64(), "{id} {time} {chain}");
                if let Some(next) = ids.get(i + 1) {
                    let next: Value = read_json(&d.join(format!("snapshots/{next}/manifest.json")));
                    assert!(now.as_u64() < next["chains"][chain]["height"].as_u64());
                }
            }
            // The staged alert: the unproven address is empty after the first snapshot.
            let alerts = u["alerts"].as_array().unwrap();
            if i == 0 {
                assert_eq!(alerts.len(), 1, "{time}: {alerts:?}");
                assert_eq!(alerts[0]["kind"], "drained");
                assert_eq!(
                    alerts[0]["address"],
                    "0x8d9f8143CEaBf656035fe08233099e6977683302"
                );
            } else {
                assert_eq!(alerts.len(), 0, "{time}: {alerts:?}");
            }
            previous = json!({"time": time, "sha256": sha(&bytes)});
            count += 1;
        }
    }
    assert_eq!(count, 8);
    assert!(!d.join("updates/failures.json").exists());

    // A chain shorter than the confirmations asked for is a fault, recorded.
    cli::replace_in(
        &d.join("por.toml"),
        "confirmations = 1\n",
        "confirmations = 100\n",
    );
    let o = cli::por(&["watch", "--config", &cli::config_arg(&d)]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let message = error_line(&o);
    assert!(
        message.ends_with("the chain has 36 block(s), fewer than the 100 confirmations asked for"),
        "{message}"
    );
    let f = read_json(&d.join("updates/failures.json"));
    assert_eq!(f["failures"][0]["error"], message);
    assert_eq!(f["failures"][0]["snapshot_id"], "2026-11-21");
}
