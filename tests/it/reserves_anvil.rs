//! `por run` end to end against a real Ethereum dev node (anvil): a real ERC-20, an
//! EOA proving ownership with EIP-191, a contract wallet proving it with EIP-1271, an
//! unproven address, and funds moved *after* the snapshot block. The published
//! reserves must be what the chain held at the snapshot block, not at the tip.

use crate::support::anvil;

use alloy::primitives::{Address, B256, U256};
use alloy::signers::SignerSync;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::{SolCall, SolValue, sol};
use anvil::{Anvil, DEPLOYER, GENESIS_TIME};
use por::time::Timestamp;
use std::process::Command;

sol! {
    #![sol(alloy_sol_types = alloy::sol_types)]
    function mint(address to, uint256 value) external;
    function transfer(address to, uint256 value) external returns (bool);
}

const ETH: u128 = 1_000_000_000_000_000_000;
const EXCHANGE: &str = "Anvil Exchange";
const ID: &str = "2023-11-14";

fn message(address: Address) -> String {
    por::ownership::message(EXCHANGE, ID, &address.to_string())
}

#[test]
fn por_run_reports_reserves_at_the_snapshot_block() {
    let node = Anvil::start();
    let hot = PrivateKeySigner::from_bytes(&B256::repeat_byte(0x51)).unwrap();
    let wallet_owner = PrivateKeySigner::from_bytes(&B256::repeat_byte(0x52)).unwrap();
    let claimed: Address = "0x3333333333333333333333333333333333333333"
        .parse()
        .unwrap();
    let token = node.deploy(
        "TestToken",
        &("Test USD".to_string(), "TUSD".to_string()).abi_encode_params(),
    );
    let contract_wallet = node.deploy("OwnerWallet1271", &wallet_owner.address().abi_encode());
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
    node.send(DEPLOYER, Some(hot.address()), U256::from(2 * ETH), &[]);
    node.send(DEPLOYER, Some(claimed), U256::from(ETH), &[]);
    mint(hot.address(), 1_000_000_000); // 1000 TUSD
    mint(contract_wallet, 500_000_000); // 500 TUSD

    // The snapshot block at T; as_of falls between it and the next block.
    let t = GENESIS_TIME + 10_000;
    let h = node.mine_at(t);
    let as_of = Timestamp(t + 30);
    node.impersonate(hot.address());
    node.set_next_timestamp(t + 60);
    node.send(
        hot.address(),
        Some(token),
        U256::ZERO,
        &transferCall {
            to: claimed,
            value: U256::from(900_000_000u64),
        }
        .abi_encode(),
    );
    node.set_next_timestamp(t + 120);
    node.send(hot.address(), Some(claimed), U256::from(ETH), &[]);
    node.set_next_timestamp(t + 180);
    mint(contract_wallet, 7_000_000);
    node.mine_at(t + 240);

    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name);
    std::fs::write(
        p("por.toml"),
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
timeout_secs = 10
attempts = 2
[chains.ethereum]
chain_id = 31337
[[chains.ethereum.endpoints]]
kind = "jsonrpc"
url = "{url}"
[output]
snapshots = "snapshots"
site = "public"
private = "private"
"#,
            url = node.url()
        ),
    )
    .unwrap();
    std::fs::write(
        p("liabilities.csv"),
        "uid,TUSD,ETH\nalice,1000,1\nbob,400,0.5\ncarol,0,0\n",
    )
    .unwrap();
    let sign = |signer: &PrivateKeySigner, address: Address| {
        format!(
            "0x{}",
            hex::encode(
                signer
                    .sign_message_sync(message(address).as_bytes())
                    .unwrap()
                    .as_bytes()
            )
        )
    };
    std::fs::write(
        p("wallets.csv"),
        format!(
            "chain,address,label,scheme,signature,script\n\
             ethereum,{},hot,eip191,{},\n\
             ethereum,{},cold (contract wallet),eip1271,{},\n\
             ethereum,{},claimed,none,,\n",
            hot.address(),
            sign(&hot, hot.address()),
            contract_wallet,
            sign(&wallet_owner, contract_wallet),
            claimed,
        ),
    )
    .unwrap();

    let out = Command::new(env!("CARGO_BIN_EXE_por"))
        .args([
            "run",
            "--config",
            "por.toml",
            "--id",
            ID,
            "--as-of",
            &as_of.to_rfc3339(),
            "--json",
        ])
        .current_dir(dir.path())
        .env("POR_LOG", "warn")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["exit_code"], 0);

    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(p(&format!("snapshots/{ID}/manifest.json"))).unwrap(),
    )
    .unwrap();
    let chain = &manifest["chains"]["ethereum"];
    assert_eq!(chain["chain_id"], 31337);
    assert_eq!(chain["height"], h);
    assert_eq!(chain["block_hash"], format!("{}", node.block_hash(h)));
    let assets = &manifest["assets"];
    // At the snapshot block: hot 2 ETH + 1000 TUSD, contract wallet 500 TUSD (both
    // proven), the claimed address 1 ETH (unproven). The later moves are not counted.
    assert_eq!(assets[0]["symbol"], "ETH");
    assert_eq!(assets[0]["liabilities"], (3 * ETH / 2).to_string());
    assert_eq!(assets[0]["reserves"], (2 * ETH).to_string());
    assert_eq!(assets[0]["unproven_reserves"], ETH.to_string());
    assert_eq!(assets[0]["reserve_ratio"], "1.3333");
    assert_eq!(assets[1]["reserves"], "1500000000");
    assert_eq!(assets[1]["unproven_reserves"], "0");
    assert_eq!(assets[1]["reserve_ratio"], "1.0714");

    let list: serde_json::Value = serde_json::from_slice(
        &std::fs::read(p(&format!("snapshots/{ID}/addresses.json"))).unwrap(),
    )
    .unwrap();
    let entries = list["addresses"].as_array().unwrap();
    let verified: Vec<bool> = entries
        .iter()
        .map(|e| e["ownership"]["verified"].as_bool().unwrap())
        .collect();
    assert_eq!(verified, [true, true, false]);
    assert_eq!(entries[1]["holdings"][1]["amount"], "500000000");
    assert_eq!(entries[1]["holdings"][1]["contract"], token.to_string());
    assert_eq!(entries[0]["ownership"]["message"], message(hot.address()));
    assert!(p("public/index.html").exists());

    // A proof from this run verifies against the published manifest.
    let proof = Command::new(env!("CARGO_BIN_EXE_por"))
        .args(["proof", "--config", "por.toml", "--id", ID, "--uid", "bob"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(proof.status.code(), Some(0));
    std::fs::write(p("bob.json"), &proof.stdout).unwrap();
    let verify = Command::new(env!("CARGO_BIN_EXE_por"))
        .args([
            "verify",
            "--proof",
            "bob.json",
            "--manifest",
            &format!("snapshots/{ID}/manifest.json"),
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        verify.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
}
