//! The published JSON documents of FORMAT.md §4–§5 as types: the manifest, the
//! address list and the snapshot index. Everything por publishes is serialized from
//! these, and the site renderer and verifiers read them back with the same types.
//! (The inclusion proof lives with the tree, in [`crate::tree::proof`].)

use crate::amount::Amount;
pub use crate::tree::info::{AssetInfo, TreeInfo};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const MANIFEST_FORMAT: &str = "por-manifest/1";
pub const ADDRESSES_FORMAT: &str = "por-addresses/1";
pub const INDEX_FORMAT: &str = "por-snapshot-index/1";

/// A snapshot identifier: `^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$` (FORMAT.md §4). Safe as
/// a single path component.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct SnapshotId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("snapshot id {} must match ^[0-9A-Za-z][0-9A-Za-z._-]{{0,63}}$", crate::excerpt::Excerpt::quoted(.0))]
pub struct BadSnapshotId(pub String);

impl SnapshotId {
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
    pub format: String,
    pub exchange: String,
    pub snapshot_id: SnapshotId,
    /// RFC 3339, UTC (`2026-11-21T00:00:00Z`).
    pub as_of: String,
    pub assets: Vec<ManifestAsset>,
    pub tree: TreeInfo,
    pub chains: Chains,
    /// SHA-256 of every other published file of the snapshot, by file name.
    pub files: BTreeMap<String, String>,
    pub previous: Option<PreviousLink>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestAsset {
    pub symbol: String,
    pub decimals: u8,
    pub liabilities: Amount,
    pub reserves: Amount,
    pub unproven_reserves: Amount,
    /// `floor(10^4 · reserves / liabilities) / 10^4`, 4 decimals; `null` when
    /// liabilities are zero.
    pub reserve_ratio: Option<String>,
}

impl ManifestAsset {
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

/// The block each chain was read at.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Chains {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bitcoin: Option<BitcoinChain>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ethereum: Option<EthereumChain>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BitcoinChain {
    /// `mainnet`, `testnet`, `testnet4`, `signet` or `regtest`.
    pub network: String,
    pub height: u64,
    pub block_hash: String,
    pub block_time: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EthereumChain {
    pub chain_id: u64,
    pub height: u64,
    pub block_hash: String,
    pub block_time: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreviousLink {
    pub snapshot_id: SnapshotId,
    pub manifest_sha256: String,
}

/// `por-addresses/1`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddressList {
    pub format: String,
    pub exchange: String,
    pub snapshot_id: SnapshotId,
    pub chains: Chains,
    pub addresses: Vec<AddressEntry>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddressEntry {
    /// `bitcoin` or `ethereum`.
    pub chain: String,
    pub address: String,
    pub label: String,
    pub holdings: Vec<Holding>,
    pub ownership: OwnershipJson,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Holding {
    pub asset: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract: Option<String>,
    pub amount: Amount,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnershipJson {
    pub scheme: String,
    pub message: String,
    /// A string (base64 or 0x-hex), an array of base64 strings (`multisig`), or
    /// `null` (`none`).
    pub signature: serde_json::Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub script: Option<String>,
    pub verified: bool,
}

/// `/snapshots/index.json`: every published snapshot, oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotIndex {
    pub format: String,
    pub exchange: String,
    pub snapshots: Vec<IndexEntry>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexEntry {
    pub snapshot_id: SnapshotId,
    pub as_of: String,
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
