//! The build at scale: the tree of a snapshot whose secrets come from a
//! [`Derivation`], so that level 0 (`M · (32 + 16·K)` bytes, 3.8 GB at 10^7 accounts
//! × 4 parts × 4 assets) and the accounts are never held in leaf order. A por/2 tree
//! ([`Shape::new`]) or a por/1 one ([`Shape::new_v1`]: leaf `a` is account `a`, its
//! salt [`Derivation::salt_v1`], no dummies), told apart by [`LeafSpec`].
//!
//! - [`Shape`]: the padded leaf count `M`, the height, the chunk and bucket sizes.
//!   The leaf order is the leaf ids sorted by their derived keys (ties by id).
//! - [`build`]: every leaf hashed in input order (one derivation per account) and
//!   scattered by key into bucket files on disk; then bucket by bucket, in key order,
//!   the leaves sorted by key are level 0 in position order, folded in
//!   `2^chunk_bits`-leaf chunks; then the levels above. Only levels `≥ chunk_bits`,
//!   the order and its bucket starts are handed to the caller (the store keeps them).
//! - [`chunk_levels`]: the levels of one chunk, each leaf recomputed from its account,
//!   for a proof. Its accounts are first touched in a tight loop (their cache misses
//!   overlap), then hashed.
//!
//! The leaf ids are those of [`super::TreeV2Input`]: `a·s + j` for part `j` of account
//! `a`, then `N·s + d` for dummy `d`, so a derived build equals the deterministic
//! [`super::TreeV2::build`] of the derived values (tested).

use super::derive::Derivation;
use super::shape::{ceil_log2, check_padding_bits, check_split, padded_leaf_count};
use super::{MAX_LEAVES, V2Error, dummy_hash, write_part_record};
use crate::progress::Progress;
use crate::tree::hash::TreeTags;
use crate::tree::{RootInfo, TreeError, build_levels_with, next_level_with, record_size};

use rayon::prelude::*;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Leaves per chunk, as a power of two: a proof rebuilds one chunk per part
/// (64 leaves, a fraction of a millisecond), the store keeps the levels above.
pub const CHUNK_BITS: u32 = 6;
/// The most assets a derived build handles (amounts live on the stack).
pub const MAX_ASSETS: usize = 64;
/// Average leaves per bucket of the order index, as a power of two.
const BUCKET_LEAF_BITS: u32 = 6;

/// Where the accounts of a build are read from: the parsed liabilities while
/// building, the store's account records when a proof is rebuilt.
pub trait AccountSource: Sync {
    /// Why an account could not be read.
    type Error: From<V2Error> + Send;
    /// Calls `f` with the uid and the balances (one per asset) of account `account`.
    fn with_account<T>(
        &self,
        account: u64,
        f: impl FnOnce(&[u8], &[u128]) -> T,
    ) -> Result<T, Self::Error>;

    /// Starts loading account `account` into the cache (a chunk's accounts are touched
    /// first, so that their cache misses overlap instead of waiting one by one).
    /// Returns a byte of it to be folded into a value the optimiser cannot drop.
    fn touch(&self, _account: u64) -> u8 {
        0
    }

    /// Calls `f(account, uid, balances)` for the accounts `lo..hi`, in order (the
    /// build reads every account this way, in input order).
    fn for_each(
        &self,
        lo: u64,
        hi: u64,
        mut f: impl FnMut(u64, &[u8], &[u128]),
    ) -> Result<(), Self::Error> {
        for a in lo..hi {
            self.with_account(a, |uid, balances| f(a, uid, balances))?;
        }
        Ok(())
    }

    /// Bytes each of the `k` assets' balances (and so their parts) fit in: a leaf
    /// waits in the build's spool with its amounts at these widths.
    fn widths(&self, k: usize) -> Vec<u8> {
        vec![16; k]
    }
}

/// The deterministic build input ([`super::TreeV2Input`]) of the values `d` derives for
/// `accounts` (`(uid, balances)` with `k` balances each) laid out as `layout`: the
/// reference a derived build and a store are compared with in tests.
#[cfg(test)]
pub(crate) fn reference_input(
    d: &Derivation,
    accounts: &[(Vec<u8>, Vec<u128>)],
    k: usize,
    layout: &Layout,
) -> super::TreeV2Input {
    use super::{AccountParts, PartSecret};
    use crate::amount::Amount;
    let shape = &layout.shape;
    let split = shape.split;
    super::TreeV2Input {
        k,
        split,
        padding_bits: shape.padding_bits,
        accounts: accounts
            .iter()
            .enumerate()
            .map(|(a, (uid, b))| AccountParts {
                uid: String::from_utf8(uid.clone()).expect("test uids are UTF-8"),
                balances: b.iter().map(|&x| Amount::from_base_units(x)).collect(),
                parts: d
                    .parts(a as u64, b, split)
                    .expect("parts of a valid balance")
                    .into_iter()
                    .enumerate()
                    .map(|(j, balances)| PartSecret {
                        salt: d.salt(a as u64, j as u8, split),
                        balances,
                    })
                    .collect(),
            })
            .collect(),
        dummies: (0..shape.leaves - shape.accounts * u64::from(split))
            .map(|i| d.dummy(i))
            .collect(),
        permutation: layout.order.clone(),
    }
}

/// Accounts held in memory as `(uid, balances)`, for tests.
#[cfg(test)]
pub(crate) struct MemAccounts(pub Vec<(Vec<u8>, Vec<u128>)>);

#[cfg(test)]
impl AccountSource for MemAccounts {
    type Error = V2Error;
    fn with_account<T>(
        &self,
        account: u64,
        f: impl FnOnce(&[u8], &[u128]) -> T,
    ) -> Result<T, V2Error> {
        let (u, b) = &self.0[account as usize];
        Ok(f(u, b))
    }

    /// The widths a parse would find: each column's largest value's bytes.
    fn widths(&self, k: usize) -> Vec<u8> {
        (0..k)
            .map(|i| {
                let max = self.0.iter().map(|(_, b)| b[i]).max().unwrap_or(0);
                (16 - max.leading_zeros() / 8) as u8
            })
            .collect()
    }
}

/// The shape of a derived tree: everything about it but its leaf order, which the
/// build ([`build`]) finds as it goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    /// The tree's version: 1 (one leaf per account, no dummies) or 2.
    pub version: u64,
    /// `N`, the accounts.
    pub accounts: u64,
    /// `s`.
    pub split: u8,
    /// `g`.
    pub padding_bits: u8,
    /// `M`, the padded leaf count.
    pub leaves: u64,
    /// `ceil(log2 M)`.
    pub height: u32,
    /// Levels rebuilt per chunk: `min(CHUNK_BITS, height)`.
    pub chunk_bits: u32,
    /// The order index has `2^bucket_bits` buckets.
    pub bucket_bits: u32,
}

impl Shape {
    /// The leaf count and height of `accounts` accounts split in `split` parts and
    /// padded with `padding_bits` (por/2).
    pub fn new(accounts: u64, split: u8, padding_bits: u8) -> Result<Shape, V2Error> {
        check_split(split)?;
        check_padding_bits(padding_bits)?;
        if accounts == 0 {
            return Err(V2Error::Empty);
        }
        let part_leaves = u128::from(accounts) * u128::from(split);
        if part_leaves > u128::from(MAX_LEAVES) {
            return Err(V2Error::TooMany(part_leaves));
        }
        let m = padded_leaf_count(part_leaves as u64, padding_bits)?;
        if m > u128::from(MAX_LEAVES) {
            return Err(V2Error::TooMany(m));
        }
        Ok(Shape::of(2, accounts, split, padding_bits, m as u64))
    }

    /// The shape of a derived por/1 tree: one leaf per account (leaf `a` is account
    /// `a`), no dummies.
    pub fn new_v1(accounts: u64) -> Result<Shape, V2Error> {
        if accounts == 0 {
            return Err(V2Error::Empty);
        }
        if accounts > MAX_LEAVES {
            return Err(V2Error::TooMany(u128::from(accounts)));
        }
        Ok(Shape::of(1, accounts, 1, 0, accounts))
    }

    fn of(version: u64, accounts: u64, split: u8, padding_bits: u8, m: u64) -> Shape {
        let height = ceil_log2(m);
        Shape {
            version,
            accounts,
            split,
            padding_bits,
            leaves: m,
            height,
            chunk_bits: height.min(CHUNK_BITS),
            bucket_bits: height.saturating_sub(BUCKET_LEAF_BITS),
        }
    }

    /// The leaves the tree is built from.
    pub fn leaf_spec(&self) -> LeafSpec {
        LeafSpec {
            version: self.version,
            split: self.split,
            accounts: self.accounts,
        }
    }
}

/// The bucket of a key: its top `bits` bits.
pub fn bucket_of(key: u128, bits: u32) -> usize {
    if bits == 0 {
        0
    } else {
        (key >> (128 - bits)) as usize
    }
}

/// A shape with its leaf order computed in memory (a sort of the derived
/// keys): the reference the build's order is checked against in tests.
#[cfg(test)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Layout {
    /// The tree's shape.
    pub shape: Shape,
    /// `order[p]`: the leaf id at position `p`.
    pub order: Vec<u32>,
    /// `buckets[b]`: the first position whose key falls in bucket `b`; `2^bucket_bits + 1` entries.
    pub buckets: Vec<u32>,
}

#[cfg(test)]
impl Layout {
    /// The por/2 shape ([`Shape::new`]) and its order by `d`'s keys.
    pub fn new(
        d: &Derivation,
        accounts: u64,
        split: u8,
        padding_bits: u8,
    ) -> Result<Layout, V2Error> {
        Ok(Layout::ordered(
            d,
            Shape::new(accounts, split, padding_bits)?,
        ))
    }

    /// The por/1 shape ([`Shape::new_v1`]) and its order by `d`'s keys.
    pub fn new_v1(d: &Derivation, accounts: u64) -> Result<Layout, V2Error> {
        Ok(Layout::ordered(d, Shape::new_v1(accounts)?))
    }

    /// The leaves sorted by key (ties by id), and the first position of each bucket.
    fn ordered(d: &Derivation, shape: Shape) -> Layout {
        let mut keyed: Vec<(u128, u32)> = (0..shape.leaves)
            .map(|u| (d.order_key(u), u as u32))
            .collect();
        keyed.sort_unstable();
        let nb = 1usize << shape.bucket_bits;
        let mut buckets = vec![0u32; nb + 1];
        for &(key, _) in &keyed {
            buckets[bucket_of(key, shape.bucket_bits) + 1] += 1;
        }
        for b in 0..nb {
            buckets[b + 1] += buckets[b];
        }
        Layout {
            shape,
            order: keyed.into_iter().map(|(_, u)| u).collect(),
            buckets,
        }
    }
}

/// Which leaves a derived tree has: its version, split and account count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LeafSpec {
    /// 1: leaf `a` is account `a` (por/1 leaf, salt [`Derivation::salt_v1`]);
    /// 2: part leaves `a·s + j`, then dummies.
    pub version: u64,
    /// `s` (1 for por/1).
    pub split: u8,
    /// `N`.
    pub accounts: u64,
}

impl LeafSpec {
    /// The tags the tree is built with.
    pub fn tags(&self) -> TreeTags {
        if self.version == 1 {
            TreeTags::V1
        } else {
            TreeTags::V2
        }
    }

    /// The account leaf `id` belongs to, if it is not a dummy.
    fn account_of(&self, id: u64) -> Option<u64> {
        let s = u64::from(self.split);
        (id < self.accounts * s).then(|| id / s)
    }
}

/// Writes the record of leaf `id` into `rec` (zeroed, `record_size(k)` bytes).
fn leaf_record<A: AccountSource>(
    d: &Derivation,
    accounts: &A,
    spec: &LeafSpec,
    id: u64,
    rec: &mut [u8],
) -> Result<(), A::Error> {
    let (split, n) = (spec.split, spec.accounts);
    let s = u64::from(split);
    if spec.version == 1 {
        accounts.with_account(id, |uid, balances| {
            crate::tree::write_leaf_record(rec, &d.salt_v1(id), uid, balances.iter().copied());
        })?;
    } else if id < n * s {
        let (a, j) = (id / s, (id % s) as u8);
        accounts.with_account(a, |uid, balances| {
            let mut amounts = [0u128; MAX_ASSETS];
            let amounts = &mut amounts[..balances.len()];
            let salt = d.part(a, j, balances, split, amounts);
            write_part_record(rec, &salt, j, uid, amounts.iter().copied());
        })?;
    } else {
        rec[..32].copy_from_slice(&dummy_hash(&d.dummy(id - n * s)).0);
    }
    Ok(())
}

/// The levels `0 ..= chunk_bits` of the chunk whose leaf ids are `ids` (level 0
/// first; the last level is one node).
pub fn chunk_levels<A: AccountSource>(
    d: &Derivation,
    accounts: &A,
    spec: &LeafSpec,
    k: usize,
    chunk_bits: u32,
    ids: &[u32],
) -> Result<Vec<Vec<u8>>, A::Error> {
    if k > MAX_ASSETS {
        return Err(V2Error::TooManyAssets(k).into());
    }
    let r = record_size(k);
    // The chunk's accounts are in random places: load them all first, so their
    // cache misses overlap, then hash.
    let mut touched = 0u8;
    for &id in ids {
        if let Some(a) = spec.account_of(u64::from(id)) {
            touched ^= accounts.touch(a);
        }
    }
    std::hint::black_box(touched);
    let mut level0 = vec![0u8; ids.len() * r];
    for (rec, &id) in level0.chunks_exact_mut(r).zip(ids) {
        leaf_record(d, accounts, spec, u64::from(id), rec)?;
    }
    let mut levels = vec![level0];
    for l in 0..chunk_bits {
        let next = next_level_with(levels.last().expect("level 0"), k, l, spec.tags())
            .map_err(V2Error::from)?;
        levels.push(next);
    }
    Ok(levels)
}

/// The tree a build made: its root, and the first position of each bucket of its
/// order index (`2^bucket_bits + 1` entries, for the store's `buckets.bin`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Built {
    /// The root, height and leaf count.
    pub root: RootInfo,
    /// `buckets[b]`: the first position whose key falls in bucket `b`.
    pub buckets: Vec<u32>,
}

/// Leaves per spool bucket file, as a power of two (~256 k leaves: tens of MB).
const SPOOL_LEAF_BITS: u32 = 18;
/// The most spool bucket files.
const MAX_SPOOL_BITS: u32 = 12;
/// Leaves a scatter task handles before it writes its buffers out.
const TASK_LEAVES: u64 = 1 << 19;

/// A leaf as it waits in the spool: the key bits after the spool bucket's, the leaf
/// id, the leaf hash and its amounts at the columns' widths (big-endian).
struct SpoolFormat {
    /// Spool buckets, as a power of two: the top bits of a key pick the file.
    bits: u32,
    /// Bytes of each asset's amounts.
    widths: Vec<u8>,
    /// Bytes of one spooled leaf.
    len: usize,
}

impl SpoolFormat {
    fn new(shape: &Shape, widths: Vec<u8>, leaf_bits: u32) -> SpoolFormat {
        let bits = shape
            .height
            .saturating_sub(leaf_bits)
            .min(MAX_SPOOL_BITS)
            .min(shape.bucket_bits);
        let len = 8 + 4 + 32 + widths.iter().map(|&w| usize::from(w)).sum::<usize>();
        SpoolFormat { bits, widths, len }
    }

    /// The spool bucket and the 64 key bits after its bits.
    #[inline]
    fn split_key(&self, key: u128) -> (usize, u64) {
        (bucket_of(key, self.bits), ((key << self.bits) >> 64) as u64)
    }

    /// Appends leaf `id` (its full record `rec`, `hash ‖ u128be sums`) with key `tail`.
    #[inline]
    fn push(&self, out: &mut Vec<u8>, tail: u64, id: u64, rec: &[u8]) {
        let at = out.len();
        out.resize(at + self.len, 0);
        let s = &mut out[at..];
        s[..8].copy_from_slice(&tail.to_le_bytes());
        s[8..12].copy_from_slice(&(id as u32).to_le_bytes());
        s[12..44].copy_from_slice(&rec[..32]);
        let mut to = 44;
        for (i, &w) in self.widths.iter().enumerate() {
            let (o, w) = (32 + 16 * i, usize::from(w));
            s[to..to + w].copy_from_slice(&rec[o + 16 - w..o + 16]);
            to += w;
        }
    }

    /// The key tail and id of a spooled leaf.
    #[inline]
    fn head(&self, s: &[u8]) -> (u64, u32) {
        (
            u64::from_le_bytes(s[..8].try_into().expect("8")),
            u32::from_le_bytes(s[8..12].try_into().expect("4")),
        )
    }

    /// Writes the full record of a spooled leaf into `rec` (zeroed).
    #[inline]
    fn expand(&self, s: &[u8], rec: &mut [u8]) {
        rec[..32].copy_from_slice(&s[12..44]);
        let mut at = 44;
        for (i, &w) in self.widths.iter().enumerate() {
            let w = usize::from(w);
            let o = 32 + 16 * i;
            rec[o + 16 - w..o + 16].copy_from_slice(&s[at..at + w]);
            at += w;
        }
    }
}

/// The spool's bucket files in a scratch folder, each appended to by whole buffers.
struct Spool {
    dir: PathBuf,
    files: Vec<Mutex<File>>,
}

impl Spool {
    fn path(dir: &Path, b: usize) -> PathBuf {
        dir.join(format!("bucket-{b:04}.bin"))
    }

    fn create(dir: &Path, buckets: usize) -> Result<Spool, V2Error> {
        std::fs::create_dir_all(dir).map_err(spool_err(dir))?;
        let files = (0..buckets)
            .map(|b| {
                let p = Spool::path(dir, b);
                File::create(&p).map(Mutex::new).map_err(spool_err(&p))
            })
            .collect::<Result<_, _>>()?;
        Ok(Spool {
            dir: dir.to_path_buf(),
            files,
        })
    }

    fn append(&self, b: usize, bytes: &[u8]) -> Result<(), V2Error> {
        let mut f = self.files[b].lock().expect("a spool writer panicked");
        f.write_all(bytes)
            .map_err(spool_err(&Spool::path(&self.dir, b)))
    }

    /// Reads bucket `b` whole and removes its file (the spool gives its disk back as
    /// the build goes).
    fn take(&self, b: usize) -> Result<Vec<u8>, V2Error> {
        let p = Spool::path(&self.dir, b);
        let bytes = std::fs::read(&p).map_err(spool_err(&p))?;
        std::fs::remove_file(&p).map_err(spool_err(&p))?;
        Ok(bytes)
    }
}

fn spool_err(path: &Path) -> impl FnOnce(std::io::Error) -> V2Error + '_ {
    move |e| V2Error::Spool {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// Hashes every leaf of `shape` in id order (each account read once, in input order,
/// its parts derived in one pass) and scatters them into the spool by key.
fn scatter<A: AccountSource>(
    d: &Derivation,
    accounts: &A,
    shape: &Shape,
    k: usize,
    fmt: &SpoolFormat,
    spool: &Spool,
    progress: &dyn Progress,
) -> Result<(), A::Error> {
    let spec = shape.leaf_spec();
    let s = u64::from(spec.split);
    let r = record_size(k);
    let part_leaves = spec.accounts * s;
    // Tasks of whole accounts, then tasks of dummies.
    // Whole 2^16-account runs a task: a spilled book's segments
    // (`liabilities::spill`) are each read by one task.
    let per_task = (TASK_LEAVES / s).max(1).next_multiple_of(1 << 16);
    let mut tasks: Vec<(u64, u64)> = (0..spec.accounts)
        .step_by(per_task as usize)
        .map(|a| (a * s, (a + per_task).min(spec.accounts) * s))
        .collect();
    tasks.extend(
        (part_leaves..shape.leaves)
            .step_by(TASK_LEAVES as usize)
            .map(|u| (u, (u + TASK_LEAVES).min(shape.leaves))),
    );
    let nb = 1usize << fmt.bits;
    tasks.par_iter().try_for_each(|&(lo, hi)| {
        let n = (hi - lo) as usize;
        let mut keys = vec![0u128; n];
        d.order_keys(lo, &mut keys);
        let mut out: Vec<Vec<u8>> = vec![Vec::new(); nb];
        let expect = n * fmt.len / nb + fmt.len * 8;
        for o in &mut out {
            o.reserve(expect);
        }
        let mut rec = vec![0u8; r * usize::from(spec.split)];
        let mut put = |id: u64, rec: &[u8]| {
            let (b, tail) = fmt.split_key(keys[(id - lo) as usize]);
            fmt.push(&mut out[b], tail, id, rec);
        };
        if lo >= part_leaves {
            for id in lo..hi {
                let rec = &mut rec[..r];
                rec.fill(0);
                rec[..32].copy_from_slice(&dummy_hash(&d.dummy(id - part_leaves)).0);
                put(id, rec);
            }
        } else if spec.version == 1 {
            let rec = &mut rec[..r];
            accounts.for_each(lo, hi, |a, uid, balances| {
                crate::tree::write_leaf_record(rec, &d.salt_v1(a), uid, balances.iter().copied());
                put(a, rec);
            })?;
        } else {
            let split = spec.split;
            let mut salts = [[0u8; 32]; 16];
            let mut amounts = vec![0u128; usize::from(split) * k];
            accounts.for_each(lo / s, hi / s, |a, uid, balances| {
                d.all_parts(a, balances, split, &mut salts, &mut amounts);
                for (j, rec) in rec.chunks_exact_mut(r).enumerate() {
                    write_part_record(
                        rec,
                        &salts[j],
                        j as u8,
                        uid,
                        amounts[j * k..(j + 1) * k].iter().copied(),
                    );
                    put(a * s + j as u64, rec);
                }
            })?;
        }
        for (b, bytes) in out.iter().enumerate() {
            if !bytes.is_empty() {
                spool.append(b, bytes)?;
            }
        }
        progress.advance(hi - lo);
        Ok::<(), A::Error>(())
    })
}

/// One spool file folded: the tops of its whole chunks, the records left over for
/// the next file's first chunk, and its leaf ids in position order.
struct Folded {
    tops: Vec<u8>,
    rest: Vec<u8>,
    ids: Vec<u32>,
}

/// The top record of one chunk from its level-0 records (at most `2^chunk_bits`).
fn fold_chunk(
    level0: &[u8],
    k: usize,
    chunk_bits: u32,
    tags: TreeTags,
) -> Result<Vec<u8>, TreeError> {
    if chunk_bits == 0 {
        return Ok(level0.to_vec());
    }
    let mut cur = next_level_with(level0, k, 0, tags)?;
    for l in 1..chunk_bits {
        cur = next_level_with(&cur, k, l, tags)?;
    }
    Ok(cur)
}

/// Builds the tree of `shape` for `k` assets from `accounts` and `d`, the leaves in
/// two passes over a spool of bucket files in the folder `spool_dir` (created, and
/// removed at the end):
/// 1. every leaf hashed in id order (each account read once, in input order, all its
///    parts derived at once) and appended to the spool file of its key's top bits;
/// 2. file by file, in key order: the leaves sorted by key give their positions; the
///    `2^chunk_bits`-leaf chunks are folded in parallel into the level above them.
///
/// `order(ids)` receives the leaf ids position by position (the store's order), and
/// `sink(level, records)` every level from `shape.chunk_bits` to the root's, in
/// order. Memory: one spool file, the chunks' top level and the order index's bucket
/// starts; the spool on disk holds each leaf in `44 + Σ widths` bytes.
#[allow(clippy::too_many_arguments)]
pub fn build<A: AccountSource, E: From<A::Error> + From<TreeError> + Send>(
    d: &Derivation,
    accounts: &A,
    shape: &Shape,
    k: usize,
    spool_dir: &Path,
    progress: &dyn Progress,
    order: impl FnMut(&[u32]) -> Result<(), E>,
    sink: impl FnMut(u32, Vec<u8>) -> Result<(), E>,
) -> Result<Built, E> {
    build_in(
        d,
        accounts,
        shape,
        k,
        spool_dir,
        SPOOL_LEAF_BITS,
        progress,
        order,
        sink,
    )
}

/// [`build`] with spool files of about `2^spool_leaf_bits` leaves (tests use small
/// ones, for many files).
#[allow(clippy::too_many_arguments)]
fn build_in<A: AccountSource, E: From<A::Error> + From<TreeError> + Send>(
    d: &Derivation,
    accounts: &A,
    shape: &Shape,
    k: usize,
    spool_dir: &Path,
    spool_leaf_bits: u32,
    progress: &dyn Progress,
    mut order: impl FnMut(&[u32]) -> Result<(), E>,
    mut sink: impl FnMut(u32, Vec<u8>) -> Result<(), E>,
) -> Result<Built, E> {
    if k > MAX_ASSETS {
        return Err(E::from(A::Error::from(V2Error::TooManyAssets(k))));
    }
    let spool_fail = |e: V2Error| E::from(A::Error::from(e));
    let r = record_size(k);
    let t = shape.chunk_bits;
    let chunk = 1usize << t;
    let tags = shape.leaf_spec().tags();
    let fmt = SpoolFormat::new(shape, accounts.widths(k), spool_leaf_bits);
    let nb = 1usize << fmt.bits;
    let mut spool = Spool::create(spool_dir, nb).map_err(spool_fail)?;
    scatter(d, accounts, shape, k, &fmt, &spool, progress)?;
    // Close the writers: a file removed while open would keep its disk.
    spool.files = Vec::new();

    // The order index's buckets: the top `bucket_bits` bits of the keys, of which the
    // spool bucket gives the first `fmt.bits` and the key tail the rest.
    let fine = shape.bucket_bits - fmt.bits;
    let mut counts = vec![0u32; (1usize << shape.bucket_bits) + 1];
    let mut top = crate::tree::record_buffer(shape.leaves.div_ceil(chunk as u64) as usize * r);
    let mut filled = 0usize;
    let mut carry: Vec<u8> = Vec::new();
    let mut next = Some(spool.take(0).map_err(spool_fail)?);
    for b in 0..nb {
        let bytes = next.take().expect("read ahead");
        // Read the next file while this one is sorted and hashed.
        let (ahead, done) = rayon::join(
            || (b + 1 < nb).then(|| spool.take(b + 1)).transpose(),
            || -> Result<Folded, E> {
                let n = bytes.len() / fmt.len;
                let mut keyed: Vec<(u64, u32, u32)> = bytes
                    .chunks_exact(fmt.len)
                    .enumerate()
                    .map(|(i, s)| {
                        let (tail, id) = fmt.head(s);
                        (tail, id, i as u32)
                    })
                    .collect();
                // By key, then id: the key's tail decides all but astronomically rare
                // ties, which the whole key (derived again) settles.
                keyed.par_sort_unstable_by(|x, y| {
                    x.0.cmp(&y.0).then_with(|| {
                        (d.order_key(u64::from(x.1)), x.1).cmp(&(d.order_key(u64::from(y.1)), y.1))
                    })
                });
                let held = carry.len();
                let mut level0 = crate::tree::record_buffer(held + n * r);
                level0[..held].copy_from_slice(&carry);
                level0[held..]
                    .par_chunks_mut(r)
                    .zip(keyed.par_iter())
                    .with_min_len(4096)
                    .for_each(|(rec, &(_, _, i))| {
                        let i = i as usize;
                        fmt.expand(&bytes[i * fmt.len..(i + 1) * fmt.len], rec);
                    });
                let whole = level0.len() / (chunk * r) * (chunk * r);
                let tops: Vec<u8> = level0[..whole]
                    .par_chunks(chunk * r)
                    .map(|c| fold_chunk(c, k, t, tags))
                    .collect::<Result<Vec<_>, TreeError>>()?
                    .concat();
                let ids = keyed.iter().map(|&(_, id, _)| id).collect();
                for &(tail, _, _) in &keyed {
                    let f = if fine == 0 {
                        0
                    } else {
                        (tail >> (64 - fine)) as usize
                    };
                    counts[((b << fine) | f) + 1] += 1;
                }
                Ok(Folded {
                    tops,
                    rest: level0[whole..].to_vec(),
                    ids,
                })
            },
        );
        let Folded { tops, rest, ids } = done?;
        next = ahead.map_err(spool_fail)?;
        top[filled..filled + tops.len()].copy_from_slice(&tops);
        filled += tops.len();
        carry = rest;
        order(&ids)?;
        progress.advance(ids.len() as u64);
    }
    if !carry.is_empty() {
        let last = fold_chunk(&carry, k, t, tags)?;
        top[filled..filled + last.len()].copy_from_slice(&last);
        filled += last.len();
    }
    debug_assert_eq!(filled, top.len());
    drop(spool);
    std::fs::remove_dir(spool_dir).map_err(|e| spool_fail(spool_err(spool_dir)(e)))?;
    for b in 0..counts.len() - 1 {
        counts[b + 1] += counts[b];
    }
    let info = build_levels_with::<E>(top, k, tags, |level, recs| sink(t + level, recs))?;
    Ok(Built {
        root: RootInfo {
            root: info.root,
            height: t + info.height,
            leaves: shape.leaves,
        },
        buckets: counts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::v2::TreeV2;

    use super::MemAccounts as Mem;

    fn accounts(n: usize, k: usize) -> Mem {
        Mem((0..n)
            .map(|i| {
                (
                    format!("user-{i}").into_bytes(),
                    (0..k).map(|a| (i * 1000 + a * 7) as u128).collect(),
                )
            })
            .collect())
    }

    /// The derived build (spooled, many spool files, chunks across files) equals the
    /// reference build of the derived values, and its order and buckets those of the
    /// reference layout.
    #[test]
    fn derived_build_equals_the_reference_build() {
        let dir = tempfile::tempdir().unwrap();
        for (n, split, g, spool_bits) in [
            (1, 1, 0, 18),
            (1, 4, 6, 0),
            (3, 4, 6, 1),
            (70, 4, 6, 3),
            (100, 3, 2, 4),
            (600, 4, 6, 18),
            (600, 4, 6, 5),
            (3000, 2, 0, 6),
        ] {
            let k = 2;
            let d = Derivation::new(&[n as u8; 32]);
            let acc = accounts(n, k);
            let layout = Layout::new(&d, n as u64, split, g).unwrap();
            let mut levels = Vec::new();
            let mut order = Vec::new();
            let spool = dir.path().join("spool");
            let built = build_in::<_, V2Error>(
                &d,
                &acc,
                &layout.shape,
                k,
                &spool,
                spool_bits,
                &crate::progress::Silent,
                |ids| {
                    order.extend_from_slice(ids);
                    Ok(())
                },
                |l, recs| {
                    levels.push((l, recs));
                    Ok(())
                },
            )
            .unwrap();
            assert!(!spool.exists(), "the spool is removed");
            let input = reference_input(&d, &acc.0, 2, &layout);
            let reference = TreeV2::build(input).unwrap();
            let root = built.root;
            assert_eq!(root.root, reference.root(), "n={n} s={split} g={g}");
            assert_eq!(root.height, reference.height());
            assert_eq!(root.leaves, reference.leaves());
            assert_eq!(order, layout.order);
            assert_eq!(built.buckets, layout.buckets);
            assert_eq!(levels.first().unwrap().0, layout.shape.chunk_bits);
            assert_eq!(levels.last().unwrap().0, root.height);
        }
    }

    /// A por/1 derived build equals the por/1 tree of the derived salts in key order.
    #[test]
    fn derived_por1_build_equals_the_reference_tree() {
        let dir = tempfile::tempdir().unwrap();
        for (n, spool_bits) in [(1, 18), (2, 0), (65, 1), (1000, 3)] {
            let k = 3;
            let d = Derivation::new(&[n as u8 ^ 0x55; 32]);
            let acc = accounts(n, k);
            let layout = Layout::new_v1(&d, n as u64).unwrap();
            let leaves: Vec<crate::tree::AccountLeaf> = layout
                .order
                .iter()
                .map(|&a| {
                    let (uid, b) = &acc.0[a as usize];
                    crate::tree::AccountLeaf {
                        uid: String::from_utf8(uid.clone()).unwrap(),
                        salt: d.salt_v1(u64::from(a)),
                        balances: b
                            .iter()
                            .map(|&x| crate::amount::Amount::from_base_units(x))
                            .collect(),
                    }
                })
                .collect();
            let reference = crate::tree::Tree::build(k, &leaves).unwrap();
            let built = build_in::<_, V2Error>(
                &d,
                &acc,
                &layout.shape,
                k,
                &dir.path().join("spool"),
                spool_bits,
                &crate::progress::Silent,
                |_| Ok(()),
                |_, _| Ok(()),
            )
            .unwrap();
            assert_eq!(built.root.root, reference.root(), "n={n}");
            assert_eq!(built.buckets, layout.buckets);
        }
    }

    #[test]
    fn the_order_is_a_permutation_sorted_by_key() {
        let d = Derivation::new(&[3u8; 32]);
        let layout = Layout::new(&d, 5000, 4, 6).unwrap();
        let mut seen = vec![false; layout.shape.leaves as usize];
        for &u in &layout.order {
            assert!(!seen[u as usize]);
            seen[u as usize] = true;
        }
        let keys: Vec<u128> = layout
            .order
            .iter()
            .map(|&u| d.order_key(u64::from(u)))
            .collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]));
        for (p, &u) in layout.order.iter().enumerate() {
            let b = bucket_of(d.order_key(u64::from(u)), layout.shape.bucket_bits);
            assert!((layout.buckets[b] as usize..layout.buckets[b + 1] as usize).contains(&p));
        }
    }
}
