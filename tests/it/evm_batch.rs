//! JSON-RPC batch requests on EVM chains (`[reads] batch`): against a real anvil node
//! the batch size changes nothing published (1, 7 and 100 calls a request give the same
//! address lists and figures, EIP-1271 checks included); against the bench's local
//! JSON-RPC server (`por::bench::jsonrpc`) a batch answered with one item's error stops
//! the run with that address named, a server that refuses batches is read with single
//! calls, and batching sends fewer requests.

use crate::support::anvil;
use crate::support::cli::{error_line, run};

use alloy::primitives::{Address, B256, U256};
use alloy::signers::SignerSync;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::{SolCall, SolValue, sol};
use anvil::{Anvil, DEPLOYER, GENESIS_TIME};
use por::bench::jsonrpc::{self, Balances, Chain};
use por::time::Timestamp;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

sol! {
    #![sol(alloy_sol_types = alloy::sol_types)]
    function mint(address to, uint256 value) external;
}

const EXCHANGE: &str = "Batch Exchange";
const ID: &str = "2023-11-14";
const ETH: u128 = 1_000_000_000_000_000_000;

fn sign(signer: &PrivateKeySigner, address: Address) -> String {
    let message = por::ownership::message(EXCHANGE, ID, &address.to_string());
    let sig = signer.sign_message_sync(message.as_bytes()).unwrap();
    format!("0x{}", hex::encode(sig.as_bytes()))
}

/// A config of one EVM chain `ethereum` at `url` with ETH and TUSD on `token`.
fn write_config(d: &Path, url: &str, chain_id: u64, token: Address, batch: usize) {
    std::fs::write(
        d.join("por.toml"),
        format!(
            r#"exchange = "{EXCHANGE}"

[[assets]]
symbol = "ETH"
decimals = 18

[[assets]]
symbol = "TUSD"
decimals = 6
contracts = {{ ethereum = "{token}" }}

[liabilities]
path = "liabilities.csv"

[wallets]
path = "wallets.csv"

[reads]
timeout_secs = 10
attempts = 2
in_flight = 3
batch = {batch}

[[chains]]
name = "ethereum"
kind = "evm"
chain_id = {chain_id}
native = "ETH"

[[chains.endpoints]]
kind = "jsonrpc"
url = "{url}"

[output]
snapshots = "snapshots"
site = "public"
private = "private"
"#
        ),
    )
    .unwrap();
    std::fs::write(d.join("liabilities.csv"), "uid,ETH,TUSD\nalice,1,100\n").unwrap();
}

/// The published files that come from the reserves read.
fn published(d: &Path) -> Vec<(String, Vec<u8>)> {
    let snap = d.join("snapshots").join(ID);
    let mut out: Vec<(String, Vec<u8>)> = ["addresses.json", "addresses.csv", "defillama.json"]
        .iter()
        .map(|f| (f.to_string(), std::fs::read(snap.join(f)).unwrap()))
        .collect();
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(snap.join("manifest.json")).unwrap()).unwrap();
    for key in ["chains", "assets"] {
        out.push((key.into(), manifest[key].to_string().into_bytes()));
    }
    out
}

#[test]
fn batch_sizes_1_7_and_100_publish_the_same_bytes() {
    let node = Anvil::start();
    let hot = PrivateKeySigner::from_bytes(&B256::repeat_byte(0x51)).unwrap();
    let owner = PrivateKeySigner::from_bytes(&B256::repeat_byte(0x52)).unwrap();
    let stranger = PrivateKeySigner::from_bytes(&B256::repeat_byte(0x53)).unwrap();
    let token = node.deploy(
        "TestToken",
        &("Test USD".to_string(), "TUSD".to_string()).abi_encode_params(),
    );
    // Two contract wallets: one signed by its owner, one by someone else.
    let good = node.deploy("OwnerWallet1271", &owner.address().abi_encode());
    let bad = node.deploy("OwnerWallet1271", &owner.address().abi_encode());
    let mint = |to: Address, units: u64| {
        node.send(
            DEPLOYER,
            Some(token),
            U256::ZERO,
            &mintCall {
                to,
                value: U256::from(units),
            }
            .abi_encode(),
        );
    };
    let claimed: Vec<Address> = (1..=17u8).map(|i| Address::repeat_byte(0x30 + i)).collect();
    node.send(DEPLOYER, Some(hot.address()), U256::from(3 * ETH), &[]);
    mint(hot.address(), 1_000_000);
    mint(good, 2_000_000);
    mint(bad, 4_000_000);
    for (i, a) in claimed.iter().enumerate() {
        node.send(
            DEPLOYER,
            Some(*a),
            U256::from((i as u128 + 1) * ETH / 10),
            &[],
        );
        mint(*a, 10_000 * (i as u64 + 1));
    }
    let t = GENESIS_TIME + 10_000;
    node.mine_at(t);
    // Funds move after the snapshot block.
    node.set_next_timestamp(t + 60);
    for a in &claimed[..5] {
        mint(*a, 1);
    }
    node.mine_at(t + 120);

    let mut wallets = format!(
        "chain,address,label,scheme,signature,script\n\
         ethereum,{},hot,eip191,{},\n\
         ethereum,{good},good wallet,eip1271,{},\n",
        hot.address(),
        sign(&hot, hot.address()),
        sign(&owner, good),
    );
    for (i, a) in claimed.iter().enumerate() {
        wallets.push_str(&format!("ethereum,{a},claimed {i},none,,\n"));
        if i == 8 {
            wallets.push_str(&format!(
                "ethereum,{bad},bad wallet,eip1271,{},\n",
                sign(&stranger, bad)
            ));
        }
    }

    let as_of = Timestamp(t + 30).to_rfc3339();
    let mut results = Vec::new();
    for batch in [1, 7, 100] {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write_config(d, node.url(), 31337, token, batch);
        std::fs::write(d.join("wallets.csv"), &wallets).unwrap();
        let o = run(d, &["--id", ID, "--as-of", &as_of]);
        // The bad wallet's proof fails: published, exit 1.
        assert_eq!(
            o.status.code(),
            Some(1),
            "batch {batch}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        results.push((batch, published(d)));
    }
    let (_, first) = &results[0];
    let list: serde_json::Value = serde_json::from_slice(&first[0].1).unwrap();
    let entries = list["addresses"].as_array().unwrap();
    assert_eq!(entries.len(), 20);
    let verified: Vec<bool> = entries
        .iter()
        .map(|e| e["ownership"]["verified"].as_bool().unwrap())
        .collect();
    assert_eq!(&verified[..2], [true, true]);
    assert_eq!(verified.iter().filter(|v| **v).count(), 2, "{verified:?}");
    assert_eq!(entries[11]["label"], "bad wallet");
    // The snapshot block's balances, not the later ones.
    assert_eq!(entries[2]["holdings"][1]["amount"], "10000");
    let assets: serde_json::Value = serde_json::from_slice(&first[4].1).unwrap();
    assert_eq!(assets[1]["reserves"], "3000000");
    for (batch, files) in &results[1..] {
        for ((name, a), (_, b)) in first.iter().zip(files) {
            assert!(a == b, "batch {batch}: {name} differs from batch 1");
        }
    }
}

/// The bench server's balances with one holder answered with an error.
struct Table {
    failing: Option<[u8; 20]>,
}

impl Balances for Table {
    fn balance(
        &self,
        token: Option<[u8; 20]>,
        holder: [u8; 20],
        height: u64,
    ) -> Result<u128, String> {
        if Some(holder) == self.failing && token.is_some() {
            return Err("out of gas: the node gave up on this call".into());
        }
        let base = u128::from(holder[19]) * 1000 + u128::from(token.is_some());
        Ok(if height > 50 { base + 1 } else { base })
    }
}

const TOKEN: [u8; 20] = [0x70; 20];

/// A JSON-RPC server on loopback with 40 addresses listed; snapshot block 50.
fn case(
    d: &Path,
    batches: bool,
    failing: Option<[u8; 20]>,
    batch: usize,
) -> por::bench::serve::Server {
    let server = jsonrpc::start(
        Chain {
            chain_id: 5,
            tip: 60,
            genesis_time: 1_800_000_000 - 12 * 50,
            batches,
        },
        Arc::new(Table { failing }),
        Duration::ZERO,
    )
    .unwrap();
    write_config(d, &server.url(), 5, Address::from(TOKEN), batch);
    // Nothing owed: every address is unproven, and the run is solvent (exit 0).
    std::fs::write(d.join("liabilities.csv"), "uid,ETH,TUSD\nalice,0,0\n").unwrap();
    let mut wallets = String::from("chain,address,label,scheme,signature,script\n");
    for i in 1..=40u8 {
        wallets.push_str(&format!(
            "ethereum,{},w{i},none,,\n",
            Address::repeat_byte(i)
        ));
    }
    std::fs::write(d.join("wallets.csv"), wallets).unwrap();
    server
}

fn as_of() -> String {
    Timestamp(1_800_000_000 + 5).to_rfc3339()
}

#[test]
fn a_batch_item_answered_with_an_error_names_its_address_and_publishes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let failing = Address::repeat_byte(23);
    let _server = case(d, true, Some(failing.into_array()), 100);
    let o = run(d, &["--id", ID, "--as-of", &as_of()]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let line = error_line(&o);
    assert!(
        line.contains(&format!(
            "balanceOf({failing}) on token {}",
            Address::from(TOKEN)
        )) && line.contains("out of gas: the node gave up on this call"),
        "{line}"
    );
    assert!(!d.join("snapshots").join(ID).exists());
}

#[test]
fn batching_sends_fewer_requests_and_a_server_refusing_batches_is_read_call_by_call() {
    let mut results = Vec::new();
    for (batches, batch) in [(true, 1), (true, 100), (false, 100)] {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let server = case(d, batches, None, batch);
        let o = run(d, &["--id", ID, "--as-of", &as_of()]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        results.push((server.requests(), published(d)));
    }
    // 40 addresses × 2 calls: 80 single requests, or one batch of 80.
    let (single, batched, refused) = (results[0].0, results[1].0, results[2].0);
    assert!(batched + 70 <= single, "batched {batched}, single {single}");
    assert!(refused > single, "refused {refused}, single {single}");
    assert_eq!(results[0].1, results[1].1);
    assert_eq!(results[0].1, results[2].1);
    let list: serde_json::Value = serde_json::from_slice(&results[0].1[0].1).unwrap();
    // The snapshot block's balances (block 50), not the later ones.
    assert_eq!(list["addresses"][0]["holdings"][0]["amount"], "1000");
    assert_eq!(list["addresses"][0]["holdings"][1]["amount"], "1001");
}

/// Records what the reserves read tells its progress watcher.
#[derive(Default)]
struct Recorder(std::sync::Mutex<Vec<(String, &'static str, u64)>>);

impl por::progress::Progress for Recorder {
    fn start(&self, _: por::progress::Phase, _: Option<u64>) {}
    fn advance(&self, _: u64) {}
    fn chain_start(&self, chain: &str, total: u64) {
        self.0.lock().unwrap().push((chain.into(), "start", total));
    }
    fn chain_advance(&self, chain: &str, n: u64) {
        self.0.lock().unwrap().push((chain.into(), "advance", n));
    }
}

#[test]
fn progress_counts_every_address_once_in_batch_sized_steps() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // 2 calls an address, 10 a batch: chunks of 5 addresses.
    let _server = case(d, true, None, 10);
    let config = por::config::Config::from_file(&d.join("por.toml")).unwrap();
    let chains = por::reserves::wallets::WalletChains::from_config(&config);
    let wallets = por::reserves::wallets::parse_file(&d.join("wallets.csv"), &chains).unwrap();
    let backends = por::reserves::connect::connect(config.chains.as_ref().unwrap()).unwrap();
    let recorder = Recorder::default();
    let id = por::format::SnapshotId::new(ID).unwrap();
    let reading = por::reserves::Reading::Snapshot {
        as_of: Timestamp(1_800_000_005),
    };
    let report =
        por::reserves::read_with(&config, &id, &reading, wallets, &backends, &recorder).unwrap();
    assert_eq!(report.addresses.len(), 40);
    let events = recorder.0.lock().unwrap().clone();
    assert_eq!(events[0], ("ethereum".to_string(), "start", 40));
    let steps: Vec<u64> = events[1..]
        .iter()
        .map(|(chain, what, n)| {
            assert_eq!((chain.as_str(), *what), ("ethereum", "advance"));
            *n
        })
        .collect();
    assert_eq!(steps, vec![5; 8]);
}
