//! Configuration in two phases (as ripgrep's low/high args, zola's `Config`): a raw
//! `serde(deny_unknown_fields)` mirror of the TOML file, then [`Config`], validated,
//! with paths resolved against the config file's folder. Errors are one line naming
//! the file, the line and column, and the key.

use crate::amount::Amount;
use crate::amount::MAX_DECIMALS;
use crate::chains::bitcoind::RpcAuth;
use crate::excerpt::Excerpt;
use crate::format::AssetInfo;
use crate::liabilities::source::{RawSource, Source};
use crate::log::{KeyType, VerifierKey};
use crate::tree::TreeParams;
use serde::Deserialize;
use std::collections::BTreeMap;
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
    chains: Option<RawChainsAny>,
    #[serde(default)]
    reads: Option<RawReads>,
    #[serde(default)]
    custodians: Vec<RawCustodian>,
    output: RawOutput,
    #[serde(default)]
    site: Option<RawSite>,
    #[serde(default)]
    tree: Option<RawTree>,
    #[serde(default)]
    log: Option<RawLog>,
    #[serde(default)]
    bip127: Vec<RawBip127>,
    #[serde(default)]
    watch: Option<RawWatch>,
}

/// `[watch]`: reserves updates between snapshots (`por watch`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWatch {
    #[serde(default)]
    confirmations: Option<u64>,
    #[serde(default)]
    chain_confirmations: BTreeMap<String, u64>,
    #[serde(default)]
    keep: Option<String>,
    #[serde(default)]
    every: Option<String>,
    #[serde(default)]
    snapshot_every: Option<String>,
    #[serde(default)]
    wallets: Option<PathBuf>,
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
    #[serde(default)]
    contracts: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCustodian {
    name: String,
    asset: String,
    amount: String,
    attestation_sha256: String,
}

/// `[reads]`: request limits for `[[chains]]` entries.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReads {
    #[serde(default)]
    timeout_secs: Option<u64>,
    #[serde(default)]
    attempts: Option<u32>,
    #[serde(default)]
    in_flight: Option<u64>,
    #[serde(default)]
    batch: Option<u64>,
}

/// `chains` is either the `[chains]` table of older configs (`[chains.bitcoin]`,
/// `[chains.ethereum]`) or a list of `[[chains]]` entries, one per chain.
#[derive(Debug)]
enum RawChainsAny {
    Table(RawChains),
    List(Vec<RawChain>),
}

impl<'de> Deserialize<'de> for RawChainsAny {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = RawChainsAny;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a [chains] table or [[chains]] entries")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                m: A,
            ) -> Result<RawChainsAny, A::Error> {
                RawChains::deserialize(serde::de::value::MapAccessDeserializer::new(m))
                    .map(RawChainsAny::Table)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                s: A,
            ) -> Result<RawChainsAny, A::Error> {
                Vec::<RawChain>::deserialize(serde::de::value::SeqAccessDeserializer::new(s))
                    .map(RawChainsAny::List)
            }
        }
        d.deserialize_any(V)
    }
}

/// One `[[chains]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChain {
    name: String,
    kind: String,
    #[serde(default)]
    network: Option<String>,
    #[serde(default)]
    chain_id: Option<u64>,
    #[serde(default)]
    native: Option<String>,
    #[serde(default)]
    height: Option<u64>,
    endpoints: Vec<RawEndpoint>,
    #[serde(default)]
    explorer: Option<String>,
    #[serde(default)]
    explorer_block: Option<String>,
    #[serde(default)]
    defillama: Option<String>,
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
    #[serde(default)]
    updates: Option<PathBuf>,
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
    in_flight: Option<u64>,
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

/// One place an asset's reserves are read: a chain's native coin, or a token
/// contract on an EVM chain. An asset may be read on several chains (USDT on
/// `ethereum` and on `arbitrum`); its reserves add them all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssetSource {
    /// The chain's configured name (a `[[chains]]` `name`, or `bitcoin` / `ethereum`).
    pub chain: String,
    /// The ERC-20 contract address as written (checked by the reserves step); `None`
    /// for the chain's native coin.
    pub contract: Option<String>,
}

/// One configured asset: a column of the liabilities file.
#[derive(Clone, Debug)]
pub struct AssetConfig {
    /// Asset symbol, e.g. `BTC`; the liabilities file's column header.
    pub symbol: String,
    /// Decimal places of the asset (at most [`crate::amount::MAX_DECIMALS`]).
    pub decimals: u8,
    /// Where its reserves are read, in config order; empty only when no `[chains]`
    /// is configured or the asset is held at custodians only.
    pub sources: Vec<AssetSource>,
}

/// One `[[custodians]]` entry: an asset held off chain at a named third party
/// (FORMAT.md §4 `custodial_reserves`); never counted in `reserves`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustodianConfig {
    /// The custodian's name, published and shown on the overview.
    pub name: String,
    /// Index of the asset in [`Config::assets`].
    pub asset: usize,
    /// The attested amount, in base units.
    pub amount: Amount,
    /// SHA-256 of the attestation document, 64 lowercase hex.
    pub attestation_sha256: String,
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
    /// EVM JSON-RPC (`kind = "jsonrpc"`), reads pinned to the block by hash.
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

/// What a chain is: Bitcoin on one network, or an EVM chain with its chain id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChainKind {
    /// Bitcoin (`kind = "bitcoin"`, or `[chains.bitcoin]`).
    Bitcoin {
        /// The network addresses are checked against.
        network: bitcoin::Network,
        /// The published network name (`mainnet`, `testnet`, …).
        network_name: String,
    },
    /// Ethereum or any EVM chain (`kind = "evm"`, or `[chains.ethereum]`).
    Evm {
        /// EIP-155 chain id every endpoint's `eth_chainId` must report.
        chain_id: u64,
    },
}

/// One chain read by the run: a `[[chains]]` entry, or a section of the older
/// `[chains]` table (named `bitcoin` / `ethereum`).
#[derive(Clone, Debug)]
pub struct ChainConfig {
    /// The configured name, `^[a-z][a-z0-9-]{0,31}$`: the key of `chains` in the manifest
    /// and the `chain` column of the wallets file.
    pub name: String,
    /// Bitcoin or EVM, with the network or chain id.
    pub kind: ChainKind,
    /// A pinned snapshot block; `None` to search for the block at `as_of`.
    pub height: Option<u64>,
    /// Every endpoint asked; all must agree on the block and every balance.
    pub endpoints: Vec<Endpoint>,
    /// The chain's key in `defillama.json` (default: its name).
    pub defillama: String,
    /// Configured as a `[[chains]]` entry: an EVM chain is published with `"kind": "evm"`.
    /// `false` for the `[chains.ethereum]` section, whose output stays as it was.
    pub listed: bool,
}

impl ChainConfig {
    /// The Bitcoin network, for a Bitcoin chain.
    pub fn bitcoin_network(&self) -> Option<bitcoin::Network> {
        match &self.kind {
            ChainKind::Bitcoin { network, .. } => Some(*network),
            ChainKind::Evm { .. } => None,
        }
    }

    /// The EIP-155 chain id, for an EVM chain.
    pub fn chain_id(&self) -> Option<u64> {
        match &self.kind {
            ChainKind::Evm { chain_id } => Some(*chain_id),
            ChainKind::Bitcoin { .. } => None,
        }
    }
}

/// Addresses read at once when `in_flight` is not configured.
pub const DEFAULT_IN_FLIGHT: usize = 8;
/// The most addresses read at once (`in_flight`).
pub const MAX_IN_FLIGHT: usize = 256;

fn in_flight(
    v: Option<u64>,
    key: &str,
    invalid: &impl Fn(&str, String) -> ConfigError,
) -> Result<usize, ConfigError> {
    match v {
        None => Ok(DEFAULT_IN_FLIGHT),
        Some(n) if (1..=MAX_IN_FLIGHT as u64).contains(&n) => Ok(n as usize),
        Some(n) => Err(invalid(key, format!("{n} is not in 1..={MAX_IN_FLIGHT}"))),
    }
}

/// JSON-RPC calls per batch request on EVM chains when `batch` is not configured.
pub const DEFAULT_BATCH: usize = 100;
/// The most JSON-RPC calls per batch request (`batch`).
pub const MAX_BATCH: usize = 1000;

fn batch(
    v: Option<u64>,
    invalid: &impl Fn(&str, String) -> ConfigError,
) -> Result<usize, ConfigError> {
    match v {
        None => Ok(DEFAULT_BATCH),
        Some(n) if (1..=MAX_BATCH as u64).contains(&n) => Ok(n as usize),
        Some(n) => Err(invalid(
            "reads.batch",
            format!("{n} is not in 1..={MAX_BATCH}"),
        )),
    }
}

/// `[chains]` or `[[chains]]` with `[reads]`: request limits and the chains read.
#[derive(Clone, Debug)]
pub struct ChainsConfig {
    /// Per-request timeout (`timeout_secs`, default 30 s, at least 1 s).
    pub timeout: Duration,
    /// Attempts per request for transient errors (default 4, at least 1).
    pub attempts: u32,
    /// Addresses read at once, so requests in flight per endpoint (`in_flight`,
    /// default [`DEFAULT_IN_FLIGHT`], 1 to [`MAX_IN_FLIGHT`]).
    pub in_flight: usize,
    /// JSON-RPC calls per batch request on EVM chains (`batch`, default
    /// [`DEFAULT_BATCH`], 1 to [`MAX_BATCH`]; 1 sends single requests).
    pub batch: usize,
    /// The chains, in configured order (at most one Bitcoin chain).
    pub list: Vec<ChainConfig>,
}

impl ChainsConfig {
    /// The Bitcoin chain, when one is configured.
    pub fn bitcoin(&self) -> Option<&ChainConfig> {
        self.list.iter().find(|c| c.bitcoin_network().is_some())
    }

    /// The chain named `name`.
    pub fn get(&self, name: &str) -> Option<&ChainConfig> {
        self.list.iter().find(|c| c.name == name)
    }
}

/// Links from the site to a chain's block explorer: URL templates.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExplorerLinks {
    /// An address page, with `{address}` in it.
    pub address: Option<String>,
    /// A block page, with `{height}` or `{hash}` in it.
    pub block: Option<String>,
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
    /// Explorer templates of `[[chains]]` entries (`explorer`, `explorer_block`), by chain name.
    pub explorers: BTreeMap<String, ExplorerLinks>,
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
    /// Assets held at third-party custodians (`[[custodians]]`), in configured order.
    pub custodians: Vec<CustodianConfig>,
    /// Public folder of the published snapshots (`[output] snapshots`).
    pub snapshots_dir: PathBuf,
    /// Public folder the site is rendered into (`[output] site`).
    pub site_dir: PathBuf,
    /// Secret folder: salts, the proof store and the run lock; never publish it.
    pub private_dir: PathBuf,
    /// Public folder of the reserves updates (`[output] updates`, default `updates`).
    pub updates_dir: PathBuf,
    /// Site title and explorer links.
    pub site: SiteConfig,
    /// How new snapshots' trees are built (`[tree]`; por/2 by default).
    pub tree: TreeParams,
    /// The snapshot log, when `[log]` is configured.
    pub log: Option<LogConfig>,
    /// `[[bip127]]`: wallets proven by one proof-of-reserves PSBT each.
    pub bip127: Vec<Bip127Wallet>,
    /// `[watch]`: reserves updates between snapshots, when configured.
    pub watch: Option<WatchConfig>,
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
            .and_then(ChainsConfig::bitcoin)
            .and_then(ChainConfig::bitcoin_network)
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
            assets.push(AssetConfig {
                symbol: a.symbol.clone(),
                decimals: a.decimals,
                sources: Vec::new(),
            });
        }

        if raw.reads.is_some() && !matches!(raw.chains, Some(RawChainsAny::List(_))) {
            return Err(invalid(
                "reads",
                "applies to [[chains]] entries; a [chains] table has its own timeout_secs and attempts".into(),
            ));
        }
        let chains = match &raw.chains {
            None => None,
            Some(RawChainsAny::Table(c)) => Some(parse_chains(c, &invalid, &resolve)?),
            Some(RawChainsAny::List(list)) => Some(parse_chain_list(
                list,
                raw.reads.as_ref(),
                &invalid,
                &resolve,
            )?),
        };
        // Chains an asset may name: the configured ones, or the two of older configs.
        let listed = matches!(raw.chains, Some(RawChainsAny::List(_)));
        let known: Vec<(String, bool)> = match (&chains, listed) {
            (Some(c), true) => c
                .list
                .iter()
                .map(|c| (c.name.clone(), c.chain_id().is_some()))
                .collect(),
            _ => vec![("bitcoin".into(), false), ("ethereum".into(), true)],
        };
        let expected = || {
            let names: Vec<String> = known.iter().map(|(n, _)| format!("\"{n}\"")).collect();
            match names.split_last() {
                Some((last, [])) => format!("expected {last}"),
                Some((last, rest)) => format!("expected {} or {last}", rest.join(", ")),
                None => "no chain is configured".into(),
            }
        };
        for (i, a) in raw.assets.iter().enumerate() {
            let key = format!("assets[{i}]");
            let is_evm = |name: &str| known.iter().find(|(n, _)| n == name).map(|(_, e)| *e);
            let mut sources = Vec::new();
            match (a.chain.as_deref(), &a.contract) {
                (None, None) => {}
                (Some(c), contract) => match (is_evm(c), contract) {
                    (None, _) => {
                        return Err(invalid(
                            &format!("{key}.chain"),
                            format!("{}: {}", Excerpt::quoted(c), expected()),
                        ));
                    }
                    (Some(false), Some(_)) => {
                        return Err(invalid(
                            &format!("{key}.contract"),
                            "bitcoin assets have no contract".into(),
                        ));
                    }
                    (_, contract) => sources.push(AssetSource {
                        chain: c.to_string(),
                        contract: contract.clone(),
                    }),
                },
                (None, Some(_)) => {
                    return Err(invalid(
                        &format!("{key}.chain"),
                        "a contract needs chain = \"ethereum\"".into(),
                    ));
                }
            }
            for (c, contract) in &a.contracts {
                match is_evm(c) {
                    Some(true) => sources.push(AssetSource {
                        chain: c.clone(),
                        contract: Some(contract.clone()),
                    }),
                    Some(false) => {
                        return Err(invalid(
                            &format!("{key}.contracts.{c}"),
                            "bitcoin assets have no contract".into(),
                        ));
                    }
                    None => {
                        return Err(invalid(
                            &format!("{key}.contracts"),
                            format!("{}: {}", Excerpt::quoted(c), expected()),
                        ));
                    }
                }
            }
            assets[i].sources = sources;
        }
        if let (Some(RawChainsAny::List(list)), Some(ch)) = (&raw.chains, &chains) {
            for (j, (rc, c)) in list.iter().zip(&ch.list).enumerate() {
                let Some(sym) = &rc.native else { continue };
                let Some(a) = assets.iter_mut().find(|a| &a.symbol == sym) else {
                    return Err(invalid(
                        &format!("chains[{j}].native"),
                        format!("{} is not a configured asset", Excerpt::quoted(sym)),
                    ));
                };
                a.sources.push(AssetSource {
                    chain: c.name.clone(),
                    contract: None,
                });
            }
        }
        // One chain's native coin, or one contract on a chain, is one asset's only.
        let mut seen: Vec<(String, Option<String>, usize)> = Vec::new();
        for (i, a) in assets.iter().enumerate() {
            for src in &a.sources {
                let contract = src.contract.as_ref().map(|c| c.to_ascii_lowercase());
                if let Some((_, _, j)) = seen
                    .iter()
                    .find(|(c, k, _)| *c == src.chain && *k == contract)
                {
                    let what = match &src.contract {
                        None => format!("the native coin of {}", src.chain),
                        Some(k) => format!("{k} on {}", src.chain),
                    };
                    return Err(invalid(
                        &format!("assets[{i}]"),
                        format!("{} reads {what}, as {} does", a.symbol, assets[*j].symbol),
                    ));
                }
                seen.push((src.chain.clone(), contract, i));
            }
        }

        let mut custodians: Vec<CustodianConfig> = Vec::new();
        for (i, c) in raw.custodians.iter().enumerate() {
            let key = format!("custodians[{i}]");
            if c.name.trim().is_empty() || c.name.contains(['\n', '\r']) || c.name.len() > 100 {
                return Err(invalid(
                    &format!("{key}.name"),
                    "must be one line of 1 to 100 characters".into(),
                ));
            }
            let Some(asset) = assets.iter().position(|a| a.symbol == c.asset) else {
                return Err(invalid(
                    &format!("{key}.asset"),
                    format!("{} is not a configured asset", Excerpt::quoted(&c.asset)),
                ));
            };
            let amount = Amount::parse_decimal(&c.amount, assets[asset].decimals)
                .map_err(|e| invalid(&format!("{key}.amount"), e.to_string()))?;
            let sha = c.attestation_sha256.to_ascii_lowercase();
            if !crate::chains::is_hex64(&sha) {
                return Err(invalid(
                    &format!("{key}.attestation_sha256"),
                    format!(
                        "{}: expected the document's SHA-256 as 64 hex digits",
                        Excerpt::quoted(&c.attestation_sha256)
                    ),
                ));
            }
            if let Some(j) = custodians
                .iter()
                .position(|o| o.name == c.name && o.asset == asset)
            {
                return Err(invalid(
                    &key,
                    format!(
                        "{} holding {} is configured twice (custodians[{j}])",
                        c.name, c.asset
                    ),
                ));
            }
            let total = custodians
                .iter()
                .filter(|o| o.asset == asset)
                .try_fold(amount, |t, o| t.checked_add(o.amount));
            if total.is_none() {
                return Err(invalid(
                    &format!("{key}.amount"),
                    format!("the custodial total of {} exceeds 2^128-1", c.asset),
                ));
            }
            custodians.push(CustodianConfig {
                name: c.name.clone(),
                asset,
                amount,
                attestation_sha256: sha,
            });
        }

        if let Some(ch) = &chains {
            for (i, a) in assets.iter().enumerate() {
                let key = format!("assets[{i}].chain");
                if a.sources.is_empty() && !custodians.iter().any(|c| c.asset == i) {
                    return Err(invalid(
                        &key,
                        format!("asset {} has no on-chain source", a.symbol),
                    ));
                }
                for src in &a.sources {
                    if ch.get(&src.chain).is_none() {
                        return Err(invalid(
                            &key,
                            format!(
                                "asset {} is on {c} but [chains.{c}] is missing",
                                a.symbol,
                                c = src.chain
                            ),
                        ));
                    }
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
        let bitcoin_chain = chains
            .as_ref()
            .and_then(ChainsConfig::bitcoin)
            .map(|c| c.name.clone());
        if !bip127.is_empty()
            && !assets.iter().any(|a| {
                a.sources
                    .iter()
                    .any(|s| Some(&s.chain) == bitcoin_chain.as_ref() && s.contract.is_none())
            })
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
        let explorers = match &raw.chains {
            Some(RawChainsAny::List(list)) => explorer_links(list, &invalid)?,
            _ => BTreeMap::new(),
        };
        let tree =
            tree_config(raw.tree.as_ref()).map_err(|(key, message)| invalid(key, message))?;
        let watch = match &raw.watch {
            None => None,
            Some(w) => Some(parse_watch(w, chains.as_ref(), &invalid, &resolve)?),
        };
        Ok(Config {
            watch,
            tree,
            file: path.to_path_buf(),
            exchange: raw.exchange.clone(),
            assets,
            liabilities,
            wallets: raw.wallets.as_ref().map(|w| resolve(&w.path)),
            custodians,
            snapshots_dir: resolve(&raw.output.snapshots),
            site_dir: resolve(&raw.output.site),
            private_dir: resolve(&raw.output.private),
            updates_dir: resolve(
                raw.output
                    .updates
                    .as_deref()
                    .unwrap_or(Path::new(DEFAULT_UPDATES_DIR)),
            ),
            site: SiteConfig {
                title: site.and_then(|s| s.title.clone()),
                bitcoin_explorer: site
                    .and_then(|s| s.bitcoin_explorer.clone())
                    .unwrap_or_else(|| "https://mempool.space".into()),
                ethereum_explorer: site
                    .and_then(|s| s.ethereum_explorer.clone())
                    .unwrap_or_else(|| "https://etherscan.io".into()),
                explorers,
            },
            chains,
            log,
            bip127,
        })
    }
}

/// The `[output] updates` folder when none is configured (relative to the config file).
pub const DEFAULT_UPDATES_DIR: &str = "updates";
/// `[watch] confirmations` when not configured.
pub const DEFAULT_CONFIRMATIONS: u64 = 6;
/// `[watch] keep` when not configured: 30 days.
pub const DEFAULT_KEEP: Duration = Duration::from_secs(30 * 86_400);
/// The most confirmations `[watch]` accepts (a day of Ethereum blocks).
pub const MAX_CONFIRMATIONS: u64 = 10_000;

/// `[watch]`: how `por watch` reads the chains between snapshots and how long its
/// updates are kept (docs/reserves-update.md).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatchConfig {
    /// Confirmations every chain's block must have (`confirmations`, default
    /// [`DEFAULT_CONFIRMATIONS`]): an update reads at `tip - confirmations + 1`.
    pub confirmations: u64,
    /// Per-chain overrides (`[watch.chain_confirmations]`), by configured chain name.
    pub chain_confirmations: BTreeMap<String, u64>,
    /// Updates whose `time` is older than `now - keep` are pruned (`keep`, default 30 days);
    /// the newest update is never pruned.
    pub keep: Duration,
    /// The expected interval between updates (`every`): the site and feed call an
    /// update overdue after it; `None` when not configured.
    pub every: Option<Duration>,
    /// The snapshot schedule (`snapshot_every`): the feed alerts when the newest
    /// snapshot is older; `None` when not configured.
    pub snapshot_every: Option<Duration>,
    /// The wallets file listing the addresses now (`wallets`, may contain `{id}`, the
    /// latest snapshot's id); `None`: the config's `[wallets]` file of the latest snapshot.
    pub wallets: Option<PathBuf>,
}

impl WatchConfig {
    /// The confirmations chain `chain` is read with.
    pub fn confirmations_for(&self, chain: &str) -> u64 {
        self.chain_confirmations
            .get(chain)
            .copied()
            .unwrap_or(self.confirmations)
    }

    /// The wallets file of the watch for snapshot `id`, when `[watch] wallets` is set.
    pub fn wallets_for(&self, id: &str) -> Option<PathBuf> {
        self.wallets.as_ref().map(|w| with_id(w, id))
    }
}

/// Parses a duration of `<n>s`, `<n>m`, `<n>h` or `<n>d` (`30d`, `1h`): a positive
/// whole number and one unit, nothing else.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let err = || {
        format!(
            "{}: expected a duration like 90s, 30m, 1h or 30d",
            Excerpt::quoted(text)
        )
    };
    let t = text.trim();
    let (digits, unit) = t.split_at(t.len().saturating_sub(1));
    let scale: u64 = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => return Err(err()),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err());
    }
    let n: u64 = digits.parse().map_err(|_| err())?;
    if n == 0 {
        return Err(format!("{}: must be more than zero", Excerpt::quoted(text)));
    }
    // At most about 100 years: a bigger value is a mistake, not a schedule.
    let secs = n
        .checked_mul(scale)
        .filter(|s| *s <= 100 * 366 * 86_400)
        .ok_or_else(|| format!("{}: more than 100 years", Excerpt::quoted(text)))?;
    Ok(Duration::from_secs(secs))
}

fn parse_watch(
    raw: &RawWatch,
    chains: Option<&ChainsConfig>,
    invalid: &impl Fn(&str, String) -> ConfigError,
    resolve: &impl Fn(&Path) -> PathBuf,
) -> Result<WatchConfig, ConfigError> {
    let Some(chains) = chains else {
        return Err(invalid(
            "watch",
            "reserves updates read the chains: configure [[chains]] (or [chains]) first".into(),
        ));
    };
    let check = |key: &str, n: u64| {
        if (1..=MAX_CONFIRMATIONS).contains(&n) {
            Ok(n)
        } else {
            Err(invalid(
                key,
                format!("{n} is not in 1..={MAX_CONFIRMATIONS}"),
            ))
        }
    };
    let confirmations = check(
        "watch.confirmations",
        raw.confirmations.unwrap_or(DEFAULT_CONFIRMATIONS),
    )?;
    let mut chain_confirmations = BTreeMap::new();
    for (name, n) in &raw.chain_confirmations {
        let key = format!("watch.chain_confirmations.{name}");
        if chains.get(name).is_none() {
            let names: Vec<String> = chains
                .list
                .iter()
                .map(|c| format!("\"{}\"", c.name))
                .collect();
            return Err(invalid(
                &key,
                format!(
                    "{} is not a configured chain (expected one of {})",
                    Excerpt::quoted(name),
                    names.join(", ")
                ),
            ));
        }
        chain_confirmations.insert(name.clone(), check(&key, *n)?);
    }
    let duration = |key: &str, v: &Option<String>| -> Result<Option<Duration>, ConfigError> {
        v.as_deref()
            .map(|t| parse_duration(t).map_err(|m| invalid(key, m)))
            .transpose()
    };
    let keep = duration("watch.keep", &raw.keep)?.unwrap_or(DEFAULT_KEEP);
    let every = duration("watch.every", &raw.every)?;
    let snapshot_every = duration("watch.snapshot_every", &raw.snapshot_every)?;
    if let Some(e) = every
        && e > keep
    {
        return Err(invalid(
            "watch.keep",
            format!(
                "{}s keeps less than one interval of watch.every ({}s)",
                keep.as_secs(),
                e.as_secs()
            ),
        ));
    }
    Ok(WatchConfig {
        confirmations,
        chain_confirmations,
        keep,
        every,
        snapshot_every,
        wallets: raw.wallets.as_deref().map(resolve),
    })
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
        let btc_network_name = chains
            .and_then(ChainsConfig::bitcoin)
            .and_then(|c| match &c.kind {
                ChainKind::Bitcoin { network_name, .. } => Some(network_name.clone()),
                ChainKind::Evm { .. } => None,
            })
            .ok_or_else(|| {
                invalid(
                    &key,
                    "a bip127 wallet needs a bitcoin chain to read its outputs".into(),
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
            let same = n == &btc_network_name || (n == "bitcoin" && btc_network_name == "mainnet");
            if !same {
                return Err(invalid(
                    &format!("{key}.network"),
                    format!(
                        "{} but the bitcoin chain is {}",
                        Excerpt::quoted(n),
                        btc_network_name
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
            Some(ChainConfig {
                name: "bitcoin".into(),
                kind: ChainKind::Bitcoin {
                    network,
                    network_name,
                },
                height: b.height,
                endpoints,
                defillama: "bitcoin".into(),
                listed: false,
            })
        }
    };
    let ethereum = match &c.ethereum {
        None => None,
        Some(e) => Some(ChainConfig {
            name: "ethereum".into(),
            kind: ChainKind::Evm {
                chain_id: e.chain_id,
            },
            defillama: "ethereum".into(),
            listed: false,
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
        in_flight: in_flight(c.in_flight, "chains.in_flight", invalid)?,
        batch: DEFAULT_BATCH,
        list: bitcoin.into_iter().chain(ethereum).collect(),
    })
}

fn bitcoin_network(name: &str) -> Option<bitcoin::Network> {
    Some(match name {
        "mainnet" | "bitcoin" => bitcoin::Network::Bitcoin,
        "testnet" => bitcoin::Network::Testnet,
        "testnet4" => bitcoin::Network::Testnet4,
        "signet" => bitcoin::Network::Signet,
        "regtest" => bitcoin::Network::Regtest,
        _ => return None,
    })
}

/// Whether `name` is a chain name of FORMAT.md §4: `^[a-z][a-z0-9-]{0,31}$`.
pub fn is_chain_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= 32
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

fn parse_chain_list(
    list: &[RawChain],
    reads: Option<&RawReads>,
    invalid: &impl Fn(&str, String) -> ConfigError,
    resolve: &impl Fn(&Path) -> PathBuf,
) -> Result<ChainsConfig, ConfigError> {
    let mut out: Vec<ChainConfig> = Vec::new();
    for (i, c) in list.iter().enumerate() {
        let key = format!("chains[{i}]");
        if !is_chain_name(&c.name) {
            return Err(invalid(
                &format!("{key}.name"),
                format!(
                    "{}: 1 to 32 characters of a-z 0-9 -, starting with a letter",
                    Excerpt::quoted(&c.name)
                ),
            ));
        }
        if let Some(j) = out.iter().position(|o| o.name == c.name) {
            return Err(invalid(
                &format!("{key}.name"),
                format!("{} is also the name of chains[{j}]", c.name),
            ));
        }
        let (kind, kinds): (ChainKind, &[&str]) = match c.kind.as_str() {
            "bitcoin" => {
                if c.chain_id.is_some() {
                    return Err(invalid(
                        &format!("{key}.chain_id"),
                        "applies to kind = \"evm\" only".into(),
                    ));
                }
                let Some(name) = &c.network else {
                    return Err(invalid(&format!("{key}.network"), "missing".into()));
                };
                let network = bitcoin_network(name).ok_or_else(|| {
                    invalid(
                        &format!("{key}.network"),
                        format!(
                            "{}: expected mainnet, testnet, testnet4, signet or regtest",
                            Excerpt::quoted(name)
                        ),
                    )
                })?;
                if let Some(j) = out.iter().position(|o| o.bitcoin_network().is_some()) {
                    return Err(invalid(
                        &format!("{key}.kind"),
                        format!("one bitcoin chain only; chains[{j}] is bitcoin already"),
                    ));
                }
                let network_name = if name == "bitcoin" {
                    "mainnet".into()
                } else {
                    name.clone()
                };
                (
                    ChainKind::Bitcoin {
                        network,
                        network_name,
                    },
                    &["esplora", "bitcoind", "fixture"],
                )
            }
            "evm" => {
                if c.network.is_some() {
                    return Err(invalid(
                        &format!("{key}.network"),
                        "applies to kind = \"bitcoin\" only; an EVM chain has chain_id".into(),
                    ));
                }
                let chain_id = match c.chain_id {
                    None => return Err(invalid(&format!("{key}.chain_id"), "missing".into())),
                    Some(0) => {
                        return Err(invalid(
                            &format!("{key}.chain_id"),
                            "must be at least 1".into(),
                        ));
                    }
                    Some(id) => id,
                };
                if let Some(j) = out.iter().position(|o| o.chain_id() == Some(chain_id)) {
                    return Err(invalid(
                        &format!("{key}.chain_id"),
                        format!("{chain_id} is also the chain id of chains[{j}]"),
                    ));
                }
                (ChainKind::Evm { chain_id }, &["jsonrpc", "fixture"])
            }
            other => {
                return Err(invalid(
                    &format!("{key}.kind"),
                    format!("{}: expected bitcoin or evm", Excerpt::quoted(other)),
                ));
            }
        };
        let defillama = c.defillama.clone().unwrap_or_else(|| c.name.clone());
        if !is_chain_name(&defillama) {
            return Err(invalid(
                &format!("{key}.defillama"),
                format!(
                    "{}: 1 to 32 characters of a-z 0-9 -, starting with a letter",
                    Excerpt::quoted(&defillama)
                ),
            ));
        }
        if let Some(j) = out.iter().position(|o| o.defillama == defillama) {
            return Err(invalid(
                &format!("{key}.defillama"),
                format!("{defillama} is also the DefiLlama key of chains[{j}]"),
            ));
        }
        let endpoints = parse_endpoints(&c.endpoints, &key, kinds, invalid, resolve)?;
        out.push(ChainConfig {
            name: c.name.clone(),
            kind,
            height: c.height,
            endpoints,
            defillama,
            listed: true,
        });
    }
    let attempts = reads.and_then(|r| r.attempts).unwrap_or(4);
    if attempts == 0 {
        return Err(invalid("reads.attempts", "must be at least 1".into()));
    }
    Ok(ChainsConfig {
        timeout: Duration::from_secs(reads.and_then(|r| r.timeout_secs).unwrap_or(30).max(1)),
        attempts,
        in_flight: in_flight(reads.and_then(|r| r.in_flight), "reads.in_flight", invalid)?,
        batch: batch(reads.and_then(|r| r.batch), invalid)?,
        list: out,
    })
}

/// The site's explorer templates of `[[chains]]` entries; `bitcoin` and `ethereum`
/// without one keep the `[site]` explorers.
fn explorer_links(
    list: &[RawChain],
    invalid: &impl Fn(&str, String) -> ConfigError,
) -> Result<BTreeMap<String, ExplorerLinks>, ConfigError> {
    let mut out = BTreeMap::new();
    for (i, c) in list.iter().enumerate() {
        let check = |field: &str, t: &Option<String>, holes: &[&str]| {
            let Some(t) = t else { return Ok(None) };
            let web = t.starts_with("http://") || t.starts_with("https://");
            if !web || !holes.iter().any(|h| t.contains(h)) {
                return Err(invalid(
                    &format!("chains[{i}].{field}"),
                    format!(
                        "{}: expected an http(s) URL template with {}",
                        Excerpt::quoted(t),
                        holes.join(" or ")
                    ),
                ));
            }
            Ok(Some(t.clone()))
        };
        let address = check("explorer", &c.explorer, &["{address}"])?;
        let block = check("explorer_block", &c.explorer_block, &["{height}", "{hash}"])?;
        if address.is_some() || block.is_some() {
            out.insert(c.name.clone(), ExplorerLinks { address, block });
        }
    }
    Ok(out)
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
                "por.toml: bip127[0].network: \"testnet\" but the bitcoin chain is mainnet",
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
            "por.toml: bip127[0]: a bip127 wallet needs a bitcoin chain to read its outputs"
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

    const LISTED: &str = r#"
exchange = "Example Exchange"
[[assets]]
symbol = "BTC"
decimals = 8
[[assets]]
symbol = "ETH"
decimals = 18
[[assets]]
symbol = "USDT"
decimals = 6
contracts = { ethereum = "0xdAC17F958D2ee523a2206206994597C13D831ec7", arbitrum = "0xFd086bC7CD5C481DCC9C85ebE478A1C0b69FCbb9" }
[liabilities]
path = "liabilities.csv"
[wallets]
path = "wallets.csv"
[reads]
timeout_secs = 5
[[chains]]
name = "bitcoin"
kind = "bitcoin"
network = "signet"
native = "BTC"
[[chains.endpoints]]
kind = "esplora"
url = "https://mempool.space/signet/api/"
[[chains]]
name = "ethereum"
kind = "evm"
chain_id = 1
native = "ETH"
[[chains.endpoints]]
kind = "jsonrpc"
url = "http://127.0.0.1:8545"
[[chains]]
name = "arbitrum"
kind = "evm"
chain_id = 42161
native = "ETH"
defillama = "arbitrum-one"
explorer = "https://arbiscan.io/address/{address}"
explorer_block = "https://arbiscan.io/block/{height}"
[[chains.endpoints]]
kind = "jsonrpc"
url = "http://127.0.0.1:8546"
[[custodians]]
name = "Example Trust Co."
asset = "BTC"
amount = "2.5"
attestation_sha256 = "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08"
[output]
snapshots = "snapshots"
site = "public"
private = "private"
"#;

    #[test]
    fn chain_entries_map_each_asset_to_its_chains() {
        let c = parse(LISTED).unwrap();
        let ch = c.chains.as_ref().unwrap();
        assert_eq!(ch.timeout, Duration::from_secs(5));
        assert_eq!(ch.in_flight, DEFAULT_IN_FLIGHT);
        assert_eq!(ch.batch, DEFAULT_BATCH);
        let names: Vec<&str> = ch.list.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["bitcoin", "ethereum", "arbitrum"]);
        assert_eq!(ch.get("arbitrum").unwrap().chain_id(), Some(42161));
        assert_eq!(ch.get("arbitrum").unwrap().defillama, "arbitrum-one");
        assert_eq!(ch.get("ethereum").unwrap().defillama, "ethereum");
        assert_eq!(c.bitcoin_network(), bitcoin::Network::Signet);
        let src = |i: usize| -> Vec<(String, Option<String>)> {
            c.assets[i]
                .sources
                .iter()
                .map(|s| (s.chain.clone(), s.contract.clone()))
                .collect()
        };
        assert_eq!(src(0), [("bitcoin".to_string(), None)]);
        assert_eq!(
            src(1),
            [
                ("ethereum".to_string(), None),
                ("arbitrum".to_string(), None)
            ]
        );
        assert_eq!(src(2).len(), 2);
        assert_eq!(
            c.custodians,
            [CustodianConfig {
                name: "Example Trust Co.".into(),
                asset: 0,
                amount: Amount::from_base_units(250_000_000),
                attestation_sha256:
                    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into(),
            }]
        );
        assert_eq!(
            c.site.explorers.get("arbitrum"),
            Some(&ExplorerLinks {
                address: Some("https://arbiscan.io/address/{address}".into()),
                block: Some("https://arbiscan.io/block/{height}".into()),
            })
        );
        // bitcoin and ethereum without templates keep the [site] explorers.
        assert_eq!(c.site.explorers.len(), 1);
    }

    #[test]
    fn chain_entry_mistakes_are_named() {
        for (from, to, want) in [
            (
                "name = \"arbitrum\"",
                "name = \"Arbitrum\"",
                "por.toml: chains[2].name: \"Arbitrum\": 1 to 32 characters of a-z 0-9 -, starting with a letter",
            ),
            (
                "name = \"arbitrum\"",
                "name = \"ethereum\"",
                "por.toml: chains[2].name: ethereum is also the name of chains[1]",
            ),
            (
                "chain_id = 42161",
                "chain_id = 1",
                "por.toml: chains[2].chain_id: 1 is also the chain id of chains[1]",
            ),
            (
                "chain_id = 42161\n",
                "",
                "por.toml: chains[2].chain_id: missing",
            ),
            (
                "kind = \"evm\"\nchain_id = 42161",
                "kind = \"solana\"\nchain_id = 42161",
                "por.toml: chains[2].kind: \"solana\": expected bitcoin or evm",
            ),
            (
                "defillama = \"arbitrum-one\"",
                "defillama = \"ethereum\"",
                "por.toml: chains[2].defillama: ethereum is also the DefiLlama key of chains[1]",
            ),
            (
                "arbitrum = \"0xFd08",
                "optimism = \"0xFd08",
                "por.toml: assets[2].contracts: \"optimism\": expected \"bitcoin\", \"ethereum\" or \"arbitrum\"",
            ),
            (
                "native = \"BTC\"",
                "native = \"LTC\"",
                "por.toml: chains[0].native: \"LTC\" is not a configured asset",
            ),
            (
                "{height}",
                "{number}",
                "por.toml: chains[2].explorer_block: \"https://arbiscan.io/block/{number}\": expected an http(s) URL template with {height} or {hash}",
            ),
            (
                "amount = \"2.5\"",
                "amount = \"2.123456789\"",
                "por.toml: custodians[0].amount: ",
            ),
            (
                "9F86D",
                "9F86",
                "por.toml: custodians[0].attestation_sha256: ",
            ),
            (
                "asset = \"BTC\"\namount",
                "asset = \"XRP\"\namount",
                "por.toml: custodians[0].asset: \"XRP\" is not a configured asset",
            ),
            (
                "[reads]\ntimeout_secs = 5",
                "[reads]\nattempts = 0",
                "por.toml: reads.attempts: must be at least 1",
            ),
            (
                "[reads]\ntimeout_secs = 5",
                "[reads]\nin_flight = 0",
                "por.toml: reads.in_flight: 0 is not in 1..=256",
            ),
            (
                "[reads]\ntimeout_secs = 5",
                "[reads]\nbatch = 1001",
                "por.toml: reads.batch: 1001 is not in 1..=1000",
            ),
        ] {
            assert!(LISTED.contains(from), "{from}");
            let e = parse(&LISTED.replacen(from, to, 1))
                .unwrap_err()
                .to_string();
            assert!(e.starts_with(want), "{e}\nwanted {want}");
            assert!(!e.contains('\n'), "{e}");
        }
        // The same contract for two assets on one chain.
        let twice = LISTED.replace(
            "symbol = \"ETH\"\ndecimals = 18",
            "symbol = \"ETH\"\ndecimals = 18\ncontracts = { arbitrum = \"0xFd086bC7CD5C481DCC9C85ebE478A1C0b69FCbb9\" }",
        );
        let e = parse(&twice).unwrap_err().to_string();
        assert!(
            e.contains("reads 0xFd086bC7CD5C481DCC9C85ebE478A1C0b69FCbb9 on arbitrum, as ETH does"),
            "{e}"
        );
    }

    #[test]
    fn an_older_chains_table_still_loads() {
        let legacy = format!(
            "{MINIMAL}[wallets]\npath = \"w.csv\"\n[chains]\nattempts = 2\n[chains.bitcoin]\nnetwork = \"mainnet\"\n[[chains.bitcoin.endpoints]]\nkind = \"esplora\"\nurl = \"https://x.example/api\"\n"
        )
        .replace("decimals = 8", "decimals = 8\nchain = \"bitcoin\"");
        let c = parse(&legacy).unwrap();
        let ch = c.chains.unwrap();
        assert_eq!((ch.attempts, ch.list.len()), (2, 1));
        assert!(!ch.list[0].listed);
        let e = parse(&format!("{legacy}[reads]\nattempts = 3\n"))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("por.toml: reads: applies to [[chains]] entries"),
            "{e}"
        );
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

    #[test]
    fn watch_section_is_parsed_with_defaults() {
        let chains = "[wallets]\npath = \"w.csv\"\n[chains.bitcoin]\nnetwork = \"mainnet\"\n[[chains.bitcoin.endpoints]]\nkind = \"esplora\"\nurl = \"http://127.0.0.1:3000\"\n";
        let base = MINIMAL.replace("decimals = 8\n", "decimals = 8\nchain = \"bitcoin\"\n");
        let c = parse(&format!("{base}{chains}")).unwrap();
        assert_eq!(c.watch, None);
        assert_eq!(c.updates_dir, Path::new("/cfg/updates"));
        let c = parse(&format!("{base}{chains}[watch]\n")).unwrap();
        let w = c.watch.unwrap();
        assert_eq!(
            (w.confirmations, w.keep, w.every, w.snapshot_every),
            (6, DEFAULT_KEEP, None, None)
        );
        let c = parse(&format!(
            "{}{chains}[watch]\nconfirmations = 3\nkeep = \"7d\"\nevery = \"1h\"\nsnapshot_every = \"31d\"\nwallets = \"now/{{id}}.csv\"\n[watch.chain_confirmations]\nbitcoin = 2\n",
            base.replace("private = \"/var/por/private\"", "private = \"/var/por/private\"\nupdates = \"/srv/updates\"")
        ))
        .unwrap();
        assert_eq!(c.updates_dir, Path::new("/srv/updates"));
        let w = c.watch.unwrap();
        assert_eq!(w.confirmations_for("bitcoin"), 2);
        assert_eq!(w.confirmations_for("ethereum"), 3);
        assert_eq!(w.keep, Duration::from_secs(7 * 86_400));
        assert_eq!(w.every, Some(Duration::from_secs(3_600)));
        assert_eq!(w.snapshot_every, Some(Duration::from_secs(31 * 86_400)));
        assert_eq!(w.wallets_for("s1"), Some(PathBuf::from("/cfg/now/s1.csv")));
    }

    #[test]
    fn watch_mistakes_are_one_line_naming_the_key() {
        let chains = "[wallets]\npath = \"w.csv\"\n[chains.bitcoin]\nnetwork = \"mainnet\"\n[[chains.bitcoin.endpoints]]\nkind = \"esplora\"\nurl = \"http://127.0.0.1:3000\"\n";
        let base = MINIMAL.replace("decimals = 8\n", "decimals = 8\nchain = \"bitcoin\"\n");
        for (watch, want) in [
            (
                "keep = \"30 days\"",
                "por.toml: watch.keep: \"30 days\": expected a duration like 90s, 30m, 1h or 30d",
            ),
            (
                "every = \"0h\"",
                "por.toml: watch.every: \"0h\": must be more than zero",
            ),
            (
                "snapshot_every = \"h\"",
                "por.toml: watch.snapshot_every: \"h\": expected a duration like 90s, 30m, 1h or 30d",
            ),
            (
                "keep = \"99999999999d\"",
                "por.toml: watch.keep: \"99999999999d\": more than 100 years",
            ),
            (
                "confirmations = 0",
                "por.toml: watch.confirmations: 0 is not in 1..=10000",
            ),
            (
                "keep = \"1h\"\nevery = \"2h\"",
                "por.toml: watch.keep: 3600s keeps less than one interval of watch.every (7200s)",
            ),
            (
                "[watch.chain_confirmations]\nethereum = 12",
                "por.toml: watch.chain_confirmations.ethereum: \"ethereum\" is not a configured chain (expected one of \"bitcoin\")",
            ),
            (
                "[watch.chain_confirmations]\nbitcoin = 20000",
                "por.toml: watch.chain_confirmations.bitcoin: 20000 is not in 1..=10000",
            ),
        ] {
            let e = parse(&format!("{base}{chains}[watch]\n{watch}\n"))
                .unwrap_err()
                .to_string();
            assert_eq!(e, want);
        }
        let e = parse(&format!("{base}{chains}[watch]\nconfirmation = 3\n"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("unknown field `confirmation`") && !e.contains('\n'),
            "{e}"
        );
        let e = parse(&format!("{MINIMAL}[watch]\n"))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "por.toml: watch: reserves updates read the chains: configure [[chains]] (or [chains]) first"
        );
    }
}
