//! The liabilities Merkle sum tree (FORMAT.md §2): a node is a hash plus K sums; a
//! parent binds both children's hashes *and* sums, so no account can be dropped or
//! its balance lowered without changing the root.
//!
//! Production layout: a level is one flat byte buffer of fixed-size records
//! `hash ‖ u128be(sums…)` (32 + 16·K bytes). Two adjacent records are exactly the
//! message of their parent's hash, so building a level is one tagged hash and K
//! checked additions per node, in parallel (rayon). Levels are handed to a sink as
//! soon as the next one exists, so a caller can stream them to disk and free them:
//! peak memory is about two levels, not the whole tree. The on-disk proof store
//! ([`store`]) keeps the same records and assembles a proof on request.
//!
//! [`Tree`] is the same build kept in memory, with a deterministic constructor
//! (accounts, salts and order given) for tests and the spec vectors.
//!
//! por/1 and por/2 trees (§6, [`v2`]) have the same shape and differ only in their
//! tags: the level, padding and path code takes a [`TreeTags`] (the `*_with`
//! functions); the plain ones are por/1.

pub mod hash;
pub mod info;
pub mod proof;
pub mod store;
pub mod v2;

use crate::amount::Amount;
pub use hash::TreeTags;
use hash::{NodeHash, Tag, account_commitment};
use rayon::prelude::*;
use sha2::Digest;

/// How the liabilities tree of a new snapshot is built (FORMAT.md §2, §6; the
/// config's `[tree]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TreeParams {
    /// `version = 1`: one leaf per account, as every snapshot before por/2.
    V1,
    /// por/2 (the default): accounts split into parts, the tree padded.
    V2 {
        /// Parts per account, 1 to 16 (default 4).
        split: u8,
        /// Padding granularity, 0 to 8 (default 6).
        padding_bits: u8,
        /// Whether the manifest states the account count (default false).
        publish_account_count: bool,
    },
}

impl Default for TreeParams {
    fn default() -> TreeParams {
        TreeParams::V2 {
            split: v2::DEFAULT_SPLIT,
            padding_bits: v2::DEFAULT_PADDING_BITS,
            publish_account_count: false,
        }
    }
}

/// Bytes of one record: hash + K big-endian u128 sums.
pub fn record_size(k: usize) -> usize {
    32 + 16 * k
}

/// A zeroed buffer for records. Large buffers ask the kernel for transparent huge
/// pages before they are first written: a 10^7-leaf level is ~1 GB, i.e. 250,000
/// page faults with 4 KiB pages, a measurable share of the build on a VM.
pub fn record_buffer(len: usize) -> Vec<u8> {
    let buf = vec![0u8; len];
    #[cfg(target_os = "linux")]
    if len >= 1 << 22 {
        // SAFETY: the range lies within `buf`'s allocation; MADV_HUGEPAGE is advice
        // only and does not change the memory's contents or validity.
        unsafe {
            libc::madvise(buf.as_ptr() as *mut libc::c_void, len, libc::MADV_HUGEPAGE);
        }
    }
    buf
}

/// Leaves per parallel work unit: big enough to amortize scheduling.
const MIN_CHUNK: usize = 2048;

/// Why a por/1 tree could not be built from its accounts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TreeError {
    /// No accounts were given.
    #[error("a tree needs at least one account")]
    Empty,
    /// A per-asset sum does not fit in a `u128` (FORMAT.md §2).
    #[error("asset #{asset}: sum exceeds 2^128-1 at level {level}")]
    SumOverflow {
        /// Index of the asset in the assets list.
        asset: usize,
        /// Tree level of the overflowing node (0 = leaves).
        level: u32,
    },
    /// An account has not one balance per asset.
    #[error("account {index}: {found} balances for {expected} assets")]
    BalanceCount {
        /// Index of the account in input order.
        index: usize,
        /// Balances the account has.
        found: usize,
        /// Assets of the tree.
        expected: usize,
    },
    /// A uid is empty or longer than 128 bytes.
    #[error("account {index}: uid must be 1 to 128 bytes, found {len}")]
    UidLength {
        /// Index of the account in input order.
        index: usize,
        /// The uid's length in bytes.
        len: usize,
    },
    /// More than 2^32-1 accounts (positions are `u32`); carries the count.
    #[error("too many accounts ({0}); at most 2^32-1")]
    TooMany(usize),
}

/// A tree node: hash and per-asset sums.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    /// The node's tagged hash.
    pub hash: NodeHash,
    /// Per-asset sums of the subtree in base units, one per asset.
    pub sums: Vec<Amount>,
}

impl Node {
    /// The por/1 padding node for K assets.
    pub fn pad(k: usize) -> Node {
        Node::pad_with(k, TreeTags::V1)
    }

    /// The padding node of a tree built with `tags`, for K assets.
    pub fn pad_with(k: usize, tags: TreeTags) -> Node {
        Node {
            hash: tags.pad_hash(),
            sums: vec![Amount::ZERO; k],
        }
    }

    /// The leaf of an account (FORMAT.md §2).
    pub fn leaf(salt: &[u8; 32], uid: &[u8], balances: &[Amount]) -> Node {
        let account = account_commitment(salt, uid);
        let mut h = Tag::Leaf.hasher();
        h.update(account.0);
        for b in balances {
            h.update(b.to_be_bytes());
        }
        Node {
            hash: NodeHash(h.finalize().into()),
            sums: balances.to_vec(),
        }
    }

    /// The por/1 parent of `left` and `right`; a sum above 2^128 − 1 is an error.
    pub fn parent(left: &Node, right: &Node) -> Result<Node, TreeError> {
        Node::parent_with(left, right, TreeTags::V1)
    }

    /// The parent of `left` and `right` in a tree built with `tags` (the node tag
    /// over both children's hash and sums); a sum above 2^128 − 1 is an error.
    pub fn parent_with(left: &Node, right: &Node, tags: TreeTags) -> Result<Node, TreeError> {
        let mut h = tags.node.hasher();
        for n in [left, right] {
            h.update(n.hash.0);
            for s in &n.sums {
                h.update(s.to_be_bytes());
            }
        }
        let sums = left
            .sums
            .iter()
            .zip(&right.sums)
            .enumerate()
            .map(|(asset, (a, b))| {
                a.checked_add(*b)
                    .ok_or(TreeError::SumOverflow { asset, level: 0 })
            })
            .collect::<Result<_, _>>()?;
        Ok(Node {
            hash: NodeHash(h.finalize().into()),
            sums,
        })
    }

    /// Reads a node from its record: a 32-byte hash, then one 16-byte big-endian sum per
    /// asset (as many as the record holds). Panics if `rec` is shorter than 32 bytes.
    pub fn from_record(rec: &[u8]) -> Node {
        let sums = rec[32..]
            .chunks_exact(16)
            .map(|c| Amount::from_base_units(u128::from_be_bytes(c.try_into().expect("16 bytes"))))
            .collect();
        Node {
            hash: NodeHash(rec[..32].try_into().expect("32 bytes")),
            sums,
        }
    }

    /// Writes the node's record (hash, then big-endian sums) into `out`, which must be
    /// `32 + 16 × assets` bytes.
    pub fn write_record(&self, out: &mut [u8]) {
        out[..32].copy_from_slice(&self.hash.0);
        for (c, s) in out[32..].chunks_exact_mut(16).zip(&self.sums) {
            c.copy_from_slice(&s.to_be_bytes());
        }
    }
}

/// Number of nodes at each level for `leaves` leaves, level 0 first, root last.
pub fn level_counts(leaves: u64) -> Vec<u64> {
    let mut counts = vec![leaves];
    let mut n = leaves;
    while n > 1 {
        n = n.div_ceil(2);
        counts.push(n);
    }
    counts
}

/// Builds the leaf level: record `i` is the leaf of the account that `account(i)`
/// returns as `(salt, uid, balances)`. Runs in parallel.
pub fn leaf_level<'a, F>(k: usize, leaves: usize, account: F) -> Vec<u8>
where
    F: Fn(usize) -> (&'a [u8; 32], &'a [u8], &'a [u128]) + Sync,
{
    let r = record_size(k);
    let mut out = record_buffer(leaves * r);
    out.par_chunks_mut(r)
        .with_min_len(MIN_CHUNK)
        .enumerate()
        .for_each(|(i, rec)| {
            let (salt, uid, balances) = account(i);
            write_leaf_record(rec, salt, uid, balances.iter().copied());
        });
    out
}

/// Writes the por/1 leaf record (`hash ‖ u128be(balances…)`) of the account with
/// `salt`, `uid` and `balances` into `rec` (`record_size(K)` bytes): the account
/// commitment and the leaf each hashed in one update (no per-field buffer copies).
pub fn write_leaf_record(
    rec: &mut [u8],
    salt: &[u8; 32],
    uid: &[u8],
    balances: impl IntoIterator<Item = u128>,
) {
    let mut h = Tag::Account.hasher();
    let mut msg = [0u8; 32 + 128];
    if uid.len() <= 128 {
        msg[..32].copy_from_slice(salt);
        msg[32..32 + uid.len()].copy_from_slice(uid);
        h.update(&msg[..32 + uid.len()]);
    } else {
        h.update(salt);
        h.update(uid);
    }
    for (c, b) in rec[32..].chunks_exact_mut(16).zip(balances) {
        c.copy_from_slice(&b.to_be_bytes());
    }
    // The record's first 32 bytes hold the commitment while the leaf is hashed in one
    // update, then its hash.
    rec[..32].copy_from_slice(&h.finalize());
    let mut h = Tag::Leaf.hasher();
    h.update(&*rec);
    rec[..32].copy_from_slice(&h.finalize());
}

/// Builds level `level + 1` of a por/1 tree from the records of `level`.
pub fn next_level(cur: &[u8], k: usize, level: u32) -> Result<Vec<u8>, TreeError> {
    next_level_with(cur, k, level, TreeTags::V1)
}

/// Builds level `level + 1` from the records of `level` with `tags`' node and
/// padding node.
pub fn next_level_with(
    cur: &[u8],
    k: usize,
    level: u32,
    tags: TreeTags,
) -> Result<Vec<u8>, TreeError> {
    let r = record_size(k);
    let n = cur.len() / r;
    let m = n.div_ceil(2);
    // The padding record only when the level has an odd count.
    let mut pad = Vec::new();
    if n % 2 == 1 {
        pad = vec![0u8; r];
        Node::pad_with(k, tags).write_record(&mut pad);
    }
    let mut out = record_buffer(m * r);
    let node = |(j, dst): (usize, &mut [u8])| {
        let left = &cur[2 * j * r..(2 * j + 1) * r];
        let right = if 2 * j + 1 < n {
            &cur[(2 * j + 1) * r..(2 * j + 2) * r]
        } else {
            &pad[..]
        };
        let mut h = tags.node.hasher();
        if 2 * j + 1 < n {
            // Both children are adjacent in `cur`: one update.
            h.update(&cur[2 * j * r..(2 * j + 2) * r]);
        } else {
            h.update(left);
            h.update(right);
        }
        dst[..32].copy_from_slice(&h.finalize());
        for asset in 0..k {
            let o = 32 + 16 * asset;
            let a = u128::from_be_bytes(left[o..o + 16].try_into().expect("16"));
            let b = u128::from_be_bytes(right[o..o + 16].try_into().expect("16"));
            let s = a.checked_add(b).ok_or(TreeError::SumOverflow {
                asset,
                level: level + 1,
            })?;
            dst[o..o + 16].copy_from_slice(&s.to_be_bytes());
        }
        Ok(())
    };
    if m < MIN_CHUNK {
        // A small level (a chunk's, the top of the tree): no parallel tasks.
        out.chunks_mut(r).enumerate().try_for_each(node)?;
    } else {
        out.par_chunks_mut(r)
            .with_min_len(MIN_CHUNK / 2)
            .enumerate()
            .try_for_each(node)?;
    }
    Ok(out)
}

/// The root and shape of a built tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RootInfo {
    /// The root node: hash and per-asset totals.
    pub root: Node,
    /// Levels above the leaves.
    pub height: u32,
    /// Leaves at level 0 (por/1: one per account; por/2: part and dummy leaves).
    pub leaves: u64,
}

/// Builds every level of a por/1 tree above `level0`, handing each level (level 0
/// first, root level last) to `sink` once it is no longer needed. Returns the root.
pub fn build_levels<E: From<TreeError>>(
    level0: Vec<u8>,
    k: usize,
    sink: impl FnMut(u32, Vec<u8>) -> Result<(), E>,
) -> Result<RootInfo, E> {
    build_levels_with(level0, k, TreeTags::V1, sink)
}

/// As [`build_levels`], for a tree built with `tags` (por/1 or por/2).
pub fn build_levels_with<E: From<TreeError>>(
    level0: Vec<u8>,
    k: usize,
    tags: TreeTags,
    mut sink: impl FnMut(u32, Vec<u8>) -> Result<(), E>,
) -> Result<RootInfo, E> {
    let r = record_size(k);
    let leaves = (level0.len() / r) as u64;
    if leaves == 0 {
        return Err(TreeError::Empty.into());
    }
    let mut cur = level0;
    let mut level = 0u32;
    while cur.len() > r {
        let next = next_level_with(&cur, k, level, tags)?;
        sink(level, cur)?;
        cur = next;
        level += 1;
    }
    let root = Node::from_record(&cur);
    sink(level, cur)?;
    Ok(RootInfo {
        root,
        height: level,
        leaves,
    })
}

/// One account of a deterministic build.
#[derive(Clone, Debug)]
pub struct AccountLeaf {
    /// The account's uid (1 to 128 bytes).
    pub uid: String,
    /// The account's secret 32-byte salt (FORMAT.md §1); never published outside its own proof.
    pub salt: [u8; 32],
    /// One balance per asset in base units, in the order of the assets list.
    pub balances: Vec<Amount>,
}

/// A whole tree in memory (every level's records), por/1 or por/2 by its tags.
#[derive(Clone, Debug)]
pub struct Tree {
    k: usize,
    tags: TreeTags,
    levels: Vec<Vec<u8>>,
}

impl Tree {
    /// Deterministic build: leaf order is the order of `accounts`, salts as given.
    pub fn build(k: usize, accounts: &[AccountLeaf]) -> Result<Tree, TreeError> {
        if accounts.is_empty() {
            return Err(TreeError::Empty);
        }
        if accounts.len() > u32::MAX as usize {
            return Err(TreeError::TooMany(accounts.len()));
        }
        let mut raw = Vec::with_capacity(accounts.len() * k);
        for (index, a) in accounts.iter().enumerate() {
            if a.balances.len() != k {
                return Err(TreeError::BalanceCount {
                    index,
                    found: a.balances.len(),
                    expected: k,
                });
            }
            if a.uid.is_empty() || a.uid.len() > 128 {
                return Err(TreeError::UidLength {
                    index,
                    len: a.uid.len(),
                });
            }
            raw.extend(a.balances.iter().map(|b| b.base_units()));
        }
        let level0 = leaf_level(k, accounts.len(), |i| {
            (
                &accounts[i].salt,
                accounts[i].uid.as_bytes(),
                &raw[i * k..(i + 1) * k],
            )
        });
        Tree::from_level0(k, level0, TreeTags::V1)
    }

    /// Builds every level above the leaf records `level0` with `tags`.
    fn from_level0(k: usize, level0: Vec<u8>, tags: TreeTags) -> Result<Tree, TreeError> {
        let mut levels = Vec::new();
        build_levels_with::<TreeError>(level0, k, tags, |_, l| {
            levels.push(l);
            Ok(())
        })?;
        Ok(Tree { k, tags, levels })
    }

    /// Number of assets: sums per node.
    pub fn assets(&self) -> usize {
        self.k
    }

    /// Levels above the leaves: the root's level.
    pub fn height(&self) -> u32 {
        (self.levels.len() - 1) as u32
    }

    /// Leaves at level 0 (por/1: one per account; por/2: part and dummy leaves).
    pub fn leaves(&self) -> u64 {
        (self.levels[0].len() / record_size(self.k)) as u64
    }

    /// The root node, hash and per-asset totals.
    pub fn root(&self) -> Node {
        Node::from_record(&self.levels[self.levels.len() - 1])
    }

    /// The root together with the tree's height and leaf count.
    pub fn root_info(&self) -> RootInfo {
        RootInfo {
            root: self.root(),
            height: self.height(),
            leaves: self.leaves(),
        }
    }

    /// The hashes of level `level`, left to right.
    pub fn level_hashes(&self, level: usize) -> Vec<NodeHash> {
        self.levels[level]
            .chunks_exact(record_size(self.k))
            .map(|rec| NodeHash(rec[..32].try_into().expect("32")))
            .collect()
    }

    /// The nodes (hash and sums) of level `level`, left to right.
    pub fn level_nodes(&self, level: usize) -> Vec<Node> {
        self.levels[level]
            .chunks_exact(record_size(self.k))
            .map(Node::from_record)
            .collect()
    }

    /// The sibling path of the leaf at `position`, bottom-up.
    pub fn path(&self, position: u64) -> Vec<proof::PathStep> {
        let r = record_size(self.k);
        sibling_path_with::<std::convert::Infallible>(
            self.leaves(),
            position,
            self.k,
            self.tags,
            |level, idx| {
                let l = &self.levels[level as usize];
                Ok(Node::from_record(
                    &l[idx as usize * r..(idx as usize + 1) * r],
                ))
            },
        )
        .unwrap_or_else(|e| match e {})
    }
}

/// The sibling path of the leaf at `position` in a por/1 tree of `leaves` leaves,
/// reading nodes through `node(level, index)`; a missing right sibling is the padding
/// node.
pub fn sibling_path<E>(
    leaves: u64,
    position: u64,
    k: usize,
    node: impl FnMut(u32, u64) -> Result<Node, E>,
) -> Result<Vec<proof::PathStep>, E> {
    sibling_path_with(leaves, position, k, TreeTags::V1, node)
}

/// As [`sibling_path`], in a tree built with `tags` (whose padding node fills a
/// missing right sibling).
pub fn sibling_path_with<E>(
    leaves: u64,
    position: u64,
    k: usize,
    tags: TreeTags,
    mut node: impl FnMut(u32, u64) -> Result<Node, E>,
) -> Result<Vec<proof::PathStep>, E> {
    let counts = level_counts(leaves);
    let mut path = Vec::with_capacity(counts.len() - 1);
    for (level, &count) in counts[..counts.len() - 1].iter().enumerate() {
        let idx = position >> level;
        let sib = idx ^ 1;
        let (side, sibling) = if sib >= count {
            (proof::Side::Right, Node::pad_with(k, tags))
        } else {
            let side = if idx & 1 == 0 {
                proof::Side::Right
            } else {
                proof::Side::Left
            };
            (side, node(level as u32, sib)?)
        };
        path.push(proof::PathStep {
            side,
            hash: sibling.hash,
            sums: sibling.sums,
        });
    }
    Ok(path)
}
