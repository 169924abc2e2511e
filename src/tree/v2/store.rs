//! The private proof store of a derived snapshot, `por-proof-store/2` (por/2, and
//! por/1 with `tree_version: 1` in `store.json`: one leaf per account, its salt
//! derived, `por-inclusion-proof/1` proofs): the accounts,
//! the snapshot secret the salts, part amounts, dummies and leaf order derive from
//! ([`super::derive`]), the leaf order and the levels above the chunks. A proof
//! rebuilds the one 64-leaf chunk under each part and reads the rest of its path.
//!
//! Layout of `<private>/<snapshot_id>/` (integers little-endian unless noted):
//! - `store.json`: format, exchange, snapshot id, assets, shape ([`StoreMetaV2`]);
//! - `secret.bin`: the 32-byte snapshot secret (everything secret derives from it);
//! - `accounts.bin`: per account in input row order, `u8(len(uid)) ‖ uid ‖` one LEB128
//!   varint per balance; `account-offsets.bin`: N+1 u64 offsets into it;
//! - `index.bin`: as in por/1 ([`crate::tree::store`]), `uid_key` then the row;
//! - `order.bin`: M u32, the leaf id at each position; `buckets.bin`: the first
//!   position of each key bucket (`2^bucket_bits + 1` u32), so a part's position is
//!   found by scanning one bucket (~64 entries);
//! - `level-NN.bin` for `chunk_bits ≤ NN ≤ height`: the records of those levels.
//!
//! About 16 + 4·s bytes per account besides its uid and balances: at 10^7 accounts the
//! store is smaller than the CSV it was built from. This folder is secret.

use super::build::{
    AccountSource, Built, CHUNK_BITS, LeafSpec, Shape, bucket_of, build, chunk_levels,
};
use super::derive::Derivation;
use super::proof::{InclusionProofV2, PartProof};
use super::{PROOF_FORMAT_V2, ProofLabels};
use crate::amount::Amount;
use crate::progress::Progress;
use crate::tree::hash::NodeHash;
use crate::tree::info::AssetInfo;
use crate::tree::proof::{InclusionProof, PROOF_FORMAT, RootJson};
use crate::tree::store::{
    StoreError, check_file_sizes, find_row, io_err, level_file, write_index_file, write_meta_file,
};
use crate::tree::{Node, level_counts, record_size, sibling_path_with};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The `format` of a por/2 proof store's `store.json`.
pub const STORE_FORMAT_V2: &str = "por-proof-store/2";

/// The contents of a por/2 store's `store.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreMetaV2 {
    /// Always [`STORE_FORMAT_V2`].
    pub format: String,
    /// The exchange's name.
    pub exchange: String,
    /// The snapshot the store was built for.
    pub snapshot_id: String,
    /// The assets, in manifest order.
    pub assets: Vec<AssetInfo>,
    /// `N`, the accounts.
    pub accounts: u64,
    /// `s`.
    pub split: u8,
    /// `g`.
    pub padding_bits: u8,
    /// `M`, the padded leaf count.
    pub leaves: u64,
    /// The root's level.
    pub height: u32,
    /// The lowest stored level (the chunks below are rebuilt).
    pub chunk_bits: u32,
    /// The order index's buckets, as a power of two.
    pub bucket_bits: u32,
    /// The root hash the store was built for.
    pub root: NodeHash,
    /// 1 for a derived por/1 tree (one leaf per account, `split` 1, no dummies);
    /// absent for por/2, as in the stores written before por/1 used this layout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tree_version: Option<u64>,
}

impl StoreMetaV2 {
    /// The leaves of the store's tree.
    pub fn leaf_spec(&self) -> LeafSpec {
        LeafSpec {
            version: self.tree_version.unwrap_or(2),
            split: self.split,
            accounts: self.accounts,
        }
    }
}

fn put_varint(out: &mut Vec<u8>, mut v: u128) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn get_varint(bytes: &[u8], at: &mut usize) -> Option<u128> {
    let mut v: u128 = 0;
    for shift in (0..).step_by(7).take(19) {
        let b = *bytes.get(*at)?;
        *at += 1;
        let chunk = u128::from(b & 0x7f);
        if shift == 126 && chunk > 3 {
            return None;
        }
        v |= chunk << shift;
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

/// Appends the record of one account (`u8(len) ‖ uid ‖ varint balances`).
pub fn encode_account(out: &mut Vec<u8>, uid: &[u8], balances: &[u128]) {
    out.push(uid.len() as u8);
    out.extend_from_slice(uid);
    for &b in balances {
        put_varint(out, b);
    }
}

/// Reads one account record back: the uid and `k` balances, or `None` if malformed.
pub fn decode_account(rec: &[u8], k: usize) -> Option<(&[u8], Vec<u128>)> {
    let len = usize::from(*rec.first()?);
    let uid = rec.get(1..1 + len)?;
    let mut at = 1 + len;
    let balances = (0..k)
        .map(|_| get_varint(rec, &mut at))
        .collect::<Option<Vec<_>>>()?;
    (at == rec.len()).then_some((uid, balances))
}

fn write_u32s(path: &Path, values: &[u32]) -> Result<(), StoreError> {
    let mut w = BufWriter::with_capacity(1 << 20, File::create(path).map_err(io_err(path))?);
    for v in values {
        w.write_all(&v.to_le_bytes()).map_err(io_err(path))?;
    }
    w.flush().map_err(io_err(path))
}

/// `order.bin` being written: the leaf ids position by position.
pub struct OrderWriter {
    w: BufWriter<File>,
    path: PathBuf,
}

impl OrderWriter {
    /// Appends the ids of the next positions.
    pub fn push(&mut self, ids: &[u32]) -> Result<(), StoreError> {
        let mut bytes = Vec::with_capacity(ids.len() * 4);
        for id in ids {
            bytes.extend_from_slice(&id.to_le_bytes());
        }
        self.w.write_all(&bytes).map_err(io_err(&self.path))
    }

    /// Flushes the file.
    pub fn finish(mut self) -> Result<(), StoreError> {
        self.w.flush().map_err(io_err(&self.path))
    }
}

/// Writes a por/2 store into a folder (normally a staging folder).
pub struct StoreWriterV2 {
    dir: PathBuf,
}

impl StoreWriterV2 {
    /// A writer into `dir`, which must exist.
    pub fn new(dir: &Path) -> StoreWriterV2 {
        StoreWriterV2 {
            dir: dir.to_path_buf(),
        }
    }

    /// Writes the snapshot secret.
    pub fn write_secret(&self, secret: &[u8; 32]) -> Result<(), StoreError> {
        let p = self.dir.join("secret.bin");
        std::fs::write(&p, secret).map_err(io_err(&p))
    }

    /// Writes the `n` accounts (of `k` assets) of `accounts` in row order; `progress`
    /// hears the rows written. Records are encoded on all cores, a few thousand rows
    /// per task (each task reads its rows in order, [`AccountSource::for_each`]), and
    /// written in order in large blocks.
    pub fn write_accounts<A: AccountSource>(
        &self,
        accounts: &A,
        n: usize,
        k: usize,
        progress: &dyn Progress,
    ) -> Result<(), StoreError>
    where
        StoreError: From<A::Error>,
    {
        use rayon::prelude::*;
        // 2^16 rows a task: a spilled book's segment (`liabilities::spill`), so each
        // is read once, not once per smaller task.
        const ROWS: usize = 1 << 16;
        const TASKS: usize = 16;
        let pa = self.dir.join("accounts.bin");
        let po = self.dir.join("account-offsets.bin");
        let mut wa = BufWriter::with_capacity(1 << 22, File::create(&pa).map_err(io_err(&pa))?);
        let mut wo = BufWriter::with_capacity(1 << 22, File::create(&po).map_err(io_err(&po))?);
        let mut off = 0u64;
        wo.write_all(&off.to_le_bytes()).map_err(io_err(&po))?;
        let blocks = n.div_ceil(ROWS);
        for group in (0..blocks).step_by(TASKS) {
            let encoded: Vec<(Vec<u8>, Vec<u8>)> = (group..(group + TASKS).min(blocks))
                .into_par_iter()
                .map(|b| {
                    let mut bytes = Vec::with_capacity(ROWS * 48);
                    let mut ends = Vec::with_capacity(ROWS * 8);
                    let (lo, hi) = (b * ROWS, ((b + 1) * ROWS).min(n));
                    accounts.for_each(lo as u64, hi as u64, |_, uid, balances| {
                        debug_assert_eq!(balances.len(), k);
                        encode_account(&mut bytes, uid, balances);
                        ends.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
                    })?;
                    Ok((bytes, ends))
                })
                .collect::<Result<_, A::Error>>()?;
            for (bytes, ends) in encoded {
                wa.write_all(&bytes).map_err(io_err(&pa))?;
                for e in ends.chunks_exact(8) {
                    let e = off + u64::from_le_bytes(e.try_into().expect("8"));
                    wo.write_all(&e.to_le_bytes()).map_err(io_err(&po))?;
                }
                off += bytes.len() as u64;
            }
            progress.advance(
                ((group + TASKS).min(blocks) * ROWS).min(n) as u64 - (group * ROWS) as u64,
            );
        }
        wa.flush().map_err(io_err(&pa))?;
        wo.flush().map_err(io_err(&po))
    }

    /// Writes the uid index from `(uid_key, row)` pairs sorted by key.
    pub fn write_index(&self, entries: impl Iterator<Item = (u64, u32)>) -> Result<(), StoreError> {
        write_index_file(&self.dir.join("index.bin"), entries)
    }

    /// Opens `order.bin`, for the leaf order as the build finds it, position by
    /// position ([`OrderWriter::push`]).
    pub fn order_writer(&self) -> Result<OrderWriter, StoreError> {
        let path = self.dir.join("order.bin");
        let file = File::create(&path).map_err(io_err(&path))?;
        Ok(OrderWriter {
            w: BufWriter::with_capacity(1 << 20, file),
            path,
        })
    }

    /// Writes the order index's bucket starts.
    pub fn write_buckets(&self, buckets: &[u32]) -> Result<(), StoreError> {
        write_u32s(&self.dir.join("buckets.bin"), buckets)
    }

    /// Builds the tree of `shape` for `k` assets from `accounts` and `d` ([`build`],
    /// its spool in `<dir>/spool` while it runs) into the store: the leaf order, the
    /// levels from `chunk_bits` up and the bucket starts. Returns the tree and the
    /// time spent writing those files.
    pub fn write_tree<A: AccountSource>(
        &self,
        d: &Derivation,
        accounts: &A,
        shape: &Shape,
        k: usize,
        progress: &dyn Progress,
    ) -> Result<(Built, Duration), StoreError>
    where
        StoreError: From<A::Error>,
    {
        let mut order = self.order_writer()?;
        let writing = std::cell::Cell::new(Duration::ZERO);
        let timed = |f: &mut dyn FnMut() -> Result<(), StoreError>| {
            let t = Instant::now();
            let r = f();
            writing.set(writing.get() + t.elapsed());
            r
        };
        let built = build::<_, StoreError>(
            d,
            accounts,
            shape,
            k,
            &self.dir.join("spool"),
            progress,
            |ids| timed(&mut || order.push(ids)),
            |level, recs| timed(&mut || self.write_level(level, &recs)),
        );
        let built = built?;
        let t = Instant::now();
        order.finish()?;
        self.write_buckets(&built.buckets)?;
        Ok((built, writing.get() + t.elapsed()))
    }

    /// Writes one stored level's records.
    pub fn write_level(&self, level: u32, records: &[u8]) -> Result<(), StoreError> {
        let p = level_file(&self.dir, level);
        std::fs::write(&p, records).map_err(io_err(&p))
    }

    /// Writes `store.json`, pretty-printed with a final newline.
    pub fn write_meta(&self, meta: &StoreMetaV2) -> Result<(), StoreError> {
        write_meta_file(&self.dir, meta)
    }
}

/// A por/2 store opened for reading proofs.
pub struct ProofStoreV2 {
    dir: PathBuf,
    meta: StoreMetaV2,
    derivation: Derivation,
    accounts: File,
    offsets: File,
    index: File,
    order: File,
    buckets: File,
    levels: Vec<File>,
}

impl AccountSource for ProofStoreV2 {
    type Error = StoreError;
    fn with_account<T>(
        &self,
        account: u64,
        f: impl FnOnce(&[u8], &[u128]) -> T,
    ) -> Result<T, StoreError> {
        let rec = self.account_record(account)?;
        let k = self.meta.assets.len();
        let (uid, balances) = decode_account(&rec, k)
            .ok_or_else(|| self.corrupt("accounts.bin", format!("bad record of row {account}")))?;
        Ok(f(uid, &balances))
    }
}

impl ProofStoreV2 {
    /// Opens the store in `dir` whose `store.json` reads as `meta`, checking every
    /// file's size.
    pub fn open(dir: &Path, meta: StoreMetaV2) -> Result<ProofStoreV2, StoreError> {
        let open = |name: &str| {
            let p = dir.join(name);
            File::open(&p).map_err(io_err(&p))
        };
        let mp = dir.join(crate::tree::store::STORE_META_FILE);
        let bad = |reason: String| StoreError::Corrupt {
            path: mp.clone(),
            reason,
        };
        if meta.format != STORE_FORMAT_V2 {
            return Err(bad(format!("format {:?}", meta.format)));
        }
        let counts = level_counts(meta.leaves);
        let v1 = meta.tree_version == Some(1);
        if counts.len() != meta.height as usize + 1
            || meta.chunk_bits != meta.height.min(CHUNK_BITS)
            || meta.bucket_bits > 32
            || !matches!(meta.tree_version, None | Some(1))
            || (v1 && (meta.split != 1 || meta.leaves != meta.accounts))
        {
            return Err(bad(format!(
                "height {}, chunk_bits {} and bucket_bits {} do not fit {} leaves",
                meta.height, meta.chunk_bits, meta.bucket_bits, meta.leaves
            )));
        }
        let secret_bytes =
            std::fs::read(dir.join("secret.bin")).map_err(io_err(&dir.join("secret.bin")))?;
        let secret: [u8; 32] = secret_bytes.try_into().map_err(|_| StoreError::Corrupt {
            path: dir.join("secret.bin"),
            reason: "not 32 bytes".into(),
        })?;
        let levels = (meta.chunk_bits..=meta.height)
            .map(|l| {
                let p = level_file(dir, l);
                File::open(&p).map_err(io_err(&p))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let store = ProofStoreV2 {
            dir: dir.to_path_buf(),
            derivation: Derivation::new(&secret),
            accounts: open("accounts.bin")?,
            offsets: open("account-offsets.bin")?,
            index: open("index.bin")?,
            order: open("order.bin")?,
            buckets: open("buckets.bin")?,
            levels,
            meta,
        };
        store.check_sizes(&counts)?;
        Ok(store)
    }

    fn corrupt(&self, name: &str, reason: String) -> StoreError {
        StoreError::Corrupt {
            path: self.dir.join(name),
            reason,
        }
    }

    fn check_sizes(&self, counts: &[u64]) -> Result<(), StoreError> {
        let m = &self.meta;
        let r = record_size(m.assets.len()) as u64;
        let mut expect: Vec<(PathBuf, &File, u64)> = vec![
            (
                self.dir.join("account-offsets.bin"),
                &self.offsets,
                (m.accounts + 1) * 8,
            ),
            (self.dir.join("index.bin"), &self.index, m.accounts * 12),
            (self.dir.join("order.bin"), &self.order, m.leaves * 4),
            (
                self.dir.join("buckets.bin"),
                &self.buckets,
                ((1u64 << m.bucket_bits) + 1) * 4,
            ),
        ];
        for (i, f) in self.levels.iter().enumerate() {
            let l = m.chunk_bits + i as u32;
            expect.push((level_file(&self.dir, l), f, counts[l as usize] * r));
        }
        check_file_sizes(expect)
    }

    /// The store's `store.json` contents.
    pub fn meta(&self) -> &StoreMetaV2 {
        &self.meta
    }

    fn read_at(&self, f: &File, name: &str, off: u64, buf: &mut [u8]) -> Result<(), StoreError> {
        f.read_exact_at(buf, off)
            .map_err(io_err(&self.dir.join(name)))
    }

    fn u32s(&self, f: &File, name: &str, first: u64, count: usize) -> Result<Vec<u32>, StoreError> {
        let mut buf = vec![0u8; count * 4];
        self.read_at(f, name, first * 4, &mut buf)?;
        Ok(buf
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes(c.try_into().expect("4")))
            .collect())
    }

    fn account_record(&self, row: u64) -> Result<Vec<u8>, StoreError> {
        if row >= self.meta.accounts {
            return Err(self.corrupt("account-offsets.bin", format!("no row {row}")));
        }
        let mut o = [0u8; 16];
        self.read_at(&self.offsets, "account-offsets.bin", row * 8, &mut o)?;
        let start = u64::from_le_bytes(o[..8].try_into().expect("8"));
        let end = u64::from_le_bytes(o[8..].try_into().expect("8"));
        if end < start || end - start > 1 + 128 + 19 * self.meta.assets.len() as u64 {
            return Err(self.corrupt("account-offsets.bin", format!("bad offsets at row {row}")));
        }
        let mut rec = vec![0u8; (end - start) as usize];
        self.read_at(&self.accounts, "accounts.bin", start, &mut rec)?;
        Ok(rec)
    }

    fn uid_at(&self, row: u64) -> Result<Vec<u8>, StoreError> {
        self.with_account(row, |uid, _| uid.to_vec())
    }

    /// The input row of `uid`, by binary search of the index.
    pub fn row_of(&self, uid: &str) -> Result<Option<u64>, StoreError> {
        find_row(
            &self.index,
            &self.dir.join("index.bin"),
            self.meta.accounts,
            uid,
            |row| self.uid_at(row),
        )
    }

    /// The position of leaf `id`: scans its key's bucket of the order.
    fn position(&self, id: u64) -> Result<u64, StoreError> {
        let b = bucket_of(self.derivation.order_key(id), self.meta.bucket_bits) as u64;
        let se = self.u32s(&self.buckets, "buckets.bin", b, 2)?;
        let (start, end) = (u64::from(se[0]), u64::from(se[1]));
        if start > end || end > self.meta.leaves {
            return Err(self.corrupt("buckets.bin", format!("bad bucket {b}")));
        }
        let ids = self.u32s(&self.order, "order.bin", start, (end - start) as usize)?;
        ids.iter()
            .position(|&u| u64::from(u) == id)
            .map(|i| start + i as u64)
            .ok_or_else(|| self.corrupt("order.bin", format!("leaf {id} is not in its bucket {b}")))
    }

    fn stored_node(&self, level: u32, idx: u64) -> Result<Node, StoreError> {
        let r = record_size(self.meta.assets.len());
        let mut rec = vec![0u8; r];
        let f = &self.levels[(level - self.meta.chunk_bits) as usize];
        f.read_exact_at(&mut rec, idx * r as u64)
            .map_err(io_err(&level_file(&self.dir, level)))?;
        Ok(Node::from_record(&rec))
    }

    /// The root recorded in the store's top level.
    pub fn root_node(&self) -> Result<Node, StoreError> {
        self.stored_node(self.meta.height, 0)
    }

    /// The path of the leaf at `pos`: its chunk rebuilt, the levels above read.
    fn part_path(&self, pos: u64) -> Result<(Node, Vec<crate::tree::proof::PathStep>), StoreError> {
        let m = &self.meta;
        let t = m.chunk_bits;
        let k = m.assets.len();
        let r = record_size(k);
        let chunk = pos >> t;
        let first = chunk << t;
        let count = (m.leaves - first).min(1 << t) as usize;
        let ids = self.u32s(&self.order, "order.bin", first, count)?;
        let spec = m.leaf_spec();
        let levels = chunk_levels(&self.derivation, self, &spec, k, t, &ids)?;
        let leaf = Node::from_record(&levels[0][(pos - first) as usize * r..][..r]);
        let path = sibling_path_with(m.leaves, pos, k, spec.tags(), |level, idx| {
            if level < t {
                let local = (idx - (chunk << (t - level))) as usize;
                Ok(Node::from_record(&levels[level as usize][local * r..][..r]))
            } else {
                self.stored_node(level, idx)
            }
        })?;
        Ok((leaf, path))
    }

    /// The `por-inclusion-proof/2` of the account of input row `row`, parts in
    /// index order.
    pub fn proof_of_row(
        &self,
        row: u64,
        labels: &ProofLabels,
    ) -> Result<InclusionProofV2, StoreError> {
        let m = &self.meta;
        let (uid, balances) = self.with_account(row, |u, b| (u.to_vec(), b.to_vec()))?;
        let uid = String::from_utf8(uid)
            .map_err(|_| self.corrupt("accounts.bin", format!("uid of row {row} is not UTF-8")))?;
        let s = u64::from(m.split);
        let mut parts = Vec::with_capacity(usize::from(m.split));
        for j in 0..m.split {
            let pos = self.position(row * s + u64::from(j))?;
            let (leaf, path) = self.part_path(pos)?;
            parts.push(PartProof {
                index: j,
                salt: hex::encode(self.derivation.salt(row, j, m.split)),
                balances: leaf.sums,
                path,
            });
        }
        let root = self.root_node()?;
        Ok(InclusionProofV2 {
            format: PROOF_FORMAT_V2.into(),
            exchange: labels.exchange.clone(),
            snapshot_id: labels.snapshot_id.clone(),
            assets: labels.assets.clone(),
            uid,
            balances: balances.into_iter().map(Amount::from_base_units).collect(),
            parts,
            root: RootJson {
                hash: root.hash,
                sums: root.sums,
            },
        })
    }

    /// Whether the store holds a derived por/1 tree (its proofs are
    /// `por-inclusion-proof/1`: [`ProofStoreV2::proof_v1`]).
    pub fn is_v1(&self) -> bool {
        self.meta.tree_version == Some(1)
    }

    /// The `por-inclusion-proof/1` of `uid` in a derived por/1 tree: its leaf is
    /// rebuilt with its chunk, its salt derived.
    pub fn proof_v1(&self, uid: &str) -> Result<InclusionProof, StoreError> {
        let Some(row) = self.row_of(uid)? else {
            return Err(StoreError::UnknownUid {
                uid: crate::excerpt::Excerpt::quoted(uid),
                snapshot_id: self.meta.snapshot_id.clone(),
            });
        };
        let pos = self.position(row)?;
        let (leaf, path) = self.part_path(pos)?;
        let root = self.root_node()?;
        Ok(InclusionProof {
            format: PROOF_FORMAT.to_string(),
            exchange: self.meta.exchange.clone(),
            snapshot_id: self.meta.snapshot_id.clone(),
            assets: self.meta.assets.clone(),
            uid: uid.to_string(),
            salt: hex::encode(self.derivation.salt_v1(row)),
            balances: leaf.sums,
            path,
            root: RootJson {
                hash: root.hash,
                sums: root.sums,
            },
        })
    }

    /// The proof of `uid`.
    pub fn proof(&self, uid: &str) -> Result<InclusionProofV2, StoreError> {
        let labels = ProofLabels {
            exchange: self.meta.exchange.clone(),
            snapshot_id: self.meta.snapshot_id.clone(),
            assets: self.meta.assets.clone(),
        };
        match self.row_of(uid)? {
            Some(row) => self.proof_of_row(row, &labels),
            None => Err(StoreError::UnknownUid {
                uid: crate::excerpt::Excerpt::quoted(uid),
                snapshot_id: self.meta.snapshot_id.clone(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::info::TreeInfo;
    use crate::tree::proof::ManifestRef;
    use crate::tree::v2::TreeV2;
    use crate::tree::v2::build::Layout;

    use crate::tree::v2::build::MemAccounts as Mem;

    /// Writes the store of `accounts` (K = 2) into `dir` as a snapshot would and
    /// returns the manifest's view of it.
    fn write_store(dir: &Path, accounts: &Mem, split: u8, g: u8, secret: [u8; 32]) -> ManifestRef {
        write_store_of(dir, accounts, Some((split, g)), secret)
    }

    /// [`write_store`] of a por/2 tree (`Some((split, padding_bits))`) or a derived
    /// por/1 tree (`None`).
    fn write_store_of(
        dir: &Path,
        accounts: &Mem,
        v2: Option<(u8, u8)>,
        secret: [u8; 32],
    ) -> ManifestRef {
        let k = 2;
        let n = accounts.0.len();
        let d = Derivation::new(&secret);
        let (split, g) = v2.unwrap_or((1, 0));
        let shape = match v2 {
            Some(_) => Shape::new(n as u64, split, g).unwrap(),
            None => Shape::new_v1(n as u64).unwrap(),
        };
        let w = StoreWriterV2::new(dir);
        w.write_secret(&secret).unwrap();
        w.write_accounts(accounts, n, k, &crate::progress::Silent)
            .unwrap();
        let mut index: Vec<(u64, u32)> = accounts
            .0
            .iter()
            .enumerate()
            .map(|(i, (u, _))| (crate::tree::store::uid_key(u), i as u32))
            .collect();
        index.sort_unstable();
        w.write_index(index.into_iter()).unwrap();
        let (built, _) = w
            .write_tree(&d, accounts, &shape, k, &crate::progress::Silent)
            .unwrap();
        let info = built.root;
        let layout = shape;
        let assets = vec![
            AssetInfo {
                symbol: "BTC".into(),
                decimals: 8,
            },
            AssetInfo {
                symbol: "ETH".into(),
                decimals: 18,
            },
        ];
        w.write_meta(&StoreMetaV2 {
            format: STORE_FORMAT_V2.into(),
            exchange: "X".into(),
            snapshot_id: "s1".into(),
            assets: assets.clone(),
            accounts: n as u64,
            split,
            padding_bits: g,
            leaves: layout.leaves,
            height: info.height,
            chunk_bits: layout.chunk_bits,
            bucket_bits: layout.bucket_bits,
            root: info.root.hash,
            tree_version: v2.is_none().then_some(1),
        })
        .unwrap();
        let v2 = v2.is_some();
        ManifestRef {
            exchange: "X".into(),
            snapshot_id: "s1".into(),
            assets,
            tree: TreeInfo {
                version: v2.then_some(2),
                root: info.root.hash,
                sums: info.root.sums,
                height: info.height,
                leaves: info.leaves,
                split: v2.then_some(u64::from(split)),
                padding_bits: v2.then_some(u64::from(g)),
                accounts: v2.then_some(None),
            },
        }
    }

    /// A derived por/1 store (salts and order from the secret, one leaf per account)
    /// gives `por-inclusion-proof/1` proofs that verify, and its tree is the one the
    /// deterministic por/1 build gives for the derived salts and order.
    #[test]
    fn a_derived_por1_store_gives_por1_proofs_of_the_reference_tree() {
        use crate::tree::store::AnyStore;
        use crate::tree::v2::AnyProof;
        use crate::tree::{AccountLeaf, Tree};
        for n in [1usize, 2, 5, 64, 65, 130, 400] {
            let dir = tempfile::tempdir().unwrap();
            let acc = accounts(n);
            let secret = [n as u8 ^ 0x33; 32];
            let manifest = write_store_of(dir.path(), &acc, None, secret);
            let d = Derivation::new(&secret);
            let layout = Layout::new_v1(&d, n as u64).unwrap();
            assert_eq!(layout.shape.leaves, n as u64);
            let leaves: Vec<AccountLeaf> = layout
                .order
                .iter()
                .map(|&a| {
                    let (uid, b) = &acc.0[a as usize];
                    AccountLeaf {
                        uid: String::from_utf8(uid.clone()).unwrap(),
                        salt: d.salt_v1(u64::from(a)),
                        balances: b.iter().map(|&x| Amount::from_base_units(x)).collect(),
                    }
                })
                .collect();
            let reference = Tree::build(2, &leaves).unwrap();
            assert_eq!(reference.root().hash, manifest.tree.root, "n={n}");
            assert_eq!(reference.height(), manifest.tree.height);
            let store = AnyStore::open(dir.path()).unwrap();
            let step = if n > 130 { 7 } else { 1 };
            for (a, (uid, b)) in acc.0.iter().enumerate().step_by(step) {
                let uid = std::str::from_utf8(uid).unwrap();
                let AnyProof::V1(p) = store.proof(uid).unwrap() else {
                    panic!("a por/1 store gave a por/2 proof");
                };
                p.verify_against(&manifest)
                    .unwrap_or_else(|e| panic!("n={n} {uid}: {e}"));
                let pos = layout.order.iter().position(|&x| x as usize == a).unwrap();
                assert_eq!(p.path, reference.path(pos as u64), "n={n} {uid}");
                assert_eq!(p.salt, hex::encode(d.salt_v1(a as u64)));
                let want: Vec<Amount> = b.iter().map(|&x| Amount::from_base_units(x)).collect();
                assert_eq!(p.balances, want);
            }
        }
    }

    fn accounts(n: usize) -> Mem {
        Mem((0..n)
            .map(|i| {
                (
                    format!("acct-{i:05}").into_bytes(),
                    vec![
                        (i as u128) * 99_991,
                        if i % 3 == 0 {
                            0
                        } else {
                            u128::from(u64::MAX) + i as u128
                        },
                    ],
                )
            })
            .collect())
    }

    /// Every account's proof from the store verifies against the manifest and is the
    /// proof the reference build of the same derived values gives.
    #[test]
    fn every_proof_from_the_store_verifies_and_equals_the_reference() {
        for (n, split, g) in [
            (1usize, 4u8, 6u8),
            (5, 1, 0),
            (37, 4, 6),
            (300, 3, 2),
            (700, 4, 6),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let acc = accounts(n);
            let secret = [n as u8 ^ 0x5a; 32];
            let manifest = write_store(dir.path(), &acc, split, g, secret);
            let meta: StoreMetaV2 =
                serde_json::from_slice(&std::fs::read(dir.path().join("store.json")).unwrap())
                    .unwrap();
            let store = ProofStoreV2::open(dir.path(), meta).unwrap();
            let d = Derivation::new(&secret);
            let layout = Layout::new(&d, n as u64, split, g).unwrap();
            let reference = TreeV2::build(crate::tree::v2::build::reference_input(
                &d, &acc.0, 2, &layout,
            ))
            .unwrap();
            let labels = ProofLabels {
                exchange: "X".into(),
                snapshot_id: "s1".into(),
                assets: manifest.assets.clone(),
            };
            // Every account of the small cases, a sample of the large one (unit tests
            // run unoptimized).
            let step = if n > 300 { 13 } else { 1 };
            for (a, (uid, _)) in acc.0.iter().enumerate().step_by(step) {
                let uid = std::str::from_utf8(uid).unwrap();
                let p = store.proof(uid).unwrap();
                p.verify_against(&manifest)
                    .unwrap_or_else(|e| panic!("n={n} {uid}: {e}"));
                assert_eq!(p, reference.proof(a, &labels).unwrap(), "n={n} {uid}");
            }
            assert!(matches!(
                store.proof("nobody"),
                Err(StoreError::UnknownUid { .. })
            ));
        }
    }

    /// A changed balance in the store gives proofs that do not verify (never a valid
    /// proof of other figures), and a truncated file is refused at open.
    #[test]
    fn a_changed_store_is_caught() {
        let dir = tempfile::tempdir().unwrap();
        let acc = accounts(50);
        let manifest = write_store(dir.path(), &acc, 4, 6, [9; 32]);
        let mut changed = acc.0.clone();
        changed[7].1[0] += 1;
        let mut bytes = Vec::new();
        let mut offsets = vec![0u64];
        for (u, b) in &changed {
            encode_account(&mut bytes, u, b);
            offsets.push(bytes.len() as u64);
        }
        std::fs::write(dir.path().join("accounts.bin"), &bytes).unwrap();
        let offs: Vec<u8> = offsets.iter().flat_map(|o| o.to_le_bytes()).collect();
        std::fs::write(dir.path().join("account-offsets.bin"), offs).unwrap();
        let meta: StoreMetaV2 =
            serde_json::from_slice(&std::fs::read(dir.path().join("store.json")).unwrap()).unwrap();
        let store = ProofStoreV2::open(dir.path(), meta.clone()).unwrap();
        assert!(
            store
                .proof("acct-00007")
                .unwrap()
                .verify_against(&manifest)
                .is_err()
        );
        let order = dir.path().join("order.bin");
        let o = std::fs::read(&order).unwrap();
        std::fs::write(&order, &o[..o.len() - 4]).unwrap();
        assert!(matches!(
            ProofStoreV2::open(dir.path(), meta),
            Err(StoreError::Corrupt { .. })
        ));
    }

    #[test]
    fn varints_round_trip() {
        for v in [
            0u128,
            1,
            127,
            128,
            300,
            u64::MAX as u128,
            u128::MAX - 1,
            u128::MAX,
        ] {
            let mut out = Vec::new();
            encode_account(&mut out, b"u", &[v, 5]);
            assert_eq!(decode_account(&out, 2), Some((&b"u"[..], vec![v, 5])));
        }
        // Too long, trailing bytes and a truncated record are refused.
        assert_eq!(decode_account(&[1, b'u', 0x80], 1), None);
        assert_eq!(decode_account(&[1, b'u', 1, 2], 1), None);
        let mut over = vec![1, b'u'];
        over.extend([0xff; 18]);
        over.push(0x04);
        assert_eq!(decode_account(&over, 1), None);
    }
}
