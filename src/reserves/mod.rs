//! Reserves at the snapshot block: pins one block per chain (the last one at or
//! before `as_of`, agreed on by every endpoint), reads every listed address's holdings
//! pinned to that block, checks each ownership proof, re-checks the block hashes
//! (a reorg during the run aborts it), and produces the per-asset figures and the
//! published address lists (`addresses.json`, `addresses.csv`, `defillama.json`).
//!
//! Only addresses whose ownership proof verified count in `reserves`; the others
//! count in `unproven_reserves`, and a proof that fails is reported by address and
//! scheme. Nothing here writes a file: the figures go to [`crate::snapshot::publish`].

pub mod bip127;
pub mod connect;
pub mod files;
pub mod wallets;

use crate::amount::Amount;
use crate::chains::{
    BitcoinBackend, BlockRef, ChainError, EthereumBackend, agree, last_block_at_or_before,
};
use crate::config::{AssetSource, Config};
use crate::format::{BitcoinChain, Chains, EthereumChain, SnapshotId};
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
    /// An Ethereum endpoint reports another chain id than the config.
    #[error("{endpoint}: chain id {found}, but the config says {expected}")]
    ChainId {
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
        /// Its chain, `bitcoin` or `ethereum`.
        chain: String,
    },
    /// A chain is needed but no endpoint is configured for it; carries the chain's name.
    #[error("no endpoint is configured for {0}")]
    NoEndpoint(&'static str),
}

/// What the reserves step hands to the snapshot: the blocks read, the figures per
/// asset and the snapshot's public address files.
#[derive(Clone, Debug, Default)]
pub struct ReserveFigures {
    /// The block each chain was read at (the `chains` of the manifest).
    pub chains: Chains,
    /// Per configured asset, in config order: (verified reserves, unproven reserves).
    pub per_asset: Vec<(Amount, Amount)>,
    /// Public files of the snapshot besides the manifest (address lists), by name.
    pub files: Vec<(String, Vec<u8>)>,
}

/// The live connections of a run, one list per chain (several endpoints must agree).
#[derive(Default)]
pub struct Backends {
    /// One backend per configured Bitcoin endpoint.
    pub bitcoin: Vec<Box<dyn BitcoinBackend>>,
    /// One backend per configured Ethereum endpoint.
    pub ethereum: Vec<Box<dyn EthereumBackend>>,
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
    /// (configured asset index, amount).
    pub holdings: Vec<(usize, Amount)>,
    /// Whether its ownership proof verified.
    pub status: Status,
}

/// Everything the reserves step found.
pub struct ReservesReport {
    /// The figures and files handed to the snapshot.
    pub figures: ReserveFigures,
    /// Every listed address, in wallets-file order, then the bip127 wallets' addresses.
    pub addresses: Vec<AddressReserves>,
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

/// A configured asset resolved to where it lives.
#[derive(Clone, Debug)]
enum Source {
    Bitcoin,
    Ether,
    Token(EthAddress),
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
        let s = match &a.source {
            None => {
                return Err(invalid(
                    format!("{key}.chain"),
                    format!("asset {} has no on-chain source", a.symbol),
                ));
            }
            Some(AssetSource::BitcoinNative) => Source::Bitcoin,
            Some(AssetSource::EthereumNative) => Source::Ether,
            Some(AssetSource::Erc20 { contract }) => Source::Token(
                EthAddress::parse(contract)
                    .map_err(|e| invalid(format!("{key}.contract"), e.to_string()))?,
            ),
        };
        let same = out.iter().position(|o| match (o, &s) {
            (Source::Bitcoin, Source::Bitcoin) | (Source::Ether, Source::Ether) => true,
            (Source::Token(x), Source::Token(y)) => x == y,
            _ => false,
        });
        if let Some(j) = same {
            return Err(invalid(
                key,
                format!(
                    "{} reads the same on-chain source as {}",
                    a.symbol, config.assets[j].symbol
                ),
            ));
        }
        out.push(s);
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

/// Pins the block of a chain: the configured height, or the last block at or before
/// `as_of` on the first endpoint; every endpoint must have the same block there.
fn pin<B: Blocks + ?Sized>(
    backends: &[Box<B>],
    height: Option<u64>,
    as_of: Timestamp,
) -> Result<BlockRef, ChainError> {
    let first = &backends[0];
    let h = match height {
        Some(h) => h,
        None => {
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

/// Reads the reserves of `wallets` at the snapshot blocks and verifies ownership.
pub fn read(
    config: &Config,
    id: &SnapshotId,
    as_of: Timestamp,
    wallets: Vec<Wallet>,
    backends: &Backends,
) -> Result<ReservesReport, ReservesError> {
    let sources = resolve_sources(config)?;
    let chains_cfg = config.chains.as_ref();
    let btc_cfg = chains_cfg.and_then(|c| c.bitcoin.as_ref());
    let eth_cfg = chains_cfg.and_then(|c| c.ethereum.as_ref());
    let wallets_file = config
        .wallets_for(id.as_str())
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    for w in &wallets {
        let (needs, chain) = match w.address {
            WalletAddress::Bitcoin(_) => (btc_cfg.is_none(), "bitcoin"),
            WalletAddress::Ethereum(_) => (eth_cfg.is_none(), "ethereum"),
        };
        if needs {
            return Err(ReservesError::NoChain {
                file: wallets_file.clone(),
                line: w.line,
                address: w.address.to_string(),
                chain: chain.into(),
            });
        }
    }

    let mut chains = Chains::default();
    let btc_block = match btc_cfg {
        None => None,
        Some(c) => {
            if backends.bitcoin.is_empty() {
                return Err(ReservesError::NoEndpoint("bitcoin"));
            }
            let block = pin(&backends.bitcoin, c.height, as_of)?;
            tracing::info!(height = block.height, hash = %block.hash, "bitcoin snapshot block");
            chains.bitcoin = Some(BitcoinChain {
                network: c.network_name.clone(),
                height: block.height,
                block_hash: block.hash.clone(),
                block_time: Timestamp(block.time).to_rfc3339(),
            });
            Some(block)
        }
    };
    let eth_block = match eth_cfg {
        None => None,
        Some(c) => {
            if backends.ethereum.is_empty() {
                return Err(ReservesError::NoEndpoint("ethereum"));
            }
            for b in &backends.ethereum {
                let found = b.chain_id()?;
                if found != c.chain_id {
                    return Err(ReservesError::ChainId {
                        endpoint: b.endpoint().to_string(),
                        expected: c.chain_id,
                        found,
                    });
                }
            }
            let block = pin(&backends.ethereum, c.height, as_of)?;
            tracing::info!(height = block.height, hash = %block.hash, "ethereum snapshot block");
            chains.ethereum = Some(EthereumChain {
                chain_id: c.chain_id,
                height: block.height,
                block_hash: block.hash.clone(),
                block_time: Timestamp(block.time).to_rfc3339(),
            });
            Some(block)
        }
    };

    let mut per_asset = vec![(Amount::ZERO, Amount::ZERO); config.assets.len()];
    let mut out = Vec::with_capacity(wallets.len());
    for w in wallets {
        let published = w.address.to_string();
        let mut holdings = Vec::new();
        match &w.address {
            WalletAddress::Bitcoin(a) => {
                let block = btc_block.as_ref().expect("checked above");
                for (i, s) in sources.iter().enumerate() {
                    if let Source::Bitcoin = s {
                        let v = ask_all(
                            &backends.bitcoin,
                            &format!("the balance of {published} at height {}", block.height),
                            |b| b.balance_at(a.inner(), block),
                        )?;
                        holdings.push((i, Amount::from_base_units(v)));
                    }
                }
            }
            WalletAddress::Ethereum(a) => {
                let block = eth_block.as_ref().expect("checked above");
                for (i, s) in sources.iter().enumerate() {
                    let v = match s {
                        Source::Bitcoin => continue,
                        Source::Ether => ask_all(
                            &backends.ethereum,
                            &format!("the ETH balance of {published} at height {}", block.height),
                            |b| b.native_balance_at(a.inner(), block),
                        )?,
                        Source::Token(t) => ask_all(
                            &backends.ethereum,
                            &format!("balanceOf({published}) on {t} at height {}", block.height),
                            |b| b.erc20_balance_at(t.inner(), a.inner(), block),
                        )?,
                    };
                    holdings.push((i, Amount::from_base_units(v)));
                }
            }
        }
        let message = ownership::message(&config.exchange, id.as_str(), &published);
        let status = match ownership::verify(&w.address, &message, &w.proof) {
            Ok(Verdict::Verified) => Status::Verified,
            Ok(Verdict::Unproven) => Status::Unproven,
            Ok(Verdict::NeedsEip1271 {
                wallet,
                hash,
                signature,
            }) => {
                let block = eth_block.as_ref().expect("ethereum address");
                let ok = ask_all(
                    &backends.ethereum,
                    &format!("isValidSignature on {published} at height {}", block.height),
                    |b| b.is_valid_signature_1271(wallet.inner(), hash, &signature, block),
                )?;
                if ok {
                    Status::Verified
                } else {
                    Status::Failed(format!(
                        "{published}: eip1271: isValidSignature did not return 0x1626ba7e at height {}",
                        block.height
                    ))
                }
            }
            Err(e) => Status::Failed(e.to_string()),
        };
        if let Status::Failed(why) = &status {
            tracing::warn!(address = %published, scheme = %w.scheme, reason = %why, "ownership proof failed");
        }
        for &(i, v) in &holdings {
            let slot = if status == Status::Verified {
                &mut per_asset[i].0
            } else {
                &mut per_asset[i].1
            };
            *slot = slot.checked_add(v).ok_or_else(|| ChainError::Malformed {
                endpoint: "(sum)".into(),
                what: format!("the total of {}", config.assets[i].symbol),
                message: "exceeds 2^128-1".into(),
            })?;
        }
        out.push(AddressReserves {
            wallet: w,
            message,
            holdings,
            status,
        });
    }

    let mut bip127_found = bip127::Bip127Found::default();
    if !config.bip127.is_empty() {
        let block = btc_block
            .as_ref()
            .ok_or(ReservesError::NoEndpoint("bitcoin"))?;
        let btc = sources
            .iter()
            .position(|s| matches!(s, Source::Bitcoin))
            .expect("the config requires a bitcoin asset with bip127 wallets");
        bip127_found = bip127::read(config, id, block, &backends.bitcoin, btc, &out)?;
        for a in &bip127_found.addresses {
            if let Status::Failed(why) = &a.status {
                tracing::warn!(address = %a.wallet.address, scheme = "bip127", reason = %why, "ownership proof failed");
            }
            for &(i, v) in &a.holdings {
                let slot = if a.status == Status::Verified {
                    &mut per_asset[i].0
                } else {
                    &mut per_asset[i].1
                };
                *slot = slot.checked_add(v).ok_or_else(|| ChainError::Malformed {
                    endpoint: "(sum)".into(),
                    what: format!("the total of {}", config.assets[i].symbol),
                    message: "exceeds 2^128-1".into(),
                })?;
            }
        }
        out.append(&mut bip127_found.addresses);
    }

    // A block that changed while we read means the reads may mix two chains.
    if let Some(b) = &btc_block {
        recheck(&backends.bitcoin, b)?;
    }
    if let Some(b) = &eth_block {
        recheck(&backends.ethereum, b)?;
    }

    let contracts: Vec<Option<String>> = sources
        .iter()
        .map(|s| match s {
            Source::Token(t) => Some(t.to_string()),
            _ => None,
        })
        .collect();
    let mut files = files::render(config, &contracts, id, &chains, &out)?;
    files.append(&mut bip127_found.files);
    Ok(ReservesReport {
        figures: ReserveFigures {
            chains,
            per_asset,
            files,
        },
        addresses: out,
        wallet_failures: bip127_found.failures,
    })
}
