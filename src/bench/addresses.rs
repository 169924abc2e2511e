//! `por bench --addresses`: the reserves read at exchange scale. Local servers on
//! loopback speak the chains' own protocols with a fixed latency added to every HTTP
//! request ([`super::serve`], 20 ms by default): one Esplora server
//! ([`super::esplora`]) and two Ethereum JSON-RPC servers with different chain ids
//! ([`super::jsonrpc`]). Their state is synthetic and derived from each address's
//! index on demand, so the servers hold nothing per address:
//!
//! - Bitcoin: P2WPKH addresses, most with 1 to 3 transactions, one in a hundred with
//!   300 to 399 (12 to 16 pages of 25, so Esplora paging is exercised), every other
//!   one spent again after the snapshot block.
//! - EVM: the same addresses listed on both chains, each holding ETH and 3 ERC-20
//!   tokens (one `eth_getBalance` and three `balanceOf` calls an address), balances
//!   changed after each chain's snapshot block.
//!
//! The run writes a real config and wallets file into its work folder and reads them
//! as `por run` does ([`crate::reserves::wallets::parse_file`],
//! [`crate::reserves::connect::connect`], [`crate::reserves::read`]), first at a
//! tenth of the size, then at full size, and checks every per-asset total against the
//! synthetic state. It reports the wall time against the 60 s target, the HTTP
//! requests per address per chain, and the resident memory after each size.

// Floats here are timing statistics for a report, never money.
#![allow(clippy::float_arithmetic)]

use super::esplora::{self, Blocks, Histories, Tx};
use super::jsonrpc::{self, Balances, Chain};
use super::{BenchError, BenchReport};
use crate::amount::Amount;
use crate::config::Config;
use crate::format::SnapshotId;
use crate::reserves;
use crate::time::Timestamp;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What `por bench --addresses` reads.
#[derive(Clone, Debug)]
pub struct AddressBench {
    /// Bitcoin addresses.
    pub bitcoin: u64,
    /// EVM addresses, each listed on both EVM chains.
    pub evm: u64,
    /// Added latency per HTTP request.
    pub latency: Duration,
    /// `[reads] in_flight`.
    pub in_flight: usize,
    /// `[reads] batch`.
    pub batch: usize,
}

impl Default for AddressBench {
    fn default() -> Self {
        AddressBench {
            bitcoin: 10_000,
            evm: 5_000,
            latency: Duration::from_millis(20),
            in_flight: 32,
            batch: 100,
        }
    }
}

/// The snapshot time: 2026-11-21T00:00:00Z.
const AS_OF: u64 = 1_795_219_200;
/// Bitcoin's snapshot height (blocks after it exist and move funds).
const BTC_SNAPSHOT: u64 = 200;
/// The EVM chains' snapshot height.
const EVM_SNAPSHOT: u64 = 500;
/// The EVM chains: (name, chain id).
const EVM_CHAINS: [(&str, u64); 2] = [("ethereum", 1), ("arbitrum", 42161)];
/// The ERC-20 tokens' symbols; token `t`'s contract is 20 bytes of `0x70 + t` on
/// every chain.
const TOKENS: [&str; 3] = ["USDT", "USDC", "DAI"];

fn mix(a: u64, b: u64) -> u64 {
    // splitmix64 of the pair: the synthetic values, reproducible from the indices.
    let mut z = a.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ b.wrapping_add(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Bitcoin address `i`: P2WPKH of the program `b7`×12 ‖ `i` (big-endian).
fn btc_address(i: u64) -> bitcoin::Address {
    let mut program = [0xb7u8; 20];
    program[12..].copy_from_slice(&i.to_be_bytes());
    let wpkh = <bitcoin::WPubkeyHash as bitcoin::hashes::Hash>::from_byte_array(program);
    bitcoin::Address::from_script(
        &bitcoin::ScriptBuf::new_p2wpkh(&wpkh),
        bitcoin::Network::Bitcoin,
    )
    .expect("a p2wpkh script has an address")
}

/// The synthetic Bitcoin state.
struct BtcState;

impl BtcState {
    fn index(address: &str) -> Option<u64> {
        let a: bitcoin::Address<bitcoin::address::NetworkUnchecked> = address.parse().ok()?;
        let script = a.assume_checked().script_pubkey();
        let b = script.as_bytes();
        (b.len() == 22 && b[2..14] == [0xb7; 12])
            .then(|| u64::from_be_bytes(b[14..].try_into().expect("8 bytes")))
    }

    /// Transactions of address `i` up to the snapshot; every other address also
    /// spends its balance after it.
    fn txs(i: u64) -> Vec<Tx> {
        let script = btc_address(i).script_pubkey().to_hex_string();
        let n = if i.is_multiple_of(100) {
            300 + (i / 100) % 100
        } else {
            1 + i % 3
        };
        let value = |k: u64| 1_000 + mix(i, k) % 1_000_000;
        let mut txs: Vec<Tx> = (0..n)
            .map(|k| Tx {
                txid: esplora::txid(format!("btc {i} {k}").as_bytes()),
                height: 1 + k * (BTC_SNAPSHOT - 1) / n,
                outputs: vec![(script.clone(), value(k))],
                inputs: if k % 2 == 1 {
                    vec![(script.clone(), value(k - 1))]
                } else {
                    Vec::new()
                },
            })
            .collect();
        if i.is_multiple_of(2) {
            let left = Self::balance(i);
            txs.push(Tx {
                txid: esplora::txid(format!("btc {i} moved").as_bytes()),
                height: BTC_SNAPSHOT + 1,
                outputs: vec![("0014".to_string() + &"00".repeat(20), left)],
                inputs: vec![(script, left)],
            });
        }
        txs
    }

    /// Address `i`'s balance at the snapshot block, from the generator alone.
    fn balance(i: u64) -> u64 {
        let n = if i.is_multiple_of(100) {
            300 + (i / 100) % 100
        } else {
            1 + i % 3
        };
        let value = |k: u64| 1_000 + mix(i, k) % 1_000_000;
        let received: u64 = (0..n).map(value).sum();
        let spent: u64 = (1..n).step_by(2).map(|k| value(k - 1)).sum();
        received - spent
    }
}

impl Histories for BtcState {
    fn history(&self, address: &str) -> Vec<Tx> {
        Self::index(address).map(Self::txs).unwrap_or_default()
    }
}

/// EVM address `i`: `e0`×12 ‖ `i` (big-endian).
fn evm_address(i: u64) -> [u8; 20] {
    let mut a = [0xe0u8; 20];
    a[12..].copy_from_slice(&i.to_be_bytes());
    a
}

/// The synthetic EVM state of chain `chain` (0 or 1).
struct EvmState {
    chain: u64,
}

impl EvmState {
    /// The balance at the snapshot block: token `None` is ETH (wei).
    fn at_snapshot(&self, token: Option<u64>, i: u64) -> u128 {
        let t = token.map_or(0, |t| t + 1);
        let r = u128::from(mix(i, self.chain * 16 + t) % 1_000_000_000);
        match token {
            None => r * 1_000_000_000,
            Some(_) => r,
        }
    }
}

impl Balances for EvmState {
    fn balance(
        &self,
        token: Option<[u8; 20]>,
        holder: [u8; 20],
        height: u64,
    ) -> Result<u128, String> {
        if holder[..12] != [0xe0; 12] {
            return Ok(0);
        }
        let i = u64::from_be_bytes(holder[12..].try_into().expect("8 bytes"));
        let token = match token {
            None => None,
            Some(c) => match (0..TOKENS.len() as u64).find(|t| c == [0x70 + *t as u8; 20]) {
                Some(t) => Some(t),
                None => return Err("execution reverted".into()),
            },
        };
        let v = self.at_snapshot(token, i);
        // Funds move after the snapshot block.
        Ok(if height > EVM_SNAPSHOT { v + 7 } else { v })
    }
}

fn token_contract(t: usize) -> String {
    alloy::primitives::Address::from([0x70 + t as u8; 20]).to_string()
}

/// Runs the bench in `dir` (a fresh folder of its own).
pub fn run_in(b: &AddressBench, dir: &Path) -> Result<BenchReport, BenchError> {
    let mut lines = Vec::new();
    let btc = esplora::start(
        Blocks {
            tip: BTC_SNAPSHOT + 3,
            genesis_time: AS_OF - 600 * BTC_SNAPSHOT - 60,
        },
        Arc::new(BtcState),
        b.latency,
    )?;
    let evm: Vec<_> = EVM_CHAINS
        .iter()
        .enumerate()
        .map(|(n, (_, chain_id))| {
            jsonrpc::start(
                Chain {
                    chain_id: *chain_id,
                    tip: EVM_SNAPSHOT + 10,
                    genesis_time: AS_OF - 12 * EVM_SNAPSHOT - 5,
                    batches: true,
                },
                Arc::new(EvmState { chain: n as u64 }),
                b.latency,
            )
        })
        .collect::<Result<_, _>>()?;
    lines.push(format!(
        "servers: esplora {} + json-rpc {} and {} on loopback, {} ms added per HTTP request; [reads] in_flight = {}, batch = {}",
        btc.url(),
        evm[0].url(),
        evm[1].url(),
        b.latency.as_millis(),
        b.in_flight,
        b.batch
    ));
    let sizes = [(b.bitcoin / 10, b.evm / 10), (b.bitcoin, b.evm)];
    for (n_btc, n_evm) in sizes {
        let config = write_case(
            dir,
            b,
            &btc.url(),
            &evm.iter().map(|s| s.url()).collect::<Vec<_>>(),
            n_btc,
            n_evm,
        )?;
        let before_btc = btc.requests();
        let before_evm: Vec<u64> = evm.iter().map(|s| s.requests()).collect();
        let t = Instant::now();
        let id = SnapshotId::new("bench").expect("valid id");
        let wallet_chains = reserves::wallets::WalletChains::from_config(&config);
        let wallets = reserves::wallets::parse_file(&dir.join("wallets.csv"), &wallet_chains)
            .map_err(|e| BenchError::Reserves(e.to_string()))?;
        let backends = reserves::connect::connect(config.chains.as_ref().expect("chains"))
            .map_err(|e| BenchError::Reserves(e.to_string()))?;
        let report = reserves::read(&config, &id, Timestamp(AS_OF), wallets, &backends)
            .map_err(|e| BenchError::Reserves(e.to_string()))?;
        let wall = t.elapsed();
        check_totals(&config, &report, n_btc, n_evm)?;
        let addresses = report.addresses.len();
        drop(report);
        drop(backends);
        let rss = super::rss_bytes().unwrap_or(0);
        let peak = super::peak_rss_bytes().unwrap_or(0);
        let mut line = format!(
            "{n_btc} bitcoin + {n_evm} evm addresses x {} chains ({addresses} rows): {:.1} s ({}){}",
            EVM_CHAINS.len(),
            wall.as_secs_f64(),
            if wall <= Duration::from_secs(60) {
                "within the 60 s target".to_string()
            } else {
                format!("{:.1} s over the 60 s target", wall.as_secs_f64() - 60.0)
            },
            if n_btc == b.bitcoin {
                ""
            } else {
                " [a tenth of the size]"
            },
        );
        let per = |d: u64, n: u64| d as f64 / n.max(1) as f64;
        let _ = write!(
            line,
            "; HTTP requests per address: bitcoin {:.2}",
            per(btc.requests() - before_btc, n_btc)
        );
        for ((name, _), (s, before)) in EVM_CHAINS.iter().zip(evm.iter().zip(&before_evm)) {
            let _ = write!(line, ", {name} {:.3}", per(s.requests() - before, n_evm));
        }
        let _ = write!(
            line,
            "; RSS {:.0} MiB, peak {:.0} MiB",
            rss as f64 / (1 << 20) as f64,
            peak as f64 / (1 << 20) as f64
        );
        lines.push(line);
    }
    lines.push("every per-asset total matches the synthetic state".into());
    Ok(BenchReport { lines })
}

/// The config and wallets file of `n_btc` Bitcoin and `n_evm` EVM addresses.
fn write_case(
    dir: &Path,
    b: &AddressBench,
    btc_url: &str,
    evm_urls: &[String],
    n_btc: u64,
    n_evm: u64,
) -> Result<Config, BenchError> {
    let mut toml = String::from(
        "exchange = \"Bench Exchange\"\n\n[[assets]]\nsymbol = \"BTC\"\ndecimals = 8\n\n[[assets]]\nsymbol = \"ETH\"\ndecimals = 18\n",
    );
    for (t, symbol) in TOKENS.iter().enumerate() {
        let contracts: Vec<String> = EVM_CHAINS
            .iter()
            .map(|(name, _)| format!("{name} = \"{}\"", token_contract(t)))
            .collect();
        let _ = write!(
            toml,
            "\n[[assets]]\nsymbol = \"{symbol}\"\ndecimals = 6\ncontracts = {{ {} }}\n",
            contracts.join(", ")
        );
    }
    let _ = write!(
        toml,
        "\n[liabilities]\npath = \"liabilities.csv\"\n\n[wallets]\npath = \"wallets.csv\"\n\n[reads]\ntimeout_secs = 30\nin_flight = {}\nbatch = {}\n\n[[chains]]\nname = \"bitcoin\"\nkind = \"bitcoin\"\nnetwork = \"mainnet\"\nnative = \"BTC\"\n[[chains.endpoints]]\nkind = \"esplora\"\nurl = \"{btc_url}\"\n",
        b.in_flight, b.batch
    );
    for ((name, chain_id), url) in EVM_CHAINS.iter().zip(evm_urls) {
        let _ = write!(
            toml,
            "\n[[chains]]\nname = \"{name}\"\nkind = \"evm\"\nchain_id = {chain_id}\nnative = \"ETH\"\n[[chains.endpoints]]\nkind = \"jsonrpc\"\nurl = \"{url}\"\n"
        );
    }
    toml.push_str(
        "\n[output]\nsnapshots = \"snapshots\"\nsite = \"public\"\nprivate = \"private\"\n",
    );
    std::fs::write(dir.join("por.toml"), toml)?;
    std::fs::write(
        dir.join("liabilities.csv"),
        "uid,BTC,ETH,USDT,USDC,DAI\nalice,1,1,1,1,1\n",
    )?;
    let mut w = std::io::BufWriter::new(std::fs::File::create(dir.join("wallets.csv"))?);
    use std::io::Write;
    writeln!(w, "chain,address,label,scheme,signature,script")?;
    for i in 0..n_btc {
        writeln!(w, "bitcoin,{},cold,none,,", btc_address(i))?;
    }
    for (name, _) in EVM_CHAINS {
        for i in 0..n_evm {
            writeln!(
                w,
                "{name},{},hot,none,,",
                alloy::primitives::Address::from(evm_address(i))
            )?;
        }
    }
    w.flush()?;
    drop(w);
    Config::from_file(&dir.join("por.toml")).map_err(|e| BenchError::Reserves(e.to_string()))
}

/// Every asset's total (all unproven: scheme `none`) against the generator's.
fn check_totals(
    config: &Config,
    report: &reserves::ReservesReport,
    n_btc: u64,
    n_evm: u64,
) -> Result<(), BenchError> {
    let mut expected = vec![0u128; config.assets.len()];
    expected[0] = (0..n_btc).map(|i| u128::from(BtcState::balance(i))).sum();
    for n in 0..EVM_CHAINS.len() as u64 {
        let s = EvmState { chain: n };
        expected[1] += (0..n_evm).map(|i| s.at_snapshot(None, i)).sum::<u128>();
        for t in 0..TOKENS.len() as u64 {
            expected[2 + t as usize] += (0..n_evm).map(|i| s.at_snapshot(Some(t), i)).sum::<u128>();
        }
    }
    for (i, ((verified, unproven), want)) in
        report.figures.per_asset.iter().zip(&expected).enumerate()
    {
        if *verified != Amount::ZERO || *unproven != Amount::from_base_units(*want) {
            return Err(BenchError::Reserves(format!(
                "{}: read {:?} unproven, the synthetic state holds {want}",
                config.assets[i].symbol, unproven
            )));
        }
    }
    Ok(())
}
