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
    /// The asset's ticker, as in the liabilities header (e.g. `BTC`).
    pub symbol: String,
    /// Decimal places of one unit: amounts are integers of `10^-decimals` units.
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
    /// The root hash (64 lowercase hex).
    pub root: NodeHash,
    /// The root's per-asset sums in base units, in the order of the assets list: the total
    /// liabilities.
    pub sums: Vec<Amount>,
    /// `ceil(log2 leaves)`: levels above the leaves, 0 for a single leaf (FORMAT.md §2).
    pub height: u32,
    /// Leaf count `N` (por/1: one per account; por/2: part and dummy leaves, FORMAT.md §6).
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

impl TreeInfo {
    /// The account count as the manifest states it: the leaf count of a por/1 tree,
    /// `tree.accounts` of a por/2 one (`None` when the operator did not publish it).
    pub fn account_count(&self) -> Option<u64> {
        match self.version {
            None => Some(self.leaves),
            Some(_) => self.accounts.flatten(),
        }
    }
}

/// Tells a field that is present with `null` (`Some(None)`) from an absent one (`None`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<u64>>, D::Error> {
    Option::<u64>::deserialize(d).map(Some)
}
