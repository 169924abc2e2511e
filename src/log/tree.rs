//! The log's tree (FORMAT.md §7; RFC 6962 / c2sp.org/tlog-tiles): entry `n` is the
//! SHA-256 of the `n`-th manifest's bytes, its record hash `SHA-256(0x00 ‖ entry)`,
//! a node `SHA-256(0x01 ‖ left ‖ right)`. Hashing and proofs are `tlog_tiles`'s
//! (ported from Go's sumdb/tlog); this module keeps the stored hashes in memory (a
//! log has one entry per snapshot, so thousands at most) and adds what §7 defines
//! beyond RFC 6962: the empty proof from size 0, the consistency file's text, and the
//! rules a list of manifests must follow to be a log.

use super::{Check, LogError, b64, unb64};
use sha2::Digest;
use tlog_tiles::{Hash, HashReader};

/// The record hash of an entry: `SHA-256(0x00 ‖ entry)`.
pub fn record_hash(entry: &[u8; 32]) -> Hash {
    tlog_tiles::record_hash(entry)
}

/// The hash of the empty tree, `SHA-256("")`.
pub const EMPTY_TREE: Hash = tlog_tiles::EMPTY_HASH;

/// A log tree held in memory: every stored hash (tlog's dense layout), so the root
/// at any size and every proof can be computed.
#[derive(Clone, Debug, Default)]
pub struct LogTree {
    stored: Vec<Hash>,
    entries: Vec<[u8; 32]>,
}

impl HashReader for LogTree {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        indexes
            .iter()
            .map(|&i| {
                usize::try_from(i)
                    .ok()
                    .and_then(|i| self.stored.get(i).copied())
                    .ok_or(tlog_tiles::Error::IndexesNotInTree)
            })
            .collect()
    }
}

fn internal(e: tlog_tiles::Error) -> LogError {
    // The tree holds every hash it is asked for; this is a bug if it happens.
    LogError::new(Check::Parse, format!("log tree: {e}"))
}

impl LogTree {
    /// The tree of `entries`, oldest first.
    pub fn new(entries: &[[u8; 32]]) -> LogTree {
        let mut t = LogTree::default();
        for e in entries {
            t.push(*e);
        }
        t
    }

    /// Appends one entry.
    pub fn push(&mut self, entry: [u8; 32]) {
        let n = self.entries.len() as u64;
        let hashes = tlog_tiles::stored_hashes_for_record_hash(n, record_hash(&entry), self)
            .expect("every earlier hash is stored");
        self.stored.extend(hashes);
        self.entries.push(entry);
    }

    /// The number of entries.
    pub fn size(&self) -> u64 {
        self.entries.len() as u64
    }

    /// The entries, oldest first.
    pub fn entries(&self) -> &[[u8; 32]] {
        &self.entries
    }

    /// The root hash of the whole tree.
    pub fn root(&self) -> Hash {
        self.root_at(self.size()).expect("the size is in the tree")
    }

    /// The root hash of the tree of the first `n` entries.
    pub fn root_at(&self, n: u64) -> Result<Hash, LogError> {
        if n > self.size() {
            return Err(LogError::new(
                Check::Consistency,
                format!("size {n} is larger than the log ({})", self.size()),
            ));
        }
        tlog_tiles::tree_hash(n, self).map_err(internal)
    }

    /// The consistency proof from size `old` to size `new` (RFC 6962 PROOF); empty when
    /// `old` is 0 or equals `new`.
    pub fn consistency(&self, old: u64, new: u64) -> Result<Vec<Hash>, LogError> {
        if old > new || new > self.size() {
            return Err(LogError::new(
                Check::Consistency,
                format!(
                    "no consistency proof from {old} to {new} in a log of size {}",
                    self.size()
                ),
            ));
        }
        if old == 0 || old == new {
            return Ok(Vec::new());
        }
        tlog_tiles::prove_tree(new, old, self).map_err(internal)
    }

    /// The inclusion proof of entry `index` in the tree of size `size` (RFC 6962 PATH).
    pub fn inclusion(&self, index: u64, size: u64) -> Result<Vec<Hash>, LogError> {
        if index >= size || size > self.size() {
            return Err(LogError::new(
                Check::Inclusion,
                format!(
                    "no entry {index} in a tree of size {size} (the log has {})",
                    self.size()
                ),
            ));
        }
        tlog_tiles::prove_record(size, index, self).map_err(internal)
    }
}

/// Checks that `proof` proves the tree of size `new` with root `new_root` extends the
/// tree of size `old` with root `old_root`. From size 0 the proof must be empty (any
/// tree extends the empty one); at equal sizes it must be empty and the roots equal.
pub fn check_consistency(
    old: u64,
    old_root: Hash,
    new: u64,
    new_root: Hash,
    proof: &[Hash],
) -> Result<(), LogError> {
    let fail = |why: &str| {
        LogError::new(
            Check::Consistency,
            format!(
                "size {new} (root {new_root}) does not extend size {old} (root {old_root}): {why}"
            ),
        )
    };
    if old > new {
        return Err(fail("the new tree is smaller"));
    }
    if old == 0 {
        return if new == 0 && new_root != EMPTY_TREE {
            Err(fail("the empty tree has another root"))
        } else if proof.is_empty() {
            Ok(())
        } else {
            Err(fail("a proof from size 0 must be empty"))
        };
    }
    tlog_tiles::check_tree(&proof.to_vec(), new, new_root, old, old_root)
        .map_err(|_| fail("the consistency proof does not verify"))
}

/// Checks that `proof` leads from the record hash of entry `index` to `root`, the root
/// of the tree of size `size`.
pub fn check_inclusion(
    index: u64,
    size: u64,
    record: Hash,
    root: Hash,
    proof: &[Hash],
) -> Result<(), LogError> {
    if index >= size {
        return Err(LogError::new(
            Check::Inclusion,
            format!("entry {index} is not in a tree of size {size}"),
        ));
    }
    tlog_tiles::check_record(&proof.to_vec(), size, root, index, record).map_err(|_| {
        LogError::new(
            Check::Inclusion,
            format!(
                "the inclusion proof of entry {index} does not lead to the root {root} of size {size}"
            ),
        )
    })
}

/// The text of `log/consistency/<old>-<new>.txt`: one standard base64 hash a line,
/// each line ending in `\n` (zero bytes for an empty proof).
pub fn proof_text(proof: &[Hash]) -> String {
    proof.iter().map(|h| format!("{}\n", b64(&h.0))).collect()
}

/// Parses a hash written in standard padded base64 (32 bytes).
pub fn parse_hash(text: &str) -> Option<Hash> {
    let bytes = unb64(text)?;
    Some(Hash(bytes.try_into().ok()?))
}

/// Parses proof lines (as [`proof_text`] writes them, or the lines of an
/// `add-checkpoint` body); `what` names the text in the message.
pub fn parse_proof_text(text: &str, what: &str) -> Result<Vec<Hash>, LogError> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let Some(body) = text.strip_suffix('\n') else {
        return Err(LogError::new(
            Check::Parse,
            format!("{what}: the last line does not end in a newline"),
        ));
    };
    body.split('\n')
        .enumerate()
        .map(|(i, line)| {
            parse_hash(line).ok_or_else(|| {
                LogError::new(
                    Check::Parse,
                    format!(
                        "{what}: line {}: {} is not a standard base64 32-byte hash",
                        i + 1,
                        crate::excerpt::Excerpt::quoted(line)
                    ),
                )
            })
        })
        .collect()
}

/// The fields of a manifest the log reads (FORMAT.md §7): its id and `previous` link.
#[derive(Debug, serde::Deserialize)]
struct EntryHead {
    snapshot_id: String,
    previous: Option<EntryLink>,
}

#[derive(Debug, serde::Deserialize)]
struct EntryLink {
    snapshot_id: String,
    manifest_sha256: String,
}

/// Checks that `manifests` (exact bytes, publication order) form a log: entry `n`'s
/// `previous` is `{snapshot_id, manifest_sha256}` of entry `n − 1` (null iff `n = 0`)
/// and no two share a `snapshot_id`. Returns the entries, `SHA-256` of each.
pub fn check_entries(manifests: &[&[u8]]) -> Result<Vec<[u8; 32]>, LogError> {
    let mut entries: Vec<[u8; 32]> = Vec::with_capacity(manifests.len());
    let mut ids: Vec<String> = Vec::with_capacity(manifests.len());
    for (n, bytes) in manifests.iter().enumerate() {
        let head: EntryHead = serde_json::from_slice(bytes)
            .map_err(|e| LogError::new(Check::Parse, format!("entry {n}: not a manifest: {e}")))?;
        match (n, &head.previous) {
            (0, None) => {}
            (0, Some(p)) => {
                return Err(LogError::new(
                    Check::Previous,
                    format!(
                        "entry 0 ({}) links to {} (sha256 {}), but the first entry's previous must be null",
                        head.snapshot_id, p.snapshot_id, p.manifest_sha256
                    ),
                ));
            }
            (_, None) => {
                return Err(LogError::new(
                    Check::Previous,
                    format!(
                        "entry {n} ({}) has previous null: a second chain inside the log",
                        head.snapshot_id
                    ),
                ));
            }
            (_, Some(p)) => {
                let want = hex::encode(entries[n - 1]);
                if p.manifest_sha256 != want || p.snapshot_id != ids[n - 1] {
                    return Err(LogError::new(
                        Check::Previous,
                        format!(
                            "entry {n} ({}) links to {} (sha256 {}), not to entry {} ({}, sha256 {want})",
                            head.snapshot_id,
                            p.snapshot_id,
                            p.manifest_sha256,
                            n - 1,
                            ids[n - 1]
                        ),
                    ));
                }
            }
        }
        if let Some(first) = ids.iter().position(|id| *id == head.snapshot_id) {
            return Err(LogError::new(
                Check::SnapshotId,
                format!(
                    "entries {first} and {n} share the snapshot id {}",
                    head.snapshot_id
                ),
            ));
        }
        let digest: [u8; 32] = sha2::Sha256::digest(bytes).into();
        entries.push(digest);
        ids.push(head.snapshot_id);
    }
    Ok(entries)
}
