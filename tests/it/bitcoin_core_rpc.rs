//! The Bitcoin Core JSON-RPC backend against a local HTTP server answering like Core
//! (fixtures in `tests/data/bitcoin/core-rpc/`, shapes from Core's RPC help text).

use crate::support::http_server;

use std::path::PathBuf;
use std::time::Duration;

use bitcoin::address::NetworkUnchecked;
use bitcoin::{Address, Network};
use http_server::{Reply, Route, TestServer};
use por::chains::bitcoind::{BitcoindConfig, BitcoindRpc, RpcAuth};
use por::chains::{BitcoinBackend, BlockRef, ChainError, OutputAt, RetryPolicy};

const SNAPSHOT_HASH: &str = "000000000000000000012dcb9ac0025c87d87d09268ef25496624b0c02eea8c3";
const ADDRESS: &str = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4";

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/bitcoin/core-rpc")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Core's reply from a fixture file, with the fixture's `"id":1` (Core writes `id`
/// last) replaced by the id of the request, as Core echoes it.
fn rpc(status: u16, name: &str) -> Reply {
    let text = fixture(name);
    Reply::from_request(move |request| {
        let id = serde_json::from_str::<serde_json::Value>(&request.body).unwrap()["id"].clone();
        let cut = text
            .rfind(r#","id":1}"#)
            .expect("fixture ends with \"id\":1}");
        Reply::json(
            status,
            format!(r#"{},"id":{id}}}{}"#, &text[..cut], &text[cut + 8..]),
        )
    })
}

fn on(server: &TestServer, method: &str, replies: impl IntoIterator<Item = Reply>) -> Route {
    server.route_body("POST", "/", &format!(r#""method":"{method}""#), replies)
}

fn node(server: &TestServer, auth: RpcAuth) -> BitcoindRpc {
    BitcoindRpc::new(BitcoindConfig {
        url: server.url(),
        auth,
        timeout: Duration::from_secs(5),
        retry: RetryPolicy {
            attempts: 4,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
        },
    })
    .unwrap()
}

fn user_pass() -> RpcAuth {
    RpcAuth::UserPass {
        user: "por".into(),
        password: "secret".into(),
    }
}

fn address() -> Address {
    ADDRESS
        .parse::<Address<NetworkUnchecked>>()
        .unwrap()
        .require_network(Network::Bitcoin)
        .unwrap()
}

fn snapshot() -> BlockRef {
    BlockRef {
        height: 870000,
        hash: SNAPSHOT_HASH.into(),
        time: 1736000000,
    }
}

fn body(request: &http_server::Request) -> serde_json::Value {
    serde_json::from_str(&request.body).unwrap()
}

#[test]
fn tip_and_block_at_speak_json_rpc_1_0() {
    let server = TestServer::start();
    on(&server, "getblockcount", [rpc(200, "getblockcount.json")]);
    on(
        &server,
        "getblockhash",
        [rpc(200, "getblockhash-870000.json")],
    );
    on(
        &server,
        "getblockheader",
        [rpc(200, "getblockheader-870000.json")],
    );
    let node = node(&server, user_pass());
    assert_eq!(node.tip_height().unwrap(), 870010);
    assert_eq!(node.block_at(870000).unwrap(), snapshot());

    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    for r in &requests {
        assert_eq!(r.method, "POST");
        assert_eq!(body(r)["jsonrpc"], "1.0");
        // base64("por:secret")
        assert_eq!(r.header("authorization"), Some("Basic cG9yOnNlY3JldA=="));
    }
    assert_eq!(body(&requests[0])["params"], serde_json::json!([]));
    assert_eq!(body(&requests[1])["params"], serde_json::json!([870000]));
    assert_eq!(
        body(&requests[2])["params"],
        serde_json::json!([SNAPSHOT_HASH, true])
    );
    assert!(server.unmatched().is_empty());
}

#[test]
fn balance_is_the_utxo_set_at_the_snapshot_block() {
    let server = TestServer::start();
    on(
        &server,
        "scantxoutset",
        [rpc(200, "scantxoutset-at-snapshot.json")],
    );
    let node = node(&server, user_pass());
    assert_eq!(
        node.balance_at(&address(), &snapshot()).unwrap(),
        90_010_935
    );
    assert_eq!(
        body(&server.requests()[0])["params"],
        serde_json::json!(["start", [format!("addr({ADDRESS})")]])
    );
}

#[test]
fn amounts_with_8_decimals_are_parsed_exactly() {
    let server = TestServer::start();
    let scan = on(
        &server,
        "scantxoutset",
        [
            rpc(200, "scantxoutset-8-decimals.json"),
            rpc(200, "scantxoutset-empty.json"),
        ],
    );
    let node = node(&server, user_pass());
    // 0.00000001 + 20999999.97689999 = 20999999.97690000 BTC, to the satoshi.
    assert_eq!(
        node.balance_at(&address(), &snapshot()).unwrap(),
        2_099_999_997_690_000
    );
    assert_eq!(node.balance_at(&address(), &snapshot()).unwrap(), 0);
    assert_eq!(server.hits(scan), 2);
}

#[test]
fn utxo_set_past_the_snapshot_block_is_refused_not_approximated() {
    let server = TestServer::start();
    let scan = on(
        &server,
        "scantxoutset",
        [rpc(200, "scantxoutset-tip-moved.json")],
    );
    let err = node(&server, user_pass())
        .balance_at(&address(), &snapshot())
        .unwrap_err();
    assert!(matches!(err, ChainError::Unsupported { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("tip moved past the snapshot block"), "{msg}");
    assert!(msg.contains("esplora"), "{msg}");
    assert!(msg.contains("870010"), "{msg}");
    assert_eq!(server.hits(scan), 1);
}

#[test]
fn total_that_disagrees_with_the_unspents_is_malformed() {
    let server = TestServer::start();
    on(
        &server,
        "scantxoutset",
        [rpc(200, "scantxoutset-total-mismatch.json")],
    );
    let err = node(&server, user_pass())
        .balance_at(&address(), &snapshot())
        .unwrap_err();
    assert!(matches!(err, ChainError::Malformed { .. }), "{err}");
}

#[test]
fn rpc_error_on_http_500_is_definite() {
    let server = TestServer::start();
    let route = on(
        &server,
        "getblockhash",
        [rpc(500, "error-block-height-out-of-range.json")],
    );
    let err = node(&server, user_pass()).block_at(99_999_999).unwrap_err();
    assert!(matches!(err, ChainError::Rpc { .. }), "{err}");
    assert!(!err.is_transient());
    let msg = err.to_string();
    assert!(
        msg.contains("rpc error -8: Block height out of range"),
        "{msg}"
    );
    assert_eq!(server.hits(route), 1);
}

#[test]
fn method_not_found_on_http_404_is_definite() {
    let server = TestServer::start();
    let route = on(
        &server,
        "getblockcount",
        [rpc(404, "error-method-not-found.json")],
    );
    let err = node(&server, user_pass()).tip_height().unwrap_err();
    assert!(matches!(err, ChainError::Rpc { .. }), "{err}");
    assert_eq!(server.hits(route), 1);
}

#[test]
fn unauthorized_is_a_clear_auth_error_and_not_retried() {
    let server = TestServer::start();
    // Core answers a bad password with 401, an empty body and this header.
    let route = on(
        &server,
        "getblockcount",
        [Reply::text(401, "").header("WWW-Authenticate", "Basic realm=\"jsonrpc\"")],
    );
    let err = node(&server, user_pass()).tip_height().unwrap_err();
    assert!(matches!(err, ChainError::Http { status: 401, .. }), "{err}");
    assert!(!err.is_transient());
    assert!(err.to_string().contains("authentication failed"), "{err}");
    assert_eq!(server.hits(route), 1);
}

#[test]
fn warming_up_is_retried_until_the_node_answers() {
    let server = TestServer::start();
    let route = on(
        &server,
        "getblockcount",
        [
            rpc(503, "error-warming-up.json"),
            rpc(500, "error-warming-up.json"),
            rpc(200, "getblockcount.json"),
        ],
    );
    assert_eq!(node(&server, user_pass()).tip_height().unwrap(), 870010);
    assert_eq!(server.hits(route), 3);
}

#[test]
fn warming_up_for_too_long_is_a_transient_failure() {
    let server = TestServer::start();
    let route = on(
        &server,
        "getblockcount",
        [rpc(503, "error-warming-up.json")],
    );
    let err = node(&server, user_pass()).tip_height().unwrap_err();
    assert!(err.is_transient(), "{err}");
    assert!(err.to_string().contains("warming up"), "{err}");
    assert_eq!(server.hits(route), 4);
}

#[test]
fn busy_node_without_json_body_is_retried() {
    let server = TestServer::start();
    let route = on(
        &server,
        "getblockcount",
        [
            Reply::text(503, "Work queue depth exceeded"),
            rpc(200, "getblockcount.json"),
        ],
    );
    assert_eq!(node(&server, user_pass()).tip_height().unwrap(), 870010);
    assert_eq!(server.hits(route), 2);
}

#[test]
fn response_for_another_request_id_is_malformed() {
    let server = TestServer::start();
    on(
        &server,
        "getblockcount",
        [Reply::json(200, r#"{"result":1,"error":null,"id":424242}"#)],
    );
    let err = node(&server, user_pass()).tip_height().unwrap_err();
    assert!(matches!(err, ChainError::Malformed { .. }), "{err}");
}

#[test]
fn cookie_file_is_read_for_each_call() {
    let server = TestServer::start();
    on(&server, "getblockcount", [rpc(200, "getblockcount.json")]);
    let dir = tempfile::tempdir().unwrap();
    let cookie = dir.path().join(".cookie");
    std::fs::write(&cookie, "__cookie__:abc123").unwrap();
    let node = node(&server, RpcAuth::CookieFile(cookie.clone()));
    node.tip_height().unwrap();
    std::fs::write(&cookie, "__cookie__:def456").unwrap(); // node restarted
    node.tip_height().unwrap();
    let auth: Vec<_> = server
        .requests()
        .iter()
        .map(|r| r.header("authorization").unwrap().to_string())
        .collect();
    // base64("__cookie__:abc123"), base64("__cookie__:def456")
    assert_eq!(
        auth,
        [
            "Basic X19jb29raWVfXzphYmMxMjM=",
            "Basic X19jb29raWVfXzpkZWY0NTY="
        ]
    );

    std::fs::remove_file(&cookie).unwrap();
    let err = node.tip_height().unwrap_err();
    assert!(!err.is_transient());
    assert!(err.to_string().contains(".cookie"), "{err}");
}

/// A JSON-RPC 1.0 reply whose `result` is the JSON text `raw` (amounts stay as
/// written), echoing the request's id.
fn result(raw: impl Into<String>) -> Reply {
    let raw = raw.into();
    Reply::from_request(move |request| {
        let id = body(request)["id"].clone();
        Reply::json(200, format!(r#"{{"result":{raw},"error":null,"id":{id}}}"#))
    })
}

/// BIP-127 inputs through `gettxout` (shape from Core's `help gettxout`): the output
/// at the tip when the tip is the snapshot block, `null` (spent or unknown) as
/// "not in the utxo set", never the mempool's view.
#[test]
fn gettxout_reads_one_output_at_the_snapshot_tip() {
    let server = TestServer::start();
    on(&server, "getblockcount", [result("870000")]);
    on(
        &server,
        "getblockhash",
        [rpc(200, "getblockhash-870000.json")],
    );
    on(
        &server,
        "getblockheader",
        [rpc(200, "getblockheader-870000.json")],
    );
    let spk = address().script_pubkey();
    let gettxout = on(
        &server,
        "gettxout",
        [
            // Core writes BTC amounts with 8 decimals: kept as that exact text.
            result(format!(
                r#"{{"bestblock":"{SNAPSHOT_HASH}","confirmations":11,"value":0.00070001,"scriptPubKey":{{"asm":"","desc":"","hex":"{}","address":"{ADDRESS}","type":"witness_v0_keyhash"}},"coinbase":false}}"#,
                spk.to_hex_string()
            )),
            result("null"),
        ],
    );
    let node = node(&server, user_pass());
    let txid = "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b";
    let outpoint = bitcoin::OutPoint::new(txid.parse().unwrap(), 1);
    assert_eq!(
        node.output_at(&outpoint, &snapshot()).unwrap(),
        OutputAt::Unspent {
            txout: bitcoin::TxOut {
                value: bitcoin::Amount::from_sat(70_001),
                script_pubkey: spk
            },
            height: 869_990,
        }
    );
    assert_eq!(
        node.output_at(&outpoint, &snapshot()).unwrap(),
        OutputAt::NotInUtxoSet
    );
    let asked: Vec<_> = server
        .requests()
        .iter()
        .map(body)
        .filter(|b| b["method"] == "gettxout")
        .map(|b| b["params"].clone())
        .collect();
    assert_eq!(asked, vec![serde_json::json!([txid, 1, false]); 2]);
    assert_eq!(server.hits(gettxout), 2);
}
