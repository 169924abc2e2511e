//! The snapshot log (FORMAT.md §7), pure: values in, values out, no file, clock or
//! network. The manifests, in publication order, are the entries of an RFC 6962
//! transparency log; its state is a signed checkpoint (c2sp.org/tlog-checkpoint in a
//! c2sp.org/signed-note) that independent witnesses cosign (c2sp.org/tlog-cosignature)
//! only when it extends the state they saw before (c2sp.org/tlog-witness).
//!
//! - [`keys`]: verifier keys (`<name>+<key id>+<base64>`) of the two types por uses,
//!   Ed25519 note keys (`0x01`, the log) and cosignature/v1 keys (`0x04`, witnesses),
//!   and their private halves.
//! - [`tree`]: entries, record hashes, tree hashes, inclusion and consistency proofs
//!   (over `tlog_tiles`), the `log/consistency/<old>-<new>.txt` text, and the checks
//!   that a list of manifests forms a log (`previous` links, distinct ids).
//! - [`checkpoint`]: the checkpoint text, its log signature and cosignature lines
//!   (over `signed_note`), and the verifier's checks in order: key, note format, log
//!   signature, origin, cosignatures and their age.
//! - [`audit`]: what a verifier with pinned keys concludes: one snapshot in a
//!   checkpoint (`por verify`), or the whole history (`por log check`).
//! - [`witness`]: the `add-checkpoint` request and the witness's decision on it
//!   (cosign, or 400 / 403 / 404 / 409 / 422), given the state it keeps.
//!
//! Every refusal is a [`LogError`] naming the check that failed ([`Check`]), the
//! same names the vectors' `log.invalid` cases use.

pub mod audit;
pub mod checkpoint;
pub mod keys;
pub mod tree;
pub mod witness;

pub use checkpoint::{Cosignature, VerifiedCheckpoint, verify_checkpoint};
pub use keys::{KeyType, SigningKey, VerifierKey};
pub use tlog_tiles::Hash;
pub use tree::LogTree;

/// Which check of FORMAT.md §7 a refusal comes from (the vectors' `check` names).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// A verifier or private key is malformed, has a wrong key id, or is of the wrong type.
    Vkey,
    /// The note or the checkpoint text inside it is malformed.
    NoteFormat,
    /// No valid signature by the log key.
    NoteSignature,
    /// The checkpoint is for another origin, or the log key's name is not the origin.
    Origin,
    /// Too few valid, fresh cosignatures by distinct configured witnesses.
    Cosignature,
    /// A consistency proof does not prove that the new tree extends the old one.
    Consistency,
    /// An inclusion proof does not lead from the entry to the root.
    Inclusion,
    /// An entry's `previous` link is not the preceding entry.
    Previous,
    /// Two entries share one snapshot id.
    SnapshotId,
    /// A manifest or proof text could not be read as one.
    Parse,
}

impl Check {
    /// The check's name as the vectors spell it (`note-signature`, `previous`, …).
    pub fn name(self) -> &'static str {
        match self {
            Check::Vkey => "vkey",
            Check::NoteFormat => "note-format",
            Check::NoteSignature => "note-signature",
            Check::Origin => "origin",
            Check::Cosignature => "cosignature",
            Check::Consistency => "consistency",
            Check::Inclusion => "inclusion",
            Check::Previous => "previous",
            Check::SnapshotId => "snapshot_id",
            Check::Parse => "parse",
        }
    }
}

/// A refusal by the log core: the check that failed and why, in one line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", check.name())]
pub struct LogError {
    /// The check that failed.
    pub check: Check,
    /// What exactly is wrong, naming the offending value.
    pub message: String,
}

impl LogError {
    /// A refusal by `check`.
    pub fn new(check: Check, message: impl Into<String>) -> LogError {
        LogError {
            check,
            message: message.into(),
        }
    }
}

/// Standard base64 (RFC 4648 §4, padded), as every hash, key and signature of §7.
pub(crate) fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Decodes strict standard base64: padded, canonical (re-encodes to the same text).
pub(crate) fn unb64(text: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .ok()?;
    (b64(&bytes) == text).then_some(bytes)
}
