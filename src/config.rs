//! Configuration in two phases (as ripgrep's low/high args, zola's `Config`): a raw
//! `serde(deny_unknown_fields)` mirror of the TOML file, then [`Config`], validated,
//! with paths resolved against the config file's folder. Errors are one line naming
//! the file, the line and column, and the key.

use crate::amount::MAX_DECIMALS;
use crate::chains::bitcoind::RpcAuth;
use crate::excerpt::Excerpt;
use crate::format::AssetInfo;
use crate::liabilities::source::{RawSource, Source};
use crate::log::{KeyType, VerifierKey};
use crate::tree::TreeParams;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Why a config file was refused; one line naming the file and, where known, line, column and key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{file}: {message}")]
    Read {
        /// The config file.
        file: String,
        /// The OS error.
        message: String,
    },
    /// The file is not valid TOML, or does not match the expected keys.
    #[error("{file}:{line}:{column}: {message}")]
    Syntax {
        /// The config file.
        file: String,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// The TOML parses but a value is not acceptable.
    #[error("{file}: {key}: {message}")]
    Invalid {
        /// The config file.
        file: String,
        /// The offending key, as a TOML path (`assets[0].chain`).
        key: String,
        /// What is wrong with its value.
        message: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    exchange: String,
    assets: Vec<RawAsset>,
    liabilities: RawSource,
    #[serde(default)]
    wallets: Option<RawPath>,
    #[serde(default)]
    chains: Option<RawChains>,
    output: RawOutput,
    #[serde(default)]
    site: Option<RawSite>,
    #[serde(default)]
    tree: Option<RawTree>,
    #[serde(default)]
    log: Option<RawLog>,
    #[serde(default)]
    bip127: Vec<RawBip127>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBip127 {
    wallet: String,
    psbt: PathBuf,
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    network: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTree {
    #[serde(default)]
    version: Option<u64>,
    #[serde(default)]
    split: Option<u64>,
    #[serde(default)]
    padding_bits: Option<u64>,
    #[serde(default)]
    publish_account_count: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLog {
    origin: String,
    key: PathBuf,
    #[serde(default)]
    dir: Option<PathBuf>,
    #[serde(default)]
    required: Option<usize>,
    #[serde(default)]
    timeout_secs: Option<u64>,
    #[serde(default)]
    witnesses: Vec<RawWitness>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWitness {
    name: String,
    key: String,
    url: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAsset {
    symbol: String,
    decimals: u8,
    #[serde(default)]
    chain: Option<String>,
    #[serde(default)]
    contract: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPath {
    path: PathBuf,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutput {
    snapshots: PathBuf,
    site: PathBuf,
    private: PathBuf,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSite {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    bitcoin_explorer: Option<String>,
    #[serde(default)]
    ethereum_explorer: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChains {
    #[serde(default)]
    timeout_secs: Option<u64>,
    #[serde(default)]
    attempts: Option<u32>,
    #[serde(default)]
    bitcoin: Option<RawBitcoin>,
    #[serde(default)]
    ethereum: Option<RawEthereum>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBitcoin {
    network: String,
    #[serde(default)]
    height: Option<u64>,
    endpoints: Vec<RawEndpoint>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEthereum {
    chain_id: u64,
    #[serde(default)]
    height: Option<u64>,
    endpoints: Vec<RawEndpoint>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEndpoint {
    kind: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    path: Option<PathBuf>,
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    cookie_file: Option<PathBuf>,
}

/// Where an asset's reserves are read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AssetSource {
    /// Bitcoin's own coin, read from `[chains.bitcoin]`.
    BitcoinNative,
    /// Ether, read from `[chains.ethereum]`.
    EthereumNative,
    /// An ERC-20 token; the contract address as written (checked by the reserves step).
    Erc20 {
        /// The token contract address.
        contract: String,
    },
}

/// One configured asset: a column of the liabilities file.
#[derive(Clone, Debug)]
pub struct AssetConfig {
    /// Asset symbol, e.g. `BTC`; the liabilities file's column header.
    pub symbol: String,
    /// Decimal places of the asset (at most [`crate::amount::MAX_DECIMALS`]).
    pub decimals: u8,
    /// Where its reserves are read; `None` only when no `[chains]` is configured.
    pub source: Option<AssetSource>,
}

impl AssetConfig {
    /// The symbol and decimals, as the tree and proofs carry them.
    pub fn info(&self) -> AssetInfo {
        AssetInfo {
            symbol: self.symbol.clone(),
            decimals: self.decimals,
        }
    }
}

/// One configured chain endpoint (`[[chains.<chain>.endpoints]]`, by `kind`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// An Esplora REST API (`kind = "esplora"`): balances at any past block.
    Esplora {
        /// Base URL of the API.
        url: String,
    },
    /// Bitcoin Core JSON-RPC (`kind = "bitcoind"`): valid only while the snapshot block is the tip.
    Bitcoind {
        /// The node's RPC URL.
        url: String,
        /// User and password, or a cookie file.
        auth: RpcAuth,
    },
    /// Ethereum JSON-RPC (`kind = "jsonrpc"`), reads pinned to the block by hash.
    JsonRpc {
        /// The node's or provider's URL; may hold credentials, never logged.
        url: String,
    },
    /// A recorded chain fixture (offline demo and tests); never live data.
    Fixture {
        /// The fixture file, resolved against the config file's folder.
        path: PathBuf,
    },
}

/// `[chains.bitcoin]`: how Bitcoin reserves are read.
#[derive(Clone, Debug)]
pub struct BitcoinConfig {
    /// The network addresses are checked against.
    pub network: bitcoin::Network,
    /// The published network name (`mainnet`, `testnet`, …).
    pub network_name: String,
    /// A pinned snapshot block; `None` to search for the block at `as_of`.
    pub height: Option<u64>,
    /// Every endpoint asked; all must agree on the block and every balance.
    pub endpoints: Vec<Endpoint>,
}

/// `[chains.ethereum]`: how Ethereum reserves are read.
#[derive(Clone, Debug)]
pub struct EthereumConfig {
    /// EIP-155 chain id the endpoints must report.
    pub chain_id: u64,
    /// A pinned snapshot block; `None` to search for the block at `as_of`.
    pub height: Option<u64>,
    /// Every endpoint asked; all must agree on the block and every balance.
    pub endpoints: Vec<Endpoint>,
}

/// `[chains]`: request limits and the chains read.
#[derive(Clone, Debug)]
pub struct ChainsConfig {
    /// Per-request timeout (`timeout_secs`, default 30 s, at least 1 s).
    pub timeout: Duration,
    /// Attempts per request for transient errors (default 4, at least 1).
    pub attempts: u32,
    /// Present when `[chains.bitcoin]` is configured.
    pub bitcoin: Option<BitcoinConfig>,
    /// Present when `[chains.ethereum]` is configured.
    pub ethereum: Option<EthereumConfig>,
}

/// `[site]`: how the transparency site is titled and links to explorers.
#[derive(Clone, Debug, Default)]
pub struct SiteConfig {
    /// The site's title, when configured.
    pub title: Option<String>,
    /// Base URL of the Bitcoin explorer (default `https://mempool.space`).
    pub bitcoin_explorer: String,
    /// Base URL of the Ethereum explorer (default `https://etherscan.io`).
    pub ethereum_explorer: String,
}

fn tree_config(raw: Option<&RawTree>) -> Result<TreeParams, (&'static str, String)> {
    use crate::tree::v2::{DEFAULT_PADDING_BITS, DEFAULT_SPLIT, MAX_PADDING_BITS, MAX_SPLIT};
    let Some(raw) = raw else {
        return Ok(TreeParams::default());
    };
    match raw.version.unwrap_or(2) {
        1 => {
            for (key, set) in [
                ("tree.split", raw.split.is_some()),
                ("tree.padding_bits", raw.padding_bits.is_some()),
                (
                    "tree.publish_account_count",
                    raw.publish_account_count.is_some(),
                ),
            ] {
                if set {
                    return Err((key, "applies to version = 2 only".into()));
                }
            }
            Ok(TreeParams::V1)
        }
        2 => {
            let split = raw.split.unwrap_or(u64::from(DEFAULT_SPLIT));
            if !(1..=u64::from(MAX_SPLIT)).contains(&split) {
                return Err(("tree.split", format!("{split} is not in 1..={MAX_SPLIT}")));
            }
            let padding_bits = raw.padding_bits.unwrap_or(u64::from(DEFAULT_PADDING_BITS));
            if padding_bits > u64::from(MAX_PADDING_BITS) {
                return Err((
                    "tree.padding_bits",
                    format!("{padding_bits} is not in 0..={MAX_PADDING_BITS}"),
                ));
            }
            Ok(TreeParams::V2 {
                split: split as u8,
                padding_bits: padding_bits as u8,
                publish_account_count: raw.publish_account_count.unwrap_or(false),
            })
        }
        v => Err(("tree.version", format!("{v} is not 1 or 2"))),
    }
}

/// One `[[log.witnesses]]` entry: a witness the publisher submits every checkpoint to.
#[derive(Clone, Debug)]
pub struct WitnessConfig {
    /// Its label, in messages and on the site.
    pub name: String,
    /// Its cosignature verifier key (type `0x04`), pinned.
    pub key: VerifierKey,
    /// Its submission prefix (`POST <url>/add-checkpoint`), without a trailing `/`.
    pub url: String,
}

/// `[log]`: the snapshot log (FORMAT.md §7).
#[derive(Clone, Debug)]
pub struct LogConfig {
    /// The log's origin, e.g. `proof-of-reserves.example.com/por`; also its key's name.
    pub origin: String,
    /// The log's private key file (`por keygen` writes it; mode 0600).
    pub key_file: PathBuf,
    /// The public log folder: `checkpoint`, `consistency/`, `key.txt` (default `log`).
    pub dir: PathBuf,
    /// How many witnesses must cosign (k); fewer is exit 1.
    pub required: usize,
    /// Per-request timeout towards witnesses (`timeout_secs`, default 10 s).
    pub timeout: Duration,
    /// The witnesses, in configured order.
    pub witnesses: Vec<WitnessConfig>,
}

/// One `[[bip127]]` entry: a Bitcoin wallet proven as a whole by one BIP-127
/// proof-of-reserves PSBT per snapshot (FORMAT.md §5, scheme `bip127`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bip127Wallet {
    /// The wallet's name (`^[a-z0-9][a-z0-9._-]{0,63}$`), signed as the message's `address:`.
    pub name: String,
    /// The PSBT file (binary or base64), may contain `{id}`; resolved against the config's folder.
    pub psbt: PathBuf,
    /// The label its addresses are published with (default: the wallet name).
    pub label: String,
    /// `bip127[i]`, for messages.
    pub key: String,
}

impl Bip127Wallet {
    /// The PSBT file of snapshot `id` (`{id}` in the configured path is replaced).
    pub fn psbt_for(&self, id: &str) -> PathBuf {
        with_id(&self.psbt, id)
    }
}

/// The validated configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// The config file this was read from.
    pub file: PathBuf,
    /// The exchange's display name, as published and signed in ownership messages.
    pub exchange: String,
    /// The assets, in the order of the tree's sum columns.
    pub assets: Vec<AssetConfig>,
    /// Where the liabilities are read (`[liabilities]`); a file path may contain `{id}`
    /// (see [`Config::liabilities_for`]).
    pub liabilities: Source,
    /// The wallets file path, may contain `{id}`; required when `[chains]` is configured.
    pub wallets: Option<PathBuf>,
    /// How chains are read; `None` for an offline setup without reserves.
    pub chains: Option<ChainsConfig>,
    /// Public folder of the published snapshots (`[output] snapshots`).
    pub snapshots_dir: PathBuf,
    /// Public folder the site is rendered into (`[output] site`).
    pub site_dir: PathBuf,
    /// Secret folder: salts, the proof store and the run lock; never publish it.
    pub private_dir: PathBuf,
    /// Site title and explorer links.
    pub site: SiteConfig,
    /// How new snapshots' trees are built (`[tree]`; por/2 by default).
    pub tree: TreeParams,
    /// The snapshot log, when `[log]` is configured.
    pub log: Option<LogConfig>,
    /// `[[bip127]]`: wallets proven by one proof-of-reserves PSBT each.
    pub bip127: Vec<Bip127Wallet>,
}

impl Config {
    /// The liabilities source of snapshot `id` (`{id}` in a configured path is replaced).
    pub fn liabilities_for(&self, id: &str) -> Source {
        self.liabilities.for_snapshot(id)
    }

    /// The wallets file of snapshot `id` (`{id}` in the configured path is replaced).
    pub fn wallets_for(&self, id: &str) -> Option<PathBuf> {
        self.wallets.as_ref().map(|w| with_id(w, id))
    }

    /// The Bitcoin network addresses are checked against: the configured one, or
    /// mainnet when no `[chains.bitcoin]` is configured. Decided here only.
    pub fn bitcoin_network(&self) -> bitcoin::Network {
        self.chains
            .as_ref()
            .and_then(|c| c.bitcoin.as_ref())
            .map(|b| b.network)
            .unwrap_or(bitcoin::Network::Bitcoin)
    }

    /// Every asset's symbol and decimals, in configured order.
    pub fn asset_infos(&self) -> Vec<AssetInfo> {
        self.assets.iter().map(AssetConfig::info).collect()
    }

    /// Reads and validates a config file.
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
            file: file.clone(),
            message: e.to_string(),
        })?;
        let base = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        Config::parse(&text, &file, base, path)
    }

    /// Parses config text; relative paths resolve against `base`.
    pub fn parse(text: &str, file: &str, base: &Path, path: &Path) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let (line, column) = e.span().map(|s| line_col(text, s.start)).unwrap_or((1, 1));
            ConfigError::Syntax {
                file: file.to_string(),
                line,
                column,
                message: Excerpt::message(e.message().replace('\n', " ")).to_string(),
            }
        })?;
        let invalid = |key: &str, message: String| ConfigError::Invalid {
            file: file.to_string(),
            key: key.to_string(),
            message,
        };
        let resolve = |p: &Path| {
            if p.is_absolute() {
                p.to_path_buf()
            } else {
                base.join(p)
            }
        };

        if raw.exchange.trim().is_empty() {
            return Err(invalid("exchange", "must not be empty".into()));
        }
        if raw.exchange.contains('\n') {
            return Err(invalid("exchange", "must be one line".into()));
        }
        if raw.assets.is_empty() {
            return Err(invalid(
                "assets",
                "at least one [[assets]] entry is needed".into(),
            ));
        }
        let mut assets = Vec::new();
        for (i, a) in raw.assets.iter().enumerate() {
            let key = format!("assets[{i}]");
            let sym_ok = !a.symbol.is_empty()
                && a.symbol.len() <= 16
                && a.symbol
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
                && a.symbol != "uid";
            if !sym_ok {
                return Err(invalid(
                    &format!("{key}.symbol"),
                    format!(
                        "{}: 1 to 16 characters of A-Z a-z 0-9 . _ -",
                        Excerpt::quoted(&a.symbol)
                    ),
                ));
            }
            if assets.iter().any(|b: &AssetConfig| b.symbol == a.symbol) {
                return Err(invalid(
                    &format!("{key}.symbol"),
                    format!("{} is configured twice", Excerpt::quoted(&a.symbol)),
                ));
            }
            if a.decimals > MAX_DECIMALS {
                return Err(invalid(
                    &format!("{key}.decimals"),
                    format!("{} is more than {MAX_DECIMALS}", a.decimals),
                ));
            }
            let source = match (a.chain.as_deref(), &a.contract) {
                (None, None) => None,
                (Some("bitcoin"), None) => Some(AssetSource::BitcoinNative),
                (Some("ethereum"), None) => Some(AssetSource::EthereumNative),
                (Some("ethereum"), Some(c)) => Some(AssetSource::Erc20 {
                    contract: c.clone(),
                }),
                (Some("bitcoin"), Some(_)) => {
                    return Err(invalid(
                        &format!("{key}.contract"),
                        "bitcoin assets have no contract".into(),
                    ));
                }
                (None, Some(_)) => {
                    return Err(invalid(
                        &format!("{key}.chain"),
                        "a contract needs chain = \"ethereum\"".into(),
                    ));
                }
                (Some(other), _) => {
                    return Err(invalid(
                        &format!("{key}.chain"),
                        format!(
                            "{}: expected \"bitcoin\" or \"ethereum\"",
                            Excerpt::quoted(other)
                        ),
                    ));
                }
            };
            assets.push(AssetConfig {
                symbol: a.symbol.clone(),
                decimals: a.decimals,
                source,
            });
        }

        let chains = match &raw.chains {
            None => None,
            Some(c) => Some(parse_chains(c, &invalid, &resolve)?),
        };
        if let Some(ch) = &chains {
            for (i, a) in assets.iter().enumerate() {
                let key = format!("assets[{i}].chain");
                match &a.source {
                    None => {
                        return Err(invalid(
                            &key,
                            format!("asset {} has no on-chain source", a.symbol),
                        ));
                    }
                    Some(AssetSource::BitcoinNative) if ch.bitcoin.is_none() => {
                        return Err(invalid(
                            &key,
                            format!(
                                "asset {} is on bitcoin but [chains.bitcoin] is missing",
                                a.symbol
                            ),
                        ));
                    }
                    Some(AssetSource::EthereumNative | AssetSource::Erc20 { .. })
                        if ch.ethereum.is_none() =>
                    {
                        return Err(invalid(
                            &key,
                            format!(
                                "asset {} is on ethereum but [chains.ethereum] is missing",
                                a.symbol
                            ),
                        ));
                    }
                    _ => {}
                }
            }
            if raw.wallets.is_none() {
                return Err(invalid(
                    "wallets",
                    "[chains] needs a [wallets] file listing the addresses".into(),
                ));
            }
        }

        let bip127 = parse_bip127(&raw.bip127, chains.as_ref(), &invalid, &resolve)?;
        if !bip127.is_empty()
            && !assets
                .iter()
                .any(|a| a.source == Some(AssetSource::BitcoinNative))
        {
            return Err(invalid(
                "bip127",
                "bip127 wallets prove bitcoin: an [[assets]] entry needs chain = \"bitcoin\""
                    .into(),
            ));
        }
        let log = match &raw.log {
            None => None,
            Some(l) => Some(parse_log(l, &invalid, &resolve)?),
        };
        let liabilities =
            Source::from_raw(&raw.liabilities, &resolve).map_err(|(key, m)| invalid(&key, m))?;
        let site = raw.site.as_ref();
        let tree =
            tree_config(raw.tree.as_ref()).map_err(|(key, message)| invalid(key, message))?;
        Ok(Config {
            tree,
            file: path.to_path_buf(),
            exchange: raw.exchange.clone(),
            assets,
            liabilities,
            wallets: raw.wallets.as_ref().map(|w| resolve(&w.path)),
            chains,
            snapshots_dir: resolve(&raw.output.snapshots),
            site_dir: resolve(&raw.output.site),
            private_dir: resolve(&raw.output.private),
            site: SiteConfig {
                title: site.and_then(|s| s.title.clone()),
                bitcoin_explorer: site
                    .and_then(|s| s.bitcoin_explorer.clone())
                    .unwrap_or_else(|| "https://mempool.space".into()),
                ethereum_explorer: site
                    .and_then(|s| s.ethereum_explorer.clone())
                    .unwrap_or_else(|| "https://etherscan.io".into()),
            },
            log,
            bip127,
        })
    }
}

fn parse_bip127(
    raw: &[RawBip127],
    chains: Option<&ChainsConfig>,
    invalid: &impl Fn(&str, String) -> ConfigError,
    resolve: &impl Fn(&Path) -> PathBuf,
) -> Result<Vec<Bip127Wallet>, ConfigError> {
    let mut out: Vec<Bip127Wallet> = Vec::new();
    for (i, w) in raw.iter().enumerate() {
        let key = format!("bip127[{i}]");
        let btc = chains.and_then(|c| c.bitcoin.as_ref()).ok_or_else(|| {
            invalid(
                &key,
                "a bip127 wallet needs [chains.bitcoin] to read its outputs".into(),
            )
        })?;
        if !crate::ownership::bip127::is_wallet_name(&w.wallet) {
            return Err(invalid(
                &format!("{key}.wallet"),
                format!(
                    "{}: a wallet name is 1 to 64 characters of a-z 0-9 . _ -, starting with a letter or digit",
                    Excerpt::quoted(&w.wallet)
                ),
            ));
        }
        if let Some(j) = out.iter().position(|o| o.name == w.wallet) {
            return Err(invalid(
                &format!("{key}.wallet"),
                format!("{} is also bip127[{j}]", Excerpt::quoted(&w.wallet)),
            ));
        }
        if let Some(n) = &w.network {
            let same = n == &btc.network_name || (n == "bitcoin" && btc.network_name == "mainnet");
            if !same {
                return Err(invalid(
                    &format!("{key}.network"),
                    format!(
                        "{} but [chains.bitcoin] is {}",
                        Excerpt::quoted(n),
                        btc.network_name
                    ),
                ));
            }
        }
        let label = w.label.clone().unwrap_or_else(|| w.wallet.clone());
        if label.trim().is_empty() || label.contains(['\n', '\r']) || label.len() > 64 {
            return Err(invalid(
                &format!("{key}.label"),
                format!(
                    "{}: a label is 1 to 64 characters on one line",
                    Excerpt::quoted(&label)
                ),
            ));
        }
        if w.psbt.as_os_str().is_empty() {
            return Err(invalid(
                &format!("{key}.psbt"),
                "must name the psbt file".into(),
            ));
        }
        out.push(Bip127Wallet {
            name: w.wallet.clone(),
            psbt: resolve(&w.psbt),
            label,
            key,
        });
    }
    Ok(out)
}

fn parse_log(
    l: &RawLog,
    invalid: &impl Fn(&str, String) -> ConfigError,
    resolve: &impl Fn(&Path) -> PathBuf,
) -> Result<LogConfig, ConfigError> {
    if !signed_note::is_key_name_valid(&l.origin) || l.origin.len() > 255 {
        return Err(invalid(
            "log.origin",
            format!(
                "{}: 1 to 255 characters without spaces or +, e.g. \"proof-of-reserves.example.com/por\"",
                Excerpt::quoted(&l.origin)
            ),
        ));
    }
    let mut witnesses: Vec<WitnessConfig> = Vec::new();
    for (i, w) in l.witnesses.iter().enumerate() {
        let key_name = format!("log.witnesses[{i}]");
        if w.name.trim().is_empty() || w.name.contains('\n') {
            return Err(invalid(
                &format!("{key_name}.name"),
                "must be one non-empty line".into(),
            ));
        }
        let key = VerifierKey::parse_as(&w.key, KeyType::Cosignature)
            .map_err(|e| invalid(&format!("{key_name}.key"), e.message))?;
        if !(w.url.starts_with("http://") || w.url.starts_with("https://")) {
            return Err(invalid(
                &format!("{key_name}.url"),
                format!(
                    "{}: expected an http:// or https:// URL",
                    Excerpt::quoted(&w.url)
                ),
            ));
        }
        if let Some(j) = witnesses.iter().position(|o| o.key == key) {
            return Err(invalid(
                &format!("{key_name}.key"),
                format!("the same key as log.witnesses[{j}]: one witness counts once"),
            ));
        }
        witnesses.push(WitnessConfig {
            name: w.name.clone(),
            key,
            url: w.url.trim_end_matches('/').to_string(),
        });
    }
    let required = l.required.unwrap_or(witnesses.len());
    if required > witnesses.len() {
        return Err(invalid(
            "log.required",
            format!(
                "{required} cosignatures required, but only {} witness(es) configured",
                witnesses.len()
            ),
        ));
    }
    Ok(LogConfig {
        origin: l.origin.clone(),
        key_file: resolve(&l.key),
        dir: resolve(l.dir.as_deref().unwrap_or(Path::new("log"))),
        required,
        timeout: Duration::from_secs(l.timeout_secs.unwrap_or(10).max(1)),
        witnesses,
    })
}

fn parse_chains(
    c: &RawChains,
    invalid: &impl Fn(&str, String) -> ConfigError,
    resolve: &impl Fn(&Path) -> PathBuf,
) -> Result<ChainsConfig, ConfigError> {
    let bitcoin = match &c.bitcoin {
        None => None,
        Some(b) => {
            let network = match b.network.as_str() {
                "mainnet" | "bitcoin" => bitcoin::Network::Bitcoin,
                "testnet" => bitcoin::Network::Testnet,
                "testnet4" => bitcoin::Network::Testnet4,
                "signet" => bitcoin::Network::Signet,
                "regtest" => bitcoin::Network::Regtest,
                other => {
                    return Err(invalid(
                        "chains.bitcoin.network",
                        format!(
                            "{}: expected mainnet, testnet, testnet4, signet or regtest",
                            Excerpt::quoted(other)
                        ),
                    ));
                }
            };
            let network_name = if b.network == "bitcoin" {
                "mainnet".into()
            } else {
                b.network.clone()
            };
            let endpoints = parse_endpoints(
                &b.endpoints,
                "chains.bitcoin",
                &["esplora", "bitcoind", "fixture"],
                invalid,
                resolve,
            )?;
            Some(BitcoinConfig {
                network,
                network_name,
                height: b.height,
                endpoints,
            })
        }
    };
    let ethereum = match &c.ethereum {
        None => None,
        Some(e) => Some(EthereumConfig {
            chain_id: e.chain_id,
            height: e.height,
            endpoints: parse_endpoints(
                &e.endpoints,
                "chains.ethereum",
                &["jsonrpc", "fixture"],
                invalid,
                resolve,
            )?,
        }),
    };
    let attempts = c.attempts.unwrap_or(4);
    if attempts == 0 {
        return Err(invalid("chains.attempts", "must be at least 1".into()));
    }
    Ok(ChainsConfig {
        timeout: Duration::from_secs(c.timeout_secs.unwrap_or(30).max(1)),
        attempts,
        bitcoin,
        ethereum,
    })
}

fn parse_endpoints(
    raw: &[RawEndpoint],
    chain: &str,
    kinds: &[&str],
    invalid: &impl Fn(&str, String) -> ConfigError,
    resolve: &impl Fn(&Path) -> PathBuf,
) -> Result<Vec<Endpoint>, ConfigError> {
    if raw.is_empty() {
        return Err(invalid(
            &format!("{chain}.endpoints"),
            "at least one endpoint is needed".into(),
        ));
    }
    let mut out = Vec::new();
    for (i, e) in raw.iter().enumerate() {
        let key = format!("{chain}.endpoints[{i}]");
        if !kinds.contains(&e.kind.as_str()) {
            return Err(invalid(
                &format!("{key}.kind"),
                format!(
                    "{}: expected one of {}",
                    Excerpt::quoted(&e.kind),
                    kinds.join(", ")
                ),
            ));
        }
        let url = || -> Result<String, ConfigError> {
            let u = e
                .url
                .clone()
                .ok_or_else(|| invalid(&format!("{key}.url"), "missing".into()))?;
            if !(u.starts_with("http://") || u.starts_with("https://")) {
                return Err(invalid(
                    &format!("{key}.url"),
                    format!(
                        "{}: expected an http:// or https:// URL",
                        Excerpt::quoted(&u)
                    ),
                ));
            }
            Ok(u.trim_end_matches('/').to_string())
        };
        let ep = match e.kind.as_str() {
            "esplora" => Endpoint::Esplora { url: url()? },
            "jsonrpc" => Endpoint::JsonRpc { url: url()? },
            "bitcoind" => {
                let auth = match (&e.user, &e.password, &e.cookie_file) {
                    (Some(u), Some(p), None) => RpcAuth::UserPass {
                        user: u.clone(),
                        password: p.clone(),
                    },
                    (None, None, Some(c)) => RpcAuth::CookieFile(resolve(c)),
                    (None, None, None) => RpcAuth::None,
                    _ => {
                        return Err(invalid(
                            &key,
                            "give either user and password, or cookie_file".into(),
                        ));
                    }
                };
                Endpoint::Bitcoind { url: url()?, auth }
            }
            _ => Endpoint::Fixture {
                path: resolve(
                    e.path
                        .as_deref()
                        .ok_or_else(|| invalid(&format!("{key}.path"), "missing".into()))?,
                ),
            },
        };
        out.push(ep);
    }
    Ok(out)
}

fn with_id(path: &Path, id: &str) -> PathBuf {
    PathBuf::from(path.to_string_lossy().replace("{id}", id))
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map(|i| i + 1).unwrap_or(0) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(
            text,
            "por.toml",
            Path::new("/cfg"),
            Path::new("/cfg/por.toml"),
        )
    }

    const MINIMAL: &str = r#"
exchange = "Example Exchange"
[[assets]]
symbol = "BTC"
decimals = 8
[liabilities]
path = "liabilities.csv"
[output]
snapshots = "snapshots"
site = "public"
private = "/var/por/private"
"#;

    #[test]
    fn bip127_wallets_are_validated_with_their_key() {
        let chains = "[wallets]\npath = \"w.csv\"\n[chains.bitcoin]\nnetwork = \"mainnet\"\n[[chains.bitcoin.endpoints]]\nkind = \"esplora\"\nurl = \"http://127.0.0.1:3000\"\n";
        let with = |extra: &str| {
            let text = MINIMAL.replace("decimals = 8\n", "decimals = 8\nchain = \"bitcoin\"\n");
            parse(&format!("{text}{chains}{extra}"))
        };
        let c = with("[[bip127]]\nwallet = \"cold\"\npsbt = \"psbt/{id}/cold.psbt\"\n").unwrap();
        assert_eq!(
            c.bip127[0].psbt_for("2026-11-21"),
            Path::new("/cfg/psbt/2026-11-21/cold.psbt")
        );
        assert_eq!(
            (c.bip127[0].label.as_str(), c.bip127[0].key.as_str()),
            ("cold", "bip127[0]")
        );
        for (extra, want) in [
            (
                "[[bip127]]\nwallet = \"a\"\npsbt = \"a.psbt\"\n[[bip127]]\nwallet = \"a\"\npsbt = \"b.psbt\"\n",
                "por.toml: bip127[1].wallet: \"a\" is also bip127[0]",
            ),
            (
                "[[bip127]]\nwallet = \"a\"\npsbt = \"a.psbt\"\nnetwork = \"testnet\"\n",
                "por.toml: bip127[0].network: \"testnet\" but [chains.bitcoin] is mainnet",
            ),
            (
                "[[bip127]]\nwallet = \"a\"\npsbt = \"a.psbt\"\nlabel = \"\"\n",
                "por.toml: bip127[0].label: \"\": a label is 1 to 64 characters on one line",
            ),
        ] {
            assert_eq!(with(extra).unwrap_err().to_string(), want);
        }
        let e = parse(&format!(
            "{MINIMAL}[[bip127]]\nwallet = \"a\"\npsbt = \"a.psbt\"\n"
        ))
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "por.toml: bip127[0]: a bip127 wallet needs [chains.bitcoin] to read its outputs"
        );
    }

    #[test]
    fn minimal_config_resolves_paths() {
        let c = parse(MINIMAL).unwrap();
        assert_eq!(
            c.liabilities,
            Source::Csv {
                path: "/cfg/liabilities.csv".into()
            }
        );
        assert_eq!(c.private_dir, Path::new("/var/por/private"));
        assert_eq!(
            c.assets[0].info(),
            AssetInfo {
                symbol: "BTC".into(),
                decimals: 8
            }
        );
    }

    #[test]
    fn unknown_key_is_named_with_its_line() {
        let e = parse(&format!("{MINIMAL}\n[output2]\nx = 1\n"))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("por.toml:13:2: unknown field `output2`"),
            "{e}"
        );
        assert!(!e.contains('\n'));
    }

    #[test]
    fn bad_values_are_named() {
        let e = parse(&MINIMAL.replace("decimals = 8", "decimals = 39"))
            .unwrap_err()
            .to_string();
        assert_eq!(e, "por.toml: assets[0].decimals: 39 is more than 38");
        let e = parse(&MINIMAL.replace("\"BTC\"", "\"B/C\""))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("por.toml: assets[0].symbol:"), "{e}");
    }

    #[test]
    fn log_section_is_validated_with_its_keys_named() {
        let w = "witness.example.com/w1+1447c596+BMJYqgii1dppL3A16VEXENp00nBGdmWe/502tdpBQKdZ";
        let good = format!(
            "{MINIMAL}[log]\norigin = \"example.com/por\"\nkey = \"k\"\n[[log.witnesses]]\nname = \"W\"\nkey = \"{w}\"\nurl = \"https://w.example/\"\n"
        );
        let c = parse(&good).unwrap();
        let l = c.log.unwrap();
        assert_eq!(
            (l.required, l.witnesses[0].url.as_str()),
            (1, "https://w.example")
        );
        assert_eq!(l.dir, Path::new("/cfg/log"));
        assert_eq!(l.key_file, Path::new("/cfg/k"));
        let e = parse(&good.replace("example.com/por", "has space"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("por.toml: log.origin: "), "{e}");
        let e = parse(&good.replace("+1447c596+", "+1447c597+"))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("por.toml: log.witnesses[0].key: verifier key"),
            "{e}"
        );
        let log_key = "proof-of-reserves.example.com/por+11ca91a2+AaUJON0oAjGlkRmfET5fK1L6n63KPsq26FcNNyRtRzHL";
        let e = parse(&good.replace(w, log_key)).unwrap_err().to_string();
        assert!(e.contains("expected a witness key"), "{e}");
        let e = parse(&good.replace("[[log.witnesses]]", "required = 2\n[[log.witnesses]]"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("log.required: 2 cosignatures required, but only 1"),
            "{e}"
        );
        let e = parse(&good.replace("https://w.example/", "ftp://w"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("por.toml: log.witnesses[0].url:"), "{e}");
    }

    /// A 10 MB value or key in the config is quoted with 80 characters and its length.
    #[test]
    fn huge_values_give_short_messages() {
        let big = "X".repeat(10 << 20);
        let x80 = "X".repeat(80);
        let e = parse(&MINIMAL.replace("\"BTC\"", &format!("\"{big}\"")))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            format!(
                "por.toml: assets[0].symbol: \"{x80}…\" (10485760 bytes): 1 to 16 characters of A-Z a-z 0-9 . _ -"
            )
        );
        let e = parse(&format!(
            "{MINIMAL}[chains.bitcoin]\nnetwork = \"{big}\"\nendpoints = []\n"
        ))
        .unwrap_err()
        .to_string();
        assert_eq!(
            e,
            format!(
                "por.toml: chains.bitcoin.network: \"{x80}…\" (10485760 bytes): expected mainnet, testnet, testnet4, signet or regtest"
            )
        );
        let e = parse(&format!("{big} = 1\n{MINIMAL}"))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with(&format!("por.toml:1:1: unknown field `{x80}"))
                && e.ends_with(" bytes)")
                && e.len() < 400,
            "{}",
            &e[..e.len().min(400)]
        );
        let e = parse(&MINIMAL.replace("decimals = 8", &format!("decimals = \"{big}\"")))
            .unwrap_err()
            .to_string();
        assert!(
            e.len() < 400 && e.contains(" bytes)"),
            "{}",
            &e[..e.len().min(400)]
        );
    }
}
