//! The publisher's half of the snapshot log (FORMAT.md §7), run by every command that
//! publishes when `[log]` is configured.
//!
//! 1. [`LogState::load`], before anything is built: the log key, every published
//!    manifest (oldest first) checked as log entries (`previous` links, distinct ids),
//!    and the published `log/checkpoint` checked with the log's own key; the
//!    published snapshots must still hash to that checkpoint's root (a rewritten or
//!    removed manifest stops the run: por never signs a checkpoint that does not
//!    extend its previous one). A `--replace` of a snapshot already in the log is
//!    refused for the same reason. The first run with `[log]` imports every
//!    published snapshot, oldest first.
//! 2. [`LogState::stage`], inside the snapshot's publication: the new entry appended,
//!    the checkpoint signed, `consistency/<n-1>-<n>.txt` for every size (and
//!    `<old>-<new>.txt` from the previous checkpoint when the sizes are not
//!    consecutive), `key.txt`;
//!    the folder is committed with the snapshot, in the same journal.
//! 3. [`LogState::witness`], once the entry is durably published (a witness never
//!    sees a checkpoint whose entry could still vanish, which would be a fork of our
//!    own making): the checkpoint goes to every witness, and `log/checkpoint` is
//!    replaced, atomically, by the checkpoint with every cosignature that verifies.
//!    The site, rendered after, carries it together with the snapshot.
//!
//! [`refresh`] is the same for a run that publishes no new snapshot: it imports what
//! the log lacks, or resubmits the current checkpoint so cosignatures stay fresh.

use super::JobError;
use crate::config::{Config, LogConfig};
use crate::format::SnapshotId;
use crate::log::checkpoint::{self, VerifiedCheckpoint};
use crate::log::tree::{check_entries, proof_text};
use crate::log::{KeyType, LogTree, SigningKey, VerifierKey, verify_checkpoint};
use crate::publish::{Mode, Move, Output, PublishError};
use crate::snapshot::{self, SnapshotError};
use crate::witness::{Submission, Target, client};
use std::path::{Path, PathBuf};

/// The checkpoint file in the log folder.
pub const CHECKPOINT_FILE: &str = "checkpoint";
/// The log's verifier key in the log folder.
pub const KEY_FILE: &str = "key.txt";

/// A witness that did not cosign, and why.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct WitnessFailure {
    /// The witness's configured name.
    pub witness: String,
    /// Why, in one line.
    pub reason: String,
}

/// What the log step published.
#[derive(Clone, Debug, serde::Serialize)]
pub struct LogOutcome {
    /// The log's origin.
    pub origin: String,
    /// The checkpoint's tree size (the number of snapshots in the log).
    pub size: u64,
    /// The checkpoint's root hash, base64.
    pub root: String,
    /// Entries imported from snapshots published before the log existed.
    pub imported: u64,
    /// The witnesses whose cosignature the published checkpoint carries.
    pub cosigned: Vec<String>,
    /// The witnesses that did not cosign now (an older cosignature of theirs may
    /// still be carried, see `cosigned`).
    pub failed: Vec<WitnessFailure>,
    /// How many cosignatures are required (k).
    pub required: usize,
}

impl LogOutcome {
    /// At least k witnesses cosigned.
    pub fn ok(&self) -> bool {
        self.cosigned.len() >= self.required
    }

    /// One line for the run summary.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "log size {}: cosigned by {} of {} required witness(es)",
            self.size,
            self.cosigned.len(),
            self.required
        );
        if !self.cosigned.is_empty() {
            s.push_str(&format!(" ({})", self.cosigned.join(", ")));
        }
        if !self.failed.is_empty() {
            let f: Vec<String> = self
                .failed
                .iter()
                .map(|f| format!("{}: {}", f.witness, f.reason))
                .collect();
            s.push_str(&format!("; did not cosign: {}", f.join("; ")));
        }
        if !self.ok() {
            s.push_str("; TOO FEW COSIGNATURES");
        }
        s
    }
}

fn log_error(path: &Path, message: impl std::fmt::Display) -> JobError {
    JobError::Log {
        path: path.to_path_buf(),
        message: message.to_string(),
    }
}

/// Reads the log's private key: a note key (type 0x01) named as the origin.
pub fn read_key(log: &LogConfig) -> Result<SigningKey, JobError> {
    let text = std::fs::read_to_string(&log.key_file).map_err(|e| {
        log_error(
            &log.key_file,
            format!("cannot read the log key ({e}); `por keygen` writes one"),
        )
    })?;
    let key = SigningKey::parse(&text).map_err(|e| log_error(&log.key_file, e))?;
    if key.kind() != KeyType::Note {
        return Err(log_error(
            &log.key_file,
            "is a witness key (type 0x04), not a log key",
        ));
    }
    if key.name() != log.origin {
        return Err(log_error(
            &log.key_file,
            format!(
                "the key is named {}, but log.origin is {}",
                key.name(),
                log.origin
            ),
        ));
    }
    Ok(key)
}

/// The witnesses of the config, as the client submits to them.
pub fn targets(log: &LogConfig) -> Vec<Target> {
    log.witnesses
        .iter()
        .map(|w| Target {
            name: w.name.clone(),
            key: w.key.clone(),
            url: w.url.clone(),
        })
        .collect()
}

/// The log as published, checked; see the module header.
pub struct LogState {
    log: LogConfig,
    key: SigningKey,
    manifests: Vec<Vec<u8>>,
    ids: Vec<SnapshotId>,
    tree: LogTree,
    previous: Option<VerifiedCheckpoint>,
}

/// A log folder staged for a publication, and what its witnesses are sent.
pub struct Staged {
    /// The checkpoint, signed by the log only.
    pub note: String,
    /// The tree the checkpoint is of.
    pub tree: LogTree,
    /// The size of the previous checkpoint (0 without one).
    pub old: u64,
    /// Entries imported from snapshots published before the log.
    pub imported: u64,
    /// The move of the staged folder onto the log folder.
    pub moves: Vec<Move>,
}

impl LogState {
    /// Loads and checks the published log (step 1 of the module header).
    pub fn load(config: &Config, log: &LogConfig) -> Result<LogState, JobError> {
        let key = read_key(log)?;
        let published = snapshot::list_published(&config.snapshots_dir)?;
        let mut manifests = Vec::new();
        let mut ids = Vec::new();
        for p in &published {
            let path = p.dir.join("manifest.json");
            let bytes = std::fs::read(&path).map_err(|source| JobError::Io {
                path: path.clone(),
                source,
            })?;
            manifests.push(bytes);
            ids.push(p.manifest.snapshot_id.clone());
        }
        let refs: Vec<&[u8]> = manifests.iter().map(Vec::as_slice).collect();
        let entries = check_entries(&refs).map_err(|e| {
            log_error(
                &config.snapshots_dir,
                format!("the published snapshots do not form a log: {e}"),
            )
        })?;
        let tree = LogTree::new(&entries);
        let cp_path = log.dir.join(CHECKPOINT_FILE);
        let previous = match std::fs::read(&cp_path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(source) => {
                return Err(JobError::Io {
                    path: cp_path,
                    source,
                });
            }
            Ok(note) => {
                let witnesses: Vec<VerifierKey> =
                    log.witnesses.iter().map(|w| w.key.clone()).collect();
                let v = verify_checkpoint(&note, &key.verifier(), &log.origin, &witnesses)
                    .map_err(|e| log_error(&cp_path, e))?;
                if v.size > tree.size() || tree.root_at(v.size)? != v.root {
                    return Err(log_error(
                        &cp_path,
                        format!(
                            "the published snapshots no longer hash to this checkpoint (size {}, root {}): a published manifest was changed or removed since; por signs only checkpoints that extend the previous one",
                            v.size, v.root
                        ),
                    ));
                }
                Some(v)
            }
        };
        Ok(LogState {
            log: log.clone(),
            key,
            manifests,
            ids,
            tree,
            previous,
        })
    }

    /// The size of the published checkpoint (0 without one).
    pub fn checkpointed(&self) -> u64 {
        self.previous.as_ref().map_or(0, |p| p.size)
    }

    /// Refuses to replace a snapshot that is already an entry of the checkpoint.
    pub fn check_replace(&self, id: &SnapshotId) -> Result<(), JobError> {
        if let Some(n) = self.ids.iter().position(|i| i == id)
            && (n as u64) < self.checkpointed()
        {
            return Err(JobError::LogReplace {
                id: id.to_string(),
                entry: n as u64,
                size: self.checkpointed(),
            });
        }
        Ok(())
    }

    /// Stages the log folder with `new_manifest` appended (or, without one, the log
    /// of what is published). With `replace`, the newest published snapshot (not in
    /// the checkpoint, see [`LogState::check_replace`]) is the one replaced.
    pub fn stage(
        &self,
        out: &Output,
        new: Option<(&SnapshotId, &[u8])>,
        replace: bool,
    ) -> Result<Staged, SnapshotError> {
        let mut manifests: Vec<&[u8]> = self.manifests.iter().map(Vec::as_slice).collect();
        let mut ids: Vec<&SnapshotId> = self.ids.iter().collect();
        if let Some((id, bytes)) = new {
            if replace && ids.last() == Some(&id) {
                manifests.pop();
                ids.pop();
            }
            manifests.push(bytes);
            ids.push(id);
        }
        let entries = check_entries(&manifests).map_err(|e| {
            SnapshotError::Log(format!("the new snapshot does not extend the log: {e}"))
        })?;
        let Some(newest) = ids.last() else {
            return Err(SnapshotError::Log("no snapshot to log".into()));
        };
        let tree = LogTree::new(&entries);
        let old = self.checkpointed();
        let body = checkpoint::body(&self.log.origin, tree.size(), tree.root(), newest.as_str())
            .map_err(|e| SnapshotError::Log(e.to_string()))?;
        let note =
            checkpoint::sign(&body, &self.key).map_err(|e| SnapshotError::Log(e.to_string()))?;
        let dir = out.stage("log")?;
        let write = |rel: &str, bytes: &[u8]| -> Result<(), SnapshotError> {
            let p = dir.join(rel);
            if let Some(parent) = p.parent() {
                std::fs::create_dir_all(parent).map_err(|source| PublishError::Io {
                    path: parent.to_path_buf(),
                    source,
                })?;
            }
            std::fs::write(&p, bytes).map_err(|source| PublishError::Io { path: p, source })?;
            Ok(())
        };
        write(CHECKPOINT_FILE, note.as_bytes())?;
        write(KEY_FILE, format!("{}\n", self.key.verifier()).as_bytes())?;
        for n in 1..=tree.size() {
            let proof = tree
                .consistency(n - 1, n)
                .map_err(|e| SnapshotError::Log(e.to_string()))?;
            write(
                &format!("consistency/{}-{n}.txt", n - 1),
                proof_text(&proof).as_bytes(),
            )?;
        }
        // Between the previous checkpoint's size and this one's, when they are not
        // consecutive (snapshots published while [log] was off): FORMAT.md §7 names
        // the proof "between consecutive checkpoint sizes".
        if old > 0 && tree.size() - old > 1 {
            let proof = tree
                .consistency(old, tree.size())
                .map_err(|e| SnapshotError::Log(e.to_string()))?;
            write(
                &format!("consistency/{old}-{}.txt", tree.size()),
                proof_text(&proof).as_bytes(),
            )?;
        }
        let imported = (tree.size() - old).saturating_sub(u64::from(new.is_some()));
        Ok(Staged {
            note,
            old,
            imported,
            moves: vec![Move::new(
                &dir,
                &self.log.dir,
                Mode::Replace,
                CHECKPOINT_FILE,
            )],
            tree,
        })
    }

    /// Submits `staged`'s checkpoint (already published by the log alone) to every
    /// witness and publishes it with the cosignatures that verify (step 3).
    pub fn witness(&self, out: &Output, staged: &Staged) -> Result<LogOutcome, JobError> {
        self.submit(
            out,
            &staged.note,
            &staged.tree,
            staged.old,
            &[],
            staged.imported,
        )
    }

    fn submit(
        &self,
        out: &Output,
        note: &str,
        tree: &LogTree,
        old: u64,
        kept: &[checkpoint::Cosignature],
        imported: u64,
    ) -> Result<LogOutcome, JobError> {
        let targets = targets(&self.log);
        let vkey = self.key.verifier();
        let req = client::Request {
            note,
            tree,
            size: tree.size(),
            old,
            log_key: &vkey,
            origin: &self.log.origin,
        };
        let results = crate::witness::submit_all(&targets, &req, self.log.timeout);
        let mut lines = Vec::new();
        let mut cosigned = Vec::new();
        let mut failed = Vec::new();
        for (t, r) in targets.iter().zip(results) {
            match r {
                Submission::Cosigned(line) => {
                    lines.push(line);
                    cosigned.push(t.name.clone());
                }
                Submission::Failed(reason) => {
                    tracing::warn!(witness = %t.name, url = %t.url, %reason, "the witness did not cosign");
                    if let Some(c) = kept.iter().find(|c| c.witness == t.key.name()) {
                        lines.push(c.line.clone());
                        cosigned.push(t.name.clone());
                    }
                    failed.push(WitnessFailure {
                        witness: t.name.clone(),
                        reason,
                    });
                }
            }
        }
        let full = checkpoint::with_signatures(note, &lines);
        out.write_file(&self.log.dir.join(CHECKPOINT_FILE), full.as_bytes())?;
        Ok(LogOutcome {
            origin: self.log.origin.clone(),
            size: tree.size(),
            root: tree.root().to_string(),
            imported,
            cosigned,
            failed,
            required: self.log.required,
        })
    }
}

/// A run that publishes no new snapshot: imports the snapshots the log lacks, or
/// resubmits the current checkpoint to every witness for fresh cosignatures (an
/// older one is kept for a witness that does not answer now).
pub fn refresh(out: &Output, config: &Config, log: &LogConfig) -> Result<LogOutcome, JobError> {
    let state = LogState::load(config, log)?;
    match &state.previous {
        Some(p) if p.size == state.tree.size() => {
            let (note, kept) = (p.signed.clone(), p.cosignatures.clone());
            state.submit(out, &note, &state.tree, p.size, &kept, 0)
        }
        _ => {
            let staged = state.stage(out, None, false)?;
            out.commit(staged.moves.clone())?;
            state.witness(out, &staged)
        }
    }
}

/// Where `por keygen` puts the log key when `[log]` names none yet: `<private>/.log-key`
/// (a dot name, which no snapshot id can be, so it is never taken for a proof store).
pub fn default_key_path(config: &Config) -> PathBuf {
    config.private_dir.join(".log-key")
}

/// What `por keygen` wrote.
pub struct Keygen {
    /// The new verifier key (type 0x01), to pin and publish.
    pub vkey: VerifierKey,
    /// The private key file (mode 0600).
    pub key_file: PathBuf,
    /// The public copy of the verifier key.
    pub public_file: PathBuf,
    /// The config has no `[log]` section yet.
    pub needs_config: bool,
}

fn random_seed() -> Result<[u8; 32], JobError> {
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed).map_err(|e| JobError::Log {
        path: PathBuf::from("(OS random generator)"),
        message: e.to_string(),
    })?;
    Ok(seed)
}

fn write_key(path: &Path, key: &SigningKey) -> Result<(), JobError> {
    crate::publish::write_new_secret(path, format!("{}\n", key.to_private_text()).as_bytes())
        .map_err(|e| match e {
            PublishError::Exists { path } => JobError::WouldOverwrite { path },
            other => JobError::Publish(other),
        })
}

/// `por keygen --name <origin>`: a new log key, the private half into the private
/// folder (or `[log] key`), mode 0600, never over an existing key; the verifier key
/// into the public log folder's `key.txt`, under the run lock.
pub fn keygen(config: &Config, name: &str) -> Result<Keygen, JobError> {
    if let Some(l) = &config.log
        && l.origin != name
    {
        return Err(log_error(
            &config.file,
            format!(
                "--name {name} is not the configured log.origin {}",
                l.origin
            ),
        ));
    }
    let key = SigningKey::from_seed(name, KeyType::Note, random_seed()?)?;
    let (key_file, dir) = match &config.log {
        Some(l) => (l.key_file.clone(), l.dir.clone()),
        None => (
            default_key_path(config),
            config
                .file
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."))
                .join("log"),
        ),
    };
    let out = Output::open(&super::output_dirs(config))?;
    write_key(&key_file, &key)?;
    let public_file = dir.join(KEY_FILE);
    out.write_file(&public_file, format!("{}\n", key.verifier()).as_bytes())?;
    Ok(Keygen {
        vkey: key.verifier(),
        key_file,
        public_file,
        needs_config: config.log.is_none(),
    })
}

/// `por witness keygen --name <name> --key <file>`: a new witness (cosignature,
/// type 0x04) key in `file`, mode 0600, never over an existing file.
pub fn witness_keygen(name: &str, file: &Path) -> Result<VerifierKey, JobError> {
    let key = SigningKey::from_seed(name, KeyType::Cosignature, random_seed()?)?;
    write_key(file, &key)?;
    Ok(key.verifier())
}

/// Reads a witness's private key file (a cosignature key, type 0x04).
pub fn read_witness_key(file: &Path) -> Result<SigningKey, JobError> {
    let text = std::fs::read_to_string(file).map_err(|source| JobError::Io {
        path: file.to_path_buf(),
        source,
    })?;
    let key = SigningKey::parse(&text).map_err(|e| log_error(file, e))?;
    if key.kind() != KeyType::Cosignature {
        return Err(log_error(
            file,
            "is a log key (type 0x01), not a witness key (`por witness keygen` writes one)",
        ));
    }
    Ok(key)
}

/// Parses `--log <origin>=<verifier key>`: the key's name must be the origin.
pub fn parse_log_arg(arg: &str) -> Result<VerifierKey, JobError> {
    let bad = |m: String| JobError::Log {
        path: PathBuf::from("--log"),
        message: m,
    };
    let (origin, vkey) = arg
        .split_once('=')
        .ok_or_else(|| bad(format!("{arg:?}: expected <origin>=<verifier key>")))?;
    let key = VerifierKey::parse_as(vkey, KeyType::Note).map_err(|e| bad(e.to_string()))?;
    if key.name() != origin {
        return Err(bad(format!(
            "the key is named {}, not {origin}: a log's key is named as its origin",
            key.name()
        )));
    }
    Ok(key)
}
