//! The private proof store of a snapshot: the tree on disk, from which any account's
//! proof is assembled on request instead of writing one JSON per account (4 KB ×
//! 10^7 accounts would be 41 GB).
//!
//! This is `por-proof-store/1`, the store of por/1 snapshots written before issue 9
//! (every level, every salt): still read, no longer written. New snapshots of either
//! version get the derived store of [`crate::tree::v2::store`]; [`AnyStore`] opens
//! both.
//!
//! Layout of `<private>/<snapshot_id>/` (all integers little-endian unless noted):
//! - `store.json`: format, exchange, snapshot id, assets, leaf count, height.
//! - `level-NN.bin`: the records (`hash ‖ u128be sums`) of level NN, left to right;
//!   level 00 is the leaves (so its sums are the balances), the last level the root.
//! - `salts.bin`: 32 bytes per account, in input row order.
//! - `uids.bin` + `uid-offsets.bin`: uids in input row order, concatenated; N+1 u64
//!   offsets.
//! - `positions.bin`: N u32, the leaf position of each row (the secret permutation).
//! - `index.bin`: N entries of 12 bytes, `uid_key(uid)` (u64 big-endian) then the row
//!   (u32), sorted: a binary search finds a uid in ~24 reads.
//!
//! Rows stay in input order so that leaf hashing and these writes are sequential;
//! only the finished leaf records are permuted.
//!
//! This folder is secret (salts and uids); it never goes under `snapshots/` or the site.

use super::hash::NodeHash;
use super::proof::{InclusionProof, PROOF_FORMAT, RootJson};
use super::{Node, level_counts, record_size, sibling_path};
use crate::amount::Amount;
use crate::tree::info::AssetInfo;
use serde::{Deserialize, Serialize};
use sha2::Digest;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// The `format` of a proof store's `store.json`.
pub const STORE_FORMAT: &str = "por-proof-store/1";
/// The store's metadata file (it carries the root, so it identifies the build).
pub const STORE_META_FILE: &str = "store.json";
const INDEX_ENTRY: usize = 12;

/// Why a proof store could not be written, opened or read.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A store file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A store file is missing pieces, has the wrong size or a bad `store.json`.
    #[error("{path}: not a por proof store: {reason}")]
    Corrupt {
        /// The offending file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A por/2 store's accounts do not rebuild its tree (a record changed on disk).
    #[error("the store does not rebuild its tree: {0}")]
    Rebuild(Box<crate::tree::v2::V2Error>),
    /// No account of the snapshot has this uid.
    #[error("no account with uid {uid} in snapshot {snapshot_id}")]
    UnknownUid {
        /// The uid asked for, quoted.
        uid: crate::excerpt::Excerpt,
        /// The snapshot searched.
        snapshot_id: String,
    },
}

impl From<crate::tree::v2::V2Error> for StoreError {
    fn from(e: crate::tree::v2::V2Error) -> StoreError {
        StoreError::Rebuild(Box::new(e))
    }
}

impl From<crate::tree::TreeError> for StoreError {
    fn from(e: crate::tree::TreeError) -> StoreError {
        StoreError::Rebuild(Box::new(e.into()))
    }
}

/// The contents of `store.json`: what the store's levels describe.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreMeta {
    /// Always [`STORE_FORMAT`].
    pub format: String,
    /// The exchange's name.
    pub exchange: String,
    /// The snapshot the store was built for.
    pub snapshot_id: String,
    /// The assets, in manifest order.
    pub assets: Vec<AssetInfo>,
    /// Leaves at level 0.
    pub leaves: u64,
    /// Levels above the leaves; `level-00.bin` to `level-{height}.bin` exist.
    pub height: u32,
    /// The root hash the store was built for: `por proof` refuses to hand out proofs
    /// from a store whose root is not the published manifest's. Stores written
    /// before this field existed are read by their top level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root: Option<NodeHash>,
}

/// The key a uid is indexed under: the first 8 bytes of SHA-256(uid), big-endian.
pub fn uid_key(uid: &[u8]) -> u64 {
    let d = sha2::Sha256::digest(uid);
    u64::from_be_bytes(d[..8].try_into().expect("8 bytes"))
}

pub(crate) fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

pub(crate) fn level_file(dir: &Path, level: u32) -> PathBuf {
    dir.join(format!("level-{level:02}.bin"))
}

/// Writes the uid index `path` from `(uid_key, row)` pairs sorted by key: 12 bytes
/// each, the key big-endian then the row.
pub(crate) fn write_index_file(
    path: &Path,
    entries: impl Iterator<Item = (u64, u32)>,
) -> Result<(), StoreError> {
    let mut w = BufWriter::with_capacity(1 << 20, File::create(path).map_err(io_err(path))?);
    for (key, row) in entries {
        w.write_all(&key.to_be_bytes()).map_err(io_err(path))?;
        w.write_all(&row.to_le_bytes()).map_err(io_err(path))?;
    }
    w.flush().map_err(io_err(path))
}

fn index_entry(index: &File, path: &Path, i: u64) -> Result<(u64, u64), StoreError> {
    let mut e = [0u8; INDEX_ENTRY];
    index
        .read_exact_at(&mut e, i * INDEX_ENTRY as u64)
        .map_err(io_err(path))?;
    let key = u64::from_be_bytes(e[..8].try_into().expect("8"));
    let row = u64::from(u32::from_le_bytes(e[8..].try_into().expect("4")));
    Ok((key, row))
}

/// The row of `uid` in the index `index` (`path`) of `n` entries, by binary search
/// on its key; candidates sharing the key are told apart by `uid_at(row)`.
pub(crate) fn find_row(
    index: &File,
    path: &Path,
    n: u64,
    uid: &str,
    uid_at: impl Fn(u64) -> Result<Vec<u8>, StoreError>,
) -> Result<Option<u64>, StoreError> {
    let key = uid_key(uid.as_bytes());
    let (mut lo, mut hi) = (0u64, n);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if index_entry(index, path, mid)?.0 < key {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    // Distinct uids may share a key: check each candidate's uid.
    let mut i = lo;
    while i < n {
        let (k, row) = index_entry(index, path, i)?;
        if k != key {
            break;
        }
        if uid_at(row)? == uid.as_bytes() {
            return Ok(Some(row));
        }
        i += 1;
    }
    Ok(None)
}

/// Writes a store into a folder (normally the temp folder of a publish).
pub struct StoreWriter {
    dir: PathBuf,
}

impl StoreWriter {
    /// A writer into `dir`, which must already exist; nothing is written until a `write_*` call.
    pub fn new(dir: &Path) -> StoreWriter {
        StoreWriter {
            dir: dir.to_path_buf(),
        }
    }

    /// Writes one level's records.
    pub fn write_level(&self, level: u32, records: &[u8]) -> Result<(), StoreError> {
        let p = level_file(&self.dir, level);
        std::fs::write(&p, records).map_err(io_err(&p))
    }

    /// Writes the salts, in row order.
    pub fn write_salts(&self, salts: &[[u8; 32]]) -> Result<(), StoreError> {
        let p = self.dir.join("salts.bin");
        std::fs::write(&p, salts.as_flattened()).map_err(io_err(&p))
    }

    /// Writes the uids in row order: the concatenated bytes and each row's end offset.
    pub fn write_uids(&self, bytes: &[u8], ends: &[u64]) -> Result<(), StoreError> {
        let pu = self.dir.join("uids.bin");
        std::fs::write(&pu, bytes).map_err(io_err(&pu))?;
        let po = self.dir.join("uid-offsets.bin");
        let mut o = BufWriter::with_capacity(1 << 20, File::create(&po).map_err(io_err(&po))?);
        o.write_all(&0u64.to_le_bytes()).map_err(io_err(&po))?;
        for e in ends {
            o.write_all(&e.to_le_bytes()).map_err(io_err(&po))?;
        }
        o.flush().map_err(io_err(&po))
    }

    /// Writes each row's leaf position.
    pub fn write_positions(&self, positions: &[u32]) -> Result<(), StoreError> {
        let p = self.dir.join("positions.bin");
        let mut w = BufWriter::with_capacity(1 << 20, File::create(&p).map_err(io_err(&p))?);
        for pos in positions {
            w.write_all(&pos.to_le_bytes()).map_err(io_err(&p))?;
        }
        w.flush().map_err(io_err(&p))
    }

    /// Writes the index from `(uid_key, row)` pairs sorted by key.
    pub fn write_index(&self, entries: impl Iterator<Item = (u64, u32)>) -> Result<(), StoreError> {
        write_index_file(&self.dir.join("index.bin"), entries)
    }

    /// Writes `store.json`, pretty-printed with a final newline.
    pub fn write_meta(&self, meta: &StoreMeta) -> Result<(), StoreError> {
        write_meta_file(&self.dir, meta)
    }
}

/// Writes a store's `store.json` (either version) into `dir`, pretty-printed with a
/// final newline.
pub(crate) fn write_meta_file(dir: &Path, meta: &impl Serialize) -> Result<(), StoreError> {
    let p = dir.join(STORE_META_FILE);
    let mut bytes = serde_json::to_vec_pretty(meta).expect("the store meta serializes");
    bytes.push(b'\n');
    std::fs::write(&p, bytes).map_err(io_err(&p))
}

/// Checks that each `(path, file, size)` has exactly that many bytes; the first that
/// does not is [`StoreError::Corrupt`].
pub(crate) fn check_file_sizes(expect: Vec<(PathBuf, &File, u64)>) -> Result<(), StoreError> {
    for (path, f, size) in expect {
        let len = f.metadata().map_err(io_err(&path))?.len();
        if len != size {
            return Err(StoreError::Corrupt {
                path,
                reason: format!("{len} bytes, expected {size}"),
            });
        }
    }
    Ok(())
}

/// A store opened for reading proofs.
pub struct ProofStore {
    dir: PathBuf,
    meta: StoreMeta,
    levels: Vec<File>,
    salts: File,
    uids: File,
    offsets: File,
    positions: File,
    index: File,
}

impl ProofStore {
    /// Opens the store in `dir`, checking `store.json`'s format and every file's size.
    /// Errors with [`StoreError::Io`] if a file is missing, [`StoreError::Corrupt`] if one is
    /// malformed.
    pub fn open(dir: &Path) -> Result<ProofStore, StoreError> {
        let mp = dir.join(STORE_META_FILE);
        let text = std::fs::read_to_string(&mp).map_err(io_err(&mp))?;
        let meta: StoreMeta = serde_json::from_str(&text).map_err(|e| StoreError::Corrupt {
            path: mp.clone(),
            reason: e.to_string(),
        })?;
        if meta.format != STORE_FORMAT {
            return Err(StoreError::Corrupt {
                path: mp,
                reason: format!("format {:?}", meta.format),
            });
        }
        let open = |p: PathBuf| File::open(&p).map_err(io_err(&p));
        let levels = (0..=meta.height)
            .map(|l| open(level_file(dir, l)))
            .collect::<Result<Vec<_>, _>>()?;
        let store = ProofStore {
            dir: dir.to_path_buf(),
            salts: open(dir.join("salts.bin"))?,
            uids: open(dir.join("uids.bin"))?,
            offsets: open(dir.join("uid-offsets.bin"))?,
            positions: open(dir.join("positions.bin"))?,
            index: open(dir.join("index.bin"))?,
            levels,
            meta,
        };
        store.check_sizes()?;
        Ok(store)
    }

    /// The store's `store.json` contents.
    pub fn meta(&self) -> &StoreMeta {
        &self.meta
    }

    /// The root hash this store was built for (its recorded root, or the record of
    /// its top level for stores that predate the field).
    pub fn root(&self) -> Result<NodeHash, StoreError> {
        if let Some(r) = self.meta.root {
            return Ok(r);
        }
        let top = self.levels.last().expect("level 0 at least");
        let mut h = [0u8; 32];
        let p = level_file(&self.dir, self.meta.height);
        top.read_exact_at(&mut h, 0).map_err(io_err(&p))?;
        Ok(NodeHash(h))
    }

    fn check_sizes(&self) -> Result<(), StoreError> {
        let n = self.meta.leaves;
        let r = record_size(self.meta.assets.len()) as u64;
        let counts = level_counts(n);
        let mut expect: Vec<(PathBuf, &File, u64)> = vec![
            (self.dir.join("salts.bin"), &self.salts, n * 32),
            (self.dir.join("uid-offsets.bin"), &self.offsets, (n + 1) * 8),
            (
                self.dir.join("index.bin"),
                &self.index,
                n * INDEX_ENTRY as u64,
            ),
        ];
        if counts.len() != self.levels.len() {
            return Err(StoreError::Corrupt {
                path: self.dir.clone(),
                reason: format!("height {} does not fit {n} leaves", self.meta.height),
            });
        }
        for (l, f) in self.levels.iter().enumerate() {
            expect.push((level_file(&self.dir, l as u32), f, counts[l] * r));
        }
        check_file_sizes(expect)
    }

    fn read_at(&self, f: &File, name: &str, off: u64, buf: &mut [u8]) -> Result<(), StoreError> {
        f.read_exact_at(buf, off)
            .map_err(io_err(&self.dir.join(name)))
    }

    fn uid_at(&self, row: u64) -> Result<Vec<u8>, StoreError> {
        let mut o = [0u8; 16];
        self.read_at(&self.offsets, "uid-offsets.bin", row * 8, &mut o)?;
        let start = u64::from_le_bytes(o[..8].try_into().expect("8"));
        let end = u64::from_le_bytes(o[8..].try_into().expect("8"));
        if end < start || end - start > 128 {
            return Err(StoreError::Corrupt {
                path: self.dir.join("uid-offsets.bin"),
                reason: format!("bad offsets at row {row}"),
            });
        }
        let mut uid = vec![0u8; (end - start) as usize];
        self.read_at(&self.uids, "uids.bin", start, &mut uid)?;
        Ok(uid)
    }

    fn position_of_row(&self, row: u64) -> Result<u64, StoreError> {
        let mut b = [0u8; 4];
        self.read_at(&self.positions, "positions.bin", row * 4, &mut b)?;
        let pos = u64::from(u32::from_le_bytes(b));
        if pos >= self.meta.leaves {
            return Err(StoreError::Corrupt {
                path: self.dir.join("positions.bin"),
                reason: format!("row {row} has position {pos}"),
            });
        }
        Ok(pos)
    }

    /// The input row of `uid`, by binary search of the index.
    pub fn row_of(&self, uid: &str) -> Result<Option<u64>, StoreError> {
        find_row(
            &self.index,
            &self.dir.join("index.bin"),
            self.meta.leaves,
            uid,
            |row| self.uid_at(row),
        )
    }

    fn node(&self, level: u32, idx: u64) -> Result<Node, StoreError> {
        let r = record_size(self.meta.assets.len());
        let mut rec = vec![0u8; r];
        let f = &self.levels[level as usize];
        f.read_exact_at(&mut rec, idx * r as u64)
            .map_err(io_err(&level_file(&self.dir, level)))?;
        Ok(Node::from_record(&rec))
    }

    /// The proof of the account of input row `row`.
    pub fn proof_of_row(&self, row: u64) -> Result<InclusionProof, StoreError> {
        let k = self.meta.assets.len();
        let pos = self.position_of_row(row)?;
        let uid = self.uid_at(row)?;
        let uid = String::from_utf8(uid).map_err(|_| StoreError::Corrupt {
            path: self.dir.join("uids.bin"),
            reason: format!("uid of row {row} is not UTF-8"),
        })?;
        let mut salt = [0u8; 32];
        self.read_at(&self.salts, "salts.bin", row * 32, &mut salt)?;
        let leaf = self.node(0, pos)?;
        let path = sibling_path(self.meta.leaves, pos, k, |l, i| self.node(l, i))?;
        let root = self.node(self.meta.height, 0)?;
        Ok(InclusionProof {
            format: PROOF_FORMAT.to_string(),
            exchange: self.meta.exchange.clone(),
            snapshot_id: self.meta.snapshot_id.clone(),
            assets: self.meta.assets.clone(),
            uid,
            salt: hex::encode(salt),
            balances: leaf.sums,
            path,
            root: RootJson {
                hash: root.hash,
                sums: root.sums,
            },
        })
    }

    /// The proof of `uid`.
    pub fn proof(&self, uid: &str) -> Result<InclusionProof, StoreError> {
        match self.row_of(uid)? {
            Some(row) => self.proof_of_row(row),
            None => Err(StoreError::UnknownUid {
                uid: crate::excerpt::Excerpt::quoted(uid),
                snapshot_id: self.meta.snapshot_id.clone(),
            }),
        }
    }

    /// The root sums recorded in the store.
    pub fn root_sums(&self) -> Result<Vec<Amount>, StoreError> {
        Ok(self.node(self.meta.height, 0)?.sums)
    }
}

/// A proof store of either version, told apart by its `store.json` `format`.
pub enum AnyStore {
    /// `por-proof-store/1`: every leaf and salt stored.
    V1(ProofStore),
    /// `por-proof-store/2`: accounts, the snapshot secret, the order and upper levels
    /// (a por/2 tree, or a por/1 tree whose salts and order are derived).
    V2(crate::tree::v2::store::ProofStoreV2),
}

impl AnyStore {
    /// Opens the store in `dir` by the `format` its `store.json` names.
    pub fn open(dir: &Path) -> Result<AnyStore, StoreError> {
        use crate::tree::v2::store::{ProofStoreV2, STORE_FORMAT_V2, StoreMetaV2};
        #[derive(Deserialize)]
        struct Format {
            format: String,
        }
        let mp = dir.join(STORE_META_FILE);
        let text = std::fs::read_to_string(&mp).map_err(io_err(&mp))?;
        let corrupt = |reason: String| StoreError::Corrupt {
            path: mp.clone(),
            reason,
        };
        let Format { format } = serde_json::from_str(&text).map_err(|e| corrupt(e.to_string()))?;
        match format.as_str() {
            STORE_FORMAT => ProofStore::open(dir).map(AnyStore::V1),
            STORE_FORMAT_V2 => {
                let meta: StoreMetaV2 =
                    serde_json::from_str(&text).map_err(|e| corrupt(e.to_string()))?;
                ProofStoreV2::open(dir, meta).map(AnyStore::V2)
            }
            other => Err(corrupt(format!("format {other:?}"))),
        }
    }

    /// The root hash the store was built for.
    pub fn root(&self) -> Result<NodeHash, StoreError> {
        match self {
            AnyStore::V1(s) => s.root(),
            AnyStore::V2(s) => Ok(s.meta().root),
        }
    }

    /// The root's per-asset sums, read from the store's top level.
    pub fn root_sums(&self) -> Result<Vec<Amount>, StoreError> {
        match self {
            AnyStore::V1(s) => s.root_sums(),
            AnyStore::V2(s) => Ok(s.root_node()?.sums),
        }
    }

    /// The proof of `uid`, in the store's version.
    pub fn proof(&self, uid: &str) -> Result<crate::tree::v2::AnyProof, StoreError> {
        use crate::tree::v2::AnyProof;
        match self {
            AnyStore::V1(s) => s.proof(uid).map(AnyProof::V1),
            AnyStore::V2(s) if s.is_v1() => s.proof_v1(uid).map(AnyProof::V1),
            AnyStore::V2(s) => s.proof(uid).map(AnyProof::V2),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::info::TreeInfo;
    use crate::tree::proof::ManifestRef;
    use crate::tree::{AccountLeaf, Tree};

    /// A store written before issue 9 (`por-proof-store/1`: every level, salt and
    /// position on disk) still gives proofs that verify.
    #[test]
    fn an_old_por1_store_still_gives_proofs() {
        let dir = tempfile::tempdir().unwrap();
        let n = 37;
        let accounts: Vec<AccountLeaf> = (0..n)
            .map(|i| AccountLeaf {
                uid: format!("u{i}"),
                salt: [i as u8; 32],
                balances: vec![
                    Amount::from_base_units(i as u128 * 10),
                    Amount::from_base_units(7),
                ],
            })
            .collect();
        // Rows in input order, leaves in reverse.
        let order: Vec<usize> = (0..n).rev().collect();
        let leaves: Vec<AccountLeaf> = order.iter().map(|&r| accounts[r].clone()).collect();
        let tree = Tree::build(2, &leaves).unwrap();
        let w = StoreWriter::new(dir.path());
        for (l, recs) in tree.levels.iter().enumerate() {
            w.write_level(l as u32, recs).unwrap();
        }
        let salts: Vec<[u8; 32]> = accounts.iter().map(|a| a.salt).collect();
        w.write_salts(&salts).unwrap();
        let mut bytes = Vec::new();
        let mut ends = Vec::new();
        for a in &accounts {
            bytes.extend_from_slice(a.uid.as_bytes());
            ends.push(bytes.len() as u64);
        }
        w.write_uids(&bytes, &ends).unwrap();
        let mut positions = vec![0u32; n];
        for (p, &r) in order.iter().enumerate() {
            positions[r] = p as u32;
        }
        w.write_positions(&positions).unwrap();
        let mut index: Vec<(u64, u32)> = accounts
            .iter()
            .enumerate()
            .map(|(i, a)| (uid_key(a.uid.as_bytes()), i as u32))
            .collect();
        index.sort_unstable();
        w.write_index(index.into_iter()).unwrap();
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
        w.write_meta(&StoreMeta {
            format: STORE_FORMAT.into(),
            exchange: "X".into(),
            snapshot_id: "s".into(),
            assets: assets.clone(),
            leaves: n as u64,
            height: tree.height(),
            root: Some(tree.root().hash),
        })
        .unwrap();
        let manifest = ManifestRef {
            exchange: "X".into(),
            snapshot_id: "s".into(),
            assets,
            tree: TreeInfo {
                version: None,
                root: tree.root().hash,
                sums: tree.root().sums,
                height: tree.height(),
                leaves: n as u64,
                split: None,
                padding_bits: None,
                accounts: None,
            },
        };
        let store = AnyStore::open(dir.path()).unwrap();
        for a in &accounts {
            let crate::tree::v2::AnyProof::V1(p) = store.proof(&a.uid).unwrap() else {
                panic!("a por/1 store gave a por/2 proof");
            };
            p.verify_against(&manifest)
                .unwrap_or_else(|e| panic!("{}: {e}", a.uid));
            assert_eq!(p.balances, a.balances);
            assert_eq!(p.salt, hex::encode(a.salt));
        }
    }
}
