//! por/2 (FORMAT.md §6): every account split into `s` parts, the tree padded with
//! dummy leaves to a multiple of `2^q`, and the `por-inclusion-proof/2` a user
//! downloads, with its verification in the steps of §3 as §6 amends them.
//!
//! The tree has the por/1 shape and is built by the same level and path code
//! ([`super::Tree`], [`super::build_levels_with`], [`super::sibling_path_with`]) with
//! the por/2 tags ([`TreeTags::V2`]); only the leaves differ. A part leaf is
//! `H("por/2/leaf", account_j ‖ u128be(p_{j,0}) ‖ …)` with
//! `account_j = H("por/2/account", salt_j ‖ u8(j) ‖ uid)`; a dummy is
//! `H("por/2/dummy", r)` with zero sums.
//!
//! Everything here is pure: the randomness (part amounts, salts, dummies, leaf order)
//! comes in as an RNG argument ([`TreeV2Input::draw`], [`split_balances`]) or as given
//! values (the spec vectors), so a build is reproducible from its input.
//! [`TreeV2Input`] and [`TreeV2`] hold secrets (uids, salts, part amounts); only
//! [`TreeV2::tree_info`] (public) and one user's own proof ([`TreeV2::proof`]) leave
//! them.
//!
//! - this module: the constants, the error, the leaves and the deterministic build
//!   ([`TreeV2Input`] → [`TreeV2`]);
//! - [`shape`]: the padded leaf count `M`, the manifest's por/2 `tree` rules and the
//!   split of a balance into parts;
//! - [`proof`]: `por-inclusion-proof/2` and its verification, and [`AnyProof`], which
//!   reads a proof of either version by its `format` and verifies it against a
//!   manifest, so a caller has one entry point for both.

pub mod build;
pub mod derive;
pub mod proof;
pub mod shape;
pub mod store;

pub use proof::{
    AnyProof, AnyVerified, InclusionProofV2, PartProof, VerifiedPart, VerifiedProofV2,
    leaf_position,
};
pub use shape::{
    TreeParamsV2, ceil_log2, granularity_bits, padded_leaf_count, split_balance, split_balances,
    split_from_draws,
};

use super::hash::{NodeHash, Tag, TreeTags};
use super::info::{AssetInfo, TreeInfo};
use super::proof::RootJson;
use super::{MIN_CHUNK, Node, Tree, TreeError, record_size};
use crate::amount::Amount;
use rand::seq::SliceRandom;
use rand::{CryptoRng, RngCore};
use rayon::prelude::*;
use sha2::Digest;
use shape::{check_padding_bits, check_split};
use std::collections::HashMap;

/// The format of a por/2 inclusion proof.
pub const PROOF_FORMAT_V2: &str = "por-inclusion-proof/2";
/// `manifest.tree.version` of a por/2 snapshot.
pub const TREE_VERSION: u64 = 2;
/// The largest split `s` (parts per account).
pub const MAX_SPLIT: u8 = 16;
/// The largest padding granularity `g`.
pub const MAX_PADDING_BITS: u8 = 8;
/// The publisher's default split (FORMAT.md §6).
pub const DEFAULT_SPLIT: u8 = 4;
/// The publisher's default padding granularity (FORMAT.md §6).
pub const DEFAULT_PADDING_BITS: u8 = 6;
/// The most leaves a por/2 tree may have (positions are `u32`, as in por/1).
pub const MAX_LEAVES: u64 = u32::MAX as u64;

/// Why a por/2 tree could not be built, a split drawn, or a manifest's `tree` is not
/// a well-formed por/2 tree.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum V2Error {
    /// No accounts were given.
    #[error("a tree needs at least one account")]
    Empty,
    /// More assets than a derived build handles ([`build::MAX_ASSETS`]); carries the count.
    #[error("{0} assets; a por/2 tree of this publisher has at most 64")]
    TooManyAssets(usize),
    /// The split (parts per account) is not in `1..=16`; carries the value.
    #[error("split {0} is not in 1..=16")]
    Split(u64),
    /// `padding_bits` is not in `0..=8`; carries the value.
    #[error("padding_bits {0} is not in 0..=8")]
    PaddingBits(u64),
    /// An account has not one balance per asset.
    #[error("account {account}: {found} balances for {expected} assets")]
    BalanceCount {
        /// Index of the account in input order.
        account: usize,
        /// Balances the account has.
        found: usize,
        /// Assets of the tree.
        expected: usize,
    },
    /// A uid is empty or longer than 128 bytes.
    #[error("account {account}: uid must be 1 to 128 bytes, found {len}")]
    UidLength {
        /// Index of the account in input order.
        account: usize,
        /// The uid's length in bytes.
        len: usize,
    },
    /// An account's split was not drawn into exactly `split` parts.
    #[error("account {account}: {found} parts, the split is {expected}")]
    PartCount {
        /// Index of the account in input order.
        account: usize,
        /// Parts given.
        found: usize,
        /// The split: parts each account must have.
        expected: usize,
    },
    /// A part has not one amount per asset.
    #[error("account {account} part {part}: {found} amounts for {expected} assets")]
    PartBalanceCount {
        /// Index of the account in input order.
        account: usize,
        /// Index of the part within the account.
        part: usize,
        /// Amounts the part has.
        found: usize,
        /// Assets of the tree.
        expected: usize,
    },
    /// An account's parts do not add up to its balance for one asset.
    #[error("account {account}: the parts of asset #{asset} add up to {found}, not {expected}")]
    PartSum {
        /// Index of the account in input order.
        account: usize,
        /// Index of the asset in the assets list.
        asset: usize,
        /// The sum of the parts, in base units.
        found: Amount,
        /// The account's balance, in base units.
        expected: Amount,
    },
    /// An account's parts for one asset overflow `u128`.
    #[error("account {account}: the parts of asset #{asset} add up to more than 2^128-1")]
    PartSumOverflow {
        /// Index of the account in input order.
        account: usize,
        /// Index of the asset in the assets list.
        asset: usize,
    },
    /// A scratch file of the build (its spool of leaves) could not be written or read.
    #[error("{path}: {message}")]
    Spool {
        /// The scratch file.
        path: String,
        /// The OS error.
        message: String,
    },
    /// Two parts of one account share a salt (each part needs its own, FORMAT.md §6).
    #[error("account {account}: part {part} has the salt of part {first}")]
    DuplicateSalt {
        /// Index of the account in input order.
        account: usize,
        /// Index of the part that repeats a salt.
        part: usize,
        /// Index of the earlier part with the same salt.
        first: usize,
    },
    /// The number of dummy leaves is not what the padding rule of FORMAT.md §6 requires.
    #[error(
        "{found} dummies, but {part_leaves} part leaves with padding_bits {padding_bits} need {expected}"
    )]
    DummyCount {
        /// Dummies given.
        found: usize,
        /// Dummies required.
        expected: u64,
        /// Part leaves (accounts × split).
        part_leaves: u64,
        /// The padding granularity used.
        padding_bits: u8,
    },
    /// The permutation does not have one entry per leaf.
    #[error("permutation has {found} entries for {expected} leaves")]
    PermutationLength {
        /// Entries given.
        found: usize,
        /// Leaves of the tree.
        expected: usize,
    },
    /// A permutation entry is out of range or repeats an earlier one.
    #[error("permutation[{position}] = {value} is out of range or repeated")]
    PermutationEntry {
        /// Index of the entry.
        position: usize,
        /// The offending value.
        value: u32,
    },
    /// More than 2^32-1 leaves would be needed; carries the count.
    #[error("{0} leaves; a tree has at most 2^32-1")]
    TooMany(u128),
    /// A random draw exceeded the balance it splits.
    #[error("a draw of {draw} exceeds the balance {balance}")]
    Draw {
        /// The drawn amount, in base units.
        draw: u128,
        /// The balance being split, in base units.
        balance: Amount,
    },
    /// A proof was asked for an account index the tree does not have.
    #[error("no account {index}; the tree has {accounts}")]
    UnknownAccount {
        /// The requested account index.
        index: usize,
        /// Accounts in the tree.
        accounts: usize,
    },
    /// The underlying por/1 tree build failed.
    #[error(transparent)]
    Tree(#[from] TreeError),
    /// `tree.version` is absent or not `2`; carries what was found.
    #[error("tree.version {0:?} is not 2")]
    TreeVersion(Option<u64>),
    /// A field a por/2 `tree` always carries is absent; carries its name.
    #[error("missing field tree.{0} (a por/2 tree always has it)")]
    MissingField(&'static str),
    /// `tree.leaves` is `0`.
    #[error("leaves 0: a tree has at least one leaf")]
    NoLeaves,
    /// `tree.height` is not `ceil(log2 leaves)`.
    #[error("height {height} is not ceil(log2 leaves) = {expected} for {leaves} leaves")]
    Height {
        /// The published height.
        height: u32,
        /// The published leaf count.
        leaves: u64,
        /// `ceil(log2 leaves)`.
        expected: u32,
    },
    /// `tree.leaves` is not a multiple of the padding granularity `2^q` (FORMAT.md §6).
    #[error(
        "leaves {leaves} is not a multiple of 2^{q} (q = max(min(height, 4), height - padding_bits))"
    )]
    Granularity {
        /// The published leaf count.
        leaves: u64,
        /// The granularity exponent, `max(min(height, 4), height - padding_bits)`.
        q: u32,
    },
    /// `tree.accounts` is `0`.
    #[error("accounts 0: a tree has at least one account")]
    NoAccounts,
    /// `tree.leaves` is not the padded leaf count of `accounts × split` part leaves.
    #[error(
        "leaves {leaves} is not {expected}, the padded count of {accounts} accounts of {split} parts with padding_bits {padding_bits}"
    )]
    AccountLeaves {
        /// The published leaf count.
        leaves: u64,
        /// The padded count the other fields imply.
        expected: u128,
        /// The published account count.
        accounts: u64,
        /// The published split.
        split: u8,
        /// The published `padding_bits`.
        padding_bits: u8,
    },
}

// ---------------------------------------------------------------------------
// Leaves

/// `account_j = H("por/2/account", salt_j ‖ u8(j) ‖ uid)`.
pub fn part_commitment(salt: &[u8; 32], index: u8, uid: &[u8]) -> NodeHash {
    let mut h = Tag::AccountV2.hasher();
    // One update of the whole message: several small ones cost a buffer copy each,
    // a measurable share of a build.
    let mut msg = [0u8; 33 + 256];
    if uid.len() <= 256 {
        msg[..32].copy_from_slice(salt);
        msg[32] = index;
        msg[33..33 + uid.len()].copy_from_slice(uid);
        h.update(&msg[..33 + uid.len()]);
    } else {
        h.update(salt);
        h.update([index]);
        h.update(uid);
    }
    NodeHash(h.finalize().into())
}

/// Writes the record (`hash ‖ u128be(sums…)`) of part `index` of `uid`.
fn write_part_record(
    rec: &mut [u8],
    salt: &[u8; 32],
    index: u8,
    uid: &[u8],
    amounts: impl IntoIterator<Item = u128>,
) {
    let account = part_commitment(salt, index, uid);
    for (c, a) in rec[32..].chunks_exact_mut(16).zip(amounts) {
        c.copy_from_slice(&a.to_be_bytes());
    }
    // The record's first 32 bytes hold the commitment while the leaf is hashed in one
    // update, then its hash.
    rec[..32].copy_from_slice(&account.0);
    let mut h = TreeTags::V2.leaf.hasher();
    h.update(&*rec);
    rec[..32].copy_from_slice(&h.finalize());
}

/// The hash of the dummy leaf for the 32-byte secret `r`: `H("por/2/dummy", r)`.
pub fn dummy_hash(r: &[u8; 32]) -> NodeHash {
    Tag::DummyV2.hash(r)
}

/// The leaf of part `index` of `uid` with its amounts (one per asset).
pub fn part_leaf(salt: &[u8; 32], index: u8, uid: &[u8], amounts: &[Amount]) -> Node {
    let mut rec = vec![0u8; record_size(amounts.len())];
    write_part_record(
        &mut rec,
        salt,
        index,
        uid,
        amounts.iter().map(|a| a.base_units()),
    );
    Node::from_record(&rec)
}

/// The dummy leaf for `r`: `(H("por/2/dummy", r), 0…0)` for K assets.
pub fn dummy_leaf(r: &[u8; 32], k: usize) -> Node {
    Node {
        hash: dummy_hash(r),
        sums: vec![Amount::ZERO; k],
    }
}

// ---------------------------------------------------------------------------
// Building

/// One part of an account: its salt and its amounts (one per asset). Secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartSecret {
    /// `salt_j`, 32 bytes from a CSPRNG.
    pub salt: [u8; 32],
    /// `p_{j,0} … p_{j,K-1}`.
    pub balances: Vec<Amount>,
}

/// An account and its parts (`parts[j]` is part `j`). Secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountParts {
    /// The exchange's account identifier, hashed as exported.
    pub uid: String,
    /// The account's balances, one per asset; the parts add up to them.
    pub balances: Vec<Amount>,
    /// The `s` parts, in index order.
    pub parts: Vec<PartSecret>,
}

/// Everything a por/2 build is determined by (FORMAT.md §6). Secret.
///
/// The leaves before shuffling are `U = [account 0 parts 0..s-1, account 1 parts …,
/// dummy 0..D-1]`; the leaf at position `p` is `U[permutation[p]]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreeV2Input {
    /// `K`, the number of assets.
    pub k: usize,
    /// `s`, parts per account (1 to 16).
    pub split: u8,
    /// `g` (0 to 8).
    pub padding_bits: u8,
    /// The accounts, each with exactly `s` parts.
    pub accounts: Vec<AccountParts>,
    /// The dummies' secrets `r`; exactly `M − N·s` of them.
    pub dummies: Vec<[u8; 32]>,
    /// The leaf order, a permutation of `0..M`.
    pub permutation: Vec<u32>,
}

impl TreeV2Input {
    /// Draws a fresh por/2 layout for `accounts` (`(uid, balances)`) from `rng`: each
    /// balance split into `split` parts, a salt per part, `M − N·s` dummies and one
    /// uniformly random permutation of all `M` leaves. The accounts are checked when
    /// the tree is built ([`TreeV2::build`]).
    pub fn draw<R: RngCore + CryptoRng + ?Sized>(
        k: usize,
        split: u8,
        padding_bits: u8,
        accounts: impl IntoIterator<Item = (String, Vec<Amount>)>,
        rng: &mut R,
    ) -> Result<TreeV2Input, V2Error> {
        check_split(split)?;
        check_padding_bits(padding_bits)?;
        let accounts = accounts
            .into_iter()
            .map(|(uid, balances)| {
                let parts = split_balances(&balances, split, rng)?
                    .into_iter()
                    .map(|amounts| {
                        let mut salt = [0u8; 32];
                        rng.fill_bytes(&mut salt);
                        PartSecret {
                            salt,
                            balances: amounts,
                        }
                    })
                    .collect();
                Ok(AccountParts {
                    uid,
                    balances,
                    parts,
                })
            })
            .collect::<Result<Vec<_>, V2Error>>()?;
        let part_leaves = part_leaf_count(accounts.len(), split)?;
        let m = padded_leaf_count(part_leaves, padding_bits)?;
        let m = u32::try_from(m).map_err(|_| V2Error::TooMany(m))?;
        let dummies = (part_leaves..u64::from(m))
            .map(|_| {
                let mut r = [0u8; 32];
                rng.fill_bytes(&mut r);
                r
            })
            .collect();
        let mut permutation: Vec<u32> = (0..m).collect();
        permutation.shuffle(rng);
        Ok(TreeV2Input {
            k,
            split,
            padding_bits,
            accounts,
            dummies,
            permutation,
        })
    }
}

/// `N·s`, at most [`MAX_LEAVES`].
fn part_leaf_count(accounts: usize, split: u8) -> Result<u64, V2Error> {
    let n = (accounts as u128) * u128::from(split);
    if n > u128::from(MAX_LEAVES) {
        return Err(V2Error::TooMany(n));
    }
    Ok(n as u64)
}

/// Checks one account of a build: uid, balance and part counts, distinct salts, and
/// parts that add up to the balances without overflow.
fn check_account(index: usize, a: &AccountParts, k: usize, split: u8) -> Result<(), V2Error> {
    if a.uid.is_empty() || a.uid.len() > 128 {
        return Err(V2Error::UidLength {
            account: index,
            len: a.uid.len(),
        });
    }
    if a.balances.len() != k {
        return Err(V2Error::BalanceCount {
            account: index,
            found: a.balances.len(),
            expected: k,
        });
    }
    if a.parts.len() != usize::from(split) {
        return Err(V2Error::PartCount {
            account: index,
            found: a.parts.len(),
            expected: usize::from(split),
        });
    }
    let mut seen: HashMap<[u8; 32], usize> = HashMap::with_capacity(a.parts.len());
    for (j, part) in a.parts.iter().enumerate() {
        if part.balances.len() != k {
            return Err(V2Error::PartBalanceCount {
                account: index,
                part: j,
                found: part.balances.len(),
                expected: k,
            });
        }
        if let Some(&first) = seen.get(&part.salt) {
            return Err(V2Error::DuplicateSalt {
                account: index,
                part: j,
                first,
            });
        }
        seen.insert(part.salt, j);
    }
    for (asset, &expected) in a.balances.iter().enumerate() {
        let found = a.parts.iter().try_fold(Amount::ZERO, |sum, p| {
            sum.checked_add(p.balances[asset])
                .ok_or(V2Error::PartSumOverflow {
                    account: index,
                    asset,
                })
        })?;
        if found != expected {
            return Err(V2Error::PartSum {
                account: index,
                asset,
                found,
                expected,
            });
        }
    }
    Ok(())
}

/// The snapshot labels a proof carries: exchange, snapshot id, assets in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProofLabels {
    /// The exchange's name, as in the manifest.
    pub exchange: String,
    /// The snapshot id, as in the manifest.
    pub snapshot_id: String,
    /// Symbols and decimals, in the manifest's order.
    pub assets: Vec<AssetInfo>,
}

/// A por/2 tree in memory with the secrets it was built from, so that it can hand
/// out each account's proof. Secret: publish only [`TreeV2::tree_info`].
#[derive(Clone, Debug)]
pub struct TreeV2 {
    tree: Tree,
    split: u8,
    padding_bits: u8,
    accounts: Vec<AccountParts>,
    /// `positions[a·s + j]`: the leaf position of account `a`'s part `j`.
    positions: Vec<u32>,
}

impl TreeV2 {
    /// Deterministic build from `input` (FORMAT.md §6): checks every account, the
    /// dummy count (`M − N·s` for the padded count `M`) and the permutation, places
    /// `U[permutation[p]]` at position `p` and builds the levels with the por/2 tags.
    pub fn build(input: TreeV2Input) -> Result<TreeV2, V2Error> {
        let TreeV2Input {
            k,
            split,
            padding_bits,
            accounts,
            dummies,
            permutation,
        } = input;
        check_split(split)?;
        check_padding_bits(padding_bits)?;
        if accounts.is_empty() {
            return Err(V2Error::Empty);
        }
        for (i, a) in accounts.iter().enumerate() {
            check_account(i, a, k, split)?;
        }
        let part_leaves = part_leaf_count(accounts.len(), split)?;
        let m = padded_leaf_count(part_leaves, padding_bits)?;
        if m > u128::from(MAX_LEAVES) {
            return Err(V2Error::TooMany(m));
        }
        if dummies.len() as u128 + u128::from(part_leaves) != m {
            return Err(V2Error::DummyCount {
                found: dummies.len(),
                expected: (m - u128::from(part_leaves)) as u64,
                part_leaves,
                padding_bits,
            });
        }
        let m = m as usize;
        if permutation.len() != m {
            return Err(V2Error::PermutationLength {
                found: permutation.len(),
                expected: m,
            });
        }
        let mut positions = vec![u32::MAX; m];
        for (p, &u) in permutation.iter().enumerate() {
            match positions.get_mut(u as usize) {
                Some(slot) if *slot == u32::MAX => *slot = p as u32,
                _ => {
                    return Err(V2Error::PermutationEntry {
                        position: p,
                        value: u,
                    });
                }
            }
        }
        positions.truncate(part_leaves as usize);

        let s = usize::from(split);
        let r = record_size(k);
        let mut level0 = super::record_buffer(m * r);
        level0
            .par_chunks_mut(r)
            .with_min_len(MIN_CHUNK)
            .zip(permutation.par_iter())
            .for_each(|(rec, &u)| {
                let u = u as usize;
                if u < accounts.len() * s {
                    let (a, j) = (u / s, u % s);
                    let part = &accounts[a].parts[j];
                    write_part_record(
                        rec,
                        &part.salt,
                        j as u8,
                        accounts[a].uid.as_bytes(),
                        part.balances.iter().map(|a| a.base_units()),
                    );
                } else {
                    // Dummy: H("por/2/dummy", r) and zero sums (the buffer is zeroed).
                    rec[..32].copy_from_slice(&dummy_hash(&dummies[u - accounts.len() * s]).0);
                }
            });
        let tree = Tree::from_level0(k, level0, TreeTags::V2)?;
        Ok(TreeV2 {
            tree,
            split,
            padding_bits,
            accounts,
            positions,
        })
    }

    /// The levels (hashes and sums of every level, paths) as a [`Tree`].
    pub fn tree(&self) -> &Tree {
        &self.tree
    }

    /// The root: hash and per-asset totals.
    pub fn root(&self) -> Node {
        self.tree.root()
    }

    /// `ceil(log2 M)`.
    pub fn height(&self) -> u32 {
        self.tree.height()
    }

    /// `M`, the padded leaf count.
    pub fn leaves(&self) -> u64 {
        self.tree.leaves()
    }

    /// `s`.
    pub fn split(&self) -> u8 {
        self.split
    }

    /// `g`.
    pub fn padding_bits(&self) -> u8 {
        self.padding_bits
    }

    /// `N`, the number of accounts.
    pub fn account_count(&self) -> usize {
        self.accounts.len()
    }

    /// The leaf position of part `part` of account `account`.
    pub fn position(&self, account: usize, part: u8) -> Option<u64> {
        if usize::from(part) >= usize::from(self.split) {
            return None;
        }
        let s = usize::from(self.split);
        self.positions
            .get(account.checked_mul(s)?.checked_add(usize::from(part))?)
            .map(|&p| u64::from(p))
    }

    /// The manifest's `tree` for this build: `version` 2, root, sums, height, `M`,
    /// split, padding bits, and `accounts` (the count if `publish_accounts`, else null).
    pub fn tree_info(&self, publish_accounts: bool) -> TreeInfo {
        let root = self.root();
        TreeInfo {
            version: Some(TREE_VERSION),
            root: root.hash,
            sums: root.sums,
            height: self.height(),
            leaves: self.leaves(),
            split: Some(u64::from(self.split)),
            padding_bits: Some(u64::from(self.padding_bits)),
            accounts: Some(publish_accounts.then_some(self.accounts.len() as u64)),
        }
    }

    /// The `por-inclusion-proof/2` of account `account` (its index in the input),
    /// parts in index order.
    pub fn proof(&self, account: usize, labels: &ProofLabels) -> Result<InclusionProofV2, V2Error> {
        let a = self.accounts.get(account).ok_or(V2Error::UnknownAccount {
            index: account,
            accounts: self.accounts.len(),
        })?;
        let s = usize::from(self.split);
        let parts = a
            .parts
            .iter()
            .enumerate()
            .map(|(j, part)| PartProof {
                index: j as u8,
                salt: hex::encode(part.salt),
                balances: part.balances.clone(),
                path: self.tree.path(u64::from(self.positions[account * s + j])),
            })
            .collect();
        let root = self.root();
        Ok(InclusionProofV2 {
            format: PROOF_FORMAT_V2.into(),
            exchange: labels.exchange.clone(),
            snapshot_id: labels.snapshot_id.clone(),
            assets: labels.assets.clone(),
            uid: a.uid.clone(),
            balances: a.balances.clone(),
            parts,
            root: RootJson {
                hash: root.hash,
                sums: root.sums,
            },
        })
    }
}
