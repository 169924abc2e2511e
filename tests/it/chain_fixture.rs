//! The offline fixture backend: `tests/data/chain-fixture/small.json` read through both
//! chain traits, and every file in `tests/data/chain-fixture/malformed/` rejected with
//! an error naming the file and the JSON path.

use std::path::PathBuf;
use std::str::FromStr;

use alloy::primitives::{Address as EthAddress, B256};
use bitcoin::address::NetworkUnchecked;
use bitcoin::{Address, Network};
use por::chains::fixture::{FixtureChain, FixtureError};
use por::chains::{BitcoinBackend, BlockRef, ChainError, EthereumBackend, last_block_at_or_before};

fn path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/chain-fixture")
        .join(name)
}

fn small() -> FixtureChain {
    FixtureChain::load(path("small.json")).unwrap()
}

fn btc_address(s: &str) -> Address {
    s.parse::<Address<NetworkUnchecked>>()
        .unwrap()
        .require_network(Network::Bitcoin)
        .unwrap()
}

fn eth(s: &str) -> EthAddress {
    EthAddress::from_str(s).unwrap()
}

#[test]
fn bitcoin_heights_blocks_and_balances_as_of_height() {
    let fx = small();
    assert_eq!(BitcoinBackend::endpoint(&fx), "fixture:small.json");
    assert_eq!(fx.bitcoin_network(), Some(Network::Bitcoin));
    assert_eq!(BitcoinBackend::tip_height(&fx).unwrap(), 12);
    let addr = btc_address("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4");
    let at = |h| BitcoinBackend::block_at(&fx, h).unwrap();
    let balance = |h| fx.balance_at(&addr, &at(h)).unwrap();
    assert_eq!(balance(1), 0); // before the first entry
    assert_eq!(balance(2), 150_000_000);
    assert_eq!(balance(4), 150_000_000);
    assert_eq!(balance(5), 90_062_160);
    assert_eq!(balance(10), 90_062_160);
    assert_eq!(balance(11), 0);
    let genesis_coins = btc_address("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa");
    assert_eq!(
        fx.balance_at(&genesis_coins, &at(0)).unwrap(),
        5_000_000_000
    );
    // Not listed: holds nothing.
    let unknown = btc_address("bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3");
    assert_eq!(fx.balance_at(&unknown, &at(12)).unwrap(), 0);
}

#[test]
fn reads_are_pinned_to_the_fixture_blocks() {
    let fx = small();
    let addr = btc_address("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4");
    let at5 = BitcoinBackend::block_at(&fx, 5).unwrap();
    let other = BlockRef {
        hash: "ff".repeat(32),
        ..at5.clone()
    };
    assert!(matches!(
        fx.balance_at(&addr, &other),
        Err(ChainError::Reorg { height: 5, .. })
    ));
    let above = BlockRef { height: 13, ..at5 };
    let err = fx.balance_at(&addr, &above).unwrap_err();
    assert!(matches!(err, ChainError::Unsupported { .. }), "{err}");
    assert!(err.to_string().starts_with("fixture:small.json: "), "{err}");
    assert!(BitcoinBackend::block_at(&fx, 13).is_err());
}

#[test]
fn block_search_finds_the_last_block_at_or_before() {
    let fx = small();
    let tip = BitcoinBackend::tip_height(&fx).unwrap();
    let search = |as_of| {
        last_block_at_or_before(BitcoinBackend::endpoint(&fx), as_of, tip, |h| {
            Ok(BitcoinBackend::block_at(&fx, h)?.time)
        })
    };
    let t = |h| BitcoinBackend::block_at(&fx, h).unwrap().time;
    assert_eq!(search(t(3)).unwrap(), 3);
    assert_eq!(search(t(3) + 599).unwrap(), 3);
    assert_eq!(search(t(12) + 10_000).unwrap(), 12);
    // Block 8 is stamped earlier than block 7 (allowed by Bitcoin): at a time between
    // them, block 8 is the last block at or before.
    assert!(t(8) < t(7));
    assert_eq!(search(t(8)).unwrap(), 8);
    assert!(matches!(
        search(t(0) - 1),
        Err(ChainError::NoBlockBefore { .. })
    ));
}

#[test]
fn ethereum_native_erc20_and_eip1271() {
    let fx = small();
    assert_eq!(EthereumBackend::endpoint(&fx), "fixture:small.json");
    assert_eq!(fx.chain_id().unwrap(), 1);
    assert_eq!(EthereumBackend::tip_height(&fx).unwrap(), 21_000_003);
    let at = |h| EthereumBackend::block_at(&fx, h).unwrap();
    assert!(at(21_000_000).hash.starts_with("0x"));
    let holder = eth("0x52908400098527886E0F7030069857D2E4169EE7");
    assert_eq!(
        fx.native_balance_at(holder, &at(21_000_001)).unwrap(),
        1_000_000_000_000_000_000
    );
    assert_eq!(
        fx.native_balance_at(holder, &at(21_000_003)).unwrap(),
        u128::MAX
    );
    let usdt = eth("0xdAC17F958D2ee523a2206206994597C13D831ec7");
    let wallet = eth("0x8617e340b3d01fa5f11f306f4090fd50e238070d");
    assert_eq!(
        fx.erc20_balance_at(usdt, wallet, &at(21_000_000)).unwrap(),
        0
    );
    assert_eq!(
        fx.erc20_balance_at(usdt, wallet, &at(21_000_001)).unwrap(),
        5_000_000
    );
    assert_eq!(
        fx.erc20_balance_at(usdt, holder, &at(21_000_003)).unwrap(),
        0
    );

    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path("small.json")).unwrap()).unwrap();
    let hash = B256::from_str(json["ethereum"]["eip1271"][0]["hash"].as_str().unwrap()).unwrap();
    let signature = [0xab; 65];
    assert!(
        fx.is_valid_signature_1271(wallet, hash, &signature, &at(21_000_002))
            .unwrap()
    );
    assert!(
        !fx.is_valid_signature_1271(wallet, hash, &signature[..64], &at(21_000_002))
            .unwrap()
    );
}

#[test]
fn a_fixture_without_a_section_refuses_that_chain() {
    let text = format!(
        r#"{{"fixture": {:?}, "ethereum": {{"chain_id": 5, "tip": 0, "blocks": [{{"height": 0, "hash": "0x{}", "time": 1}}]}}}}"#,
        por::chains::fixture::FIXTURE_LABEL,
        "00".repeat(32)
    );
    let fx = FixtureChain::parse(&text, "inline.json", "inline.json").unwrap();
    assert_eq!(fx.chain_id().unwrap(), 5);
    let err = BitcoinBackend::tip_height(&fx).unwrap_err();
    assert!(matches!(err, ChainError::Unsupported { .. }), "{err}");
}

/// (file in malformed/, JSON path, part of the message)
const MALFORMED: &[(&str, &str, &str)] = &[
    (
        "amount-as-number.json",
        r#"$.bitcoin.balances["bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"][1][1]"#,
        "decimal strings, not JSON numbers",
    ),
    (
        "amount-with-decimal-point.json",
        r#"$.ethereum.erc20["0xdAC17F958D2ee523a2206206994597C13D831ec7"]["0x8617e340b3d01fa5f11f306f4090fd50e238070d"][0][1]"#,
        "\"5.0\" is not an amount",
    ),
    ("wrong-label.json", "$.fixture", "must be exactly"),
    ("unknown-field.json", "$.bitcoin", "unknown field \"utxos\""),
    (
        "blocks-out-of-order.json",
        "$.bitcoin.blocks[1].height",
        "strictly ascending",
    ),
    (
        "address-wrong-network.json",
        r#"$.bitcoin.balances["tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx"]"#,
        "network",
    ),
    (
        "eth-hash-without-0x.json",
        "$.ethereum.blocks[2].hash",
        "0x + 64 lowercase hex",
    ),
    (
        "history-not-ascending.json",
        r#"$.bitcoin.balances["1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"][1][0]"#,
        "strictly ascending",
    ),
    ("tip-not-listed.json", "$.bitcoin.blocks", "tip block 13"),
    (
        "bad-eip55-checksum.json",
        r#"$.ethereum.native["0x52908400098527886E0F7030069857D2E4169Ee7"]"#,
        "eip-55",
    ),
];

#[test]
fn malformed_fixtures_are_rejected_with_file_and_json_path() {
    for (name, json_path, needle) in MALFORMED {
        let file = path(&format!("malformed/{name}"));
        let err = match FixtureChain::load(&file) {
            Ok(_) => panic!("{name} was accepted"),
            Err(e) => e,
        };
        match &err {
            FixtureError::Invalid { path, message, .. } => {
                assert_eq!(path, json_path, "{name}: {err}");
                assert!(message.contains(needle), "{name}: {err}");
            }
            other => panic!("{name}: expected an invalid-value error, got {other}"),
        }
        let shown = err.to_string();
        assert!(
            shown.starts_with(&format!("{}: {json_path}: ", file.display())),
            "{shown}"
        );
    }
    let listed = std::fs::read_dir(path("malformed")).unwrap().count();
    assert_eq!(
        listed,
        MALFORMED.len() + 1,
        "every malformed fixture is tested"
    );
}

#[test]
fn invalid_json_and_missing_files_name_the_file() {
    let file = path("malformed/not-json.json");
    let err = FixtureChain::load(&file).err().unwrap();
    assert!(matches!(err, FixtureError::Json { line: 3, .. }), "{err}");
    assert!(
        err.to_string()
            .starts_with(&format!("{}:3:", file.display()))
    );
    let missing = path("no-such-fixture.json");
    let err = FixtureChain::load(&missing).err().unwrap();
    assert!(matches!(err, FixtureError::Io { .. }));
    assert!(err.to_string().contains("no-such-fixture.json"));
}
