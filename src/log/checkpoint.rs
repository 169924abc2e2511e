//! Checkpoints (FORMAT.md §7): the c2sp.org/tlog-checkpoint text (origin, size, root
//! in base64, then the informational `snapshot <id>` extension line) in a
//! c2sp.org/signed-note signed by the log key, followed by the witnesses'
//! c2sp.org/tlog-cosignature lines.
//!
//! `tlog_tiles` writes and parses the checkpoint text and `signed_note` the note and
//! its signature lines. What they lack is written here: the cosignature/v1 line (key
//! type `0x04`; the signature covers `cosignature/v1\ntime <t>\n` and the whole note
//! text, and carries the timestamp, `key id ‖ u64be time ‖ Ed25519 signature`), and a
//! verifier that says which check failed, in the order the vectors assume: keys, note
//! format, log signature, origin, cosignatures.

use super::keys::{KeyType, SigningKey, VerifierKey};
use super::{Check, Hash, LogError};
use signed_note::{Note, NoteError, Signature, VerifierList};

/// The prefix of the informational extension line naming the newest snapshot.
pub const SNAPSHOT_EXTENSION: &str = "snapshot ";

/// Largest timestamp a cosignature may carry (c2sp.org/tlog-cosignature).
const MAX_TIMESTAMP: u64 = (1 << 63) - 1;

/// How far in the future a cosignature may be dated before a verifier refuses it.
pub const MAX_FUTURE_SECS: u64 = 5 * 60;

/// How old a cosignature may be by default (FORMAT.md §7: 72 hours).
pub const DEFAULT_MAX_AGE_SECS: u64 = 72 * 3600;

/// The checkpoint text: `<origin>\n<size>\n<base64 root>\nsnapshot <id>\n`.
pub fn body(origin: &str, size: u64, root: Hash, snapshot_id: &str) -> Result<String, LogError> {
    let ext = format!("{SNAPSHOT_EXTENSION}{snapshot_id}\n");
    let c = tlog_tiles::Checkpoint::new(origin, size, root, &ext).map_err(|_| {
        LogError::new(
            Check::NoteFormat,
            format!(
                "cannot write a checkpoint for origin {} and snapshot {}",
                crate::excerpt::Excerpt::quoted(origin),
                crate::excerpt::Excerpt::quoted(snapshot_id)
            ),
        )
    })?;
    String::from_utf8(c.to_bytes()).map_err(|e| LogError::new(Check::NoteFormat, e.to_string()))
}

/// The signed note of `body`: the text, a blank line, the log's signature line.
/// `key` must be the log's note key, named as the checkpoint's origin.
pub fn sign(body: &str, key: &SigningKey) -> Result<String, LogError> {
    if key.kind() != KeyType::Note {
        return Err(LogError::new(
            Check::Vkey,
            format!("{} is not a log key (type 0x01)", key.verifier()),
        ));
    }
    let origin = body.split('\n').next().unwrap_or_default();
    if key.name() != origin {
        return Err(LogError::new(
            Check::Origin,
            format!(
                "the log key is named {}, but the checkpoint's origin is {}",
                key.name(),
                origin
            ),
        ));
    }
    let sig = key.sign_raw(body.as_bytes());
    let line = signature_line(key.name(), key.id(), &sig)?;
    Ok(format!("{body}\n{line}"))
}

fn signature_line(name: &str, id: u32, sig: &[u8]) -> Result<String, LogError> {
    let s = Signature::new(name.to_string(), id, sig.to_vec())
        .map_err(|e| LogError::new(Check::Vkey, format!("key name {name:?}: {e}")))?;
    String::from_utf8(s.to_bytes()).map_err(|e| LogError::new(Check::NoteFormat, e.to_string()))
}

/// The message a cosignature/v1 signs: the header and time lines, then the whole
/// checkpoint text (extension lines included).
pub fn cosigned_message(body: &[u8], timestamp: u64) -> Vec<u8> {
    let mut m = format!("cosignature/v1\ntime {timestamp}\n").into_bytes();
    m.extend_from_slice(body);
    m
}

/// A witness's cosignature line on the checkpoint text `body` at `timestamp`
/// (`— <name> base64(key id ‖ u64be timestamp ‖ signature)\n`).
pub fn cosign(body: &[u8], key: &SigningKey, timestamp: u64) -> Result<String, LogError> {
    if key.kind() != KeyType::Cosignature {
        return Err(LogError::new(
            Check::Vkey,
            format!("{} is not a witness key (type 0x04)", key.verifier()),
        ));
    }
    if timestamp > MAX_TIMESTAMP {
        return Err(LogError::new(
            Check::Cosignature,
            format!("timestamp {timestamp} is above 2^63 - 1"),
        ));
    }
    let mut sig = timestamp.to_be_bytes().to_vec();
    sig.extend_from_slice(&key.sign_raw(&cosigned_message(body, timestamp)));
    signature_line(key.name(), key.id(), &sig)
}

/// `note` with `lines` (signature lines, each ending in `\n`) appended after its
/// existing signatures.
pub fn with_signatures(note: &str, lines: &[String]) -> String {
    let mut out = note.to_string();
    for l in lines {
        out.push_str(l);
    }
    out
}

/// One valid cosignature by a configured witness.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cosignature {
    /// The witness's key name.
    pub witness: String,
    /// When the witness cosigned, POSIX seconds.
    pub timestamp: u64,
    /// The signature line as it appears in the note (with its `\n`).
    pub line: String,
}

/// A checkpoint whose log signature and origin were checked, with the cosignatures of
/// the configured witnesses that verify.
#[derive(Clone, Debug)]
pub struct VerifiedCheckpoint {
    /// The origin line.
    pub origin: String,
    /// The tree size.
    pub size: u64,
    /// The root hash.
    pub root: Hash,
    /// The `snapshot <id>` extension line's id, when present (informational).
    pub snapshot_id: Option<String>,
    /// The checkpoint text (what the log signed), with its final newline.
    pub body: String,
    /// The note up to and including the log's signature line: what the publisher
    /// sends to witnesses.
    pub signed: String,
    /// Valid cosignatures, one per configured witness key at most, in note order.
    pub cosignatures: Vec<Cosignature>,
    /// Why a configured witness's line did not count (bad signature, malformed).
    pub rejected: Vec<String>,
}

fn format_error(e: NoteError) -> LogError {
    LogError::new(Check::NoteFormat, format!("not a signed note: {e}"))
}

/// Parses and checks a checkpoint note: the keys' types, the note's format, a valid
/// signature by `log_key`, the origin (the checkpoint's and the key's name must both
/// be `origin`), then collects the valid cosignatures of `witnesses` (type `0x04`).
/// Whether there are enough, and fresh enough, is [`VerifiedCheckpoint::require`].
pub fn verify_checkpoint(
    note: &[u8],
    log_key: &VerifierKey,
    origin: &str,
    witnesses: &[VerifierKey],
) -> Result<VerifiedCheckpoint, LogError> {
    if log_key.kind() != KeyType::Note {
        return Err(LogError::new(
            Check::Vkey,
            format!("{log_key} is {}, not a log key", log_key.kind().describe()),
        ));
    }
    if let Some(w) = witnesses.iter().find(|w| w.kind() != KeyType::Cosignature) {
        return Err(LogError::new(
            Check::Vkey,
            format!("{w} is {}, not a witness key", w.kind().describe()),
        ));
    }
    let parsed = Note::from_bytes(note).map_err(format_error)?;
    let body = std::str::from_utf8(parsed.text())
        .map_err(|e| LogError::new(Check::NoteFormat, e.to_string()))?
        .to_string();
    let cp = tlog_tiles::Checkpoint::from_bytes(parsed.text()).map_err(|_| {
        LogError::new(
            Check::NoteFormat,
            "the note text is not a checkpoint (origin, size, base64 root hash, extension lines)",
        )
    })?;
    let list = VerifierList::new(vec![Box::new(log_key.clone())]);
    let (verified, others) = parsed.verify(&list).map_err(|e| match e {
        NoteError::UnverifiedNote => LogError::new(
            Check::NoteSignature,
            format!("no signature by the log key {log_key}"),
        ),
        NoteError::InvalidSignature { .. } => LogError::new(
            Check::NoteSignature,
            format!(
                "the signature by {}+{:08x} does not verify: the checkpoint was changed or signed by another key",
                log_key.name(),
                log_key.id()
            ),
        ),
        other => LogError::new(Check::NoteSignature, other.to_string()),
    })?;
    if cp.origin() != origin || log_key.name() != origin {
        return Err(LogError::new(
            Check::Origin,
            format!(
                "expected origin {origin}, the checkpoint is for {} signed by a key named {}",
                cp.origin(),
                log_key.name()
            ),
        ));
    }
    let mut cosignatures = Vec::new();
    let mut rejected = Vec::new();
    for w in witnesses {
        if cosignatures
            .iter()
            .any(|c: &Cosignature| c.witness == w.name())
        {
            continue;
        }
        let mut valid = None;
        for s in others
            .iter()
            .filter(|s| s.name() == w.name() && s.id() == w.id())
        {
            match check_cosignature(s, w, parsed.text()) {
                Ok(ts) => {
                    valid = Some(Cosignature {
                        witness: w.name().to_string(),
                        timestamp: ts,
                        line: String::from_utf8_lossy(&s.to_bytes()).into_owned(),
                    });
                    break;
                }
                Err(why) => rejected.push(format!("{}: {why}", w.name())),
            }
        }
        cosignatures.extend(valid);
    }
    // The note's text up to the log's signature line: what is resubmitted.
    let sig_line = verified
        .first()
        .map(|s| String::from_utf8_lossy(&s.to_bytes()).into_owned())
        .unwrap_or_default();
    let snapshot_id = cp
        .extension()
        .lines()
        .find_map(|l| l.strip_prefix(SNAPSHOT_EXTENSION))
        .map(str::to_string);
    Ok(VerifiedCheckpoint {
        origin: cp.origin().to_string(),
        size: cp.size(),
        root: *cp.hash(),
        snapshot_id,
        signed: format!("{body}\n{sig_line}"),
        body,
        cosignatures,
        rejected,
    })
}

/// Verifies one cosignature line by `w` over `text`; returns its timestamp.
fn check_cosignature(s: &Signature, w: &VerifierKey, text: &[u8]) -> Result<u64, String> {
    let sig = s.signature();
    if sig.len() != 8 + 64 {
        return Err(format!(
            "the cosignature is {} bytes, expected 8 (time) + 64",
            sig.len()
        ));
    }
    let ts = u64::from_be_bytes(sig[..8].try_into().expect("8 bytes"));
    if ts > MAX_TIMESTAMP {
        return Err(format!("timestamp {ts} is above 2^63 - 1"));
    }
    if !w.verify_raw(&cosigned_message(text, ts), &sig[8..]) {
        return Err("the cosignature does not verify (changed checkpoint or timestamp, or another message signed)".into());
    }
    Ok(ts)
}

impl VerifiedCheckpoint {
    /// The witnesses (of `configured`) without a valid cosignature.
    pub fn missing<'a>(&self, configured: &'a [VerifierKey]) -> Vec<&'a VerifierKey> {
        configured
            .iter()
            .filter(|w| !self.cosignatures.iter().any(|c| c.witness == w.name()))
            .collect()
    }

    /// Accepts only with at least `k` valid cosignatures by distinct configured
    /// witnesses; with `now` (POSIX seconds), also none dated more than 5 minutes
    /// ahead and at least `k` at most `max_age_secs` old. Says which condition failed.
    pub fn require(&self, k: usize, now: Option<u64>, max_age_secs: u64) -> Result<(), LogError> {
        if self.cosignatures.len() < k {
            let mut why = format!(
                "{} valid cosignature(s) by configured witnesses, {k} required",
                self.cosignatures.len()
            );
            if !self.rejected.is_empty() {
                why.push_str(&format!(" (rejected: {})", self.rejected.join("; ")));
            }
            return Err(LogError::new(Check::Cosignature, why));
        }
        let Some(now) = now else {
            return Ok(());
        };
        if let Some(c) = self
            .cosignatures
            .iter()
            .find(|c| c.timestamp > now.saturating_add(MAX_FUTURE_SECS))
        {
            return Err(LogError::new(
                Check::Cosignature,
                format!(
                    "the cosignature by {} is dated {}, more than 5 minutes in the future",
                    c.witness,
                    crate::time::Timestamp(c.timestamp)
                ),
            ));
        }
        let fresh = self
            .cosignatures
            .iter()
            .filter(|c| c.timestamp.saturating_add(max_age_secs) >= now)
            .count();
        if fresh < k {
            let oldest: Vec<String> = self
                .cosignatures
                .iter()
                .map(|c| format!("{} at {}", c.witness, crate::time::Timestamp(c.timestamp)))
                .collect();
            return Err(LogError::new(
                Check::Cosignature,
                format!(
                    "only {fresh} of the cosignatures are at most {} hours old, {k} required ({})",
                    max_age_secs / 3600,
                    oldest.join(", ")
                ),
            ));
        }
        Ok(())
    }
}
