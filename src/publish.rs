//! The one write path (as zola's `write_content`): everything por publishes or stores
//! goes through an [`Output`], the configured output folders held under the run lock.
//!
//! - Every folder and file is built in the **staging area**, `<private>/.staging/`: on
//!   the same filesystem as the published folders (checked when the output is opened,
//!   so a rename never degrades into a copy) but outside them, so a static host or a
//!   sync to a CDN never sees a half-built folder, even after a kill.
//! - A finished folder is moved into place with one `rename(2)`; replacing an existing
//!   folder swaps the two atomically (`renameat2(RENAME_EXCHANGE)` on Linux), so
//!   readers see the old or the new folder, never neither.
//! - Several folders that must change together (a snapshot's private proof store and
//!   its public folder) are committed with a **journal**: once every staged folder is
//!   complete and flushed, `commit.json` lists the moves; the moves run; the journal
//!   is removed. A run killed between two moves is rolled forward by the next command
//!   that opens the output, so the store and the manifest never disagree for longer
//!   than until then.
//! - Opening the output (taking the lock) removes every leftover of a killed run: the
//!   staging area's contents, temp folders of older versions beside the published
//!   folders, and orphan proof stores without a published snapshot. Each removal is
//!   logged.

use crate::format::sha256_hex;
use crate::lock::{LockError, RunLock};
use serde::{Deserialize, Serialize};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Everything that can go wrong while writing.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// A file system call failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder the call was about.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A folder that must be new already exists.
    #[error("{path}: already exists; refusing to overwrite")]
    Exists {
        /// The existing folder.
        path: PathBuf,
    },
    /// Another command holds the output.
    #[error("{0}")]
    Lock(#[from] LockError),
    /// Two output folders are on different filesystems, so a rename cannot be atomic.
    #[error(
        "{a} and {b} are on different filesystems; por publishes by rename, so [output] folders must share one"
    )]
    CrossDevice {
        /// One folder.
        a: PathBuf,
        /// The other.
        b: PathBuf,
    },
    /// An interrupted publication could not be completed.
    #[error("{path}: cannot complete the interrupted publication: {reason}")]
    Journal {
        /// The journal file.
        path: PathBuf,
        /// What does not fit.
        reason: String,
    },
}

/// Test hook of the kill tests: with `POR_FAULT=<point>` the process aborts at that
/// point, as a SIGKILL would stop it; with `POR_FAULT=panic:<point>` it panics there.
/// Points: `staged`, `journal`, `moved-1`, `moved-all` (in [`Output::commit`]),
/// `dir-staged` (in [`Output::publish_dir`]), `file-staged` (in
/// [`Output::publish_new_file`]), `published` (in [`crate::job::run`], between the
/// snapshot and the site) and `update-published` (in [`crate::job::watch`], between
/// the update and the site). Unset, it costs one environment lookup.
pub fn fault_point(point: &str) {
    let Some(v) = std::env::var_os("POR_FAULT") else {
        return;
    };
    let v = v.to_string_lossy();
    if v == point {
        std::process::abort();
    }
    if v.strip_prefix("panic:") == Some(point) {
        panic!("POR_FAULT: panic at {point}");
    }
}

/// Writes a new secret file (a private key): created with mode 0600 (never readable
/// by others, not even for an instant), flushed with its folder; refused when `path`
/// exists, so a key is never overwritten.
pub fn write_new_secret(path: &Path, bytes: &[u8]) -> Result<(), PublishError> {
    use std::os::unix::fs::OpenOptionsExt;
    let parent = parent_of(path);
    fs::create_dir_all(parent).map_err(io(parent))?;
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                PublishError::Exists {
                    path: path.to_path_buf(),
                }
            } else {
                io(path)(e)
            }
        })?;
    let res = f
        .write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(io(path))
        .and_then(|()| sync_dir(parent));
    if res.is_err() {
        let _ = fs::remove_file(path);
    }
    res
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> PublishError + '_ {
    move |source| PublishError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The configured output folders.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputDirs {
    /// Published snapshots (`<id>/manifest.json` and its files).
    pub snapshots: PathBuf,
    /// The rendered static site.
    pub site: PathBuf,
    /// Private material (proof stores, the lock, the staging area); never published.
    pub private: PathBuf,
    /// Published reserves updates (`<snapshot_id>/<time>.json`, `failures.json`).
    pub updates: PathBuf,
}

impl OutputDirs {
    /// The run lock, in the private folder.
    pub fn lock_path(&self) -> PathBuf {
        self.private.join(".por.lock")
    }

    /// Where everything is built before it is moved into place.
    pub fn staging(&self) -> PathBuf {
        self.private.join(".staging")
    }

    /// The private proof store of snapshot `id`.
    pub fn store(&self, id: &str) -> PathBuf {
        self.private.join(id)
    }

    /// The published folder of snapshot `id`.
    pub fn snapshot(&self, id: &str) -> PathBuf {
        self.snapshots.join(id)
    }
}

/// How a staged folder goes into place.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// The target must not exist.
    New,
    /// The target is replaced atomically when it exists.
    Replace,
}

/// One folder of a publication: built at `staged`, moved to `target`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Move {
    /// The finished folder in the staging area.
    pub staged: PathBuf,
    /// Where it goes.
    pub target: PathBuf,
    /// New or replacing.
    pub mode: Mode,
    /// A file inside the folder whose content identifies this build (it carries the
    /// new tree root): recovery compares its SHA-256 to tell a done move from a
    /// pending one.
    pub witness: String,
    /// SHA-256 (hex) of the witness file of the new folder; set by [`Output::commit`].
    #[serde(default)]
    pub witness_sha256: String,
}

impl Move {
    /// A move of `staged` to `target`, identified by `witness` inside it.
    pub fn new(staged: &Path, target: &Path, mode: Mode, witness: &str) -> Move {
        Move {
            staged: staged.to_path_buf(),
            target: target.to_path_buf(),
            mode,
            witness: witness.to_string(),
            witness_sha256: String::new(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Journal {
    format: String,
    moves: Vec<Move>,
}

const JOURNAL_FORMAT: &str = "por-commit-journal/1";
const JOURNAL: &str = "commit.json";

/// The output folders, held exclusively: the only way to write anything.
pub struct Output {
    dirs: OutputDirs,
    staging: PathBuf,
    _lock: RunLock,
}

impl Output {
    /// Takes the run lock (refused, naming the holder's pid, when another command
    /// holds it), completes an interrupted publication, and removes every leftover
    /// of a killed run.
    pub fn open(dirs: &OutputDirs) -> Result<Output, PublishError> {
        let lock = RunLock::acquire(&dirs.lock_path())?;
        // The staging area is created on first use, so a command refused for bad
        // input leaves nothing but the lock file.
        let staging = dirs.staging();
        for d in [&dirs.snapshots, &dirs.site, &dirs.updates] {
            same_filesystem(&staging, d)?;
        }
        let out = Output {
            dirs: dirs.clone(),
            staging,
            _lock: lock,
        };
        out.recover()?;
        out.clean_leftovers()?;
        Ok(out)
    }

    /// The folders this output writes.
    pub fn dirs(&self) -> &OutputDirs {
        &self.dirs
    }

    /// A fresh, empty folder in the staging area, named after `label`.
    pub fn stage(&self, label: &str) -> Result<PathBuf, PublishError> {
        fs::create_dir_all(&self.staging).map_err(io(&self.staging))?;
        let p = self.staging.join(label);
        if p.exists() {
            fs::remove_dir_all(&p).map_err(io(&p))?;
        }
        fs::create_dir(&p).map_err(io(&p))?;
        Ok(p)
    }

    /// Builds a folder with `fill` in the staging area and puts it at `target`
    /// (atomically replacing what was there for [`Mode::Replace`]). On any error
    /// nothing visible changes and the staged folder is removed.
    pub fn publish_dir<E: From<PublishError>>(
        &self,
        target: &Path,
        mode: Mode,
        fill: impl FnOnce(&Path) -> Result<(), E>,
    ) -> Result<(), E> {
        if mode == Mode::New && target.exists() {
            return Err(PublishError::Exists {
                path: target.to_path_buf(),
            }
            .into());
        }
        let tmp = self.stage(&staged_name(target))?;
        if let Err(e) = fill(&tmp) {
            let _ = fs::remove_dir_all(&tmp);
            return Err(e);
        }
        let res = sync_tree(&tmp).and_then(|()| {
            fault_point("dir-staged");
            apply(&tmp, target, mode)
        });
        // On success `tmp` holds the previous content (or nothing); either way it goes.
        let _ = fs::remove_dir_all(&tmp);
        res.map_err(E::from)
    }

    /// Moves several staged folders into place as one publication: after a kill at
    /// any point, either nothing moved and the next [`Output::open`] removes the
    /// staged folders, or the journal was written and the next open completes every
    /// move.
    pub fn commit(&self, mut moves: Vec<Move>) -> Result<(), PublishError> {
        for m in &mut moves {
            if m.mode == Mode::New && m.target.exists() {
                return Err(PublishError::Exists {
                    path: m.target.clone(),
                });
            }
            sync_tree(&m.staged)?;
            let w = m.staged.join(&m.witness);
            m.witness_sha256 = sha256_hex(&fs::read(&w).map_err(io(&w))?);
            // Absolute paths, so that a command started from another folder (or with
            // the config given by another relative path) can complete the journal.
            m.staged = fs::canonicalize(&m.staged).map_err(io(&m.staged))?;
            m.target = absolute_target(&m.target)?;
        }
        let journal = Journal {
            format: JOURNAL_FORMAT.into(),
            moves,
        };
        let path = self.staging.join(JOURNAL);
        let bytes = serde_json::to_vec_pretty(&journal).expect("serializes");
        fault_point("staged");
        self.write_file(&path, &bytes)?;
        fault_point("journal");
        self.run_journal(&path, &journal)
    }

    /// Writes one file atomically: a temp file in the staging area, flushed, then
    /// renamed over `path`.
    pub fn write_file(&self, path: &Path, bytes: &[u8]) -> Result<(), PublishError> {
        let parent = parent_of(path);
        fs::create_dir_all(parent).map_err(io(parent))?;
        fs::create_dir_all(&self.staging).map_err(io(&self.staging))?;
        let tmp = self.staging.join(format!(
            "file-{}",
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        ));
        let res = (|| {
            let mut f = fs::File::create(&tmp).map_err(io(&tmp))?;
            f.write_all(bytes).map_err(io(&tmp))?;
            f.sync_all().map_err(io(&tmp))?;
            fs::rename(&tmp, path).map_err(io(path))?;
            sync_dir(parent)
        })();
        if res.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        res
    }

    /// Publishes a new file at `path` (a reserves update): written and flushed in the
    /// staging area, then hard-linked into place, which fails when `path` exists, so a
    /// published file is never overwritten and readers see the whole file or none.
    /// Fault point `file-staged` (see [`fault_point`]) lies between the two.
    pub fn publish_new_file(&self, path: &Path, bytes: &[u8]) -> Result<(), PublishError> {
        if path.exists() {
            return Err(PublishError::Exists {
                path: path.to_path_buf(),
            });
        }
        let parent = parent_of(path);
        fs::create_dir_all(parent).map_err(io(parent))?;
        fs::create_dir_all(&self.staging).map_err(io(&self.staging))?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = self.staging.join(format!("new-{name}"));
        let res = (|| {
            let mut f = fs::File::create(&tmp).map_err(io(&tmp))?;
            f.write_all(bytes).map_err(io(&tmp))?;
            f.sync_all().map_err(io(&tmp))?;
            fault_point("file-staged");
            fs::hard_link(&tmp, path).map_err(|e| {
                if e.kind() == std::io::ErrorKind::AlreadyExists {
                    PublishError::Exists {
                        path: path.to_path_buf(),
                    }
                } else {
                    io(path)(e)
                }
            })?;
            sync_dir(parent)
        })();
        let _ = fs::remove_file(&tmp);
        res
    }

    /// Removes published files (pruned reserves updates), in the order given, then
    /// every folder they leave empty below the output folder that holds them; each
    /// removal is one `unlink(2)`, flushed with its folder. A file outside the
    /// output's public folders is refused.
    pub fn remove_files(&self, paths: &[PathBuf]) -> Result<(), PublishError> {
        let roots = [&self.dirs.updates, &self.dirs.snapshots];
        for p in paths {
            let Some(root) = roots.iter().find(|r| p.starts_with(r) && p != **r) else {
                return Err(PublishError::Io {
                    path: p.clone(),
                    source: std::io::Error::other("not below a published output folder"),
                });
            };
            fs::remove_file(p).map_err(io(p))?;
            let mut dir = parent_of(p);
            sync_dir(dir)?;
            while dir != root.as_path() && dir.starts_with(root) {
                match fs::remove_dir(dir) {
                    Ok(()) => {}
                    // Not empty (or already gone): nothing more to remove above it.
                    Err(_) => break,
                }
                dir = parent_of(dir);
                sync_dir(dir)?;
            }
        }
        Ok(())
    }

    fn run_journal(&self, path: &Path, journal: &Journal) -> Result<(), PublishError> {
        for m in &journal.moves {
            let done = witness_sha(&m.target, &m.witness).as_deref() == Some(&*m.witness_sha256);
            if done {
                continue;
            }
            if witness_sha(&m.staged, &m.witness).as_deref() != Some(&*m.witness_sha256) {
                return Err(PublishError::Journal {
                    path: path.to_path_buf(),
                    reason: format!(
                        "neither {} nor {} holds the build it names",
                        m.target.display(),
                        m.staged.display()
                    ),
                });
            }
            apply(&m.staged, &m.target, m.mode)?;
            fault_point("moved-1");
        }
        fault_point("moved-all");
        fs::remove_file(path).map_err(io(path))?;
        sync_dir(&self.staging)?;
        for m in &journal.moves {
            if m.staged.exists() {
                fs::remove_dir_all(&m.staged).map_err(io(&m.staged))?;
            }
        }
        Ok(())
    }

    /// Completes a publication a killed run had committed to.
    fn recover(&self) -> Result<(), PublishError> {
        let path = self.staging.join(JOURNAL);
        let Ok(bytes) = fs::read(&path) else {
            return Ok(());
        };
        let journal: Journal =
            serde_json::from_slice(&bytes).map_err(|e| PublishError::Journal {
                path: path.clone(),
                reason: e.to_string(),
            })?;
        let staging = fs::canonicalize(&self.staging).map_err(io(&self.staging))?;
        for m in &journal.moves {
            if !m.staged.starts_with(&staging) {
                return Err(PublishError::Journal {
                    path: path.clone(),
                    reason: format!("{} is outside the staging area", m.staged.display()),
                });
            }
        }
        let targets: Vec<String> = journal
            .moves
            .iter()
            .map(|m| m.target.display().to_string())
            .collect();
        tracing::warn!(
            targets = %targets.join(", "),
            "completing a publication that a killed run had committed to"
        );
        self.run_journal(&path, &journal)
    }

    /// Removes what killed runs left: staging contents, temp folders of older
    /// versions (`.<name>.tmp-<pid>`) beside the published folders, and proof stores
    /// whose snapshot was never published.
    fn clean_leftovers(&self) -> Result<(), PublishError> {
        let mut removed = Vec::new();
        for entry in read_dir(&self.staging)? {
            removed.push(entry);
        }
        let site_name = self
            .dirs
            .site
            .file_name()
            .map(|n| n.to_string_lossy().into_owned());
        let site_parent = parent_of(&self.dirs.site).to_path_buf();
        for (dir, of) in [
            (&self.dirs.snapshots, None),
            (&self.dirs.private, None),
            (&self.dirs.updates, None),
            (&site_parent, site_name.as_deref()),
        ] {
            for p in read_dir(dir)? {
                let name = p.file_name().unwrap_or_default().to_string_lossy();
                if is_legacy_temp(&name, of) {
                    removed.push(p);
                }
            }
        }
        // A proof store without its published snapshot (left by an older version
        // killed between its two renames). Never when no snapshot is published at
        // all: that is more likely a misconfigured snapshots folder than orphans.
        let any_published = read_dir(&self.dirs.snapshots)?
            .iter()
            .any(|p| p.join("manifest.json").is_file());
        for p in read_dir(&self.dirs.private)? {
            let name = p
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            let is_store = p.join("store.json").is_file() || p.join("level-00.bin").is_file();
            if !name.starts_with('.') && is_store && !self.dirs.snapshot(&name).exists() {
                if any_published {
                    removed.push(p);
                } else {
                    tracing::warn!(store = %p.display(), snapshots = %self.dirs.snapshots.display(),
                        "a proof store has no published snapshot, but no snapshot is published at all: left in place");
                }
            }
        }
        for p in removed {
            let res = if p.is_dir() {
                fs::remove_dir_all(&p)
            } else {
                fs::remove_file(&p)
            };
            res.map_err(io(&p))?;
            tracing::warn!(path = %p.display(), "removed a leftover of a killed run");
        }
        Ok(())
    }
}

/// `target` with its parent folder made absolute (created when missing, as the
/// first snapshot's parent may be).
fn absolute_target(target: &Path) -> Result<PathBuf, PublishError> {
    let parent = parent_of(target);
    fs::create_dir_all(parent).map_err(io(parent))?;
    let parent = fs::canonicalize(parent).map_err(io(parent))?;
    Ok(match target.file_name() {
        Some(name) => parent.join(name),
        None => parent,
    })
}

/// `.<name>.tmp-<pid>`: the temp folders of por versions that staged beside the
/// target.
fn is_legacy_temp(name: &str, of: Option<&str>) -> bool {
    let Some(rest) = name.strip_prefix('.') else {
        return false;
    };
    let Some((stem, pid)) = rest.rsplit_once(".tmp-") else {
        return false;
    };
    !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()) && of.is_none_or(|want| stem == want)
}

/// A staging name for a target: its parent folder's name and its own, so that the
/// store and the public folder of one snapshot do not collide.
fn staged_name(target: &Path) -> String {
    let name = |p: &Path| {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    format!("{}-{}", name(parent_of(target)), name(target))
}

fn witness_sha(dir: &Path, witness: &str) -> Option<String> {
    fs::read(dir.join(witness)).ok().map(|b| sha256_hex(&b))
}

fn read_dir(dir: &Path) -> Result<Vec<PathBuf>, PublishError> {
    match fs::read_dir(dir) {
        Ok(entries) => {
            let mut v = Vec::new();
            for e in entries {
                v.push(e.map_err(io(dir))?.path());
            }
            v.sort();
            Ok(v)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(io(dir)(e)),
    }
}

fn parent_of(target: &Path) -> &Path {
    match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// The nearest existing ancestor of `p` (a folder not yet created lives there).
fn existing_ancestor(p: &Path) -> &Path {
    let mut cur = p;
    loop {
        if cur.exists() {
            return cur;
        }
        match cur.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => cur = parent,
            _ => return Path::new("."),
        }
    }
}

fn same_filesystem(a: &Path, b: &Path) -> Result<(), PublishError> {
    use std::os::unix::fs::MetadataExt;
    let dev = |p: &Path| {
        let q = existing_ancestor(p);
        fs::metadata(q).map(|m| m.dev()).map_err(io(q))
    };
    if dev(a)? != dev(b)? {
        return Err(PublishError::CrossDevice {
            a: a.to_path_buf(),
            b: b.to_path_buf(),
        });
    }
    Ok(())
}

/// Moves `staged` to `target`: a rename for a new folder, an atomic exchange for an
/// existing one (after which `staged` holds the previous content).
fn apply(staged: &Path, target: &Path, mode: Mode) -> Result<(), PublishError> {
    let parent = parent_of(target);
    fs::create_dir_all(parent).map_err(io(parent))?;
    if target.exists() {
        if mode == Mode::New {
            return Err(PublishError::Exists {
                path: target.to_path_buf(),
            });
        }
        exchange(staged, target)?;
    } else {
        fs::rename(staged, target).map_err(io(target))?;
    }
    sync_dir(parent)
}

#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> Result<(), PublishError> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let ca = CString::new(a.as_os_str().as_bytes()).map_err(|e| io(a)(e.into()))?;
    let cb = CString::new(b.as_os_str().as_bytes()).map_err(|e| io(b)(e.into()))?;
    // SAFETY: both are valid NUL-terminated paths; AT_FDCWD resolves them like rename(2).
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io(b)(std::io::Error::last_os_error()))
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(a: &Path, b: &Path) -> Result<(), PublishError> {
    // Two renames: a reader may briefly see no folder at `b`.
    let old = a.with_extension("old-swap");
    fs::rename(b, &old).map_err(io(b))?;
    fs::rename(a, b).map_err(io(b))?;
    fs::rename(&old, a).map_err(io(a))
}

fn sync_dir(dir: &Path) -> Result<(), PublishError> {
    fs::File::open(dir)
        .and_then(|f| f.sync_all())
        .map_err(io(dir))
}

/// Flushes every file and folder below `dir` to disk before it is moved into place.
fn sync_tree(dir: &Path) -> Result<(), PublishError> {
    for entry in fs::read_dir(dir).map_err(io(dir))? {
        let entry = entry.map_err(io(dir))?;
        let p = entry.path();
        let ft = entry.file_type().map_err(io(&p))?;
        if ft.is_dir() {
            sync_tree(&p)?;
        } else if ft.is_file() {
            fs::File::open(&p)
                .and_then(|f| f.sync_all())
                .map_err(io(&p))?;
        }
    }
    sync_dir(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dirs(root: &Path) -> OutputDirs {
        OutputDirs {
            snapshots: root.join("snapshots"),
            site: root.join("public"),
            private: root.join("private"),
            updates: root.join("updates"),
        }
    }

    fn write(dir: &Path, name: &str, text: &str) -> Result<(), PublishError> {
        fs::write(dir.join(name), text).map_err(io(dir))
    }

    fn names(dir: &Path) -> Vec<String> {
        read_dir(dir)
            .unwrap()
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn new_dir_appears_whole_or_not_at_all() {
        let d = tempfile::tempdir().unwrap();
        let out = Output::open(&dirs(d.path())).unwrap();
        let target = d.path().join("snapshots/a");
        out.publish_dir::<PublishError>(&target, Mode::New, |t| write(t, "f", "1"))
            .unwrap();
        assert_eq!(fs::read(target.join("f")).unwrap(), b"1");
        let e = out
            .publish_dir::<PublishError>(&target, Mode::New, |_| Ok(()))
            .unwrap_err();
        assert!(matches!(e, PublishError::Exists { .. }));
        let other = d.path().join("snapshots/b");
        let e = out.publish_dir::<PublishError>(&other, Mode::New, |t| {
            write(t, "x", "1")?;
            Err(PublishError::Exists {
                path: t.to_path_buf(),
            })
        });
        assert!(e.is_err());
        assert!(!other.exists());
        assert_eq!(names(&d.path().join("snapshots")), ["a"]);
        assert!(names(&out.staging).is_empty(), "staging is empty");
    }

    #[test]
    fn replace_swaps_or_keeps_previous() {
        let d = tempfile::tempdir().unwrap();
        let out = Output::open(&dirs(d.path())).unwrap();
        let site = d.path().join("public");
        for v in ["1", "2"] {
            out.publish_dir::<PublishError>(&site, Mode::Replace, |t| write(t, "v", v))
                .unwrap();
        }
        assert_eq!(fs::read(site.join("v")).unwrap(), b"2");
        let e = out.publish_dir::<PublishError>(&site, Mode::Replace, |t| {
            write(t, "v", "3")?;
            Err(PublishError::Exists {
                path: t.to_path_buf(),
            })
        });
        assert!(e.is_err());
        assert_eq!(fs::read(site.join("v")).unwrap(), b"2");
        assert!(names(&out.staging).is_empty());
    }

    #[test]
    fn the_lock_is_taken_by_open() {
        let d = tempfile::tempdir().unwrap();
        let first = Output::open(&dirs(d.path())).unwrap();
        let e = Output::open(&dirs(d.path())).err().expect("held");
        assert!(
            matches!(e, PublishError::Lock(LockError::Held { .. })),
            "{e}"
        );
        drop(first);
        Output::open(&dirs(d.path())).unwrap();
    }

    #[test]
    fn leftovers_of_a_killed_run_are_removed_on_open() {
        let d = tempfile::tempdir().unwrap();
        let ds = dirs(d.path());
        for p in [
            ds.snapshots.join(".2026-11-21.tmp-4242/manifest.json"),
            ds.private.join(".staging/private-x/level-00.bin"),
            ds.private.join(".2026-11-21.tmp-4242/store.json"),
            ds.private.join("2026-11-20/store.json"),
            d.path().join(".public.tmp-17/index.html"),
        ] {
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(&p, b"x").unwrap();
        }
        // A store whose snapshot is published stays.
        fs::create_dir_all(ds.private.join("2026-11-19")).unwrap();
        fs::write(ds.private.join("2026-11-19/store.json"), b"x").unwrap();
        fs::create_dir_all(ds.snapshots.join("2026-11-19")).unwrap();
        fs::write(ds.snapshots.join("2026-11-19/manifest.json"), b"{}").unwrap();
        // Not ours: a file of the operator's beside the site.
        fs::write(d.path().join(".notes.tmp-x"), b"mine").unwrap();
        let _out = Output::open(&ds).unwrap();
        assert_eq!(names(&ds.snapshots), ["2026-11-19"]);
        assert_eq!(names(&ds.private), [".por.lock", ".staging", "2026-11-19"]);
        assert!(names(&ds.staging()).is_empty());
        assert_eq!(names(d.path()), [".notes.tmp-x", "private", "snapshots"]);
    }

    #[test]
    fn stores_are_kept_when_no_snapshot_is_published_at_all() {
        let d = tempfile::tempdir().unwrap();
        let ds = dirs(d.path());
        fs::create_dir_all(ds.private.join("2026-11-20")).unwrap();
        fs::write(ds.private.join("2026-11-20/store.json"), b"x").unwrap();
        let _out = Output::open(&ds).unwrap();
        assert!(ds.private.join("2026-11-20/store.json").is_file());
    }

    #[test]
    fn a_commit_interrupted_after_its_journal_is_completed_on_open() {
        let d = tempfile::tempdir().unwrap();
        let ds = dirs(d.path());
        let store = ds.store("s1");
        let snap = ds.snapshot("s1");
        {
            let out = Output::open(&ds).unwrap();
            // The old pair, consistent.
            out.publish_dir::<PublishError>(&store, Mode::New, |t| write(t, "store.json", "old"))
                .unwrap();
            out.publish_dir::<PublishError>(&snap, Mode::New, |t| write(t, "manifest.json", "old"))
                .unwrap();
            // A replace whose first move ran, then the run died.
            let a = out.stage("a").unwrap();
            write(&a, "store.json", "new").unwrap();
            let b = out.stage("b").unwrap();
            write(&b, "manifest.json", "new").unwrap();
            let mut moves = vec![
                Move::new(&a, &store, Mode::Replace, "store.json"),
                Move::new(&b, &snap, Mode::Replace, "manifest.json"),
            ];
            for m in &mut moves {
                m.witness_sha256 = sha256_hex(&fs::read(m.staged.join(&m.witness)).unwrap());
            }
            let j = Journal {
                format: JOURNAL_FORMAT.into(),
                moves,
            };
            out.write_file(&out.staging.join(JOURNAL), &serde_json::to_vec(&j).unwrap())
                .unwrap();
            apply(&a, &store, Mode::Replace).unwrap();
            assert_eq!(fs::read(snap.join("manifest.json")).unwrap(), b"old");
        }
        let _out = Output::open(&ds).unwrap();
        assert_eq!(fs::read(store.join("store.json")).unwrap(), b"new");
        assert_eq!(fs::read(snap.join("manifest.json")).unwrap(), b"new");
        assert!(names(&ds.staging()).is_empty());
    }

    #[test]
    fn a_new_file_is_never_overwritten_and_removal_clears_empty_folders() {
        let d = tempfile::tempdir().unwrap();
        let ds = dirs(d.path());
        let out = Output::open(&ds).unwrap();
        let a = ds.updates.join("s1/20261122T010000Z.json");
        out.publish_new_file(&a, b"one").unwrap();
        let e = out.publish_new_file(&a, b"two").unwrap_err();
        assert!(matches!(e, PublishError::Exists { .. }), "{e}");
        assert_eq!(fs::read(&a).unwrap(), b"one");
        assert!(names(&ds.staging()).is_empty());
        let b = ds.updates.join("s1/20261122T020000Z.json");
        out.publish_new_file(&b, b"b").unwrap();
        out.remove_files(std::slice::from_ref(&a)).unwrap();
        assert_eq!(names(&ds.updates.join("s1")), ["20261122T020000Z.json"]);
        out.remove_files(std::slice::from_ref(&b)).unwrap();
        assert!(ds.updates.is_dir() && names(&ds.updates).is_empty());
        let e = out
            .remove_files(&[d.path().join("private/.por.lock")])
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("not below a published output folder"),
            "{e}"
        );
    }

    #[test]
    fn commit_moves_everything() {
        let d = tempfile::tempdir().unwrap();
        let ds = dirs(d.path());
        let out = Output::open(&ds).unwrap();
        let a = out.stage("a").unwrap();
        write(&a, "store.json", "1").unwrap();
        let b = out.stage("b").unwrap();
        write(&b, "manifest.json", "1").unwrap();
        out.commit(vec![
            Move::new(&a, &ds.store("x"), Mode::New, "store.json"),
            Move::new(&b, &ds.snapshot("x"), Mode::New, "manifest.json"),
        ])
        .unwrap();
        assert!(ds.store("x").join("store.json").is_file());
        assert!(ds.snapshot("x").join("manifest.json").is_file());
        assert!(names(&ds.staging()).is_empty());
    }
}
