//! Several EVM chains by config (`[[chains]]` entries of kind `evm`), end to end with
//! `por run`: three real anvil nodes with different chain ids at once (ethereum,
//! arbitrum, base), the same token deployed on each (at different contract
//! addresses), funds moved after each chain's snapshot block, and Bitcoin from a
//! local Esplora-protocol server (`por::bench::esplora`) serving histories for the
//! demo's signed addresses, spent again after the snapshot block. USDT and ETH held on several chains add into one total;
//! the address lists and DefiLlama file carry every chain; an asset held at a
//! custodian is published apart and stays out of the reserves. A node answering with
//! another chain id than configured stops the run (exit 2) and publishes nothing.

use crate::support::anvil;
use crate::support::cli::{error_line, run};

use alloy::primitives::{Address, B256, U256};
use alloy::signers::SignerSync;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::{SolCall, SolValue, sol};
use anvil::{Anvil, DEPLOYER};
use por::bench::serve::Server;
use por::time::Timestamp;
use serde_json::Value;
use std::path::Path;
use std::time::Duration;

sol! {
    #![sol(alloy_sol_types = alloy::sol_types)]
    function mint(address to, uint256 value) external;
    function transfer(address to, uint256 value) external returns (bool);
}

const ETH: u128 = 1_000_000_000_000_000_000;
/// The demo's exchange and snapshot, so that the demo's signed Bitcoin rows verify.
const EXCHANGE: &str = "Demo Exchange (fictitious)";
const ID: &str = "2026-11-21";
/// 2026-11-21T00:00:00Z.
const AS_OF: u64 = 1_795_219_200;
const ATTESTATION: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

/// One EVM chain of the test: its node, its token and its snapshot block.
struct Chain {
    name: &'static str,
    chain_id: u64,
    node: Anvil,
    token: Address,
    height: u64,
}

/// Starts a node with `chain_id`, deploys the token (after `skip` other deployments,
/// so that each chain has it at another address), funds `hot` with `eth` ETH and
/// `usdt` USDT units and `claimed` with 1 USDT, pins the snapshot block just before
/// `AS_OF`, then moves funds after it.
fn chain(
    name: &'static str,
    chain_id: u64,
    skip: usize,
    hot: Address,
    eth: u128,
    usdt: u64,
) -> Chain {
    let node = Anvil::start_with(&["--chain-id", &chain_id.to_string()]);
    for _ in 0..skip {
        node.deploy(
            "TestToken",
            &("Other".to_string(), "OTH".to_string()).abi_encode_params(),
        );
    }
    let token = node.deploy(
        "TestToken",
        &("Tether USD".to_string(), "USDT".to_string()).abi_encode_params(),
    );
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
    node.send(DEPLOYER, Some(hot), U256::from(eth), &[]);
    mint(hot, usdt);
    mint(claimed(), 1_000_000);
    // Each chain's snapshot block has its own time, all before AS_OF.
    let height = node.mine_at(AS_OF - 100 + chain_id % 50);
    // After the snapshot block: the hot wallet sends most of its USDT and ETH away.
    node.impersonate(hot);
    node.set_next_timestamp(AS_OF + 60);
    node.send(
        hot,
        Some(token),
        U256::ZERO,
        &transferCall {
            to: claimed(),
            value: U256::from(usdt / 2),
        }
        .abi_encode(),
    );
    node.set_next_timestamp(AS_OF + 120);
    node.send(hot, Some(claimed()), U256::from(eth / 2), &[]);
    node.mine_at(AS_OF + 180);
    Chain {
        name,
        chain_id,
        node,
        token,
        height,
    }
}

fn claimed() -> Address {
    "0x3333333333333333333333333333333333333333"
        .parse()
        .unwrap()
}

fn signer() -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&B256::repeat_byte(0x61)).unwrap()
}

fn sign(address: Address) -> String {
    let message = por::ownership::message(EXCHANGE, ID, &address.to_string());
    let sig = signer().sign_message_sync(message.as_bytes()).unwrap();
    format!("0x{}", hex::encode(sig.as_bytes()))
}

/// The demo's Bitcoin rows of snapshot `ID` (signed for `EXCHANGE`).
fn demo_bitcoin_rows() -> String {
    let all = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/demo/wallets/2026-11-21.csv"
    ))
    .unwrap();
    let mut out = String::new();
    let mut rdr = csv::Reader::from_reader(all.as_bytes());
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    for rec in rdr.records() {
        let rec = rec.unwrap();
        if &rec[0] == "bitcoin" {
            w.write_record(&rec).unwrap();
        }
    }
    out.push_str(&String::from_utf8(w.into_inner().unwrap()).unwrap());
    out
}

/// The Bitcoin snapshot height of the local Esplora server (block 100 is at `AS_OF`).
const BTC_HEIGHT: u64 = 100;

/// An Esplora server where each of the demo's Bitcoin addresses got `(n + 1) × 0.001`
/// BTC before the snapshot block and spent it all after it; returns the server and
/// the total at the snapshot block.
pub(crate) fn start_bitcoin() -> (Server, u128) {
    use por::bench::esplora::{self, Blocks, Tx};
    let rows = demo_bitcoin_rows();
    let mut histories = std::collections::HashMap::new();
    let mut total = 0u128;
    for (n, line) in rows.lines().enumerate() {
        let address = line.split(',').nth(1).unwrap().to_string();
        let script = address
            .parse::<bitcoin::Address<bitcoin::address::NetworkUnchecked>>()
            .unwrap()
            .assume_checked()
            .script_pubkey()
            .to_hex_string();
        let sats = (n as u64 + 1) * 100_000;
        total += u128::from(sats);
        let elsewhere = ("0014".to_string() + &"11".repeat(20), sats);
        let txs = vec![
            Tx {
                txid: esplora::txid(format!("{address} in").as_bytes()),
                height: 40 + n as u64,
                outputs: vec![(script.clone(), sats)],
                inputs: vec![elsewhere.clone()],
            },
            Tx {
                txid: esplora::txid(format!("{address} out").as_bytes()),
                height: BTC_HEIGHT + 1,
                outputs: vec![elsewhere],
                inputs: vec![(script, sats)],
            },
        ];
        histories.insert(address, txs);
    }
    let blocks = Blocks {
        tip: BTC_HEIGHT + 3,
        genesis_time: AS_OF - 600 * BTC_HEIGHT,
    };
    let server = esplora::start(blocks, std::sync::Arc::new(histories), Duration::ZERO).unwrap();
    (server, total)
}

fn write_case(d: &Path, btc_url: &str, chains: &[Chain], wrong_id_for: Option<&str>) {
    let mut toml = format!(
        r#"exchange = "{EXCHANGE}"

[[assets]]
symbol = "BTC"
decimals = 8

[[assets]]
symbol = "ETH"
decimals = 18

[[assets]]
symbol = "USDT"
decimals = 6
contracts = {{ {contracts} }}

[liabilities]
path = "liabilities.csv"

[wallets]
path = "wallets.csv"

[[custodians]]
name = "Example Trust Co."
asset = "BTC"
amount = "250.5"
attestation_sha256 = "{ATTESTATION}"

[reads]
timeout_secs = 10
attempts = 2

[[chains]]
name = "bitcoin"
kind = "bitcoin"
network = "mainnet"
native = "BTC"

[[chains.endpoints]]
kind = "esplora"
url = "{btc_url}"
"#,
        contracts = chains
            .iter()
            .map(|c| format!("{} = \"{}\"", c.name, c.token))
            .collect::<Vec<_>>()
            .join(", "),
    );
    for c in chains {
        let chain_id = if wrong_id_for == Some(c.name) {
            c.chain_id + 1
        } else {
            c.chain_id
        };
        toml.push_str(&format!(
            r#"
[[chains]]
name = "{name}"
kind = "evm"
chain_id = {chain_id}
native = "ETH"
defillama = "{llama}"
explorer = "https://{name}.explorer.example/address/{{address}}"
explorer_block = "https://{name}.explorer.example/block/{{height}}"

[[chains.endpoints]]
kind = "jsonrpc"
url = "{url}/?apikey=s3cr3tk3y"
"#,
            name = c.name,
            llama = if c.name == "ethereum" {
                "ethereum"
            } else {
                c.name
            },
            url = c.node.url(),
        ));
    }
    toml.push_str(
        r#"
[output]
snapshots = "snapshots"
site = "public"
private = "private"
"#,
    );
    std::fs::write(d.join("por.toml"), toml).unwrap();
    std::fs::write(
        d.join("liabilities.csv"),
        "uid,BTC,ETH,USDT\nalice,0.01,7,2000\nbob,0.005,3,1000\n",
    )
    .unwrap();
    let hot = signer().address();
    let mut wallets = String::from("chain,address,label,scheme,signature,script\n");
    wallets.push_str(&demo_bitcoin_rows());
    for c in chains {
        wallets.push_str(&format!(
            "{name},{hot},hot,eip191,{sig},\n{name},{claimed},claimed,none,,\n",
            name = c.name,
            sig = sign(hot),
            claimed = claimed(),
        ));
    }
    std::fs::write(d.join("wallets.csv"), wallets).unwrap();
}

fn json(path: &Path) -> Value {
    serde_json::from_slice(
        &std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap()
}

fn start_chains() -> Vec<Chain> {
    let hot = signer().address();
    vec![
        chain("ethereum", 1, 0, hot, 4 * ETH, 1_000_000_000),
        chain("arbitrum", 42161, 1, hot, 2 * ETH, 2_000_000_000),
        chain("base", 8453, 2, hot, 6 * ETH, 500_000_000),
    ]
}

#[test]
fn bitcoin_and_three_evm_chains_publish_one_total_per_asset_split_per_chain() {
    let chains = start_chains();
    let tokens: Vec<Address> = chains.iter().map(|c| c.token).collect();
    assert!(
        tokens[0] != tokens[1] && tokens[1] != tokens[2],
        "{tokens:?}"
    );
    let (btc_server, btc_total) = start_bitcoin();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_case(d, &btc_server.url(), &chains, None);

    let as_of = Timestamp(AS_OF).to_rfc3339();
    let o = run(d, &["--id", ID, "--as-of", &as_of]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{stderr}\n{stdout}");

    let snap = d.join("snapshots").join(ID);
    let manifest = json(&snap.join("manifest.json"));
    let mc = &manifest["chains"];
    assert_eq!(mc["bitcoin"]["network"], "mainnet");
    assert_eq!(mc["bitcoin"]["height"], BTC_HEIGHT);
    assert_eq!(
        mc["bitcoin"]["block_hash"],
        por::bench::esplora::Blocks::hash(BTC_HEIGHT)
    );
    assert!(mc["bitcoin"].get("kind").is_none());
    for c in &chains {
        let e = &mc[c.name];
        assert_eq!(e["kind"], "evm", "{}", c.name);
        assert_eq!(e["chain_id"], c.chain_id, "{}", c.name);
        assert_eq!(e["height"], c.height, "{}", c.name);
        assert_eq!(e["block_hash"], c.node.block_hash(c.height).to_string());
    }
    assert_eq!(mc.as_object().unwrap().len(), 4);

    // One total per asset: every chain's verified holdings at its own snapshot block
    // (hot: 4 + 2 + 6 ETH, 1000 + 2000 + 500 USDT), not the later balances.
    let asset = |sym: &str| {
        manifest["assets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["symbol"] == sym)
            .unwrap()
            .clone()
    };
    assert_eq!(asset("ETH")["reserves"], (12 * ETH).to_string());
    assert_eq!(asset("ETH")["unproven_reserves"], "0");
    assert_eq!(asset("USDT")["reserves"], "3500000000");
    assert_eq!(asset("USDT")["unproven_reserves"], "3000000");
    assert_eq!(asset("ETH")["reserve_ratio"], "1.2000");
    assert_eq!(asset("USDT")["reserve_ratio"], "1.1666");

    // The custodian is published apart, and not in the reserves or the ratio.
    let btc = asset("BTC");
    assert_eq!(btc["custodial_reserves"], "25050000000");
    assert_eq!(
        btc["custodians"],
        serde_json::json!([{"name": "Example Trust Co.", "amount": "25050000000",
                            "attestation_sha256": ATTESTATION}])
    );
    assert!(asset("ETH").get("custodial_reserves").is_none());

    let list = json(&snap.join("addresses.json"));
    assert_eq!(list["chains"], manifest["chains"]);
    let entries = list["addresses"].as_array().unwrap();
    let btc_verified: u128 = entries
        .iter()
        .filter(|e| e["chain"] == "bitcoin" && e["ownership"]["verified"] == true)
        .map(|e| {
            e["holdings"][0]["amount"]
                .as_str()
                .unwrap()
                .parse::<u128>()
                .unwrap()
        })
        .sum();
    // Every demo row is signed: all of it at the snapshot block, none of the later spends.
    assert_eq!(btc_verified, btc_total);
    assert_eq!(btc["reserves"], btc_verified.to_string());
    let ratio =
        |r: u128, l: u128| format!("{}.{:04}", r * 10_000 / l / 10_000, r * 10_000 / l % 10_000);
    assert_eq!(btc["reserve_ratio"], ratio(btc_verified, 1_500_000));
    for c in &chains {
        let hot = entries
            .iter()
            .find(|e| e["chain"] == c.name && e["label"] == "hot")
            .unwrap_or_else(|| panic!("no hot row on {}", c.name));
        assert_eq!(hot["ownership"]["verified"], true);
        assert_eq!(hot["holdings"][0]["asset"], "ETH");
        assert!(hot["holdings"][0].get("contract").is_none());
        assert_eq!(hot["holdings"][1]["asset"], "USDT");
        assert_eq!(hot["holdings"][1]["contract"], c.token.to_string());
    }
    let hot_usdt: Vec<&str> = entries
        .iter()
        .filter(|e| e["label"] == "hot" && e["chain"] != "bitcoin")
        .map(|e| e["holdings"][1]["amount"].as_str().unwrap())
        .collect();
    assert_eq!(hot_usdt, ["1000000000", "2000000000", "500000000"]);

    // addresses.csv: each row at its own chain's height.
    let csv_text = std::fs::read_to_string(snap.join("addresses.csv")).unwrap();
    let mut rdr = csv::Reader::from_reader(csv_text.as_bytes());
    let mut rows = 0;
    for rec in rdr.records() {
        let rec = rec.unwrap();
        let height = mc[&rec[0]]["height"].as_u64().unwrap();
        assert_eq!(rec[7].parse::<u64>().unwrap(), height, "{rec:?}");
        if let Some(c) = chains.iter().find(|c| c.name == &rec[0])
            && &rec[3] == "USDT"
        {
            assert_eq!(&rec[4], c.token.to_string());
        }
        rows += 1;
    }
    assert!(rows >= 12, "{rows} rows");

    // defillama.json: one key per chain, tokens per chain, only verified owners.
    let llama = json(&snap.join("defillama.json"));
    let mut keys: Vec<&String> = llama.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, ["arbitrum", "base", "bitcoin", "ethereum"]);
    for c in &chains {
        assert_eq!(
            llama[c.name]["owners"],
            serde_json::json!([signer().address().to_string()])
        );
        assert_eq!(
            llama[c.name]["tokens"],
            serde_json::json!([c.token.to_string()])
        );
    }

    // The site: every chain's block with its explorer, the custodian apart.
    let index = std::fs::read_to_string(d.join("public/index.html")).unwrap();
    for c in &chains {
        assert!(
            index.contains(&format!(
                "https://{}.explorer.example/block/{}",
                c.name, c.height
            )),
            "{} block link",
            c.name
        );
        assert!(index.contains(&format!("chain id {}", c.chain_id)));
    }
    assert!(index.contains("Example Trust Co."));
    assert!(index.contains(ATTESTATION));
    let page = std::fs::read_to_string(d.join("public/addresses.html")).unwrap();
    assert!(page.contains(&format!(
        "https://arbitrum.explorer.example/address/{}",
        signer().address()
    )));
}

#[test]
fn a_node_on_another_chain_id_stops_the_run_and_publishes_nothing() {
    let chains = start_chains();
    let (btc_server, _) = start_bitcoin();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_case(d, &btc_server.url(), &chains, Some("arbitrum"));
    let as_of = Timestamp(AS_OF).to_rfc3339();
    let o = run(d, &["--id", ID, "--as-of", &as_of]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let line = error_line(&o);
    let url = chains[1].node.url();
    assert!(
        line.contains(&format!(
            "chain arbitrum: {url}/?***: eth_chainId is 42161, but the config says chain_id = 42162"
        )),
        "{line}"
    );
    assert!(!String::from_utf8_lossy(&o.stderr).contains("s3cr3tk3y"));
    assert!(!d.join("snapshots").join(ID).exists());
    assert!(!d.join("public/index.html").exists());
}
