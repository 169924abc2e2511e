//! Guards the bundled demo data set (`demo/`, synthetic, NOT FOR FUNDS) against drift:
//! for each snapshot the config, liabilities and wallets parse; every ownership proof
//! verifies over the FORMAT.md §5 message (the `none` address stays unproven); the
//! fixture pins the last block at or before `<id>T00:00:00Z`; and at that block every
//! asset's verified reserves exceed its liabilities by 2–15 %.
//!
//! If this fails after a deliberate change, regenerate with `python3 demo/generate.py`.

use std::path::{Path, PathBuf};

use por::chains::fixture::FixtureChain;
use por::chains::{BitcoinBackend, BlockRef, EthereumBackend, last_block_at_or_before};
use por::config::{Config, Endpoint};
use por::ownership::{self, EthAddress, Scheme, Verdict, WalletAddress};
use por::time::Timestamp;

const EXCHANGE: &str = "Demo Exchange (fictitious)";
const SNAPSHOTS: [&str; 3] = ["2026-09-21", "2026-10-21", "2026-11-21"];

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("demo")
}

fn config() -> Config {
    Config::from_file(&demo().join("por.toml")).expect("demo/por.toml")
}

/// The config's path with `{id}` replaced by the snapshot id.
fn for_snapshot(path: &Path, id: &str) -> PathBuf {
    PathBuf::from(path.to_string_lossy().replace("{id}", id))
}

fn fixture_path(endpoints: &[Endpoint]) -> PathBuf {
    match endpoints {
        [Endpoint::Fixture { path }] => path.clone(),
        other => panic!("the demo reads one fixture endpoint per chain, found {other:?}"),
    }
}

/// Where each configured asset lives, resolved.
enum Source {
    Bitcoin,
    Ether,
    Token(EthAddress),
}

fn sources(config: &Config) -> Vec<Source> {
    config
        .assets
        .iter()
        .map(|a| {
            let [src] = &a.sources[..] else {
                panic!("{}: every demo asset is on one chain", a.symbol)
            };
            match (src.chain.as_str(), &src.contract) {
                ("bitcoin", None) => Source::Bitcoin,
                ("ethereum", None) => Source::Ether,
                ("ethereum", Some(contract)) => Source::Token(
                    EthAddress::parse(contract)
                        .unwrap_or_else(|e| panic!("{}: contract {contract}: {e}", a.symbol)),
                ),
                other => panic!("{}: unexpected source {other:?}", a.symbol),
            }
        })
        .collect()
}

/// Holdings of `address` at `btc`/`eth`, in configured asset order.
fn holdings(
    chain: &FixtureChain,
    sources: &[Source],
    address: &WalletAddress,
    btc: &BlockRef,
    eth: &BlockRef,
) -> Vec<u128> {
    sources
        .iter()
        .map(|s| match (address, s) {
            (WalletAddress::Bitcoin(a), Source::Bitcoin) => {
                BitcoinBackend::balance_at(chain, a.inner(), btc).unwrap()
            }
            (WalletAddress::Ethereum(a), Source::Ether) => {
                chain.native_balance_at(a.inner(), eth).unwrap()
            }
            (WalletAddress::Ethereum(a), Source::Token(t)) => {
                chain.erc20_balance_at(t.inner(), a.inner(), eth).unwrap()
            }
            _ => 0,
        })
        .collect()
}

/// Pins the last block at or before `as_of` and checks it really is that block.
fn pin(name: &str, as_of: u64, tip: u64, block_at: impl Fn(u64) -> BlockRef) -> BlockRef {
    let height = last_block_at_or_before(name, as_of, tip, |h| Ok(block_at(h).time)).unwrap();
    let block = block_at(height);
    assert!(
        block.time <= as_of,
        "{name}: block {height} is after {as_of}"
    );
    assert!(
        height < tip,
        "{name}: the fixture needs blocks after each snapshot"
    );
    assert!(
        block_at(height + 1).time > as_of,
        "{name}: block {} is also at or before {as_of}",
        height + 1
    );
    block
}

#[test]
fn config_is_the_documented_one() {
    let c = config();
    assert_eq!(c.exchange, EXCHANGE);
    let symbols: Vec<_> = c.assets.iter().map(|a| a.symbol.as_str()).collect();
    assert_eq!(symbols, ["BTC", "ETH", "USDT", "USDC"]);
    let chains = c.chains.as_ref().expect("[chains]");
    assert_eq!(
        chains.bitcoin().unwrap().bitcoin_network(),
        Some(bitcoin::Network::Bitcoin)
    );
    assert_eq!(chains.get("ethereum").unwrap().chain_id(), Some(1));
    let liabilities = c.liabilities.path().expect("a CSV");
    assert!(liabilities.to_string_lossy().contains("{id}"));
    assert!(
        c.wallets
            .as_ref()
            .unwrap()
            .to_string_lossy()
            .contains("{id}")
    );
    // Every contract is valid EIP-55 (a mistyped checksum is rejected).
    assert_eq!(sources(&c).len(), 4);
}

#[test]
fn every_snapshot_is_fully_reserved_with_a_margin() {
    let c = config();
    let chains = c.chains.as_ref().unwrap();
    let btc_cfg = chains.bitcoin().unwrap();
    let eth_cfg = chains.get("ethereum").unwrap();
    let btc_chain = FixtureChain::load(fixture_path(&btc_cfg.endpoints)).expect("fixture");
    let eth_chain = FixtureChain::load(fixture_path(&eth_cfg.endpoints)).expect("fixture");
    assert_eq!(btc_chain.bitcoin_network(), btc_cfg.bitcoin_network());
    assert_eq!(Some(eth_chain.chain_id().unwrap()), eth_cfg.chain_id());
    let sources = sources(&c);
    let assets = c.asset_infos();
    let mut previous_uids: Option<Vec<Vec<u8>>> = None;

    for id in SNAPSHOTS {
        // Liabilities.
        let liab = por::liabilities::parse_file(c.liabilities_for(id).path().unwrap(), &assets)
            .unwrap_or_else(|e| panic!("{id}: {e}"));
        assert!(
            (300..=400).contains(&liab.len()),
            "{id}: {} accounts",
            liab.len()
        );
        let uids: Vec<Vec<u8>> = (0..liab.len()).map(|r| liab.uid_of(r).unwrap()).collect();
        if let Some(prev) = &previous_uids {
            assert!(
                uids.iter().any(|u| !prev.contains(u)),
                "{id}: nobody joined"
            );
            assert!(prev.iter().any(|u| !uids.contains(u)), "{id}: nobody left");
        }
        previous_uids = Some(uids);

        // Wallets and their ownership proofs.
        let wallets_path = for_snapshot(c.wallets.as_ref().unwrap(), id);
        let wallets = por::reserves::wallets::parse_file(
            &wallets_path,
            &por::reserves::wallets::WalletChains::from_config(&c),
        )
        .unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(
            wallets.len(),
            8,
            "{id}: sign_demo's 7 addresses and 1 unproven"
        );
        for w in &wallets {
            let published = w.address.to_string();
            let message = ownership::message(EXCHANGE, id, &published);
            let verdict = ownership::verify(&w.address, &message, &w.proof)
                .unwrap_or_else(|e| panic!("{id}: {published} ({}): {e}", w.scheme));
            let want = if w.scheme == Scheme::None {
                Verdict::Unproven
            } else {
                Verdict::Verified
            };
            assert_eq!(verdict, want, "{id}: {published} ({})", w.scheme);
            if w.scheme == Scheme::Multisig {
                // The JSON array survived RFC 4180 quoting in one cell.
                let sigs: Vec<String> = serde_json::from_str(&w.signature).unwrap();
                assert_eq!(sigs.len(), 2, "{id}: 2-of-3 multisig");
                assert!(w.script.is_some());
            }
        }
        let schemes: Vec<_> = wallets.iter().map(|w| w.scheme.as_str()).collect();
        assert_eq!(
            schemes,
            [
                "bip322-simple",
                "bip322-simple",
                "bip137",
                "multisig",
                "bip137",
                "eip191",
                "eip191",
                "none"
            ]
        );

        // Snapshot blocks.
        let as_of = Timestamp::parse_rfc3339(&format!("{id}T00:00:00Z"))
            .unwrap()
            .0;
        let btc_tip = BitcoinBackend::tip_height(&btc_chain).unwrap();
        let btc = pin("bitcoin", as_of, btc_tip, |h| {
            BitcoinBackend::block_at(&btc_chain, h).unwrap()
        });
        let eth_tip = EthereumBackend::tip_height(&eth_chain).unwrap();
        let eth = pin("ethereum", as_of, eth_tip, |h| {
            EthereumBackend::block_at(&eth_chain, h).unwrap()
        });
        assert!(
            as_of - btc.time < 600 && as_of - eth.time < 12,
            "{id}: blocks near midnight"
        );

        // Reserves at the snapshot blocks, and a few blocks later.
        let later_btc = BitcoinBackend::block_at(&btc_chain, btc.height + 3).unwrap();
        let later_eth = EthereumBackend::block_at(&eth_chain, eth.height + 3).unwrap();
        let k = assets.len();
        let (mut verified, mut unproven, mut later) =
            (vec![0u128; k], vec![0u128; k], vec![0u128; k]);
        for w in &wallets {
            let chain = match w.address {
                WalletAddress::Bitcoin(_) => &btc_chain,
                WalletAddress::Ethereum(_) => &eth_chain,
            };
            let now = holdings(chain, &sources, &w.address, &btc, &eth);
            let then = holdings(chain, &sources, &w.address, &later_btc, &later_eth);
            let slot = if w.scheme == Scheme::None {
                &mut unproven
            } else {
                &mut verified
            };
            for i in 0..k {
                slot[i] += now[i];
                if w.scheme != Scheme::None {
                    later[i] += then[i];
                }
            }
            if w.scheme != Scheme::None {
                assert!(
                    now.iter().any(|&v| v > 0),
                    "{id}: {} holds nothing",
                    w.address
                );
            }
        }
        let usdt = assets.iter().position(|a| a.symbol == "USDT").unwrap();
        assert!(unproven[usdt] > 0, "{id}: the unproven address holds USDT");

        // The publisher's own reserves step (backends from the config) agrees.
        let backends = por::reserves::connect::connect(chains).expect("connect to the fixture");
        let sid = por::format::SnapshotId::new(id).unwrap();
        let report = por::reserves::read(&c, &sid, Timestamp(as_of), wallets.clone(), &backends)
            .unwrap_or_else(|e| panic!("{id}: reserves step: {e}"));
        assert!(
            report.failures().is_empty(),
            "{id}: {:?}",
            report.failures()
        );
        let figures: Vec<(u128, u128)> = report
            .figures
            .per_asset
            .iter()
            .map(|(v, u)| (v.base_units(), u.base_units()))
            .collect();
        let mine: Vec<(u128, u128)> = verified
            .iter()
            .copied()
            .zip(unproven.iter().copied())
            .collect();
        assert_eq!(figures, mine, "{id}: (verified, unproven) per asset");
        let pinned = report.figures.chains;
        assert_eq!(pinned.bitcoin().unwrap().height, btc.height);
        assert_eq!(pinned.evm("ethereum").unwrap().height, eth.height);

        for (i, a) in assets.iter().enumerate() {
            let l = liab.totals[i].base_units();
            let r = verified[i];
            assert!(l > 0, "{id}: {} has no liabilities", a.symbol);
            assert!(
                r * 100 >= l * 102 && r * 100 <= l * 115,
                "{id}: {} reserves {r} vs liabilities {l}: outside 2–15 %",
                a.symbol
            );
            // The reads are pinned: the same addresses hold other amounts later on.
            assert_ne!(
                later[i], r,
                "{id}: {} balances never move after the snapshot",
                a.symbol
            );
        }
    }
}
