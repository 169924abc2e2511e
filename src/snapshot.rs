//! The snapshot job's liabilities half and its publication: one fresh snapshot secret
//! from which every salt, part and the leaf order derive (por/1 and por/2 alike), the
//! tree built chunk by chunk into the private proof store, then the manifest (hash-
//! chained to the previous one) and the snapshot's public files, each folder through
//! the one write path. Reserves are computed elsewhere and passed in as figures and
//! files, so this module never touches a network.

use crate::amount::reserve_ratio;
use crate::format::{
    Custodian, MANIFEST_FORMAT, Manifest, ManifestAsset, PreviousLink, SnapshotId, TreeInfo,
    sha256_hex, to_json_bytes,
};
use crate::liabilities::Liabilities;
use crate::progress::{Phase, Progress, Silent};
use crate::publish::{Mode, Move, Output, PublishError};
use crate::time::Timestamp;
use crate::tree::store::{STORE_META_FILE, StoreError};
use crate::tree::v2::build::{AccountSource, MAX_ASSETS, Shape};
use crate::tree::v2::derive::Derivation;
use crate::tree::v2::store::{STORE_FORMAT_V2, StoreMetaV2, StoreWriterV2};
use crate::tree::v2::{TREE_VERSION, V2Error};
use crate::tree::{TreeError, TreeParams};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Why a snapshot could not be published; nothing is published when one is returned.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// The snapshot id is already published and `--replace` was not given.
    #[error(
        "snapshot {id} is already published at {path}; choose another --id (or --replace the newest)"
    )]
    Exists {
        /// The snapshot id asked for.
        id: String,
        /// Its published folder.
        path: PathBuf,
    },
    /// `--replace` named a snapshot that is not the newest.
    #[error("--replace {id}: only the newest snapshot ({newest}) may be replaced")]
    NotNewest {
        /// The snapshot id to replace.
        id: String,
        /// The newest published snapshot id.
        newest: String,
    },
    /// The new `as_of` is not later than the previous snapshot's (the hash chain must move forward
    /// in time).
    #[error("as_of {as_of} is not after the previous snapshot {previous} (as_of {previous_as_of})")]
    NotAfterPrevious {
        /// The new snapshot's `as_of`, RFC 3339.
        as_of: String,
        /// The previous snapshot's id.
        previous: String,
        /// The previous snapshot's `as_of`, RFC 3339.
        previous_as_of: String,
    },
    /// A published manifest could not be read or parsed.
    #[error("{path}: unreadable published manifest: {message}")]
    BadPublished {
        /// The manifest file.
        path: PathBuf,
        /// Why it could not be read.
        message: String,
    },
    /// The write path failed (staging, lock, rename).
    #[error("{0}")]
    Publish(#[from] PublishError),
    /// The private proof store could not be written.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// The tree could not be built.
    #[error("{0}")]
    Tree(#[from] TreeError),
    /// The por/2 tree could not be laid out or built (boxed: the error is large).
    #[error("{0}")]
    TreeV2(Box<V2Error>),
    /// The snapshot log could not be extended with this snapshot (FORMAT.md §7).
    #[error("{0}")]
    Log(String),
    /// The OS CSPRNG could not provide salts or the leaf order; carries its error.
    #[error("the OS random generator failed: {0}")]
    Random(String),
}

impl From<V2Error> for SnapshotError {
    fn from(e: V2Error) -> SnapshotError {
        SnapshotError::TreeV2(Box::new(e))
    }
}

/// What the reserves step hands to the snapshot (defined by the reserves step,
/// which produces it; data flows from reserves into the snapshot).
pub use crate::reserves::ReserveFigures;

/// Wall-clock time of each phase.
#[derive(Clone, Debug, Default)]
pub struct Timings {
    /// The layout: the snapshot secret (OS CSPRNG) and the leaf order derived from it.
    pub random: Duration,
    /// Building the tree: every leaf (salts and parts derived, hashed) in its chunk,
    /// the levels above.
    pub tree: Duration,
    /// Writing the private proof store.
    pub store: Duration,
    /// Writing the manifest and public files through the write path.
    pub publish: Duration,
}

/// A snapshot just published: its manifest, that manifest's hash, and how long it took.
pub struct Published {
    /// The manifest as written to `snapshots/<id>/manifest.json`.
    pub manifest: Manifest,
    /// SHA-256 of the manifest bytes as written, lowercase hex (the next snapshot's `previous`
    /// link).
    pub manifest_sha256: String,
    /// Accounts in the tree (rows of the liabilities file).
    pub accounts: u64,
    /// Wall-clock time of each phase.
    pub timings: Timings,
}

/// A published snapshot as found on disk.
#[derive(Clone, Debug)]
pub struct PublishedSnapshot {
    /// The snapshot's manifest, parsed.
    pub manifest: Manifest,
    /// SHA-256 of the manifest file's bytes, lowercase hex.
    pub manifest_sha256: String,
    /// The snapshot's published folder, `snapshots/<id>/`.
    pub dir: PathBuf,
}

/// Every published snapshot under `dir`, oldest first (by `as_of`, then id).
pub fn list_published(dir: &Path) -> Result<Vec<PublishedSnapshot>, SnapshotError> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(out);
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || SnapshotId::new(&name).is_err() || !entry.path().is_dir() {
            continue;
        }
        let path = entry.path().join("manifest.json");
        let bytes = std::fs::read(&path).map_err(|e| SnapshotError::BadPublished {
            path: path.clone(),
            message: e.to_string(),
        })?;
        let manifest: Manifest =
            serde_json::from_slice(&bytes).map_err(|e| SnapshotError::BadPublished {
                path: path.clone(),
                message: e.to_string(),
            })?;
        out.push(PublishedSnapshot {
            manifest_sha256: sha256_hex(&bytes),
            manifest,
            dir: entry.path(),
        });
    }
    out.sort_by(|a, b| {
        (&a.manifest.as_of, &a.manifest.snapshot_id)
            .cmp(&(&b.manifest.as_of, &b.manifest.snapshot_id))
    });
    Ok(out)
}

/// Checks that `id` may be published (before any expensive or visible work) and
/// returns the snapshot the new one links to.
pub fn plan(
    out: &Output,
    id: &SnapshotId,
    as_of: Timestamp,
    replace: bool,
) -> Result<Option<PublishedSnapshot>, SnapshotError> {
    let mut published = list_published(&out.dirs().snapshots)?;
    let target = out.dirs().snapshot(id.as_str());
    if target.exists() {
        if !replace {
            return Err(SnapshotError::Exists {
                id: id.to_string(),
                path: target,
            });
        }
        let newest = published
            .last()
            .map(|p| p.manifest.snapshot_id.to_string())
            .unwrap_or_default();
        if newest != id.as_str() {
            return Err(SnapshotError::NotNewest {
                id: id.to_string(),
                newest,
            });
        }
        published.pop();
    }
    let previous = published.pop();
    if let Some(p) = &previous {
        let prev_as_of = Timestamp::parse_rfc3339(&p.manifest.as_of).map_err(|e| {
            SnapshotError::BadPublished {
                path: p.dir.join("manifest.json"),
                message: e.to_string(),
            }
        })?;
        if as_of <= prev_as_of {
            return Err(SnapshotError::NotAfterPrevious {
                as_of: as_of.to_rfc3339(),
                previous: p.manifest.snapshot_id.to_string(),
                previous_as_of: p.manifest.as_of.clone(),
            });
        }
    }
    Ok(previous)
}

/// What publishing a snapshot needs of the configuration: the exchange's name (in
/// the manifest and the proof store) and how the tree is built. The job builds it
/// from its config; this stage sees nothing else of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// The exchange's display name, as published.
    pub exchange: String,
    /// por/1 or por/2, and por/2's split and padding.
    pub tree: TreeParams,
    /// Assets held at named custodians, as (asset index, custodian): published as the
    /// asset's `custodial_reserves`, never in its `reserves` (FORMAT.md §4).
    pub custodians: Vec<(usize, Custodian)>,
}

/// Builds the tree with fresh salts and a fresh random leaf order, streams it into
/// the private proof store of `id`, and publishes the manifest and `reserves.files`.
/// Both folders are built in the staging area and committed together
/// ([`Output::commit`]): nothing is visible until both are complete, and a kill
/// between the two moves is completed by the next command that opens the output.
#[allow(clippy::too_many_arguments)]
pub fn publish(
    out: &Output,
    settings: &Settings,
    id: &SnapshotId,
    as_of: Timestamp,
    liabilities: Liabilities,
    reserves: ReserveFigures,
    previous: Option<PublishedSnapshot>,
    replace: bool,
) -> Result<Published, SnapshotError> {
    publish_with(
        out,
        settings,
        id,
        as_of,
        liabilities,
        reserves,
        previous,
        replace,
        &Silent,
        |_| Ok(Vec::new()),
    )
}

/// [`publish`], with more folders committed in the same publication: `also` gets the
/// exact manifest bytes once they are final and stages what must appear together
/// with the snapshot (the snapshot log's folder), returning its moves. An error from
/// it publishes nothing. `progress` hears the layout, store, tree and publish phases.
#[allow(clippy::too_many_arguments)]
pub fn publish_with(
    out: &Output,
    settings: &Settings,
    id: &SnapshotId,
    as_of: Timestamp,
    mut liabilities: Liabilities,
    reserves: ReserveFigures,
    previous: Option<PublishedSnapshot>,
    replace: bool,
    progress: &dyn Progress,
    also: impl FnOnce(&[u8]) -> Result<Vec<Move>, SnapshotError>,
) -> Result<Published, SnapshotError> {
    let mode = if replace { Mode::Replace } else { Mode::New };
    let mut timings = Timings::default();
    let store_dir = out.stage(&format!("store-{id}"))?;
    let snapshot_dir = out.stage(&format!("snapshot-{id}"))?;
    let discard = || {
        let _ = std::fs::remove_dir_all(&store_dir);
        let _ = std::fs::remove_dir_all(&snapshot_dir);
    };
    let n = liabilities.len();
    let built = build_store(
        &settings.exchange,
        id,
        &mut liabilities,
        settings.tree,
        &store_dir,
        &mut timings,
        progress,
    );
    let tree_info = match built {
        Ok(info) => info,
        Err(e) => {
            discard();
            return Err(e);
        }
    };

    let t = Instant::now();
    progress.start(Phase::Publish, None);
    let manifest = compose_manifest(
        &settings.exchange,
        id,
        as_of,
        &liabilities,
        tree_info,
        &reserves,
        &settings.custodians,
        previous.as_ref(),
    );
    let manifest_bytes = to_json_bytes(&manifest);
    let written = (|| -> Result<(), SnapshotError> {
        for (name, bytes) in &reserves.files {
            let p = snapshot_dir.join(name);
            // `bip127/<wallet>.psbt` lives in a subfolder (FORMAT.md §5).
            if let Some(dir) = p.parent().filter(|d| *d != snapshot_dir.as_path()) {
                std::fs::create_dir_all(dir).map_err(|source| PublishError::Io {
                    path: dir.to_path_buf(),
                    source,
                })?;
            }
            std::fs::write(&p, bytes).map_err(|source| PublishError::Io { path: p, source })?;
        }
        let p = snapshot_dir.join("manifest.json");
        std::fs::write(&p, &manifest_bytes)
            .map_err(|source| PublishError::Io { path: p, source })?;
        let mut moves = vec![
            Move::new(
                &store_dir,
                &out.dirs().store(id.as_str()),
                mode,
                STORE_META_FILE,
            ),
            Move::new(
                &snapshot_dir,
                &out.dirs().snapshot(id.as_str()),
                mode,
                "manifest.json",
            ),
        ];
        moves.extend(also(&manifest_bytes)?);
        out.commit(moves)?;
        Ok(())
    })();
    if let Err(e) = written {
        discard();
        return Err(e);
    }
    timings.publish = t.elapsed();
    Ok(Published {
        manifest_sha256: sha256_hex(&manifest_bytes),
        manifest,
        accounts: n as u64,
        timings,
    })
}

/// The parsed accounts as the source of a derived build.
struct Rows<'a>(&'a Liabilities);

impl AccountSource for Rows<'_> {
    type Error = V2Error;
    fn with_account<T>(
        &self,
        account: u64,
        f: impl FnOnce(&[u8], &[u128]) -> T,
    ) -> Result<T, V2Error> {
        let mut f = Some(f);
        let mut out = None;
        self.for_each(account, account + 1, |_, uid, balances| {
            out = f.take().map(|f| f(uid, balances));
        })?;
        out.ok_or(V2Error::Empty)
    }

    fn for_each(
        &self,
        lo: u64,
        hi: u64,
        mut f: impl FnMut(u64, &[u8], &[u128]),
    ) -> Result<(), V2Error> {
        self.0
            .for_each(lo as usize, hi as usize, |row, uid, balances| {
                f(row as u64, uid, balances)
            })
            // Only reading the scratch file can fail here.
            .map_err(|e| V2Error::Spool {
                path: String::from("liabilities"),
                message: e.to_string(),
            })
    }

    #[inline]
    fn touch(&self, account: u64) -> u8 {
        self.0.touch(account as usize)
    }

    fn widths(&self, k: usize) -> Vec<u8> {
        let w = self.0.balance_widths();
        debug_assert_eq!(w.len(), k);
        w.to_vec()
    }
}

/// The tree of either version (FORMAT.md §2, §6) with every secret derived from one
/// fresh snapshot secret ([`Derivation`]): the layout (leaf order), then the chunks
/// and upper levels, the store written into `store_dir`. por/1: one leaf per
/// account, salts [`Derivation::salt_v1`]; por/2: `split` parts and dummies. Returns
/// the manifest's `tree`.
fn build_store(
    exchange: &str,
    id: &SnapshotId,
    liabilities: &mut Liabilities,
    tree: TreeParams,
    store_dir: &Path,
    timings: &mut Timings,
    progress: &dyn Progress,
) -> Result<TreeInfo, SnapshotError> {
    let k = liabilities.assets.len();
    if k > MAX_ASSETS {
        return Err(V2Error::TooManyAssets(k).into());
    }
    let n = liabilities.len();
    let t = Instant::now();
    let mut secret = [0u8; 32];
    getrandom::getrandom(&mut secret).map_err(|e| SnapshotError::Random(e.to_string()))?;
    let d = Derivation::new(&secret);
    let w = StoreWriterV2::new(store_dir);
    // The uid index is only needed on disk from here on: written and freed before
    // the layout's buffers exist.
    progress.start(Phase::Index, None);
    let ti = Instant::now();
    w.write_index(std::mem::take(&mut liabilities.uid_index).into_iter())?;
    let index_time = ti.elapsed();
    progress.start(Phase::Layout, None);
    let (shape, publish_accounts) = match tree {
        TreeParams::V1 => (Shape::new_v1(n as u64)?, false),
        TreeParams::V2 {
            split,
            padding_bits,
            publish_account_count,
        } => (
            Shape::new(n as u64, split, padding_bits)?,
            publish_account_count,
        ),
    };
    let (split, padding_bits) = (shape.split, shape.padding_bits);
    timings.random = t.elapsed() - index_time;

    let t = Instant::now() - index_time;
    progress.start(Phase::Accounts, Some(n as u64));
    w.write_secret(&secret)?;
    let rows = Rows(liabilities);
    w.write_accounts(&rows, n, k, progress)?;
    let tb = Instant::now();
    progress.start(Phase::Tree, Some(2 * shape.leaves));
    let (built, write_time) = w.write_tree(&d, &rows, &shape, k, progress)?;
    let info = built.root;
    timings.tree = tb.elapsed() - write_time;
    let v2 = shape.version == 2;
    w.write_meta(&StoreMetaV2 {
        format: STORE_FORMAT_V2.into(),
        exchange: exchange.to_string(),
        snapshot_id: id.to_string(),
        assets: liabilities.assets.clone(),
        accounts: n as u64,
        split,
        padding_bits,
        leaves: shape.leaves,
        height: info.height,
        chunk_bits: shape.chunk_bits,
        bucket_bits: shape.bucket_bits,
        root: info.root.hash,
        tree_version: (!v2).then_some(1),
    })?;
    timings.store = t.elapsed() - timings.tree;
    Ok(TreeInfo {
        version: v2.then_some(TREE_VERSION),
        root: info.root.hash,
        sums: info.root.sums,
        height: info.height,
        leaves: info.leaves,
        split: v2.then_some(u64::from(split)),
        padding_bits: v2.then_some(u64::from(padding_bits)),
        accounts: v2.then_some(publish_accounts.then_some(n as u64)),
    })
}

#[allow(clippy::too_many_arguments)]
fn compose_manifest(
    exchange: &str,
    id: &SnapshotId,
    as_of: Timestamp,
    liabilities: &Liabilities,
    tree: TreeInfo,
    reserves: &ReserveFigures,
    custodians: &[(usize, Custodian)],
    previous: Option<&PublishedSnapshot>,
) -> Manifest {
    let assets = liabilities
        .assets
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let liab = tree.sums[i];
            let (res, unproven) = reserves.per_asset.get(i).copied().unwrap_or_default();
            let held: Vec<Custodian> = custodians
                .iter()
                .filter(|(asset, _)| *asset == i)
                .map(|(_, c)| c.clone())
                .collect();
            let custodial_reserves = (!held.is_empty()).then(|| {
                held.iter()
                    .try_fold(crate::amount::Amount::ZERO, |t, c| t.checked_add(c.amount))
                    .expect("the config checks each asset's custodial total")
            });
            ManifestAsset {
                custodial_reserves,
                custodians: held,
                symbol: a.symbol.clone(),
                decimals: a.decimals,
                liabilities: liab,
                reserves: res,
                unproven_reserves: unproven,
                reserve_ratio: reserve_ratio(res, liab),
            }
        })
        .collect();
    Manifest {
        format: MANIFEST_FORMAT.into(),
        exchange: exchange.to_string(),
        snapshot_id: id.clone(),
        as_of: as_of.to_rfc3339(),
        assets,
        tree,
        chains: reserves.chains.clone(),
        files: reserves
            .files
            .iter()
            .map(|(name, bytes)| (name.clone(), sha256_hex(bytes)))
            .collect(),
        previous: previous.map(|p| PreviousLink {
            snapshot_id: p.manifest.snapshot_id.clone(),
            manifest_sha256: p.manifest_sha256.clone(),
        }),
    }
}
