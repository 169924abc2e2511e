//! The c2sp.org/tlog-witness `add-checkpoint` call, pure: the request body a
//! publisher sends and the decision a witness takes on it, given the one record it
//! keeps per log (the latest size and root it cosigned). The server adapter
//! (`crate::witness`) reads the body, persists the new record before it answers, and
//! serialises requests, so the check and the update are atomic.
//!
//! Answers, as the spec says: `200` with the cosignature line; `400` for a malformed
//! body or an old size above the checkpoint's; `403` when no signature verifies
//! against the log's configured key; `404` for an origin the witness does not know;
//! `409` (body: the known size and a newline, `Content-Type: text/x.tlog.size`) when
//! the old size is not the one the witness cosigned last, or the sizes are equal and
//! the roots differ; `422` when the consistency proof does not verify.

use super::checkpoint::cosign;
use super::keys::{KeyType, SigningKey, VerifierKey};
use super::tree::{check_consistency, parse_hash, proof_text};
use super::{Check, Hash, LogError, b64};
use signed_note::{Note, VerifierList};

/// The most consistency proof lines a request may carry (tlog-witness).
pub const MAX_PROOF_LINES: usize = 63;

/// `Content-Type` of a `409 Conflict` answer.
pub const SIZE_CONTENT_TYPE: &str = "text/x.tlog.size";

/// An `add-checkpoint` request: `old <size>`, proof lines, a blank line, the note.
#[derive(Clone, Debug, PartialEq)]
pub struct AddCheckpoint {
    /// The size of the previous checkpoint the proof starts from.
    pub old: u64,
    /// The consistency proof from `old` to the checkpoint's size.
    pub proof: Vec<Hash>,
    /// The signed checkpoint note.
    pub checkpoint: Vec<u8>,
}

impl AddCheckpoint {
    /// The request body.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!("old {}\n{}\n", self.old, proof_text(&self.proof)).into_bytes();
        out.extend_from_slice(&self.checkpoint);
        out
    }

    /// Parses a request body strictly (every line ends in `\n`, decimal sizes without
    /// leading zeros, at most 63 proof lines).
    pub fn parse(body: &[u8]) -> Result<AddCheckpoint, LogError> {
        let bad = |why: String| LogError::new(Check::Parse, format!("add-checkpoint body: {why}"));
        let text = std::str::from_utf8(body).map_err(|_| bad("not UTF-8".into()))?;
        let (first, mut rest) = text
            .split_once('\n')
            .ok_or_else(|| bad("no old size line".into()))?;
        let old = first
            .strip_prefix("old ")
            .filter(|n| decimal_ok(n))
            .and_then(|n| n.parse::<u64>().ok())
            .ok_or_else(|| {
                bad(format!(
                    "first line {} is not `old <size>`",
                    crate::excerpt::Excerpt::quoted(first)
                ))
            })?;
        let mut proof = Vec::new();
        loop {
            let (line, after) = rest
                .split_once('\n')
                .ok_or_else(|| bad("no blank line before the checkpoint".into()))?;
            rest = after;
            if line.is_empty() {
                break;
            }
            if proof.len() == MAX_PROOF_LINES {
                return Err(bad(format!("more than {MAX_PROOF_LINES} proof lines")));
            }
            proof.push(parse_hash(line).ok_or_else(|| {
                bad(format!(
                    "proof line {} is not a base64 32-byte hash",
                    crate::excerpt::Excerpt::quoted(line)
                ))
            })?);
        }
        Ok(AddCheckpoint {
            old,
            proof,
            checkpoint: rest.as_bytes().to_vec(),
        })
    }
}

fn decimal_ok(n: &str) -> bool {
    !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) && (n == "0" || !n.starts_with('0'))
}

/// What a witness keeps per log: the latest size and root it cosigned.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LogRecord {
    /// The tree size.
    pub size: u64,
    /// The root hash at that size.
    pub root: Hash,
}

impl LogRecord {
    /// The record as one line, `<size> <base64 root>` (the witness's state file).
    pub fn to_line(&self) -> String {
        format!("{} {}\n", self.size, b64(&self.root.0))
    }

    /// Parses [`LogRecord::to_line`]'s text.
    pub fn parse_line(text: &str) -> Option<LogRecord> {
        let (size, root) = text.strip_suffix('\n')?.split_once(' ')?;
        if !decimal_ok(size) {
            return None;
        }
        Some(LogRecord {
            size: size.parse().ok()?,
            root: parse_hash(root)?,
        })
    }
}

/// A witness's answer to one request.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The `Content-Type` of the body.
    pub content_type: &'static str,
    /// The body: the cosignature line (200), the known size (409), or why (others).
    pub body: String,
    /// The origin the request was about, when known.
    pub origin: Option<String>,
    /// The record to persist *before* answering (200 only).
    pub record: Option<LogRecord>,
}

fn answer(status: u16, body: impl Into<String>, origin: Option<&str>) -> Answer {
    let mut body = body.into();
    if !body.ends_with('\n') {
        body.push('\n');
    }
    Answer {
        status,
        content_type: "text/plain; charset=utf-8",
        body,
        origin: origin.map(str::to_string),
        record: None,
    }
}

/// Decides on an `add-checkpoint` body. `logs` are the configured log keys (type
/// `0x01`, named by origin); `known(origin)` is the record kept for that origin, if
/// any; `key` is the witness's cosignature key; `now` the POSIX time of the answer.
pub fn add_checkpoint(
    body: &[u8],
    logs: &[VerifierKey],
    known: impl Fn(&str) -> Option<LogRecord>,
    key: &SigningKey,
    now: u64,
) -> Answer {
    let req = match AddCheckpoint::parse(body) {
        Ok(r) => r,
        Err(e) => return answer(400, e.to_string(), None),
    };
    let Ok(note) = Note::from_bytes(&req.checkpoint) else {
        return answer(400, "the checkpoint is not a signed note", None);
    };
    let Ok(cp) = tlog_tiles::Checkpoint::from_bytes(note.text()) else {
        return answer(400, "the note text is not a checkpoint", None);
    };
    let origin = cp.origin();
    let keys: Vec<Box<dyn signed_note::Verifier>> = logs
        .iter()
        .filter(|k| k.name() == origin && k.kind() == KeyType::Note)
        .map(|k| Box::new(k.clone()) as Box<dyn signed_note::Verifier>)
        .collect();
    if keys.is_empty() {
        return answer(404, format!("unknown log origin {origin:?}"), Some(origin));
    }
    if note.verify(&VerifierList::new(keys)).is_err() {
        return answer(
            403,
            format!("no signature by the configured key of {origin} verifies"),
            Some(origin),
        );
    }
    if req.old > cp.size() {
        return answer(
            400,
            format!(
                "old size {} is above the checkpoint size {}",
                req.old,
                cp.size()
            ),
            Some(origin),
        );
    }
    let current = known(origin);
    let (known_size, known_root) = current
        .map(|r| (r.size, r.root))
        .unwrap_or((0, super::tree::EMPTY_TREE));
    let conflict = |why: String| {
        let mut a = answer(409, format!("{known_size}\n"), Some(origin));
        a.content_type = SIZE_CONTENT_TYPE;
        tracing::debug!(%origin, why, "add-checkpoint: conflict");
        a
    };
    if req.old != known_size {
        return conflict(format!("old size {} is not {known_size}", req.old));
    }
    if req.old == cp.size() && req.old != 0 && *cp.hash() != known_root {
        return conflict("same size, another root".into());
    }
    if let Err(e) = check_consistency(known_size, known_root, cp.size(), *cp.hash(), &req.proof) {
        return answer(422, e.to_string(), Some(origin));
    }
    let line = match cosign(note.text(), key, now) {
        Ok(l) => l,
        Err(e) => return answer(500, e.to_string(), Some(origin)),
    };
    Answer {
        status: 200,
        content_type: "text/plain; charset=utf-8",
        body: line,
        origin: Some(origin.to_string()),
        record: Some(LogRecord {
            size: cp.size(),
            root: *cp.hash(),
        }),
    }
}
