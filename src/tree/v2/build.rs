//! The build at scale: the tree of a snapshot whose secrets come from a
//! [`Derivation`], built chunk by chunk so that level 0 (`M · (32 + 16·K)` bytes,
//! 3.8 GB at 10^7 accounts × 4 parts × 4 assets) is never held whole. A por/2 tree
//! ([`Layout::new`]) or a por/1 one ([`Layout::new_v1`]: leaf `a` is account `a`, its
//! salt [`Derivation::salt_v1`], no dummies), told apart by [`LeafSpec`].
//!
//! - [`Layout::new`]: the padded leaf count `M`, the height, and the leaf order (leaf
//!   ids sorted by their derived keys: a counting sort into `2^bucket_bits` buckets
//!   by the keys' top bits, then each bucket sorted by key). The order (`u32` per
//!   leaf) and the bucket starts are all the layout keeps.
//! - [`build`]: the `2^chunk_bits`-leaf subtrees in parallel (each leaf recomputed
//!   from its account and the derivation), then the levels above them; only levels
//!   `≥ chunk_bits` are handed to the caller (the store keeps them).
//! - [`chunk_levels`]: the levels of one chunk, rebuilt the same way, for a proof.
//!   Its accounts are first touched in a tight loop (their cache misses overlap),
//!   then hashed: reading accounts in position order is a random access per leaf.
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
    let split = layout.split;
    super::TreeV2Input {
        k,
        split,
        padding_bits: layout.padding_bits,
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
        dummies: (0..layout.leaves - layout.accounts * u64::from(split))
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
}

/// The shape and leaf order of a derived por/2 tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
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
    /// `order[p]`: the leaf id at position `p`.
    pub order: Vec<u32>,
    /// `buckets[b]`: the first position whose key falls in bucket `b`; `2^bucket_bits + 1` entries.
    pub buckets: Vec<u32>,
}

/// The bucket of a key: its top `bits` bits.
pub fn bucket_of(key: u128, bits: u32) -> usize {
    if bits == 0 {
        0
    } else {
        (key >> (128 - bits)) as usize
    }
}

impl Layout {
    /// The leaf count, height and order of `accounts` accounts split in `split` parts
    /// and padded with `padding_bits`, ordered by `d`'s keys (por/2).
    pub fn new(
        d: &Derivation,
        accounts: u64,
        split: u8,
        padding_bits: u8,
    ) -> Result<Layout, V2Error> {
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
        Ok(Layout::ordered(
            d,
            2,
            accounts,
            split,
            padding_bits,
            m as u64,
        ))
    }

    /// The layout of a derived por/1 tree: one leaf per account (leaf `a` is account
    /// `a`), no dummies, ordered by `d`'s keys as a por/2 tree is.
    pub fn new_v1(d: &Derivation, accounts: u64) -> Result<Layout, V2Error> {
        if accounts == 0 {
            return Err(V2Error::Empty);
        }
        if accounts > MAX_LEAVES {
            return Err(V2Error::TooMany(u128::from(accounts)));
        }
        Ok(Layout::ordered(d, 1, accounts, 1, 0, accounts))
    }

    /// The leaves the layout's tree is built from.
    pub fn leaf_spec(&self) -> LeafSpec {
        LeafSpec {
            version: self.version,
            split: self.split,
            accounts: self.accounts,
        }
    }

    /// The order of `m` leaves by `d`'s keys.
    fn ordered(
        d: &Derivation,
        version: u64,
        accounts: u64,
        split: u8,
        padding_bits: u8,
        m: u64,
    ) -> Layout {
        let height = ceil_log2(m);
        let bucket_bits = height.saturating_sub(BUCKET_LEAF_BITS);
        let nb = 1usize << bucket_bits;
        // Counting sort by the top bits of each key: counts per block of leaves in
        // parallel, then each block places its leaves at its own offsets.
        // A few blocks per thread: each block keeps one count per bucket (4 bytes ×
        // 2^bucket_bits), so the block count, not the leaf count, sets that memory.
        let nblocks = (rayon::current_num_threads() as u64 * 4).clamp(1, m);
        let block = m.div_ceil(nblocks);
        let blocks: Vec<(u64, u64)> = (0..m.div_ceil(block))
            .map(|b| (b * block, ((b + 1) * block).min(m)))
            .collect();
        let counts: Vec<Vec<u32>> = blocks
            .par_iter()
            .map(|&(lo, hi)| {
                let mut c = vec![0u32; nb];
                for_keys(d, lo, hi, |_, k| c[bucket_of(k, bucket_bits)] += 1);
                c
            })
            .collect();
        let mut buckets = vec![0u32; nb + 1];
        // Offsets: bucket-major, block-minor, so each block's leaves of a bucket are
        // contiguous and in id order.
        let mut offsets = vec![vec![0u32; nb]; blocks.len()];
        let mut next = 0u32;
        for b in 0..nb {
            buckets[b] = next;
            for (blk, c) in counts.iter().enumerate() {
                offsets[blk][b] = next;
                next += c[b];
            }
        }
        buckets[nb] = next;
        drop(counts);
        // Each leaf's id and the 32 key bits after the bucket bits, side by side.
        let mut order = vec![0u32; m as usize];
        let mut next32 = vec![0u32; m as usize];
        {
            // Each block writes only its own disjoint slots.
            let slots = SharedSlots(order.as_mut_ptr(), next32.as_mut_ptr());
            blocks
                .par_iter()
                .zip(offsets.into_par_iter())
                .for_each(|(&(lo, hi), mut off)| {
                    let slots = &slots;
                    for_keys(d, lo, hi, |u, k| {
                        let b = bucket_of(k, bucket_bits);
                        let at = off[b] as usize;
                        // SAFETY: the offsets of (block, bucket) pairs are disjoint
                        // ranges of both arrays (prefix sums of the counts), every
                        // position below `m` is written exactly once, and both
                        // arrays outlive the parallel loop.
                        unsafe {
                            slots.0.add(at).write(u as u32);
                            slots.1.add(at).write((k << bucket_bits >> 96) as u32);
                        }
                        off[b] += 1;
                    });
                });
        }
        // Each bucket sorted by key: by the next 32 bits, and by the whole key (derived
        // again) only where those tie.
        let mut rest: (&mut [u32], &mut [u32]) = (&mut order, &mut next32);
        let mut parts: Vec<(&mut [u32], &mut [u32])> = Vec::with_capacity(nb);
        for b in 0..nb {
            let len = (buckets[b + 1] - buckets[b]) as usize;
            let (ids, ids_rest) = std::mem::take(&mut rest.0).split_at_mut(len);
            let (bits, bits_rest) = std::mem::take(&mut rest.1).split_at_mut(len);
            parts.push((ids, bits));
            rest = (ids_rest, bits_rest);
        }
        parts
            .par_iter_mut()
            .with_min_len(256)
            .for_each(|(ids, bits)| {
                if ids.len() > 1 {
                    let mut pairs: Vec<(u32, u32)> =
                        bits.iter().copied().zip(ids.iter().copied()).collect();
                    pairs.sort_unstable_by(|x, y| {
                        x.0.cmp(&y.0).then_with(|| {
                            (d.order_key(u64::from(x.1)), x.1)
                                .cmp(&(d.order_key(u64::from(y.1)), y.1))
                        })
                    });
                    for (slot, (_, u)) in ids.iter_mut().zip(pairs) {
                        *slot = u;
                    }
                }
            });
        drop(parts);
        drop(next32);
        Layout {
            version,
            accounts,
            split,
            padding_bits,
            leaves: m,
            height,
            chunk_bits: height.min(CHUNK_BITS),
            bucket_bits,
            order,
            buckets,
        }
    }
}

/// Calls `f(u, key)` for the leaves `u` in `lo..hi`, keys generated 4096 at a time.
fn for_keys(d: &Derivation, lo: u64, hi: u64, mut f: impl FnMut(u64, u128)) {
    let mut keys = vec![0u128; 4096];
    let mut at = lo;
    while at < hi {
        let n = ((hi - at) as usize).min(keys.len());
        d.order_keys(at, &mut keys[..n]);
        for (i, &k) in keys[..n].iter().enumerate() {
            f(at + i as u64, k);
        }
        at += n as u64;
    }
}

struct SharedSlots(*mut u32, *mut u32);
// SAFETY: used only to write disjoint slots from several threads (see above).
unsafe impl Sync for SharedSlots {}

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

/// Builds the tree of `layout` for `k` assets from `accounts` and `d`: the chunks in
/// parallel, then the levels above. `sink(level, records)` receives every level from
/// `layout.chunk_bits` to the root's, in order. Returns the root.
pub fn build<A: AccountSource, E: From<A::Error> + From<TreeError>>(
    d: &Derivation,
    accounts: &A,
    layout: &Layout,
    k: usize,
    progress: &dyn Progress,
    mut sink: impl FnMut(u32, Vec<u8>) -> Result<(), E>,
) -> Result<RootInfo, E> {
    let r = record_size(k);
    let t = layout.chunk_bits;
    let spec = layout.leaf_spec();
    // Each chunk's top record straight into its place in the level above the chunks,
    // about a million leaves at a time (then the progress is told).
    let chunk = 1usize << t;
    let group = (1usize << 20).div_ceil(chunk);
    let mut top = crate::tree::record_buffer(layout.order.len().div_ceil(chunk) * r);
    for (tops, ids) in top
        .chunks_mut(group * r)
        .zip(layout.order.chunks(group * chunk))
    {
        tops.par_chunks_mut(r)
            .zip(ids.par_chunks(chunk))
            .try_for_each(|(dst, ids)| {
                let mut levels = chunk_levels(d, accounts, &spec, k, t, ids)?;
                dst.copy_from_slice(&levels.pop().expect("the chunk's top"));
                Ok::<(), A::Error>(())
            })?;
        progress.advance(ids.len() as u64);
    }
    let info = build_levels_with::<E>(top, k, spec.tags(), |level, recs| sink(t + level, recs))?;
    Ok(RootInfo {
        root: info.root,
        height: t + info.height,
        leaves: layout.leaves,
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

    /// The derived, chunked build equals the reference build of the derived values.
    #[test]
    fn derived_build_equals_the_reference_build() {
        for (n, split, g) in [
            (1, 1, 0),
            (1, 4, 6),
            (3, 4, 6),
            (70, 4, 6),
            (100, 3, 2),
            (600, 4, 6),
        ] {
            let k = 2;
            let d = Derivation::new(&[n as u8; 32]);
            let acc = accounts(n, k);
            let layout = Layout::new(&d, n as u64, split, g).unwrap();
            let mut levels = Vec::new();
            let root =
                build::<_, V2Error>(&d, &acc, &layout, k, &crate::progress::Silent, |l, recs| {
                    levels.push((l, recs));
                    Ok(())
                })
                .unwrap();
            let input = reference_input(&d, &acc.0, 2, &layout);
            let reference = TreeV2::build(input).unwrap();
            assert_eq!(root.root, reference.root(), "n={n} s={split} g={g}");
            assert_eq!(root.height, reference.height());
            assert_eq!(root.leaves, reference.leaves());
            assert_eq!(levels.first().unwrap().0, layout.chunk_bits);
            assert_eq!(levels.last().unwrap().0, root.height);
        }
    }

    #[test]
    fn the_order_is_a_permutation_sorted_by_key() {
        let d = Derivation::new(&[3u8; 32]);
        let layout = Layout::new(&d, 5000, 4, 6).unwrap();
        let mut seen = vec![false; layout.leaves as usize];
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
            let b = bucket_of(d.order_key(u64::from(u)), layout.bucket_bits);
            assert!((layout.buckets[b] as usize..layout.buckets[b + 1] as usize).contains(&p));
        }
    }
}
