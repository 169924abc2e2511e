//! The tree's public description, as manifests and proofs carry it: an asset's
//! symbol and decimals, and `manifest.tree` (root, sums, height, leaves, and the por/2
//! fields). They live with the tree, which computes them; `crate::format` re-exports
//! them for the published documents.

use super::hash::NodeHash;
use crate::amount::Amount;
use serde::{Deserialize, Serialize};

/// An asset as proofs list it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssetInfo {
    pub symbol: String,
    pub decimals: u8,
}

/// `manifest.tree`: the published root. por/1 manifests carry only `root`, `sums`,
/// `height` and `leaves`; por/2 ones (FORMAT.md §6) add `version`, `split`,
/// `padding_bits` and `accounts` (always present, `null` unless published).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TreeInfo {
    /// `2` for por/2; absent for por/1 (any other value is invalid).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
    pub root: NodeHash,
    pub sums: Vec<Amount>,
    pub height: u32,
    pub leaves: u64,
    /// por/2: parts per account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split: Option<u64>,
    /// por/2: the padding granularity `g`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub padding_bits: Option<u64>,
    /// por/2: the account count when published (`Some(None)` is a published `null`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub accounts: Option<Option<u64>>,
}

/// Tells a field that is present with `null` (`Some(None)`) from an absent one (`None`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<u64>>, D::Error> {
    Option::<u64>::deserialize(d).map(Some)
}
