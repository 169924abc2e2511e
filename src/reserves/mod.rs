//! Reserves at the snapshot block: pins one block per chain (the last one at or
//! before `as_of`, agreed on by every endpoint; every EVM endpoint must report the
//! configured chain id first), reads every listed address's holdings
//! pinned to that block, checks each ownership proof, re-checks the block hashes
//! (a reorg during the run aborts it), and produces the per-asset figures and the
//! published address lists (`addresses.json`, `addresses.csv`, `defillama.json`).
//!
//! Addresses are read `[reads] in_flight` at once: a Bitcoin address alone, EVM
//! addresses of one chain in chunks of one JSON-RPC batch (`[reads] batch` calls;
//! [`batch`]), each value required equal from every endpoint. The caller's
//! [`crate::progress::Progress`] is told of the addresses done per chain.
//!
//! Only addresses whose ownership proof verified count in `reserves`; the others
//! count in `unproven_reserves`, and a proof that fails is reported by address and
//! scheme. Nothing here writes a file: the figures go to [`crate::snapshot::publish`].

pub mod batch;
pub mod bip127;
pub mod connect;
pub mod wallets;

use crate::amount::Amount;
use crate::chains::{
    BitcoinBackend, BlockRef, ChainError, EthereumBackend, EvmAnswer, EvmQuery, agree,
    last_block_at_or_before,
};
use crate::config::{ChainConfig, ChainKind, Config};
use crate::format::{BitcoinChain, ChainBlock, Chains, EvmChain, SnapshotId};
use crate::ownership::{self, EthAddress, Verdict, WalletAddress};
use crate::time::Timestamp;
use wallets::Wallet;

/// Why reserves could not be read; nothing is published when one is returned.
#[derive(Debug, thiserror::Error)]
pub enum ReservesError {
    /// A chain backend failed (transport, reorg, endpoints disagreeing, …).
    #[error("{0}")]
    Chain(#[from] ChainError),
    /// An asset's on-chain source in the config cannot be used (or `addresses.csv` could not be
    /// written).
    #[error("{file}: {key}: {message}")]
    Config {
        /// The config file (or the file being written).
        file: String,
        /// The offending key, e.g. `assets[1].chain`.
        key: String,
        /// What is wrong with it.
        message: String,
    },
    /// An EVM endpoint reports another chain id than the config; nothing is published.
    #[error(
        "chain {chain}: {endpoint}: eth_chainId is {found}, but the config says chain_id = {expected}"
    )]
    ChainId {
        /// The chain's configured name.
        chain: String,
        /// The endpoint, without credentials.
        endpoint: String,
        /// The chain id the config names.
        expected: u64,
        /// The chain id the endpoint reports.
        found: u64,
    },
    /// A wallets file lists an address on a chain the config has no section for.
    #[error("{file}:{line}: {address} is on {chain}, which has no [chains.{chain}] section")]
    NoChain {
        /// The wallets file.
        file: String,
        /// 1-based line of the row.
        line: u64,
        /// The address.
        address: String,
        /// Its chain's name.
        chain: String,
    },
    /// A chain is needed but no endpoint is configured for it; carries the chain's name.
    #[error("no endpoint is configured for {0}")]
    NoEndpoint(String),
}

/// What the reserves step hands to the snapshot: the blocks read, the figures per
/// asset and the snapshot's public address files.
#[derive(Clone, Debug, Default)]
pub struct ReserveFigures {
    /// The block each chain was read at (the `chains` of the manifest).
    pub chains: Chains,
    /// Per configured asset, in config order: (verified reserves, unproven reserves),
    /// every chain's holdings added.
    pub per_asset: Vec<(Amount, Amount)>,
    /// Public files of the snapshot besides the manifest, by name: the address lists
    /// ([`crate::addresses`], added by the job) and the bip127 wallets' PSBTs.
    pub files: Vec<(String, Vec<u8>)>,
}

/// The live connections of a run, one list per chain (several endpoints must agree).
#[derive(Default)]
pub struct Backends {
    /// One backend per configured Bitcoin endpoint.
    pub bitcoin: Vec<Box<dyn BitcoinBackend>>,
    /// Per EVM chain name, one backend per configured endpoint.
    pub evm: std::collections::BTreeMap<String, Vec<Box<dyn EthereumBackend>>>,
}

/// One asset held at an address at the snapshot block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    /// Index of the asset in the config's `assets`.
    pub asset: usize,
    /// The token contract on the address's chain (EIP-55); `None` for a native coin.
    pub contract: Option<String>,
    /// The amount in base units.
    pub amount: Amount,
}

/// Ownership status of one address after verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// The ownership proof verified.
    Verified,
    /// Scheme `none`.
    Unproven,
    /// The proof did not verify: why.
    Failed(String),
}

/// One address with what it holds at the snapshot block.
#[derive(Debug, Clone)]
pub struct AddressReserves {
    /// The address as listed.
    pub wallet: Wallet,
    /// The exact ownership message for this address and snapshot (FORMAT.md §5).
    pub message: String,
    /// What it holds, one entry per asset read on its chain, in config order.
    pub holdings: Vec<Held>,
    /// Whether its ownership proof verified.
    pub status: Status,
}

/// Everything the reserves step found.
pub struct ReservesReport {
    /// The figures and files handed to the snapshot.
    pub figures: ReserveFigures,
    /// Every listed address, in wallets-file order, then the bip127 wallets' addresses.
    pub addresses: Vec<AddressReserves>,
    /// The token contracts read, as `(chain, EIP-55 contract)`, in config order.
    pub tokens: Vec<(String, String)>,
    /// Failures of bip127 wallets that no address carries, as `(wallet, scheme, reason)`.
    pub wallet_failures: Vec<(String, String, String)>,
}

impl ReservesReport {
    /// Addresses whose proof failed, as `(address, scheme, reason)`.
    pub fn failures(&self) -> Vec<(String, String, String)> {
        self.addresses
            .iter()
            .filter_map(|a| match &a.status {
                Status::Failed(why) => Some((
                    a.wallet.address.to_string(),
                    a.wallet.scheme.to_string(),
                    why.clone(),
                )),
                _ => None,
            })
            .chain(self.wallet_failures.iter().cloned())
            .collect()
    }
}

/// A configured asset source resolved: an asset read on one chain.
#[derive(Clone, Debug)]
struct Source {
    asset: usize,
    chain: String,
    token: Option<EthAddress>,
}

fn resolve_sources(config: &Config) -> Result<Vec<Source>, ReservesError> {
    let file = config.file.display().to_string();
    let mut out: Vec<Source> = Vec::new();
    for (i, a) in config.assets.iter().enumerate() {
        let key = format!("assets[{i}]");
        let invalid = |key: String, message: String| ReservesError::Config {
            file: file.clone(),
            key,
            message,
        };
        if a.sources.is_empty() && !config.custodians.iter().any(|c| c.asset == i) {
            return Err(invalid(
                format!("{key}.chain"),
                format!("asset {} has no on-chain source", a.symbol),
            ));
        }
        for src in &a.sources {
            let token = match &src.contract {
                None => None,
                Some(c) => Some(
                    EthAddress::parse(c)
                        .map_err(|e| invalid(format!("{key}.contract"), e.to_string()))?,
                ),
            };
            let same = out
                .iter()
                .position(|o| o.chain == src.chain && o.token == token);
            if let Some(j) = same {
                return Err(invalid(
                    key,
                    format!(
                        "{} reads the same on-chain source as {}",
                        a.symbol, config.assets[out[j].asset].symbol
                    ),
                ));
            }
            out.push(Source {
                asset: i,
                chain: src.chain.clone(),
                token,
            });
        }
    }
    Ok(out)
}

/// What pinning a block needs from either chain's backend.
trait Blocks {
    fn endpoint(&self) -> &str;
    fn tip_height(&self) -> Result<u64, ChainError>;
    fn block_at(&self, height: u64) -> Result<BlockRef, ChainError>;
}

impl Blocks for dyn BitcoinBackend {
    fn endpoint(&self) -> &str {
        BitcoinBackend::endpoint(self)
    }
    fn tip_height(&self) -> Result<u64, ChainError> {
        BitcoinBackend::tip_height(self)
    }
    fn block_at(&self, height: u64) -> Result<BlockRef, ChainError> {
        BitcoinBackend::block_at(self, height)
    }
}

impl Blocks for dyn EthereumBackend {
    fn endpoint(&self) -> &str {
        EthereumBackend::endpoint(self)
    }
    fn tip_height(&self) -> Result<u64, ChainError> {
        EthereumBackend::tip_height(self)
    }
    fn block_at(&self, height: u64) -> Result<BlockRef, ChainError> {
        EthereumBackend::block_at(self, height)
    }
}

/// How [`read_with`] reads: a snapshot's block at `as_of` with every ownership proof
/// verified, or a reserves update's confirmed blocks with the snapshot's verdicts.
pub enum Reading<'a> {
    /// A snapshot: each chain's configured height, or the last block at or before
    /// `as_of`; every proof is verified; bip127 wallets are proven by their PSBTs.
    Snapshot {
        /// The snapshot time.
        as_of: Timestamp,
    },
    /// A reserves update (`por watch`): each chain at `tip - confirmations + 1`, the
    /// tip being the first endpoint's (or its last block at or before `tip_at`); no
    /// proof is verified again: each address gets its verdict from `verdicts`, by
    /// `(chain, address)`, and an address missing from it is unproven. The bip127
    /// wallets' addresses are read as plain addresses (the caller lists them).
    Update {
        /// Confirmations per chain name.
        confirmations: &'a (dyn Fn(&str) -> u64 + Sync),
        /// Read the chain as it was at this time (the demo's fixture); `None`: the tip.
        tip_at: Option<Timestamp>,
        /// The snapshot's verdicts by `(chain, published address)`.
        verdicts: &'a std::collections::BTreeMap<(String, String), Status>,
    },
}

/// Which block [`pin`] takes.
#[derive(Clone, Copy)]
enum Choice {
    /// A configured height.
    Height(u64),
    /// The last block at or before this time.
    AsOf(Timestamp),
    /// The block with this many confirmations, at the tip or at the tip as of a time.
    Confirmed(u64, Option<Timestamp>),
}

impl Reading<'_> {
    /// An update's verdict on an address (the snapshot's, or unproven); `None` for a
    /// snapshot, which verifies the proof.
    fn verdict(&self, chain: &str, address: &str) -> Option<Status> {
        match self {
            Reading::Snapshot { .. } => None,
            Reading::Update { verdicts, .. } => Some(
                verdicts
                    .get(&(chain.to_string(), address.to_string()))
                    .cloned()
                    .unwrap_or(Status::Unproven),
            ),
        }
    }

    fn choice(&self, c: &ChainConfig) -> Choice {
        match self {
            Reading::Snapshot { as_of } => c.height.map_or(Choice::AsOf(*as_of), Choice::Height),
            Reading::Update {
                confirmations,
                tip_at,
                ..
            } => Choice::Confirmed(confirmations(&c.name), *tip_at),
        }
    }
}

/// Pins the block of a chain (see [`Choice`]) on the first endpoint; every endpoint
/// must have the same block there.
fn pin<B: Blocks + ?Sized>(backends: &[Box<B>], choice: Choice) -> Result<BlockRef, ChainError> {
    let first = &backends[0];
    let h = match choice {
        Choice::Height(h) => h,
        Choice::Confirmed(confirmations, tip_at) => {
            let mut tip = first.tip_height()?;
            if let Some(t) = tip_at {
                tip = last_block_at_or_before(first.endpoint(), t.0, tip, |h| {
                    first.block_at(h).map(|b| b.time)
                })?;
            }
            (tip + 1)
                .checked_sub(confirmations)
                .ok_or_else(|| ChainError::Unsupported {
                    endpoint: first.endpoint().to_string(),
                    message: format!(
                        "the chain has {} block(s), fewer than the {confirmations} confirmations asked for",
                        tip + 1
                    ),
                })?
        }
        Choice::AsOf(as_of) => {
            let tip_h = first.tip_height()?;
            let h = last_block_at_or_before(first.endpoint(), as_of.0, tip_h, |h| {
                first.block_at(h).map(|b| b.time)
            })?;
            if h == tip_h {
                tracing::warn!(
                    endpoint = first.endpoint(),
                    height = h,
                    "the chain tip is not past as_of yet: the snapshot block is the current tip"
                );
            }
            h
        }
    };
    let mut blocks = Vec::new();
    for b in backends {
        blocks.push((b.endpoint().to_string(), b.block_at(h)?));
    }
    let hash = agree(
        &format!("the block at height {h}"),
        blocks
            .iter()
            .map(|(e, b)| (e.clone(), b.hash.clone()))
            .collect(),
    )?;
    let block = blocks.swap_remove(0).1;
    debug_assert_eq!(block.hash, hash);
    Ok(block)
}

/// Checks that every endpoint still has `block` at its height.
fn recheck<B: Blocks + ?Sized>(backends: &[Box<B>], block: &BlockRef) -> Result<(), ChainError> {
    for b in backends {
        let now = b.block_at(block.height)?;
        if now.hash != block.hash {
            return Err(ChainError::Reorg {
                endpoint: b.endpoint().to_string(),
                height: block.height,
                before: block.hash.clone(),
                after: now.hash,
            });
        }
    }
    Ok(())
}

/// Asks every endpoint and requires one answer.
fn ask_all<B: Blocks + ?Sized, T: PartialEq + std::fmt::Display>(
    backends: &[Box<B>],
    what: &str,
    f: impl Fn(&B) -> Result<T, ChainError>,
) -> Result<T, ChainError> {
    let mut answers = Vec::with_capacity(backends.len());
    for b in backends {
        answers.push((b.endpoint().to_string(), f(b)?));
    }
    agree(what, answers)
}

/// One EVM chain being read: its config, endpoints and snapshot block.
struct EvmRead<'a> {
    config: &'a ChainConfig,
    backends: &'a [Box<dyn EthereumBackend>],
    block: BlockRef,
}

/// Checks every endpoint's `eth_chainId` against the config, then pins the block.
fn pin_evm<'a>(
    c: &'a ChainConfig,
    chain_id: u64,
    backends: &'a Backends,
    choice: Choice,
) -> Result<EvmRead<'a>, ReservesError> {
    let list = backends
        .evm
        .get(&c.name)
        .filter(|l| !l.is_empty())
        .ok_or_else(|| ReservesError::NoEndpoint(c.name.clone()))?;
    for b in list {
        let found = b.chain_id()?;
        if found != chain_id {
            return Err(ReservesError::ChainId {
                chain: c.name.clone(),
                endpoint: b.endpoint().to_string(),
                expected: chain_id,
                found,
            });
        }
    }
    let block = pin(list, choice)?;
    tracing::info!(chain = %c.name, height = block.height, hash = %block.hash, "evm snapshot block");
    Ok(EvmRead {
        config: c,
        backends: list,
        block,
    })
}

/// Runs `f` over `items` on `workers` threads (at least 1), each taking the next item
/// when done with its last: at most `workers` calls run at once, so at most that many
/// requests are in flight per endpoint. Results come back in `items` order; on an error
/// no new item is started and the error of the first failing item is returned.
pub fn map_bounded<T: Sync, R: Send, E: Send>(
    items: &[T],
    workers: usize,
    f: impl Fn(&T) -> Result<R, E> + Sync,
) -> Result<Vec<R>, E> {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let workers = workers.clamp(1, items.len().max(1));
    let work = || {
        let mut done = Vec::new();
        while !failed.load(Ordering::Relaxed) {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(i) else { break };
            let r = f(item);
            if r.is_err() {
                failed.store(true, Ordering::Relaxed);
            }
            done.push((i, r));
        }
        done
    };
    let mut all: Vec<(usize, Result<R, E>)> = if workers == 1 {
        work()
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..workers).map(|_| s.spawn(work)).collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("a reader thread panicked"))
                .collect()
        })
    };
    // Every item before the first failing one was taken earlier and has finished.
    all.sort_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, r)| r).collect()
}

/// Reads the reserves of `wallets` at the snapshot blocks and verifies ownership.
pub fn read(
    config: &Config,
    id: &SnapshotId,
    as_of: Timestamp,
    wallets: Vec<Wallet>,
    backends: &Backends,
) -> Result<ReservesReport, ReservesError> {
    let reading = Reading::Snapshot { as_of };
    read_with(
        config,
        id,
        &reading,
        wallets,
        backends,
        &crate::progress::Silent,
    )
}

/// Reads the reserves of `wallets` at the blocks `reading` chooses, with its ownership
/// verdicts ([`Reading`]).
pub fn read_with(
    config: &Config,
    id: &SnapshotId,
    reading: &Reading,
    wallets: Vec<Wallet>,
    backends: &Backends,
    progress: &dyn crate::progress::Progress,
) -> Result<ReservesReport, ReservesError> {
    let sources = resolve_sources(config)?;
    let chain_list: &[ChainConfig] = config
        .chains
        .as_ref()
        .map(|c| &c.list[..])
        .unwrap_or_default();
    let wallets_file = config
        .wallets_for(id.as_str())
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    for w in &wallets {
        let kind_fits = |c: &ChainConfig| {
            matches!(
                (&c.kind, &w.address),
                (ChainKind::Bitcoin { .. }, WalletAddress::Bitcoin(_))
                    | (ChainKind::Evm { .. }, WalletAddress::Ethereum(_))
            )
        };
        if !chain_list.iter().any(|c| c.name == w.chain && kind_fits(c)) {
            return Err(ReservesError::NoChain {
                file: wallets_file.clone(),
                line: w.line,
                address: w.address.to_string(),
                chain: w.chain.clone(),
            });
        }
    }

    let mut chains = Chains::default();
    let mut btc_block = None;
    let mut evm: Vec<EvmRead> = Vec::new();
    for c in chain_list {
        match &c.kind {
            ChainKind::Bitcoin { network_name, .. } => {
                if backends.bitcoin.is_empty() {
                    return Err(ReservesError::NoEndpoint(c.name.clone()));
                }
                let block = pin(&backends.bitcoin, reading.choice(c))?;
                tracing::info!(height = block.height, hash = %block.hash, "bitcoin snapshot block");
                chains.0.insert(
                    c.name.clone(),
                    ChainBlock::Bitcoin(BitcoinChain {
                        network: network_name.clone(),
                        height: block.height,
                        block_hash: block.hash.clone(),
                        block_time: Timestamp(block.time).to_rfc3339(),
                    }),
                );
                btc_block = Some(block);
            }
            ChainKind::Evm { chain_id } => {
                let r = pin_evm(c, *chain_id, backends, reading.choice(c))?;
                chains.0.insert(
                    c.name.clone(),
                    ChainBlock::Evm(EvmChain {
                        kind: c.listed.then(|| "evm".to_string()),
                        chain_id: *chain_id,
                        height: r.block.height,
                        block_hash: r.block.hash.clone(),
                        block_time: Timestamp(r.block.time).to_rfc3339(),
                    }),
                );
                evm.push(r);
            }
        }
    }

    let in_flight = config.chains.as_ref().map_or(1, |c| c.in_flight);
    let batch_size = config.chains.as_ref().map_or(1, |c| c.batch);
    for c in chain_list {
        let n = wallets.iter().filter(|w| w.chain == c.name).count();
        progress.chain_start(&c.name, n as u64);
    }
    // A Bitcoin address is read alone; an EVM address with one call per asset on its chain.
    let calls = |w: &Wallet| match &w.address {
        WalletAddress::Bitcoin(_) => None,
        WalletAddress::Ethereum(_) => Some(sources.iter().filter(|s| s.chain == w.chain).count()),
    };
    let chunks = batch::chunks(&wallets, |w| w.chain.as_str(), calls, batch_size);
    // The ownership status of an address from its verdict; `eip1271` is the contract's
    // answer when the verdict needed one.
    let status_of = |w: &Wallet,
                     verdict: &Result<Verdict, ownership::OwnershipError>,
                     eip1271: Option<(bool, u64)>| {
        let published = w.address.to_string();
        let status = match verdict {
            Ok(Verdict::Verified) => Status::Verified,
            Ok(Verdict::Unproven) => Status::Unproven,
            Ok(Verdict::NeedsEip1271 { .. }) => {
                match eip1271.expect("asked for every NeedsEip1271") {
                    (true, _) => Status::Verified,
                    (false, height) => Status::Failed(format!(
                        "{published}: eip1271: isValidSignature did not return 0x1626ba7e at height {height}"
                    )),
                }
            }
            Err(e) => Status::Failed(e.to_string()),
        };
        let status = reading.verdict(&w.chain, &published).unwrap_or(status);
        if let Status::Failed(why) = &status {
            tracing::warn!(address = %published, scheme = %w.scheme, reason = %why, "ownership proof failed");
        }
        status
    };
    let read_btc = |w: &Wallet| -> Result<AddressReserves, ReservesError> {
        let WalletAddress::Bitcoin(a) = &w.address else {
            unreachable!("a bitcoin chunk")
        };
        let published = w.address.to_string();
        let block = btc_block.as_ref().expect("checked above");
        let mut holdings = Vec::new();
        for s in sources.iter().filter(|s| s.chain == w.chain) {
            let v = ask_all(
                &backends.bitcoin,
                &format!("the balance of {published} at height {}", block.height),
                |b| b.balance_at(a.inner(), block),
            )?;
            holdings.push(Held {
                asset: s.asset,
                contract: None,
                amount: Amount::from_base_units(v),
            });
        }
        holdings.sort_by_key(|h| h.asset);
        let message = ownership::message(&config.exchange, id.as_str(), &published);
        let verdict = ownership::verify(&w.address, &message, &w.proof);
        let status = status_of(w, &verdict, None);
        Ok(AddressReserves {
            wallet: w.clone(),
            message,
            holdings,
            status,
        })
    };
    // The addresses of one EVM chain: their balances in batches, then the EIP-1271
    // checks their proofs need, in batches too.
    let read_evm = |chunk: &[usize]| -> Result<Vec<AddressReserves>, ReservesError> {
        let chain = wallets[chunk[0]].chain.as_str();
        let r = evm
            .iter()
            .find(|r| r.config.name == chain)
            .expect("checked above");
        let height = r.block.height;
        let describe = |q: &EvmQuery| match q {
            EvmQuery::Native { holder } => {
                format!("the native balance of {holder} on {chain} at height {height}")
            }
            EvmQuery::Erc20 { token, holder } => {
                format!("balanceOf({holder}) on {token} on {chain} at height {height}")
            }
            EvmQuery::Eip1271 { wallet, .. } => {
                format!("isValidSignature on {wallet} on {chain} at height {height}")
            }
        };
        let on_chain: Vec<&Source> = sources.iter().filter(|s| s.chain == chain).collect();
        let holder = |i: usize| match &wallets[i].address {
            WalletAddress::Ethereum(a) => a.inner(),
            WalletAddress::Bitcoin(_) => unreachable!("an evm chunk"),
        };
        let queries: Vec<EvmQuery> = chunk
            .iter()
            .flat_map(|&i| {
                on_chain.iter().map(move |s| match &s.token {
                    None => EvmQuery::Native { holder: holder(i) },
                    Some(t) => EvmQuery::Erc20 {
                        token: t.inner(),
                        holder: holder(i),
                    },
                })
            })
            .collect();
        let answers = batch::ask_all_batched(r.backends, &queries, &r.block, batch_size, describe)?;
        let mut answers = answers.into_iter();
        let mut found = Vec::with_capacity(chunk.len());
        let mut checks = Vec::new();
        for &i in chunk {
            let w = &wallets[i];
            let mut holdings = Vec::with_capacity(on_chain.len());
            for s in &on_chain {
                let Some(EvmAnswer::Amount(v)) = answers.next() else {
                    unreachable!("one amount per balance query")
                };
                holdings.push(Held {
                    asset: s.asset,
                    contract: s.token.as_ref().map(|t| t.to_string()),
                    amount: Amount::from_base_units(v),
                });
            }
            holdings.sort_by_key(|h| h.asset);
            let message = ownership::message(&config.exchange, id.as_str(), &w.address.to_string());
            let verdict = ownership::verify(&w.address, &message, &w.proof);
            if let Ok(Verdict::NeedsEip1271 {
                wallet,
                hash,
                signature,
            }) = &verdict
            {
                checks.push(EvmQuery::Eip1271 {
                    wallet: wallet.inner(),
                    hash: *hash,
                    signature: signature.clone(),
                });
            }
            found.push((w, message, holdings, verdict));
        }
        let valid = batch::ask_all_batched(r.backends, &checks, &r.block, batch_size, describe)?;
        let mut valid = valid.into_iter();
        let out = found
            .into_iter()
            .map(|(w, message, holdings, verdict)| {
                let eip1271 = matches!(verdict, Ok(Verdict::NeedsEip1271 { .. })).then(|| {
                    let Some(EvmAnswer::Valid(ok)) = valid.next() else {
                        unreachable!("one answer per eip-1271 query")
                    };
                    (ok, height)
                });
                let status = status_of(w, &verdict, eip1271);
                AddressReserves {
                    wallet: w.clone(),
                    message,
                    holdings,
                    status,
                }
            })
            .collect();
        Ok(out)
    };
    let read_chunk = |chunk: &Vec<usize>| -> Result<Vec<AddressReserves>, ReservesError> {
        let w = &wallets[chunk[0]];
        let found = match &w.address {
            WalletAddress::Bitcoin(_) => vec![read_btc(w)?],
            WalletAddress::Ethereum(_) => read_evm(chunk)?,
        };
        progress.chain_advance(&w.chain, chunk.len() as u64);
        Ok(found)
    };
    let found = map_bounded(&chunks, in_flight, read_chunk)?;
    // Back into wallets-file order.
    let mut slots: Vec<Option<AddressReserves>> = Vec::new();
    slots.resize_with(wallets.len(), || None);
    for (chunk, found) in chunks.iter().zip(found) {
        for (&i, a) in chunk.iter().zip(found) {
            slots[i] = Some(a);
        }
    }
    let mut out: Vec<AddressReserves> = slots
        .into_iter()
        .map(|a| a.expect("every address is in one chunk"))
        .collect();
    drop(wallets);

    let mut per_asset = vec![(Amount::ZERO, Amount::ZERO); config.assets.len()];
    add_holdings(&mut per_asset, &out, config)?;

    let mut bip127_found = bip127::Bip127Found::default();
    if !config.bip127.is_empty() && matches!(reading, Reading::Snapshot { .. }) {
        let block = btc_block
            .as_ref()
            .ok_or_else(|| ReservesError::NoEndpoint("bitcoin".into()))?;
        let btc_chain = config
            .chains
            .as_ref()
            .and_then(crate::config::ChainsConfig::bitcoin)
            .map(|c| c.name.clone())
            .unwrap_or_else(|| "bitcoin".into());
        let btc = sources
            .iter()
            .find(|s| s.chain == btc_chain && s.token.is_none())
            .map(|s| s.asset)
            .expect("the config requires a bitcoin asset with bip127 wallets");
        bip127_found = bip127::read(config, id, block, &backends.bitcoin, btc, &out)?;
        for a in &bip127_found.addresses {
            if let Status::Failed(why) = &a.status {
                tracing::warn!(address = %a.wallet.address, scheme = "bip127", reason = %why, "ownership proof failed");
            }
        }
        add_holdings(&mut per_asset, &bip127_found.addresses, config)?;
        out.append(&mut bip127_found.addresses);
    }

    // A block that changed while we read means the reads may mix two chains.
    if let Some(b) = &btc_block {
        recheck(&backends.bitcoin, b)?;
    }
    for r in &evm {
        recheck(r.backends, &r.block)?;
    }

    let tokens: Vec<(String, String)> = sources
        .iter()
        .filter_map(|s| s.token.as_ref().map(|t| (s.chain.clone(), t.to_string())))
        .collect();
    Ok(ReservesReport {
        figures: ReserveFigures {
            chains,
            per_asset,
            files: bip127_found.files,
        },
        addresses: out,
        tokens,
        wallet_failures: bip127_found.failures,
    })
}

/// Adds every address's holdings into `per_asset`: verified ones to the first figure
/// (reserves), the rest to the second (unproven), checked.
fn add_holdings(
    per_asset: &mut [(Amount, Amount)],
    addresses: &[AddressReserves],
    config: &Config,
) -> Result<(), ChainError> {
    for a in addresses {
        for h in &a.holdings {
            let slot = if a.status == Status::Verified {
                &mut per_asset[h.asset].0
            } else {
                &mut per_asset[h.asset].1
            };
            *slot = slot
                .checked_add(h.amount)
                .ok_or_else(|| ChainError::Malformed {
                    endpoint: "(sum)".into(),
                    what: format!("the total of {}", config.assets[h.asset].symbol),
                    message: "exceeds 2^128-1".into(),
                })?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::map_bounded;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    /// At most `workers` calls run at once, all of them do when there is room, and
    /// the results keep the input order.
    #[test]
    fn bounded_map_keeps_order_and_its_bound() {
        let (now, max) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let items: Vec<u32> = (0..64).collect();
        let out: Result<Vec<u32>, ()> = map_bounded(&items, 5, |&i| {
            let n = now.fetch_add(1, Ordering::SeqCst) + 1;
            max.fetch_max(n, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(5));
            now.fetch_sub(1, Ordering::SeqCst);
            Ok(i * 2)
        });
        assert_eq!(
            out.unwrap(),
            items.iter().map(|i| i * 2).collect::<Vec<_>>()
        );
        assert_eq!(max.load(Ordering::SeqCst), 5);
    }

    /// The first failing item's error is returned, and no item after the failure is
    /// started once it is seen.
    #[test]
    fn bounded_map_stops_at_the_first_error() {
        let started = AtomicUsize::new(0);
        let items: Vec<u32> = (0..1000).collect();
        let out: Result<Vec<u32>, String> = map_bounded(&items, 4, |&i| {
            started.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(1));
            if i == 10 || i == 12 {
                Err(format!("item {i}"))
            } else {
                Ok(i)
            }
        });
        assert_eq!(out.unwrap_err(), "item 10");
        assert!(started.load(Ordering::SeqCst) < 30);
    }
}
