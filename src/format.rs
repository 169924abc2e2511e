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
}
