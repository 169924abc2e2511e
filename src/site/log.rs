//! The snapshot log on the site (FORMAT.md §7): the published log folder is checked
//! against the snapshots before it is copied to `log/` (its key is the configured
//! origin's, its checkpoint verifies with it, covers exactly the published snapshots
//! and has their root, and every consistency file is the proof the tree gives), and
//! the pages get the keys and witnesses to show and pin.

use super::check::{CheckError, Checked};
use crate::log::tree::{parse_proof_text, proof_text};
use crate::log::{KeyType, LogTree, VerifierKey, verify_checkpoint};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// What the site needs of the configured log: where its public folder is, whose it
/// is, and the witnesses to show.
#[derive(Clone, Debug)]
pub struct LogSettings {
    /// The log's origin (its key's name).
    pub origin: String,
    /// The public log folder the publisher writes (`checkpoint`, `consistency/`, `key.txt`).
    pub dir: PathBuf,
    /// Cosignatures required (k).
    pub required: usize,
    /// The configured witnesses, in order.
    pub witnesses: Vec<Witness>,
}

/// A configured witness: its name and pinned cosignature key.
#[derive(Clone, Debug)]
pub struct Witness {
    /// Its label on the site.
    pub name: String,
    /// Its cosignature verifier key (type 0x04).
    pub key: VerifierKey,
}

/// A configured witness, as the pages list it.
#[derive(Clone, Debug, Serialize)]
pub struct WitnessView {
    /// Its configured name.
    pub name: String,
    /// Its verifier key (type 0x04).
    pub key: String,
    /// The name inside its key (what its cosignature lines carry).
    pub key_name: String,
}

/// What the pages show about the log.
#[derive(Clone, Debug, Serialize)]
pub struct LogView {
    /// The log's origin.
    pub origin: String,
    /// The log's verifier key (type 0x01).
    pub key: String,
    /// The configured witnesses.
    pub witnesses: Vec<WitnessView>,
    /// Cosignatures required (k).
    pub required: usize,
    /// The checkpoint's size.
    pub size: u64,
    /// Names of the witnesses whose valid cosignature the checkpoint carries.
    pub cosigned_by: Vec<String>,
}

/// The published log: files to copy under `log/`, and the view.
#[derive(Clone, Debug)]
pub struct PublishedLog {
    /// `(path below log/, bytes)`.
    pub files: Vec<(String, Vec<u8>)>,
    /// What the pages show.
    pub view: LogView,
}

fn bad(path: &Path, message: impl Into<String>) -> CheckError {
    CheckError::Log {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

fn read(path: &Path) -> Result<Vec<u8>, CheckError> {
    std::fs::read(path).map_err(|source| CheckError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Loads and checks the log folder; `None` without `[log]` or before its first
/// checkpoint.
pub fn load(
    log: Option<&LogSettings>,
    snapshots: &[Checked],
) -> Result<Option<PublishedLog>, CheckError> {
    let Some(log) = log else {
        return Ok(None);
    };
    let cp_path = log.dir.join("checkpoint");
    if !cp_path.exists() {
        return Ok(None);
    }
    let key_path = log.dir.join("key.txt");
    let key_text = String::from_utf8(read(&key_path)?).map_err(|_| bad(&key_path, "not UTF-8"))?;
    let key = VerifierKey::parse_as(key_text.trim_end_matches('\n'), KeyType::Note)
        .map_err(|e| bad(&key_path, e.to_string()))?;
    let note = read(&cp_path)?;
    let witnesses: Vec<VerifierKey> = log.witnesses.iter().map(|w| w.key.clone()).collect();
    let v = verify_checkpoint(&note, &key, &log.origin, &witnesses)
        .map_err(|e| bad(&cp_path, e.to_string()))?;
    let entries: Vec<[u8; 32]> = snapshots
        .iter()
        .map(|s| {
            hex::decode(&s.manifest_sha256)
                .ok()
                .and_then(|b| b.try_into().ok())
                .unwrap_or([0; 32])
        })
        .collect();
    let tree = LogTree::new(&entries);
    if v.size != tree.size() || v.root != tree.root() {
        return Err(bad(
            &cp_path,
            format!(
                "the checkpoint (size {}, root {}) is not the log of the {} published snapshots (root {}); `por run` extends the log",
                v.size,
                v.root,
                tree.size(),
                tree.root()
            ),
        ));
    }
    let mut files = vec![
        ("checkpoint".to_string(), note),
        ("key.txt".to_string(), key_text.into_bytes()),
    ];
    for n in 1..=tree.size() {
        let rel = format!("consistency/{}-{n}.txt", n - 1);
        let path = log.dir.join(&rel);
        let bytes = read(&path)?;
        let text = String::from_utf8(bytes).map_err(|_| bad(&path, "not UTF-8"))?;
        let proof = parse_proof_text(&text, &rel).map_err(|e| bad(&path, e.to_string()))?;
        let want = tree
            .consistency(n - 1, n)
            .map_err(|e| bad(&path, e.to_string()))?;
        if proof != want {
            return Err(bad(
                &path,
                "is not the consistency proof of the published snapshots",
            ));
        }
        files.push((rel, proof_text(&proof).into_bytes()));
    }
    // Proofs between non-consecutive checkpoint sizes, checked the same way.
    if let Ok(dir) = std::fs::read_dir(log.dir.join("consistency")) {
        let mut extra = Vec::new();
        for e in dir.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let Some((a, b)) = name.strip_suffix(".txt").and_then(|n| n.split_once('-')) else {
                continue;
            };
            let (Ok(a), Ok(b)) = (a.parse::<u64>(), b.parse::<u64>()) else {
                continue;
            };
            if b == a + 1 || name != format!("{a}-{b}.txt") {
                continue;
            }
            let path = e.path();
            let text = String::from_utf8(read(&path)?).map_err(|_| bad(&path, "not UTF-8"))?;
            let proof = parse_proof_text(&text, &name).map_err(|x| bad(&path, x.to_string()))?;
            let want = tree
                .consistency(a, b)
                .map_err(|x| bad(&path, x.to_string()))?;
            if a >= b || proof != want {
                return Err(bad(
                    &path,
                    "is not the consistency proof of the published snapshots",
                ));
            }
            extra.push((
                format!("consistency/{name}"),
                proof_text(&proof).into_bytes(),
            ));
        }
        extra.sort();
        files.extend(extra);
    }
    let view = LogView {
        origin: log.origin.clone(),
        key: key.to_string(),
        witnesses: log
            .witnesses
            .iter()
            .map(|w| WitnessView {
                name: w.name.clone(),
                key: w.key.to_string(),
                key_name: w.key.name().to_string(),
            })
            .collect(),
        required: log.required,
        size: v.size,
        cosigned_by: log
            .witnesses
            .iter()
            .filter(|w| v.cosignatures.iter().any(|c| c.witness == w.key.name()))
            .map(|w| w.name.clone())
            .collect(),
    };
    Ok(Some(PublishedLog { files, view }))
}
