//! The reserves updates (`por-reserves-update/1`, docs/reserves-update.md) read back
//! and checked before anything is rendered, as [`super::check`] does for snapshots:
//! every file under the updates folder parses, is named after its `time`, belongs to a
//! published snapshot (its `snapshot_id` names the folder it sits in, its
//! `manifest_sha256` is that snapshot's manifest's), repeats that manifest's assets and
//! liabilities, and links to the previous update of the same snapshot by time and by
//! SHA-256 over that file's exact bytes. The oldest update kept may link to one that
//! was pruned. `failures.json` parses as `por-watch-failures/1`.
//!
//! Any fault is one [`UpdateError`] naming the file; the render stops and the previous
//! site stays. The bytes checked here are the bytes the site copies.

use super::check::Checked;
use crate::format::{
    ReservesUpdate, SnapshotId, UPDATE_FORMAT, WATCH_FAILURES_FORMAT, WatchFailures, sha256_hex,
    update_file_name,
};
use crate::time::Timestamp;
use std::path::{Path, PathBuf};

/// The name of the watch's failure record in the updates folder.
pub const FAILURES_FILE: &str = "failures.json";

/// What is wrong with a published update or the failure record: the file and why.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    /// A file or folder could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file or folder that failed.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not what its place in the updates folder requires.
    #[error("{path}: {message}")]
    Bad {
        /// The file at fault.
        path: PathBuf,
        /// What is wrong, in one line.
        message: String,
    },
}

/// One update whose file, snapshot and chain link were checked.
#[derive(Clone, Debug)]
pub struct CheckedUpdate {
    /// The parsed update.
    pub update: ReservesUpdate,
    /// Its `time`.
    pub time: Timestamp,
    /// Its file name, `YYYYMMDDTHHMMSSZ.json`.
    pub file: String,
    /// Lowercase hex SHA-256 of its exact bytes.
    pub sha256: String,
    /// Its exact bytes, as published and copied.
    pub bytes: Vec<u8>,
}

impl CheckedUpdate {
    /// Its site-relative URL, `updates/<snapshot_id>/<file>`.
    pub fn href(&self) -> String {
        format!("updates/{}/{}", self.update.snapshot_id, self.file)
    }
}

/// Every checked update, and the failure record when there is one.
#[derive(Clone, Debug, Default)]
pub struct Updates {
    /// Per published snapshot, in the snapshots' order (oldest first), its updates
    /// oldest first; a snapshot without updates is absent.
    pub by_snapshot: Vec<(SnapshotId, Vec<CheckedUpdate>)>,
    /// `failures.json`, parsed, with its exact bytes.
    pub failures: Option<(WatchFailures, Vec<u8>)>,
}

impl Updates {
    /// The updates of snapshot `id`, oldest first (empty when it has none).
    pub fn of(&self, id: &SnapshotId) -> &[CheckedUpdate] {
        self.by_snapshot
            .iter()
            .find(|(s, _)| s == id)
            .map_or(&[], |(_, u)| &u[..])
    }

    /// Every update of every snapshot, oldest first.
    pub fn all(&self) -> impl Iterator<Item = &CheckedUpdate> {
        self.by_snapshot.iter().flat_map(|(_, u)| u)
    }

    /// The failed attempts recorded, oldest first.
    pub fn failures(&self) -> &[crate::format::WatchFailure] {
        self.failures.as_ref().map_or(&[], |(f, _)| &f.failures[..])
    }
}

fn read(path: &Path) -> Result<Vec<u8>, UpdateError> {
    std::fs::read(path).map_err(|source| UpdateError::Read {
        path: path.to_path_buf(),
        source,
    })
}

fn entries(dir: &Path) -> Result<Vec<(String, PathBuf)>, UpdateError> {
    let io = |source| UpdateError::Read {
        path: dir.to_path_buf(),
        source,
    };
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).map_err(io)? {
        let e = e.map_err(io)?;
        out.push((e.file_name().to_string_lossy().into_owned(), e.path()));
    }
    // Sorted: file names sort by time, and the first error is deterministic.
    out.sort();
    Ok(out)
}

/// Loads and checks every update under `dir` against the checked `snapshots` of
/// `exchange`. A missing folder is no updates (the watch has not run yet).
pub fn load(dir: &Path, snapshots: &[Checked], exchange: &str) -> Result<Updates, UpdateError> {
    let mut out = Updates::default();
    if !dir.exists() {
        return Ok(out);
    }
    let mut folders = Vec::new();
    for (name, path) in entries(dir)? {
        if name == FAILURES_FILE && path.is_file() {
            let bytes = read(&path)?;
            out.failures = Some((parse_failures(&path, &bytes)?, bytes));
        } else if path.is_dir() {
            folders.push((name, path));
        } else {
            return Err(UpdateError::Bad {
                path,
                message: format!(
                    "not an update folder nor {FAILURES_FILE}; the updates folder holds only <snapshot_id>/ folders and {FAILURES_FILE}"
                ),
            });
        }
    }
    for s in snapshots {
        let id = &s.manifest.snapshot_id;
        if let Some(i) = folders.iter().position(|(n, _)| id == n) {
            let (_, path) = folders.remove(i);
            let updates = load_snapshot(&path, s, exchange)?;
            if !updates.is_empty() {
                out.by_snapshot.push((id.clone(), updates));
            }
        }
    }
    if let Some((name, path)) = folders.into_iter().next() {
        return Err(UpdateError::Bad {
            path,
            message: format!("no published snapshot {name:?} for these updates"),
        });
    }
    Ok(out)
}

fn parse_failures(path: &Path, bytes: &[u8]) -> Result<WatchFailures, UpdateError> {
    let bad = |message: String| UpdateError::Bad {
        path: path.to_path_buf(),
        message,
    };
    let f: WatchFailures = serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))?;
    if f.format != WATCH_FAILURES_FORMAT {
        return Err(bad(format!(
            "format {:?} is not {WATCH_FAILURES_FORMAT:?}",
            f.format
        )));
    }
    let mut last = None;
    for (i, x) in f.failures.iter().enumerate() {
        let t = Timestamp::parse_rfc3339(&x.time)
            .map_err(|e| bad(format!("failures[{i}].time: {e}")))?;
        if last.is_some_and(|l| t < l) {
            return Err(bad(format!(
                "failures[{i}].time {} is earlier than the one before it (oldest first)",
                x.time
            )));
        }
        last = Some(t);
    }
    Ok(f)
}

fn load_snapshot(
    dir: &Path,
    s: &Checked,
    exchange: &str,
) -> Result<Vec<CheckedUpdate>, UpdateError> {
    let mut out: Vec<CheckedUpdate> = Vec::new();
    for (name, path) in entries(dir)? {
        let checked = check_one(&path, &name, s, exchange)?;
        check_link(&path, out.last(), &checked)?;
        out.push(checked);
    }
    Ok(out)
}

fn check_one(
    path: &Path,
    name: &str,
    s: &Checked,
    exchange: &str,
) -> Result<CheckedUpdate, UpdateError> {
    let bad = |message: String| UpdateError::Bad {
        path: path.to_path_buf(),
        message,
    };
    if !path.is_file() {
        return Err(bad(
            "not a file; an update folder holds only update files".into()
        ));
    }
    let bytes = read(path)?;
    let update: ReservesUpdate = serde_json::from_slice(&bytes).map_err(|e| bad(e.to_string()))?;
    if update.format != UPDATE_FORMAT {
        return Err(bad(format!(
            "format {:?} is not {UPDATE_FORMAT:?}",
            update.format
        )));
    }
    if update.exchange != exchange {
        return Err(bad(format!(
            "exchange {:?} is not the configured {exchange:?}",
            update.exchange
        )));
    }
    let m = &s.manifest;
    if update.snapshot_id != m.snapshot_id {
        return Err(bad(format!(
            "snapshot_id {} is not the folder's snapshot {}",
            update.snapshot_id, m.snapshot_id
        )));
    }
    if update.manifest_sha256 != s.manifest_sha256 {
        return Err(bad(format!(
            "manifest_sha256 {} does not match snapshot {}'s manifest.json (sha256 {})",
            update.manifest_sha256, m.snapshot_id, s.manifest_sha256
        )));
    }
    let time = Timestamp::parse_rfc3339(&update.time).map_err(|e| bad(format!("time: {e}")))?;
    if time.to_rfc3339() != update.time {
        return Err(bad(format!(
            "time {:?} is not written as YYYY-MM-DDTHH:MM:SSZ",
            update.time
        )));
    }
    if update_file_name(&update.time) != name {
        return Err(bad(format!(
            "is named {name:?} but its time {} names {:?}",
            update.time,
            update_file_name(&update.time)
        )));
    }
    let as_of = Timestamp::parse_rfc3339(&m.as_of).map_err(|e| bad(format!("as_of: {e}")))?;
    if time <= as_of {
        return Err(bad(format!(
            "time {} is not later than snapshot {}'s as_of {}",
            update.time, m.snapshot_id, m.as_of
        )));
    }
    let same_assets = update.assets.len() == m.assets.len()
        && update.assets.iter().zip(&m.assets).all(|(u, a)| {
            u.symbol == a.symbol && u.decimals == a.decimals && u.liabilities == a.liabilities
        });
    if !same_assets {
        return Err(bad(format!(
            "assets differ from snapshot {}'s (symbols, decimals and liabilities, in its order)",
            m.snapshot_id
        )));
    }
    Ok(CheckedUpdate {
        sha256: sha256_hex(&bytes),
        file: name.to_string(),
        time,
        update,
        bytes,
    })
}

/// The first update kept links to nothing or to an earlier (pruned) one; every later
/// one to its predecessor's time and exact bytes.
fn check_link(
    path: &Path,
    prev: Option<&CheckedUpdate>,
    this: &CheckedUpdate,
) -> Result<(), UpdateError> {
    let message = match (prev, &this.update.previous) {
        (None, None) => return Ok(()),
        (None, Some(link)) => match Timestamp::parse_rfc3339(&link.time) {
            Ok(t) if t < this.time => return Ok(()),
            Ok(_) => format!(
                "previous.time {} is not earlier than its own time {}",
                link.time, this.update.time
            ),
            Err(e) => format!("previous.time: {e}"),
        },
        (Some(p), None) => format!(
            "broken hash chain: previous is null but {} was published before it",
            p.file
        ),
        (Some(p), Some(link)) if link.time != p.update.time => format!(
            "broken hash chain: previous.time {} but the update before it is {}",
            link.time, p.update.time
        ),
        (Some(p), Some(link)) if link.sha256 != p.sha256 => format!(
            "broken hash chain: previous.sha256 {} does not match {} (sha256 {})",
            link.sha256, p.file, p.sha256
        ),
        (Some(_), Some(_)) => return Ok(()),
    };
    Err(UpdateError::Bad {
        path: path.to_path_buf(),
        message,
    })
}
