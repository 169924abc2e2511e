//! The Esplora backend against a local HTTP server serving Esplora-shaped responses
//! from `tests/data/bitcoin/esplora/` (see the README there for where the shapes come
//! from).

use crate::support::http_server;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use bitcoin::address::NetworkUnchecked;
use bitcoin::{Address, Network};
use http_server::{Reply, TestServer};
use por::chains::esplora::{Esplora, EsploraConfig};
use por::chains::{BitcoinBackend, BlockRef, ChainError, OutputAt, RetryPolicy};

fn data(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/bitcoin/esplora")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn json(name: &str) -> serde_json::Value {
    serde_json::from_str(&data(name)).unwrap()
}

fn retry(attempts: u32) -> RetryPolicy {
    RetryPolicy {
        attempts,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(2),
    }
}

fn esplora(url: &str) -> Esplora {
    Esplora::new(EsploraConfig {
        url: url.to_string(),
        timeout: Duration::from_secs(5),
        retry: retry(4),
    })
    .unwrap()
}

fn address(s: &str) -> Address {
    s.parse::<Address<NetworkUnchecked>>()
        .unwrap()
        .require_network(Network::Bitcoin)
        .unwrap()
}

/// The synthetic 57-transaction history of `history-3-pages/`, served under `/api`.
struct History {
    server: TestServer,
    expected: serde_json::Value,
    pages: Vec<http_server::Route>,
    block_height: http_server::Route,
}

impl History {
    /// Serves the pages; `hash_at_snapshot` scripts `/block-height/870000`.
    fn serve(hash_at_snapshot: Vec<Reply>) -> History {
        let server = TestServer::start();
        let expected = json("history-3-pages/expected.json");
        let addr = expected["address"].as_str().unwrap();
        let cursors = expected["pages"].as_array().unwrap();
        let mut pages = Vec::new();
        for n in 1..=4 {
            let path = match n {
                1 => format!("/api/address/{addr}/txs/chain"),
                _ => format!(
                    "/api/address/{addr}/txs/chain/{}",
                    cursors[n - 2].as_str().unwrap()
                ),
            };
            let body = data(&format!("history-3-pages/page-{n}.json"));
            pages.push(server.route("GET", &path, [Reply::json(200, body)]));
        }
        let block_height = server.route("GET", "/api/block-height/870000", hash_at_snapshot);
        History {
            server,
            expected,
            pages,
            block_height,
        }
    }

    fn snapshot(&self) -> BlockRef {
        block_ref(&self.expected["snapshot"])
    }

    fn address(&self) -> Address {
        address(self.expected["address"].as_str().unwrap())
    }
}

fn block_ref(v: &serde_json::Value) -> BlockRef {
    BlockRef {
        height: v["height"].as_u64().unwrap(),
        hash: v["hash"].as_str().unwrap().to_string(),
        time: v["time"].as_u64().unwrap(),
    }
}

#[test]
fn tip_and_block_at_read_hash_then_block() {
    let server = TestServer::start();
    let genesis = "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f";
    server.route("GET", "/api/blocks/tip/height", [Reply::ok("870010")]);
    server.route("GET", "/api/block-height/0", [Reply::ok(genesis)]);
    server.route(
        "GET",
        &format!("/api/block/{genesis}"),
        [Reply::json(200, data("block-genesis.json"))],
    );
    let esplora = esplora(&format!("{}/api/", server.url()));
    assert_eq!(esplora.tip_height().unwrap(), 870010);
    assert_eq!(
        esplora.block_at(0).unwrap(),
        BlockRef {
            height: 0,
            hash: genesis.into(),
            time: 1231006505
        }
    );
    assert!(server.unmatched().is_empty(), "{:?}", server.unmatched());
}

#[test]
fn balance_walks_every_page_and_counts_confirmed_history_up_to_the_snapshot() {
    let h = History::serve(vec![Reply::ok(
        json("history-3-pages/expected.json")["snapshot"]["hash"]
            .as_str()
            .unwrap(),
    )]);
    let esplora = esplora(&format!("{}/api", h.server.url()));
    let balance = esplora.balance_at(&h.address(), &h.snapshot()).unwrap();
    assert_eq!(
        balance.to_string(),
        h.expected["balance_at_snapshot"].as_str().unwrap()
    );
    assert_eq!(balance, 90_062_160);
    for page in &h.pages {
        assert_eq!(h.server.hits(*page), 1);
    }
    // Checked before and after the walk.
    assert_eq!(h.server.hits(h.block_height), 2);
    assert!(
        h.server.unmatched().is_empty(),
        "{:?}",
        h.server.unmatched()
    );
}

#[test]
fn balance_at_an_earlier_block_ignores_everything_after_it() {
    let h = History::serve(vec![Reply::ok("unused")]);
    let early = block_ref(&h.expected["early"]);
    h.server.route(
        "GET",
        "/api/block-height/869150",
        [Reply::ok(early.hash.clone())],
    );
    let esplora = esplora(&format!("{}/api", h.server.url()));
    let balance = esplora.balance_at(&h.address(), &early).unwrap();
    assert_eq!(
        balance.to_string(),
        h.expected["balance_at_early"].as_str().unwrap()
    );
    assert_eq!(balance, 150_000_000);
}

#[test]
fn block_hash_changing_during_the_walk_is_a_reorg() {
    let snapshot = json("history-3-pages/expected.json")["snapshot"]["hash"]
        .as_str()
        .unwrap()
        .to_string();
    let replaced = format!("00000000000000000002{}", &snapshot[20..]);
    let h = History::serve(vec![
        Reply::ok(snapshot.clone()),
        Reply::ok(replaced.clone()),
    ]);
    let esplora = esplora(&format!("{}/api", h.server.url()));
    let err = esplora.balance_at(&h.address(), &h.snapshot()).unwrap_err();
    match &err {
        ChainError::Reorg {
            height,
            before,
            after,
            ..
        } => {
            assert_eq!(*height, 870000);
            assert_eq!(before, &snapshot);
            assert_eq!(after, &replaced);
        }
        other => panic!("expected a reorg, got {other}"),
    }
    assert!(!err.is_transient());
}

#[test]
fn snapshot_block_the_server_does_not_know_is_a_reorg() {
    // The server's chain has another block at 870000 than the snapshot: refused
    // before reading any history.
    let h = History::serve(vec![Reply::ok(
        "00000000000000000003aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    )]);
    let esplora = esplora(&format!("{}/api", h.server.url()));
    let err = esplora.balance_at(&h.address(), &h.snapshot()).unwrap_err();
    assert!(matches!(err, ChainError::Reorg { .. }), "{err}");
    assert_eq!(h.server.hits(h.pages[0]), 0);
}

#[test]
fn transaction_confirmed_in_another_block_at_the_snapshot_height_is_a_reorg() {
    // The server says block 870000 is `other`, the snapshot agrees, but a history entry
    // at that height names the original block: the index is inconsistent with itself.
    let other = "00000000000000000004bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    let h = History::serve(vec![Reply::ok(other)]);
    let esplora = esplora(&format!("{}/api", h.server.url()));
    let at = BlockRef {
        hash: other.into(),
        ..h.snapshot()
    };
    let err = esplora.balance_at(&h.address(), &at).unwrap_err();
    assert!(
        matches!(err, ChainError::Reorg { height: 870000, .. }),
        "{err}"
    );
}

#[test]
fn a_page_served_twice_is_malformed_not_counted_twice() {
    let server = TestServer::start();
    let expected = json("history-3-pages/expected.json");
    let addr = expected["address"].as_str().unwrap();
    let page1 = data("history-3-pages/page-1.json");
    let cursor = expected["pages"][0].as_str().unwrap();
    server.route(
        "GET",
        &format!("/address/{addr}/txs/chain"),
        [Reply::json(200, page1.clone())],
    );
    server.route(
        "GET",
        &format!("/address/{addr}/txs/chain/{cursor}"),
        [Reply::json(200, page1)],
    );
    let at = block_ref(&expected["snapshot"]);
    server.route("GET", "/block-height/870000", [Reply::ok(at.hash.clone())]);
    let err = esplora(&server.url())
        .balance_at(&address(addr), &at)
        .unwrap_err();
    assert!(matches!(err, ChainError::Malformed { .. }), "{err}");
    assert!(err.to_string().contains("twice"), "{err}");
}

#[test]
fn history_longer_than_the_page_cap_is_refused() {
    let h = History::serve(vec![Reply::ok(
        json("history-3-pages/expected.json")["snapshot"]["hash"]
            .as_str()
            .unwrap(),
    )]);
    let esplora = esplora(&format!("{}/api", h.server.url())).with_max_history_pages(2);
    let err = esplora.balance_at(&h.address(), &h.snapshot()).unwrap_err();
    assert!(matches!(err, ChainError::Unsupported { .. }), "{err}");
    assert!(
        err.to_string().contains("more than 50 transactions"),
        "{err}"
    );
    assert_eq!(h.server.hits(h.pages[2]), 0);
}

#[test]
fn server_errors_and_rate_limits_are_retried() {
    let server = TestServer::start();
    let tip = server.route(
        "GET",
        "/blocks/tip/height",
        [
            Reply::text(500, "internal error"),
            Reply::text(429, "Too Many Requests"),
            Reply::ok("870010"),
        ],
    );
    assert_eq!(esplora(&server.url()).tip_height().unwrap(), 870010);
    assert_eq!(server.hits(tip), 3);
}

/// A 429 with `Retry-After: 1` is retried after that second, not the policy's 1 ms
/// backoff; a 429 that never ends is reported as HTTP 429 after every attempt.
#[test]
fn rate_limits_wait_for_retry_after() {
    let server = TestServer::start();
    let tip = server.route(
        "GET",
        "/blocks/tip/height",
        [
            Reply::text(429, "Too Many Requests").header("Retry-After", "1"),
            Reply::ok("870011"),
        ],
    );
    let t = std::time::Instant::now();
    assert_eq!(esplora(&server.url()).tip_height().unwrap(), 870011);
    assert!(t.elapsed() >= Duration::from_secs(1), "{:?}", t.elapsed());
    assert_eq!(server.hits(tip), 2);

    let server = TestServer::start();
    let tip = server.route(
        "GET",
        "/blocks/tip/height",
        [Reply::text(429, "slow down").header("Retry-After", "0")],
    );
    let err = esplora(&server.url()).tip_height().unwrap_err();
    assert!(
        matches!(err, ChainError::RateLimited { retry_after: Some(d), .. } if d.is_zero()),
        "{err:?}"
    );
    assert!(err.to_string().contains(": HTTP 429 for "), "{err}");
    assert_eq!(server.hits(tip), 4);
}

#[test]
fn retries_stop_after_the_policy_attempts() {
    let server = TestServer::start();
    let tip = server.route("GET", "/blocks/tip/height", [Reply::text(503, "busy")]);
    let err = esplora(&server.url()).tip_height().unwrap_err();
    assert!(matches!(err, ChainError::Http { status: 503, .. }), "{err}");
    assert!(err.is_transient());
    assert_eq!(server.hits(tip), 4);
}

#[test]
fn not_found_is_definite_and_not_retried() {
    let server = TestServer::start();
    let route = server.route(
        "GET",
        "/block-height/99999999",
        [Reply::text(404, "Block not found")],
    );
    let err = esplora(&server.url()).block_at(99_999_999).unwrap_err();
    assert!(matches!(err, ChainError::Http { status: 404, .. }), "{err}");
    assert!(!err.is_transient());
    assert!(err.to_string().contains("Block not found"), "{err}");
    assert_eq!(server.hits(route), 1);
}

#[test]
fn malformed_json_is_definite_and_not_retried() {
    let server = TestServer::start();
    let expected = json("history-3-pages/expected.json");
    let addr = expected["address"].as_str().unwrap();
    let at = block_ref(&expected["snapshot"]);
    server.route("GET", "/block-height/870000", [Reply::ok(at.hash.clone())]);
    let page = server.route(
        "GET",
        &format!("/address/{addr}/txs/chain"),
        [Reply::json(200, data("page-truncated.json"))],
    );
    let err = esplora(&server.url())
        .balance_at(&address(addr), &at)
        .unwrap_err();
    assert!(matches!(err, ChainError::Malformed { .. }), "{err}");
    assert!(!err.is_transient());
    assert_eq!(server.hits(page), 1);
}

#[test]
fn a_hash_that_is_not_a_hash_is_malformed() {
    let server = TestServer::start();
    server.route("GET", "/block-height/5", [Reply::ok("<html>oops</html>")]);
    let err = esplora(&server.url()).block_at(5).unwrap_err();
    assert!(matches!(err, ChainError::Malformed { .. }), "{err}");
}

#[test]
fn timeout_is_transient_and_retried() {
    let server = TestServer::start();
    let tip = server.route(
        "GET",
        "/blocks/tip/height",
        [Reply::ok("1").delayed(Duration::from_millis(1500))],
    );
    let esplora = Esplora::new(EsploraConfig {
        url: server.url(),
        timeout: Duration::from_millis(200),
        retry: retry(2),
    })
    .unwrap();
    let started = Instant::now();
    let err = esplora.tip_height().unwrap_err();
    assert!(
        matches!(
            err,
            ChainError::Transport {
                transient: true,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("no answer within"), "{err}");
    assert_eq!(server.hits(tip), 2);
    assert!(started.elapsed() < Duration::from_millis(1400));
}

#[test]
fn connection_refused_is_transient() {
    let url = {
        let server = TestServer::start();
        server.url()
    }; // dropped: nothing listens there any more
    let err = Esplora::new(EsploraConfig {
        url,
        timeout: Duration::from_secs(2),
        retry: retry(1),
    })
    .unwrap()
    .tip_height()
    .unwrap_err();
    assert!(err.is_transient(), "{err}");
}

#[test]
fn url_credentials_become_basic_auth_and_never_show() {
    let server = TestServer::start();
    server.route("GET", "/api/blocks/tip/height", [Reply::ok("7")]);
    let url = server.url().replace("http://", "http://alice:s%40cret@") + "/api?key=abc";
    let esplora = esplora(&url);
    assert_eq!(esplora.endpoint(), format!("{}/api?…", server.url()));
    assert_eq!(esplora.tip_height().unwrap(), 7);
    let request = &server.requests()[0];
    // base64("alice:s@cret")
    assert_eq!(
        request.header("authorization"),
        Some("Basic YWxpY2U6c0BjcmV0")
    );
    assert_eq!(request.query.as_deref(), Some("key=abc"));
}

#[test]
fn invalid_url_is_a_setup_error_without_credentials() {
    let err = Esplora::new(EsploraConfig {
        url: "ftp://bob:pw@example.com/api".into(),
        timeout: Duration::from_secs(1),
        retry: retry(1),
    })
    .err()
    .unwrap();
    let msg = err.to_string();
    assert!(msg.starts_with("invalid esplora url"), "{msg}");
    assert!(!msg.contains("pw"), "{msg}");
}

/// BIP-127 inputs: one output at the snapshot block from `/tx/:txid` and
/// `/tx/:txid/outspend/:vout`; an unknown txid or index is `Unknown`, a transaction
/// confirmed at the snapshot height in another block is a reorg.
#[test]
fn output_at_reads_the_transaction_and_its_outspend_at_the_block() {
    let server = TestServer::start();
    let at = BlockRef {
        height: 870000,
        hash: format!("{:064x}", 0xaa),
        time: 1736000000,
    };
    server.route(
        "GET",
        "/api/block-height/870000",
        [Reply::ok(at.hash.clone())],
    );
    let tx = |n: u64, height: u64, block: &str| {
        serde_json::json!({
            "txid": format!("{n:064x}"),
            "vin": [],
            "vout": [{"scriptpubkey": "0014751e76e8199196d454941c45d1b3a323f1433bd6", "value": 5000}],
            "status": {"confirmed": true, "block_height": height, "block_hash": block},
        })
        .to_string()
    };
    let outpoint =
        |n: u64, vout: u32| bitcoin::OutPoint::new(format!("{n:064x}").parse().unwrap(), vout);
    // 1: confirmed earlier, spent in the snapshot block itself.
    server.route(
        "GET",
        &format!("/api/tx/{:064x}", 1),
        [Reply::json(200, tx(1, 869000, &"0".repeat(64)))],
    );
    server.route(
        "GET",
        &format!("/api/tx/{:064x}/outspend/0", 1),
        [Reply::json(
            200,
            serde_json::json!({"spent": true, "txid": format!("{:064x}", 9), "vin": 0,
                "status": {"confirmed": true, "block_height": 870000, "block_hash": at.hash}})
            .to_string(),
        )],
    );
    // 2: confirmed at the snapshot height, but in another block.
    server.route(
        "GET",
        &format!("/api/tx/{:064x}", 2),
        [Reply::json(200, tx(2, 870000, &"f".repeat(64)))],
    );
    // 3: unknown to the explorer.
    server.route(
        "GET",
        &format!("/api/tx/{:064x}", 3),
        [Reply::text(404, "Transaction not found")],
    );
    let esplora = esplora(&format!("{}/api", server.url()));

    match esplora.output_at(&outpoint(1, 0), &at).unwrap() {
        OutputAt::Spent {
            spender,
            height,
            txout,
        } => {
            assert_eq!(
                (spender, height, txout.value.to_sat()),
                (format!("{:064x}", 9), 870000, 5000)
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        esplora.output_at(&outpoint(1, 1), &at).unwrap(),
        OutputAt::Unknown
    );
    assert!(matches!(
        esplora.output_at(&outpoint(2, 0), &at),
        Err(ChainError::Reorg { height: 870000, .. })
    ));
    assert_eq!(
        esplora.output_at(&outpoint(3, 0), &at).unwrap(),
        OutputAt::Unknown
    );
    assert!(server.unmatched().is_empty(), "{:?}", server.unmatched());
}
