//! The Ethereum backend against a real node: each test starts its own anvil, deploys
//! the committed test contracts (a 6-decimal ERC-20, an EIP-1271 wallet) and checks
//! that reads are pinned to the snapshot block, that signatures verify through the
//! wallet, that endpoints are compared, that a reorg is caught, and that transport
//! failures are retried or not as they should be.

use crate::support::anvil;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use alloy::primitives::{Address, B256, U256, address, eip191_hash_message};
use alloy::signers::SignerSync;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::{SolCall, SolValue, sol};
use anvil::{Anvil, DEPLOYER, GENESIS_TIME};
use por::chains::ethereum::{EthereumEndpointConfig, JsonRpcEthereum};
use por::chains::{
    BlockRef, ChainError, EthereumBackend, RetryPolicy, agree, last_block_at_or_before,
};

sol! {
    #![sol(alloy_sol_types = alloy::sol_types)]
    function mint(address to, uint256 value) external;
    function transfer(address to, uint256 value) external returns (bool);
}

const HOLDER: Address = address!("1111111111111111111111111111111111111111");
const OTHER: Address = address!("2222222222222222222222222222222222222222");
const ETH: u128 = 1_000_000_000_000_000_000;

fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        attempts: 3,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(50),
    }
}

fn backend_for(url: &str) -> JsonRpcEthereum {
    JsonRpcEthereum::new(EthereumEndpointConfig {
        url: url.to_string(),
        timeout: Duration::from_secs(5),
        retry: fast_retry(),
    })
    .expect("backend")
}

fn backend(node: &Anvil) -> JsonRpcEthereum {
    backend_for(node.url())
}

fn deploy_token(node: &Anvil) -> Address {
    node.deploy(
        "TestToken",
        &("Test USD".to_string(), "TUSD".to_string()).abi_encode_params(),
    )
}

fn mint_to(node: &Anvil, token: Address, to: Address, units: U256) {
    node.send(
        DEPLOYER,
        Some(token),
        U256::ZERO,
        &mintCall { to, value: units }.abi_encode(),
    );
}

fn send_eth(node: &Anvil, from: Address, to: Address, wei: u128) {
    node.send(from, Some(to), U256::from(wei), &[]);
}

/// The ownership message of FORMAT.md §5.
fn ownership_message(address: Address) -> String {
    format!(
        "Proof of reserves\nexchange: Example Exchange\nsnapshot: 2026-11-21\naddress: {address}"
    )
}

#[test]
fn committed_artifacts_match_the_sources() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("node")
        .arg(root.join("tests/eth/compile.mjs"))
        .arg("--check")
        .current_dir(root)
        .output()
        .expect("run node (needed with npm ci for the solc package)");
    assert!(
        out.status.success(),
        "tests/data/eth is stale or solc is missing (npm ci): {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn chain_id_and_tip_height() {
    let node = Anvil::start();
    let b = backend(&node);
    assert_eq!(b.chain_id().unwrap(), 31337);
    assert_eq!(b.tip_height().unwrap(), 0);
    node.mine(5);
    assert_eq!(b.tip_height().unwrap(), 5);
    let genesis = b.block_at(0).unwrap();
    assert_eq!(genesis.time, GENESIS_TIME);
    assert_eq!(genesis.hash, format!("{:#x}", node.block_hash(0)));
    assert!(genesis.hash.starts_with("0x") && genesis.hash.len() == 66);
    assert_eq!(genesis.hash, genesis.hash.to_lowercase());
    assert!(b.endpoint().starts_with("http://127.0.0.1:"));

    let e = b.block_at(6).unwrap_err();
    assert!(
        matches!(e, ChainError::Rpc { .. }) && !e.is_transient(),
        "{e:?}"
    );
}

#[test]
fn balances_are_read_at_the_snapshot_block_not_the_tip() {
    let node = Anvil::start();
    let b = backend(&node);
    let token = deploy_token(&node);
    mint_to(&node, token, HOLDER, U256::from(1_234_567_890u64)); // 1234.56789 TUSD
    send_eth(&node, DEPLOYER, HOLDER, 3 * ETH / 2);

    // The snapshot block H at time T, then activity after it.
    let t = GENESIS_TIME + 1_000;
    let h = node.mine_at(t);
    node.mine_at(t + 60);
    node.impersonate(HOLDER);
    node.set_next_timestamp(t + 120);
    node.send(
        HOLDER,
        Some(token),
        U256::ZERO,
        &transferCall {
            to: OTHER,
            value: U256::from(1_000_000u64),
        }
        .abi_encode(),
    );
    node.set_next_timestamp(t + 180);
    send_eth(&node, HOLDER, OTHER, ETH / 2);
    node.set_next_timestamp(t + 240);
    mint_to(&node, token, HOLDER, U256::from(5u64));
    node.mine_at(t + 300);

    let tip = b.tip_height().unwrap();
    assert!(tip > h + 3);
    let find =
        |as_of| last_block_at_or_before(b.endpoint(), as_of, tip, |x| Ok(b.block_at(x)?.time));
    assert_eq!(find(t).unwrap(), h);
    assert_eq!(find(t + 59).unwrap(), h);
    assert_eq!(find(t + 60).unwrap(), h + 1);
    let at = b.block_at(h).unwrap();
    assert_eq!(at.time, t);

    assert_eq!(b.native_balance_at(HOLDER, &at).unwrap(), 3 * ETH / 2);
    assert_eq!(b.native_balance_at(OTHER, &at).unwrap(), 0);
    assert_eq!(
        b.erc20_balance_at(token, HOLDER, &at).unwrap(),
        1_234_567_890
    );
    assert_eq!(b.erc20_balance_at(token, OTHER, &at).unwrap(), 0);

    // The tip has moved on.
    let now = b.block_at(tip).unwrap();
    assert!(b.native_balance_at(HOLDER, &now).unwrap() < ETH);
    assert_eq!(b.native_balance_at(OTHER, &now).unwrap(), ETH / 2);
    assert_eq!(
        b.erc20_balance_at(token, HOLDER, &now).unwrap(),
        1_233_567_895
    );
    assert_eq!(b.erc20_balance_at(token, OTHER, &now).unwrap(), 1_000_000);

    // Before the token existed, balanceOf hits an address without code: no answer, and
    // the error names the token and the holder.
    let before = b.block_at(0).unwrap();
    let e = b.erc20_balance_at(token, HOLDER, &before).unwrap_err();
    assert!(
        matches!(e, ChainError::Malformed { .. }) && !e.is_transient(),
        "{e:?}"
    );
    let text = e.to_string();
    assert!(
        text.contains(&token.to_string()) && text.contains(&HOLDER.to_string()),
        "{text}"
    );
    assert!(text.contains("returned 0 bytes"), "{text}");
    eprintln!("balanceOf without code: {text}");
}

#[test]
fn balances_above_u128_are_errors_not_truncated() {
    let node = Anvil::start();
    let b = backend(&node);
    let token = deploy_token(&node);
    let too_much = U256::from(u128::MAX) + U256::from(1);
    mint_to(&node, token, HOLDER, too_much);
    node.set_balance(OTHER, too_much);
    node.mine(1);
    let at = b.block_at(b.tip_height().unwrap()).unwrap();

    let e = b.erc20_balance_at(token, HOLDER, &at).unwrap_err();
    assert!(matches!(e, ChainError::Malformed { .. }), "{e:?}");
    assert!(e.to_string().contains("exceeds 2^128-1"), "{e}");
    let e = b.native_balance_at(OTHER, &at).unwrap_err();
    assert!(matches!(e, ChainError::Malformed { .. }), "{e:?}");
    assert!(e.to_string().contains(&too_much.to_string()), "{e}");
}

#[test]
fn balance_of_that_reverts_names_token_and_holder() {
    let node = Anvil::start();
    let b = backend(&node);
    // The EIP-1271 wallet has no balanceOf and no fallback: the call reverts.
    let not_a_token = node.deploy("OwnerWallet1271", &DEPLOYER.abi_encode());
    let at = b.block_at(b.tip_height().unwrap()).unwrap();
    let e = b.erc20_balance_at(not_a_token, HOLDER, &at).unwrap_err();
    assert!(!e.is_transient(), "{e:?}");
    let text = e.to_string();
    assert!(
        text.contains(&not_a_token.to_string()) && text.contains(&HOLDER.to_string()),
        "{text}"
    );
    assert!(text.contains("revert"), "{text}");
    eprintln!("reverting balanceOf: {text}");
}

#[test]
fn eip1271_wallet_accepts_only_its_owner() {
    let node = Anvil::start();
    let b = backend(&node);
    let owner = PrivateKeySigner::from_bytes(&B256::repeat_byte(0x42)).unwrap();
    let stranger = PrivateKeySigner::from_bytes(&B256::repeat_byte(0x43)).unwrap();
    let before_deploy = b.block_at(0).unwrap();
    let wallet = node.deploy("OwnerWallet1271", &owner.address().abi_encode());
    let at = b.block_at(b.tip_height().unwrap()).unwrap();

    let message = ownership_message(wallet);
    let hash = eip191_hash_message(&message);
    let by_owner = owner
        .sign_message_sync(message.as_bytes())
        .unwrap()
        .as_bytes();
    let by_stranger = stranger
        .sign_message_sync(message.as_bytes())
        .unwrap()
        .as_bytes();

    assert!(
        b.is_valid_signature_1271(wallet, hash, &by_owner, &at)
            .unwrap()
    );
    assert!(
        !b.is_valid_signature_1271(wallet, hash, &by_stranger, &at)
            .unwrap()
    );
    // The owner's signature over another message.
    let other_hash = eip191_hash_message(ownership_message(OTHER));
    assert!(
        !b.is_valid_signature_1271(wallet, other_hash, &by_owner, &at)
            .unwrap()
    );
    // Wrong length: the wallet reverts, which is "not valid".
    assert!(
        !b.is_valid_signature_1271(wallet, hash, &by_owner[..64], &at)
            .unwrap()
    );
    // An address without code answers with nothing.
    assert!(
        !b.is_valid_signature_1271(HOLDER, hash, &by_owner, &at)
            .unwrap()
    );
    // Before the wallet was deployed there is no code at its address either.
    assert!(
        !b.is_valid_signature_1271(wallet, hash, &by_owner, &before_deploy)
            .unwrap()
    );
}

#[test]
fn endpoints_with_different_state_disagree() {
    let a = Anvil::start();
    let c = Anvil::start();
    let (ba, bc) = (backend(&a), backend(&c));

    // Same genesis on both: they agree on block 0.
    let genesis = agree(
        "block 0 hash",
        vec![
            (ba.endpoint().to_string(), ba.block_at(0).unwrap().hash),
            (bc.endpoint().to_string(), bc.block_at(0).unwrap().hash),
        ],
    )
    .unwrap();
    assert!(genesis.starts_with("0x"));

    send_eth(&a, DEPLOYER, HOLDER, ETH);
    send_eth(&c, DEPLOYER, HOLDER, 2 * ETH);
    let (at_a, at_c) = (ba.block_at(1).unwrap(), bc.block_at(1).unwrap());

    let e = agree(
        "block 1 hash",
        vec![
            (ba.endpoint().to_string(), at_a.hash.clone()),
            (bc.endpoint().to_string(), at_c.hash.clone()),
        ],
    )
    .unwrap_err();
    assert!(matches!(e, ChainError::Disagree { .. }), "{e:?}");
    let text = e.to_string();
    assert!(
        text.contains(ba.endpoint()) && text.contains(bc.endpoint()),
        "{text}"
    );
    assert!(
        text.contains(&at_a.hash) && text.contains(&at_c.hash),
        "{text}"
    );

    let what = format!("ETH balance of {HOLDER} at block 1");
    let e = agree(
        &what,
        vec![
            (
                ba.endpoint().to_string(),
                ba.native_balance_at(HOLDER, &at_a).unwrap(),
            ),
            (
                bc.endpoint().to_string(),
                bc.native_balance_at(HOLDER, &at_c).unwrap(),
            ),
        ],
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "endpoints disagree on {what}: {} says {}, {} says {}",
            ba.endpoint(),
            ETH,
            bc.endpoint(),
            2 * ETH
        )
    );

    // One node's block is unknown to the other: pinned reads cannot mix them up.
    let e = bc.native_balance_at(HOLDER, &at_a).unwrap_err();
    assert!(!e.is_transient(), "{e:?}");
}

#[test]
fn a_reorg_changes_the_block_and_pinned_reads_fail() {
    let node = Anvil::start();
    let b = backend(&node);
    let token = deploy_token(&node);
    let owner = PrivateKeySigner::from_bytes(&B256::repeat_byte(0x42)).unwrap();
    let wallet = node.deploy("OwnerWallet1271", &owner.address().abi_encode());
    let fork_point = node.snapshot();

    node.set_next_timestamp(GENESIS_TIME + 500);
    send_eth(&node, DEPLOYER, HOLDER, ETH);
    let h = node.height();
    let old = b.block_at(h).unwrap();
    assert_eq!(b.native_balance_at(HOLDER, &old).unwrap(), ETH);

    // Replace block H by a different one.
    node.revert(&fork_point);
    assert_eq!(node.height(), h - 1);
    node.set_next_timestamp(GENESIS_TIME + 500);
    send_eth(&node, DEPLOYER, HOLDER, 2 * ETH);
    assert_eq!(node.height(), h);
    let new = b.block_at(h).unwrap();
    assert_ne!(new.hash, old.hash);
    assert_eq!(b.native_balance_at(HOLDER, &new).unwrap(), 2 * ETH);

    // What anvil (1.7.1) itself says to a read pinned to the vanished block: after
    // evm_revert the block is gone from its store, and EIP-1898 reads by that hash get
    // JSON-RPC error -32001 "Resource not found" (not "non-canonical block").
    let raw = node
        .rpc(
            "eth_getBalance",
            serde_json::json!([HOLDER, {"blockHash": old.hash, "requireCanonical": true}]),
        )
        .unwrap_err();
    eprintln!("anvil on a read pinned to a reorged-out block: {raw:?}");
    assert_eq!(raw.code, -32001, "{raw:?}");

    // The backend reports it as a reorg, definite, naming both hashes.
    let owner_sig = owner.sign_message_sync(b"x").unwrap().as_bytes();
    let errors = [
        b.native_balance_at(HOLDER, &old).unwrap_err(),
        b.erc20_balance_at(token, HOLDER, &old).unwrap_err(),
        // Not "false": a signature check on a vanished block is an error.
        b.is_valid_signature_1271(wallet, eip191_hash_message(b"x"), &owner_sig, &old)
            .unwrap_err(),
    ];
    for e in errors {
        assert!(!e.is_transient(), "{e:?}");
        match e {
            ChainError::Reorg {
                height,
                before,
                after,
                ..
            } => {
                assert_eq!(
                    (height, before, after),
                    (h, old.hash.clone(), new.hash.clone())
                );
            }
            other => panic!("expected a reorg error, got {other:?}"),
        }
    }
}

#[test]
fn a_closed_port_is_transient_and_retried() {
    // Bind then drop: nothing listens on this port any more.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let retry = RetryPolicy {
        attempts: 3,
        base_delay: Duration::from_millis(100),
        max_delay: Duration::from_millis(200),
    };
    let b = JsonRpcEthereum::new(EthereumEndpointConfig {
        url: format!("http://user:hunter22@127.0.0.1:{port}/?key=sekrit"),
        timeout: Duration::from_secs(2),
        retry,
    })
    .unwrap();
    let started = Instant::now();
    let e = b.chain_id().unwrap_err();
    // Two back-offs (100 ms, 200 ms) mean three attempts were made.
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
    assert!(
        matches!(
            e,
            ChainError::Transport {
                transient: true,
                ..
            }
        ),
        "{e:?}"
    );
    let text = e.to_string();
    assert!(
        text.starts_with(&format!(
            "http://***@127.0.0.1:{port}/?***: request failed: eth_chainId:"
        )),
        "{text}"
    );
    assert!(
        !text.contains("hunter22") && !text.contains("sekrit"),
        "{text}"
    );
    eprintln!("closed port: {text}");

    let at = BlockRef {
        height: 1,
        hash: format!("{:#x}", B256::ZERO),
        time: 0,
    };
    let e = b
        .is_valid_signature_1271(HOLDER, B256::ZERO, &[0; 65], &at)
        .unwrap_err();
    assert!(
        e.is_transient(),
        "a signature check that could not be made is an error: {e:?}"
    );
}

/// A tiny HTTP/1.1 server: answers the n-th request (from 0) with `respond(n, id)`
/// as `(status, body)`, one request per connection; counts requests.
fn serve(
    respond: impl Fn(usize, &serde_json::Value) -> (u16, String) + Send + 'static,
) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let counter = count.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let n = counter.fetch_add(1, Ordering::SeqCst);
            let _ = answer(stream, |id| respond(n, id));
        }
    });
    (url, count)
}

fn answer(
    stream: TcpStream,
    respond: impl Fn(&serde_json::Value) -> (u16, String),
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream);
    let mut length = 0;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        if line == "\r\n" || line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let request: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let (status, text) = respond(&request["id"]);
    let reason = match status {
        200 => "OK",
        429 => "Too Many Requests",
        _ => "Internal Server Error",
    };
    let mut stream = reader.into_inner();
    write!(
        stream,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    )?;
    stream.flush()
}

fn ok_chain_id(id: &serde_json::Value) -> String {
    serde_json::json!({"jsonrpc": "2.0", "id": id, "result": "0x7a69"}).to_string()
}

#[test]
fn http_500_and_429_are_retried() {
    // Two failures, then an answer: the policy's three attempts get through.
    let (url, count) = serve(|n, id| match n {
        0 => (500, "upstream exploded".into()),
        1 => (429, "slow down".into()),
        _ => (200, ok_chain_id(id)),
    });
    assert_eq!(backend_for(&url).chain_id().unwrap(), 31337);
    assert_eq!(count.load(Ordering::SeqCst), 3);

    // Rate limiting sent as a JSON-RPC error object (Infura's -32005) is retried too.
    let (url, count) = serve(|n, id| {
        match n {
        0 => (
            200,
            serde_json::json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32005, "message": "daily request count exceeded, request rate limited"}}).to_string(),
        ),
        _ => (200, ok_chain_id(id)),
    }
    });
    assert_eq!(backend_for(&url).chain_id().unwrap(), 31337);
    assert_eq!(count.load(Ordering::SeqCst), 2);

    // Always 429: every attempt is made, then the last status is reported.
    let (url, count) = serve(|_, _| (429, "slow down".into()));
    let e = backend_for(&url).tip_height().unwrap_err();
    assert_eq!(count.load(Ordering::SeqCst), 3);
    assert!(
        matches!(e, ChainError::Http { status: 429, .. }) && e.is_transient(),
        "{e:?}"
    );
    assert!(
        e.to_string().contains("eth_blockNumber") && e.to_string().contains("slow down"),
        "{e}"
    );
}

#[test]
fn malformed_json_and_error_objects_are_definite() {
    let (url, count) = serve(|_, _| (200, "{\"jsonrpc\": \"2.0\", \"result\": ".into()));
    let e = backend_for(&url).chain_id().unwrap_err();
    assert_eq!(
        count.load(Ordering::SeqCst),
        1,
        "no retry of a malformed answer"
    );
    assert!(
        matches!(e, ChainError::Malformed { .. }) && !e.is_transient(),
        "{e:?}"
    );
    assert!(
        e.to_string()
            .starts_with(&format!("{url}/: malformed response for eth_chainId:")),
        "{e}"
    );

    let (url, count) = serve(|_, id| {
        (200, serde_json::json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32601, "message": "method not found"}}).to_string())
    });
    let e = backend_for(&url).chain_id().unwrap_err();
    assert_eq!(count.load(Ordering::SeqCst), 1, "no retry of a node error");
    assert!(
        matches!(e, ChainError::Rpc { .. }) && !e.is_transient(),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        format!("{url}/: node error for eth_chainId: code -32601: method not found")
    );
}

#[test]
fn a_silent_server_times_out_transiently() {
    // Accepts and reads, never answers.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let counter = count.clone();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            counter.fetch_add(1, Ordering::SeqCst);
            held.push(stream);
        }
    });
    let b = JsonRpcEthereum::new(EthereumEndpointConfig {
        url,
        timeout: Duration::from_millis(300),
        retry: RetryPolicy {
            attempts: 2,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(10),
        },
    })
    .unwrap();
    let e = b.chain_id().unwrap_err();
    assert!(
        matches!(
            e,
            ChainError::Transport {
                transient: true,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(count.load(Ordering::SeqCst), 2);
    eprintln!("silent server: {e}");
}
