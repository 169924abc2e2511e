//! The published JSON documents of FORMAT.md §4–§5 as types: the manifest, the
//! address list and the snapshot index. Everything por publishes is serialized from
//! these, and the site renderer and verifiers read them back with the same types.
//! (The inclusion proof lives with the tree, in [`crate::tree::proof`].)

use crate::amount::Amount;
pub use crate::tree::info::{AssetInfo, TreeInfo};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The `format` value of a manifest (FORMAT.md §4).
pub const MANIFEST_FORMAT: &str = "por-manifest/1";
/// The `format` value of an address list (FORMAT.md §5).
pub const ADDRESSES_FORMAT: &str = "por-addresses/1";
/// The `format` value of `/snapshots/index.json`.
pub const INDEX_FORMAT: &str = "por-snapshot-index/1";

/// A snapshot identifier: `^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$` (FORMAT.md §4). Safe as
/// a single path component.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct SnapshotId(String);

/// A string that is not a valid [`SnapshotId`]; carries the rejected input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("snapshot id {} must match ^[0-9A-Za-z][0-9A-Za-z._-]{{0,63}}$", crate::excerpt::Excerpt::quoted(.0))]
pub struct BadSnapshotId(pub String);

impl SnapshotId {
    /// Checks `s` against the §4 pattern; errors with [`BadSnapshotId`] otherwise.
    pub fn new(s: &str) -> Result<SnapshotId, BadSnapshotId> {
        let b = s.as_bytes();
        let ok = !b.is_empty()
            && b.len() <= 64
            && b[0].is_ascii_alphanumeric()
            && b.iter()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'));
        if ok {
            Ok(SnapshotId(s.to_string()))
        } else {
            Err(BadSnapshotId(s.to_string()))
        }
    }

    /// The identifier as written, e.g. `2026-11-21`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for SnapshotId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for SnapshotId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        SnapshotId::new(&s).map_err(serde::de::Error::custom)
    }
}

impl PartialEq<str> for SnapshotId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<String> for SnapshotId {
    fn eq(&self, other: &String) -> bool {
        &self.0 == other
    }
}

impl PartialEq<SnapshotId> for String {
    fn eq(&self, other: &SnapshotId) -> bool {
        *self == other.0
    }
}

/// `por-manifest/1`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always [`MANIFEST_FORMAT`].
    pub format: String,
    /// The exchange's display name, as in the ownership message of FORMAT.md §5.
    pub exchange: String,
    /// Names the folder `snapshots/<snapshot_id>/`.
    pub snapshot_id: SnapshotId,
    /// RFC 3339, UTC (`2026-11-21T00:00:00Z`).
    pub as_of: String,
    /// One entry per asset, in the order of the tree's sum columns (`tree.sums[i]`).
    pub assets: Vec<ManifestAsset>,
    /// The liabilities tree's root, per-asset sums, height and leaf count.
    pub tree: TreeInfo,
    /// The block each chain's reserves were read at.
    pub chains: Chains,
    /// SHA-256 of every other published file of the snapshot, by file name.
    pub files: BTreeMap<String, String>,
    /// The previous manifest's id and hash; `None` for the first snapshot (the hash chain).
    pub previous: Option<PreviousLink>,
}

/// One asset's totals in a manifest (FORMAT.md §4); amounts in base units.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestAsset {
    /// Asset symbol, e.g. `BTC`.
    pub symbol: String,
    /// Decimal places between base units and display units (8 for BTC).
    pub decimals: u8,
    /// Sum of all accounts' balances of this asset; equals the tree's root sum.
    pub liabilities: Amount,
    /// Holdings of addresses whose ownership proof verified.
    pub reserves: Amount,
    /// Holdings of addresses listed without a valid ownership proof (not in `reserves`).
    pub unproven_reserves: Amount,
    /// `floor(10^4 · reserves / liabilities) / 10^4`, 4 decimals; `null` when
    /// liabilities are zero.
    pub reserve_ratio: Option<String>,
    /// Held off chain at named custodians: never in `reserves` nor the ratio (FORMAT.md
    /// §4). Absent when no custodian holds this asset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custodial_reserves: Option<Amount>,
    /// The custodians whose amounts add up to `custodial_reserves`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub custodians: Vec<Custodian>,
}

impl ManifestAsset {
    /// The symbol and decimals, as the tree and proofs carry them.
    pub fn info(&self) -> AssetInfo {
        AssetInfo {
            symbol: self.symbol.clone(),
            decimals: self.decimals,
        }
    }

    /// Reserves below liabilities.
    pub fn is_short(&self) -> bool {
        self.reserves < self.liabilities
    }
}

/// The block each chain was read at, keyed by the chain's configured name
/// (`^[a-z][a-z0-9-]{0,31}$`, FORMAT.md §4): `bitcoin`, `ethereum`, `arbitrum`, …
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Chains(pub BTreeMap<String, ChainBlock>);

impl Chains {
    /// The entry of the chain named `name`.
    pub fn get(&self, name: &str) -> Option<&ChainBlock> {
        self.0.get(name)
    }

    /// The first Bitcoin entry (por reads at most one Bitcoin chain).
    pub fn bitcoin(&self) -> Option<&BitcoinChain> {
        self.0.values().find_map(|c| match c {
            ChainBlock::Bitcoin(b) => Some(b),
            ChainBlock::Evm(_) => None,
        })
    }

    /// The EVM entry of the chain named `name`.
    pub fn evm(&self, name: &str) -> Option<&EvmChain> {
        match self.0.get(name) {
            Some(ChainBlock::Evm(e)) => Some(e),
            _ => None,
        }
    }

    /// Whether no chain was read.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// One chain's entry in `chains`: Bitcoin (with `network`) or EVM (with `chain_id`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ChainBlock {
    /// A Bitcoin chain.
    Bitcoin(BitcoinChain),
    /// Ethereum or any other EVM chain.
    Evm(EvmChain),
}

impl ChainBlock {
    /// The block height amounts were read at.
    pub fn height(&self) -> u64 {
        match self {
            ChainBlock::Bitcoin(b) => b.height,
            ChainBlock::Evm(e) => e.height,
        }
    }

    /// The block hash as published.
    pub fn block_hash(&self) -> &str {
        match self {
            ChainBlock::Bitcoin(b) => &b.block_hash,
            ChainBlock::Evm(e) => &e.block_hash,
        }
    }

    /// The block time as published, RFC 3339 UTC.
    pub fn block_time(&self) -> &str {
        match self {
            ChainBlock::Bitcoin(b) => &b.block_time,
            ChainBlock::Evm(e) => &e.block_time,
        }
    }
}

/// The Bitcoin block a snapshot read (FORMAT.md §4 `chains.bitcoin`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BitcoinChain {
    /// `mainnet`, `testnet`, `testnet4`, `signet` or `regtest`.
    pub network: String,
    /// Block height; amounts are read at exactly this block (FORMAT.md §5).
    pub height: u64,
    /// Block hash, 64 hex digits.
    pub block_hash: String,
    /// The block header's time, RFC 3339 UTC, whole seconds.
    pub block_time: String,
}

/// The block an EVM chain was read at (FORMAT.md §4 `chains.<name>` with `chain_id`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvmChain {
    /// `"evm"` for chains configured as `[[chains]]` entries; absent for the
    /// `[chains.ethereum]` section of older configs, whose output stays byte-identical.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// EIP-155 chain id (1 for mainnet).
    pub chain_id: u64,
    /// Block number; balances are read at exactly this block.
    pub height: u64,
    /// Block hash, `0x`-prefixed hex.
    pub block_hash: String,
    /// The block's timestamp, RFC 3339 UTC, whole seconds.
    pub block_time: String,
}

/// The name this crate used for [`EvmChain`] when Ethereum was the only EVM chain.
pub type EthereumChain = EvmChain;

/// Assets held off chain at one named custodian (FORMAT.md §4 `custodians`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Custodian {
    /// The custodian's name, e.g. `Example Trust Co.`.
    pub name: String,
    /// What the custodian attests to hold for the exchange, in base units.
    pub amount: Amount,
    /// SHA-256 (64 lowercase hex) of the custodian's attestation document.
    pub attestation_sha256: String,
}

/// The link from a manifest to its predecessor (FORMAT.md §4 `previous`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreviousLink {
    /// The previous snapshot's id.
    pub snapshot_id: SnapshotId,
    /// Lowercase hex SHA-256 over the previous `manifest.json`'s exact bytes.
    pub manifest_sha256: String,
}

/// `por-addresses/1`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddressList {
    /// Always [`ADDRESSES_FORMAT`].
    pub format: String,
    /// Same as the manifest's `exchange`.
    pub exchange: String,
    /// The snapshot this list belongs to.
    pub snapshot_id: SnapshotId,
    /// Same object as the manifest's `chains`.
    pub chains: Chains,
    /// Every address the exchange claims, including those holding nothing.
    pub addresses: Vec<AddressEntry>,
}

/// One claimed address, its holdings and its ownership proof (FORMAT.md §5).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddressEntry {
    /// The chain's configured name, a key of `chains` (`bitcoin`, `ethereum`, `arbitrum`, …).
    pub chain: String,
    /// The address as checked for its chain (EIP-55 case on Ethereum).
    pub address: String,
    /// The exchange's own label, e.g. `cold`.
    pub label: String,
    /// Amounts held at the snapshot block, one per asset.
    pub holdings: Vec<Holding>,
    /// The ownership proof and the publisher's verdict on it.
    pub ownership: OwnershipJson,
}

/// One asset held at an address, in base units, at the snapshot block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Holding {
    /// Asset symbol, as in the manifest's `assets`.
    pub asset: String,
    /// Token contract address for a token (ERC-20); `None` for the chain's native coin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract: Option<String>,
    /// Amount in the asset's base units.
    pub amount: Amount,
}

/// An address's ownership proof as published (FORMAT.md §5 `ownership`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnershipJson {
    /// `bip137`, `bip322-simple`, `multisig`, `eip191`, `eip1271`, `bip127` or `none`.
    pub scheme: String,
    /// The signed message, FORMAT.md §5 lines joined by `\n`.
    pub message: String,
    /// A string (base64 or 0x-hex), an array of base64 strings (`multisig`), or
    /// `null` (`none`); absent for `bip127`, whose proof is the wallet's PSBT file.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub signature: Option<serde_json::Value>,
    /// The wallet whose PSBT proves this address, for `bip127` only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wallet: Option<String>,
    /// Hex of the redeem or witness script, for `multisig` only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub script: Option<String>,
    /// The publisher's own verification result; verifiers recompute it.
    pub verified: bool,
}

/// A field that is present, even as `null`, is `Some` (`null` is `none`'s signature).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<serde_json::Value>, D::Error> {
    serde_json::Value::deserialize(d).map(Some)
}

/// `/snapshots/index.json`: every published snapshot, oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotIndex {
    /// Always [`INDEX_FORMAT`].
    pub format: String,
    /// Same as every manifest's `exchange`.
    pub exchange: String,
    /// Oldest first; `as_of` strictly increases.
    pub snapshots: Vec<IndexEntry>,
}

/// One snapshot in the index: where its manifest is and what it hashes to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexEntry {
    /// The snapshot's id, naming its folder.
    pub snapshot_id: SnapshotId,
    /// The snapshot's `as_of`, RFC 3339 UTC.
    pub as_of: String,
    /// Lowercase hex SHA-256 of the snapshot's `manifest.json` bytes.
    pub manifest_sha256: String,
}

/// The `format` value of a reserves update (`docs/reserves-update.md`).
pub const UPDATE_FORMAT: &str = "por-reserves-update/1";
/// The `format` value of the watch's failure record (`updates/failures.json`).
pub const WATCH_FAILURES_FORMAT: &str = "por-watch-failures/1";

/// `por-reserves-update/1`: every listed address read again between snapshots, at the
/// newest block of each chain with the configured confirmations, against the
/// liabilities of the latest snapshot. Published as
/// `updates/<snapshot_id>/<time as YYYYMMDDTHHMMSSZ>.json`, hash-chained to the
/// previous update of the same snapshot. Spec of record: `docs/reserves-update.md`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReservesUpdate {
    /// Always [`UPDATE_FORMAT`].
    pub format: String,
    /// Same as the snapshot manifest's `exchange`.
    pub exchange: String,
    /// The snapshot whose liabilities and ownership proofs this update uses.
    pub snapshot_id: SnapshotId,
    /// Lowercase hex SHA-256 of that snapshot's `manifest.json` bytes.
    pub manifest_sha256: String,
    /// When the update was taken, RFC 3339 UTC, whole seconds; strictly later than
    /// the previous update's and than the snapshot's `as_of`. Names the file.
    pub time: String,
    /// The block each chain was read at (same shape as the manifest's `chains`).
    pub chains: Chains,
    /// The confirmations each chain's block had when read (tip − height + 1), by chain.
    pub confirmations: BTreeMap<String, u64>,
    /// Per asset, in the manifest's order: the snapshot's liabilities against the
    /// reserves now.
    pub assets: Vec<UpdateAsset>,
    /// Every address read: the snapshot's, then any listed since, in list order.
    pub addresses: Vec<UpdateAddress>,
    /// What is wrong now; empty when nothing is.
    pub alerts: Vec<Alert>,
    /// The previous update of the same snapshot; `None` for its first update.
    pub previous: Option<UpdateLink>,
}

/// One asset's figures in a [`ReservesUpdate`]; amounts in base units.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateAsset {
    /// Asset symbol, as in the manifest.
    pub symbol: String,
    /// Decimal places, as in the manifest.
    pub decimals: u8,
    /// The snapshot's liabilities (unchanged between snapshots).
    pub liabilities: Amount,
    /// Holdings now of addresses whose ownership the snapshot verified.
    pub reserves: Amount,
    /// Holdings now of every other listed address (unproven, or added since).
    pub unproven_reserves: Amount,
    /// `floor(10^4 · reserves / liabilities) / 10^4`, 4 decimals; `null` when
    /// liabilities are zero (as in the manifest).
    pub reserve_ratio: Option<String>,
}

impl UpdateAsset {
    /// Reserves below liabilities.
    pub fn is_short(&self) -> bool {
        self.reserves < self.liabilities
    }
}

/// One address in a [`ReservesUpdate`] with what it holds now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateAddress {
    /// The chain's configured name, a key of `chains`.
    pub chain: String,
    /// The address as published (EIP-55 case on EVM chains).
    pub address: String,
    /// The exchange's own label.
    pub label: String,
    /// Amounts held at the update's block on its chain, one per asset read there.
    pub holdings: Vec<Holding>,
    /// The ownership scheme the snapshot listed it with; `none` for an address
    /// listed since the snapshot.
    pub scheme: String,
    /// Whether the snapshot verified its ownership proof (counts in `reserves`).
    pub verified: bool,
    /// Whether the snapshot's address list has it; `false` for one listed since
    /// (always unproven until the next snapshot).
    pub in_snapshot: bool,
}

/// Something a dashboard or the feed must show (in a [`ReservesUpdate`]'s `alerts`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Alert {
    /// An asset's reserves now are below its liabilities.
    Short {
        /// The asset.
        asset: String,
        /// Its reserve ratio now (4 decimals).
        reserve_ratio: String,
    },
    /// An address holds nothing now that held something at the snapshot block.
    Drained {
        /// Its chain.
        chain: String,
        /// The address.
        address: String,
        /// What it held at the snapshot block (the non-zero holdings).
        at_snapshot: Vec<Holding>,
    },
}

/// The link from an update to the previous update of the same snapshot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateLink {
    /// The previous update's `time`.
    pub time: String,
    /// Lowercase hex SHA-256 over the previous update's exact bytes.
    pub sha256: String,
}

/// `updates/failures.json`: the watch's recent failed updates, oldest first (at most
/// 100). A failed update publishes no update; this record is how the feed and
/// `/status.json` learn of it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WatchFailures {
    /// Always [`WATCH_FAILURES_FORMAT`].
    pub format: String,
    /// Oldest first.
    pub failures: Vec<WatchFailure>,
}

/// One failed update.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WatchFailure {
    /// When the update was attempted, RFC 3339 UTC, whole seconds.
    pub time: String,
    /// The snapshot it was for.
    pub snapshot_id: SnapshotId,
    /// Why it failed, one line (no credentials).
    pub error: String,
}

/// The file name of an update taken at `time` (RFC 3339 `2026-11-22T01:00:00Z` →
/// `20261122T010000Z.json`): sortable, and without `:` for any static host.
pub fn update_file_name(time: &str) -> String {
    let compact: String = time.chars().filter(|c| *c != '-' && *c != ':').collect();
    format!("{compact}.json")
}

/// Pretty JSON with a trailing newline: the exact bytes por publishes and hashes.
pub fn to_json_bytes<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(value).expect("published types serialize");
    out.push(b'\n');
    out
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

impl From<&Manifest> for crate::tree::proof::ManifestRef {
    fn from(m: &Manifest) -> crate::tree::proof::ManifestRef {
        crate::tree::proof::ManifestRef {
            exchange: m.exchange.clone(),
            snapshot_id: m.snapshot_id.to_string(),
            assets: m.assets.iter().map(|a| a.info()).collect(),
            tree: m.tree.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_ids() {
        for ok in ["2026-11-21", "a", "A.b_c-1", &"x".repeat(64)] {
            assert!(SnapshotId::new(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "-a",
            ".hidden",
            "a/b",
            "..",
            "a b",
            "é",
            &"x".repeat(65),
        ] {
            assert!(SnapshotId::new(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn update_file_names() {
        assert_eq!(
            update_file_name("2026-11-22T01:00:00Z"),
            "20261122T010000Z.json"
        );
    }
}
