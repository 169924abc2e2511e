//! `BitcoindRpc` against a real `bitcoind -regtest`, when `BITCOIND_EXE` points at one.
//!
//! This is the one conditional test of the chain backends: it is `#[ignore]`d (reported
//! as ignored, never as passed) because no bitcoind can be installed from the package
//! registries this project builds from; `scripts/test-all.sh` runs it with `--ignored`
//! when `BITCOIND_EXE` is set, and then a missing binary is a failure. With it, the node
//! gets a temporary datadir and a free RPC port,
//! a wallet mines 101 blocks (coinbase maturity), sends 1.23456789 BTC to a fresh
//! address, mines it, and the backend must read exactly 123,456,789 sat at the tip —
//! and refuse to read at the previous block, whose UTXO set the node no longer has.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bitcoin::address::NetworkUnchecked;
use bitcoin::{Address, Network};
use por::chains::bitcoind::{BitcoindConfig, BitcoindRpc, RpcAuth};
use por::chains::{BitcoinBackend, ChainError, RetryPolicy};
use serde_json::json;

/// Stops the node when the test ends, even on panic.
struct Node {
    child: Child,
    _datadir: tempfile::TempDir,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn regtest_address(s: &str) -> Address {
    s.parse::<Address<NetworkUnchecked>>()
        .unwrap()
        .require_network(Network::Regtest)
        .unwrap()
}

#[test]
#[ignore = "needs a real bitcoind: set BITCOIND_EXE (scripts/test-all.sh then runs it)"]
fn regtest_balance_at_tip() {
    let exe = std::env::var_os("BITCOIND_EXE")
        .expect("BITCOIND_EXE must point at a bitcoind binary for this test");
    let datadir = tempfile::tempdir().unwrap();
    let rpc_port = free_port();
    let child = Command::new(&exe)
        .arg(format!("-datadir={}", datadir.path().display()))
        .args([
            "-regtest",
            "-server",
            "-listen=0",
            "-rpcuser=por",
            "-rpcpassword=regtest",
            "-rpcbind=127.0.0.1",
            "-rpcallowip=127.0.0.1",
            "-fallbackfee=0.0002",
            "-printtoconsole=0",
        ])
        .arg(format!("-rpcport={rpc_port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", exe.to_string_lossy()));
    let _node = Node {
        child,
        _datadir: datadir,
    };

    let rpc = BitcoindRpc::new(BitcoindConfig {
        url: format!("http://127.0.0.1:{rpc_port}"),
        auth: RpcAuth::UserPass {
            user: "por".into(),
            password: "regtest".into(),
        },
        timeout: Duration::from_secs(30),
        retry: RetryPolicy {
            attempts: 3,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(500),
        },
    })
    .unwrap();

    // Connection refused and -28 (warming up) are transient; wait for the node.
    let started = Instant::now();
    loop {
        match rpc.tip_height() {
            Ok(0) => break,
            Ok(h) => panic!("fresh regtest chain at height {h}"),
            Err(e) if e.is_transient() && started.elapsed() < Duration::from_secs(60) => {
                std::thread::sleep(Duration::from_millis(200));
            }
            Err(e) => panic!("bitcoind did not come up: {e}"),
        }
    }

    let _: serde_json::Value = rpc.call("createwallet", json!(["por"])).unwrap();
    let miner: String = rpc.call("getnewaddress", json!([])).unwrap();
    let _: Vec<String> = rpc.call("generatetoaddress", json!([101, miner])).unwrap();
    let receiver: String = rpc
        .call("getnewaddress", json!(["receiver", "bech32"]))
        .unwrap();
    let unused: String = rpc.call("getnewaddress", json!([])).unwrap();
    // Amounts are sent as a string, which Core accepts, so no float is involved.
    let _txid: String = rpc
        .call("sendtoaddress", json!([receiver, "1.23456789"]))
        .unwrap();
    let _: Vec<String> = rpc.call("generatetoaddress", json!([1, miner])).unwrap();

    let tip = rpc.tip_height().unwrap();
    assert_eq!(tip, 102);
    let at = rpc.block_at(tip).unwrap();
    assert_eq!(
        rpc.balance_at(&regtest_address(&receiver), &at).unwrap(),
        123_456_789
    );
    assert_eq!(rpc.balance_at(&regtest_address(&unused), &at).unwrap(), 0);

    // The UTXO set is at the tip: a snapshot at the previous block is refused.
    let previous = rpc.block_at(tip - 1).unwrap();
    let err = rpc
        .balance_at(&regtest_address(&receiver), &previous)
        .unwrap_err();
    assert!(matches!(err, ChainError::Unsupported { .. }), "{err}");

    let _: serde_json::Value = rpc.call("stop", json!([])).unwrap();
}
