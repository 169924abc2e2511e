//! What a verifier with pinned keys concludes from published bytes (FORMAT.md §7),
//! pure: [`check_snapshot`] for one snapshot (`por verify` with witnesses, the verify
//! page), [`check_log`] for the whole history (`por log check`, an auditor's).
//!
//! The keys are always the caller's ([`Pins`]): a key read from the site proves
//! nothing, since whoever controls the site controls it.

use super::checkpoint::{VerifiedCheckpoint, verify_checkpoint};
use super::keys::{KeyType, VerifierKey};
use super::tree::{
    LogTree, check_consistency, check_entries, check_inclusion, parse_proof_text, record_hash,
};
use super::{Check, LogError};
use sha2::Digest;

/// The keys and policy a verifier pins.
#[derive(Clone, Debug)]
pub struct Pins {
    /// The log's key (type 0x01); its name is the expected origin.
    pub log_key: VerifierKey,
    /// The witnesses' keys (type 0x04).
    pub witnesses: Vec<VerifierKey>,
    /// Valid, fresh cosignatures required (k).
    pub required: usize,
    /// The oldest a cosignature may be, in seconds (72 hours by default).
    pub max_age_secs: u64,
}

impl Pins {
    /// Parses a pins file: one verifier key a line (blank lines and `#` comments
    /// ignored); the one type-0x01 key is the log's, type-0x04 keys are witnesses.
    pub fn parse_keys(text: &str) -> Result<(Option<VerifierKey>, Vec<VerifierKey>), LogError> {
        let mut log = None;
        let mut witnesses = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let k = VerifierKey::parse(line).map_err(|e| {
                LogError::new(Check::Vkey, format!("line {}: {}", i + 1, e.message))
            })?;
            match k.kind() {
                KeyType::Note if log.is_some() => {
                    return Err(LogError::new(
                        Check::Vkey,
                        format!("line {}: a second log key (type 0x01)", i + 1),
                    ));
                }
                KeyType::Note => log = Some(k),
                KeyType::Cosignature => witnesses.push(k),
            }
        }
        Ok((log, witnesses))
    }

    /// The origin the log key names.
    pub fn origin(&self) -> &str {
        self.log_key.name()
    }
}

/// One `snapshots/index.json` entry, as the log reads it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
pub struct IndexEntry {
    /// The snapshot id.
    pub snapshot_id: String,
    /// Its `as_of`.
    pub as_of: String,
    /// SHA-256 of its manifest, lowercase hex.
    pub manifest_sha256: String,
}

#[derive(serde::Deserialize)]
struct Index {
    format: String,
    snapshots: Vec<IndexEntry>,
}

/// Parses `snapshots/index.json` (`por-snapshot-index/1`).
pub fn parse_index(bytes: &[u8]) -> Result<Vec<IndexEntry>, LogError> {
    let ix: Index = serde_json::from_slice(bytes)
        .map_err(|e| LogError::new(Check::Parse, format!("snapshots/index.json: {e}")))?;
    if ix.format != crate::format::INDEX_FORMAT {
        return Err(LogError::new(
            Check::Parse,
            format!(
                "snapshots/index.json: format {:?} is not {:?}",
                ix.format,
                crate::format::INDEX_FORMAT
            ),
        ));
    }
    Ok(ix.snapshots)
}

fn entry_of(e: &IndexEntry, n: usize) -> Result<[u8; 32], LogError> {
    hex::decode(&e.manifest_sha256)
        .ok()
        .and_then(|b| b.try_into().ok())
        .filter(|_| e.manifest_sha256.bytes().all(|c| !c.is_ascii_uppercase()))
        .ok_or_else(|| {
            LogError::new(
                Check::Parse,
                format!(
                    "snapshots/index.json: snapshots[{n}].manifest_sha256 is not 64 lowercase hex"
                ),
            )
        })
}

/// The checkpoint, checked against the pins: log signature, origin, at least k
/// valid cosignatures, none in the future, k fresh at `now`.
pub fn check_checkpoint(
    note: &[u8],
    pins: &Pins,
    now: u64,
) -> Result<VerifiedCheckpoint, LogError> {
    let v = verify_checkpoint(note, &pins.log_key, pins.origin(), &pins.witnesses)?;
    v.require(pins.required, Some(now), pins.max_age_secs)?;
    Ok(v)
}

/// The tree `index` describes, checked to be the checkpoint's (same size and root).
fn index_tree(index: &[IndexEntry], cp: &VerifiedCheckpoint) -> Result<LogTree, LogError> {
    let entries = index
        .iter()
        .enumerate()
        .map(|(n, e)| entry_of(e, n))
        .collect::<Result<Vec<_>, _>>()?;
    let tree = LogTree::new(&entries);
    if tree.size() != cp.size {
        return Err(LogError::new(
            Check::Inclusion,
            format!(
                "snapshots/index.json lists {} snapshots, the checkpoint's tree has {}",
                tree.size(),
                cp.size
            ),
        ));
    }
    if tree.root() != cp.root {
        return Err(LogError::new(
            Check::Inclusion,
            format!(
                "snapshots/index.json does not hash to the checkpoint's root {} (it gives {})",
                cp.root,
                tree.root()
            ),
        ));
    }
    Ok(tree)
}

/// A snapshot found in a checked checkpoint.
#[derive(Clone, Debug)]
pub struct Included {
    /// The checkpoint, with its valid cosignatures.
    pub checkpoint: VerifiedCheckpoint,
    /// The manifest's entry number.
    pub index: u64,
}

/// Accepts one snapshot (FORMAT.md §7): the checkpoint is signed by the pinned log
/// key for its origin and cosigned by at least k pinned witnesses, fresh; the index
/// rebuilds the checkpoint's tree; `manifest` (exact bytes) is an entry of it (by
/// inclusion proof) under its own `snapshot_id`; and its `previous` link is the
/// preceding entry.
pub fn check_snapshot(
    manifest: &[u8],
    index: &[u8],
    checkpoint: &[u8],
    pins: &Pins,
    now: u64,
) -> Result<Included, LogError> {
    let cp = check_checkpoint(checkpoint, pins, now)?;
    let ix = parse_index(index)?;
    let tree = index_tree(&ix, &cp)?;
    let entry: [u8; 32] = sha2::Sha256::digest(manifest).into();
    let head: serde_json::Value = serde_json::from_slice(manifest)
        .map_err(|e| LogError::new(Check::Parse, format!("manifest: {e}")))?;
    let id = head["snapshot_id"].as_str().unwrap_or_default();
    let Some(n) = tree.entries().iter().position(|e| *e == entry) else {
        return Err(LogError::new(
            Check::Inclusion,
            format!(
                "this manifest (sha256 {}) is not in the log of size {}: the exchange may be showing you a history others do not see",
                hex::encode(entry),
                cp.size
            ),
        ));
    };
    if ix[n].snapshot_id != id {
        return Err(LogError::new(
            Check::SnapshotId,
            format!(
                "the manifest names snapshot {id:?}, its log entry {n} names {:?}",
                ix[n].snapshot_id
            ),
        ));
    }
    let proof = tree.inclusion(n as u64, tree.size())?;
    check_inclusion(n as u64, tree.size(), record_hash(&entry), cp.root, &proof)?;
    let prev = &head["previous"];
    let ok = match n {
        0 => prev.is_null(),
        _ => {
            prev["snapshot_id"].as_str() == Some(ix[n - 1].snapshot_id.as_str())
                && prev["manifest_sha256"].as_str() == Some(ix[n - 1].manifest_sha256.as_str())
        }
    };
    if !ok {
        return Err(LogError::new(
            Check::Previous,
            format!(
                "the manifest's previous link is not log entry {} ({})",
                n.saturating_sub(1),
                if n == 0 {
                    "null expected"
                } else {
                    &ix[n - 1].snapshot_id
                }
            ),
        ));
    }
    Ok(Included {
        checkpoint: cp,
        index: n as u64,
    })
}

/// What the whole-history check found.
#[derive(Clone, Debug)]
pub struct LogReport {
    /// The checkpoint, with its valid cosignatures.
    pub checkpoint: VerifiedCheckpoint,
    /// Snapshot ids, oldest first.
    pub snapshots: Vec<String>,
}

/// The whole history (`por log check`): every manifest (exact bytes, in index order)
/// is the index's entry under its id and `as_of`, the manifests form a log
/// (`previous` links, distinct ids, `as_of` increasing), the index rebuilds the
/// checkpoint's tree, and every published consistency file `consistency[n-1]` (from
/// size `n-1` to `n`) is the tree's proof and verifies.
pub fn check_log(
    manifests: &[Vec<u8>],
    index: &[u8],
    checkpoint: &[u8],
    consistency: &[String],
    pins: &Pins,
    now: u64,
) -> Result<LogReport, LogError> {
    let cp = check_checkpoint(checkpoint, pins, now)?;
    let ix = parse_index(index)?;
    let tree = index_tree(&ix, &cp)?;
    if manifests.len() != ix.len() {
        return Err(LogError::new(
            Check::Parse,
            format!(
                "{} manifests for {} index entries",
                manifests.len(),
                ix.len()
            ),
        ));
    }
    let refs: Vec<&[u8]> = manifests.iter().map(Vec::as_slice).collect();
    let entries = check_entries(&refs)?;
    let mut last_as_of: Option<String> = None;
    for (n, (m, e)) in manifests.iter().zip(&ix).enumerate() {
        if entries[n] != tree.entries()[n] {
            return Err(LogError::new(
                Check::Inclusion,
                format!(
                    "snapshots/{}/manifest.json has sha256 {}, but log entry {n} is {}",
                    e.snapshot_id,
                    hex::encode(entries[n]),
                    e.manifest_sha256
                ),
            ));
        }
        let head: serde_json::Value = serde_json::from_slice(m)
            .map_err(|err| LogError::new(Check::Parse, format!("entry {n}: {err}")))?;
        if head["snapshot_id"].as_str() != Some(e.snapshot_id.as_str())
            || head["as_of"].as_str() != Some(e.as_of.as_str())
        {
            return Err(LogError::new(
                Check::SnapshotId,
                format!(
                    "snapshots/{}/manifest.json names another snapshot id or as_of than its index entry",
                    e.snapshot_id
                ),
            ));
        }
        if let Some(prev) = &last_as_of
            && e.as_of <= *prev
        {
            return Err(LogError::new(
                Check::Previous,
                format!(
                    "snapshot {} (as_of {}) is not after its predecessor (as_of {prev})",
                    e.snapshot_id, e.as_of
                ),
            ));
        }
        last_as_of = Some(e.as_of.clone());
    }
    for (i, text) in consistency.iter().enumerate() {
        let (old, new) = (i as u64, i as u64 + 1);
        let what = format!("log/consistency/{old}-{new}.txt");
        let proof = parse_proof_text(text, &what)?;
        check_consistency(old, tree.root_at(old)?, new, tree.root_at(new)?, &proof)
            .map_err(|e| LogError::new(Check::Consistency, format!("{what}: {}", e.message)))?;
    }
    Ok(LogReport {
        checkpoint: cp,
        snapshots: ix.into_iter().map(|e| e.snapshot_id).collect(),
    })
}
