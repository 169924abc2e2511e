//! Dispute files, `por-dispute/1` (docs/dispute.md): what the Verify page hands a
//! user who wants to contest a verdict. A bundle holds the exact proof text, the
//! manifest it was compared with (address and SHA-256), the page's verdict, the
//! verifier and the time. This module parses a bundle and re-checks it: the
//! manifest bytes given must hash to the bundle's `manifest.sha256`, and the proof
//! is verified again against that manifest with [`crate::tree::proof`]. Pure: it
//! takes text and bytes, never reads files or the network.

use crate::format::sha256_hex;
use crate::tree::proof::{ManifestRef, VerifyError};
use crate::tree::v2::AnyProof;
use serde::{Deserialize, Serialize};

/// The `format` of a dispute file (docs/dispute.md).
pub const DISPUTE_FORMAT: &str = "por-dispute/1";

/// A dispute file as the Verify page writes it (`site/schema/por-dispute-1.json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisputeBundle {
    /// Always [`DISPUTE_FORMAT`]; [`parse`] rejects anything else.
    pub format: String,
    /// When the page reached its verdict, RFC 3339 UTC (`2026-12-01T21:30:00Z`).
    pub checked_at: String,
    /// The verifier page that reached the verdict.
    pub verifier: Verifier,
    /// The proof exactly as the user gave it (JSON text; it contains the salt).
    pub proof: String,
    /// The manifest the proof was compared with.
    pub manifest: ManifestClaim,
    /// What the page concluded.
    pub verdict: Verdict,
}

/// The verifier that produced a dispute file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Verifier {
    /// The verifier's name (e.g. the site's Verify page).
    pub name: String,
    /// The verifier's version, when it knows one.
    pub version: Option<String>,
    /// SHA-256 of the `verify.js` the page ran, when it could read it.
    pub script_sha256: Option<String>,
}

/// The manifest the page compared the proof with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestClaim {
    /// The snapshot the manifest belongs to, when the page knew it.
    pub snapshot_id: Option<String>,
    /// Where the snapshot's manifest is published (`…/snapshots/<id>/manifest.json`).
    pub url: Option<String>,
    /// SHA-256 of the manifest bytes the page used; null when it had none.
    pub sha256: Option<String>,
    /// `fetched` (from the site), `file` (picked by the user) or `unavailable`.
    pub source: String,
    /// The name of the file the user picked, for source `file`.
    pub file_name: Option<String>,
    /// How a picked file compared with `snapshots/index.json`: `match`, `mismatch`,
    /// `unlisted`, `unavailable`; `fetched` for a fetched one, `not-run` without one.
    pub index_check: String,
}

/// The page's verdict on the proof.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Verdict {
    /// `valid`, `invalid` or `error`.
    pub result: String,
    /// The failed check (`parse`, `fold`, `root`, `manifest`) when invalid.
    pub check: Option<String>,
    /// The number of the failed step of FORMAT.md §3 (1 to 5), when invalid.
    pub step: Option<u8>,
    /// Why the check failed, in the page's words, when invalid.
    pub reason: Option<String>,
    /// `manifest-unavailable` when the page could not get the manifest.
    pub error: Option<String>,
}

/// Why a dispute file or the manifest given with it could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DisputeError {
    /// The dispute file is not valid JSON for `por-dispute/1`.
    #[error("dispute file: {path}: {message} (line {line}, column {column})")]
    Json {
        /// Where in the document the error is (serde path, e.g. `verdict.result`).
        path: String,
        /// The parser's message.
        message: String,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
    },
    /// The file's `format` is not [`DISPUTE_FORMAT`]; carries what it says.
    #[error("dispute file: format {0:?} is not {DISPUTE_FORMAT:?}")]
    Format(String),
    /// The manifest's JSON lacks what a verifier reads; carries the error with its path.
    #[error("manifest: not a manifest a verifier can read: {0}")]
    Manifest(String),
    /// The manifest bytes are not UTF-8.
    #[error("manifest: not UTF-8 text: {0}")]
    ManifestText(#[from] std::str::Utf8Error),
}

/// Parses a dispute file strictly (unknown fields are rejected).
pub fn parse(text: &str) -> Result<DisputeBundle, DisputeError> {
    let de = &mut serde_json::Deserializer::from_str(text);
    let bundle: DisputeBundle =
        serde_path_to_error::deserialize(de).map_err(|e| DisputeError::Json {
            path: e.path().to_string(),
            message: e.inner().to_string(),
            line: e.inner().line(),
            column: e.inner().column(),
        })?;
    if bundle.format != DISPUTE_FORMAT {
        return Err(DisputeError::Format(bundle.format));
    }
    Ok(bundle)
}

/// How the manifest given to [`recheck`] compares with the one the bundle names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ManifestHash {
    /// Its SHA-256 is the bundle's `manifest.sha256`.
    Matches,
    /// The bundle names another manifest (`bundle` is its hash, `given` this one's).
    /// The bundle names another manifest.
    Differs {
        /// The bundle's `manifest.sha256`.
        bundle: String,
        /// SHA-256 of the manifest given, lowercase hex.
        given: String,
    },
    /// The bundle has no manifest hash (the page could not get one).
    /// The bundle has no manifest hash.
    NotInBundle {
        /// SHA-256 of the manifest given, lowercase hex.
        given: String,
    },
}

/// The outcome of re-checking a dispute file against a manifest.
#[derive(Debug)]
pub struct Recheck {
    /// The dispute file as parsed.
    pub bundle: DisputeBundle,
    /// How the manifest given compares with the one the bundle names.
    pub manifest_hash: ManifestHash,
    /// The proof verified again, all five steps, against the given manifest.
    pub proof: Result<(), VerifyError>,
}

impl Recheck {
    /// The verdict this re-check reaches: `valid` or `invalid`.
    pub fn result(&self) -> &'static str {
        if self.proof.is_ok() {
            "valid"
        } else {
            "invalid"
        }
    }

    /// The failed check's code (`parse`, `fold`, `root`, `manifest`), if any.
    pub fn check(&self) -> Option<&'static str> {
        self.proof.as_ref().err().map(|e| e.check.code())
    }

    /// True when the proof verifies and the manifest is the one the bundle names:
    /// a CLI exits 0 on this and 1 otherwise.
    pub fn is_valid(&self) -> bool {
        self.proof.is_ok() && self.manifest_hash == ManifestHash::Matches
    }

    /// True when this re-check reaches the page's verdict (same result, same check).
    pub fn agrees_with_bundle(&self) -> bool {
        let v = &self.bundle.verdict;
        v.result == self.result() && v.check.as_deref() == self.check()
    }
}

/// Parses the dispute file `bundle_text`, hashes `manifest_bytes` (the published
/// manifest, e.g. fetched from the bundle's `manifest.url` or a saved copy) and
/// verifies the bundle's proof against that manifest. An error means the bundle
/// or the manifest cannot be read at all; a rejected proof is `Recheck::proof`.
pub fn recheck(bundle_text: &str, manifest_bytes: &[u8]) -> Result<Recheck, DisputeError> {
    let bundle = parse(bundle_text)?;
    let given = sha256_hex(manifest_bytes);
    let manifest_hash = match &bundle.manifest.sha256 {
        Some(h) if *h == given => ManifestHash::Matches,
        Some(h) => ManifestHash::Differs {
            bundle: h.clone(),
            given,
        },
        None => ManifestHash::NotInBundle { given },
    };
    let manifest = ManifestRef::from_json(std::str::from_utf8(manifest_bytes)?)
        .map_err(DisputeError::Manifest)?;
    // Either format, chosen by the proof's `format` (an unknown one fails step 1).
    let proof = AnyProof::verify_json(&bundle.proof, &manifest).map(|_| ());
    Ok(Recheck {
        bundle,
        manifest_hash,
        proof,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundle(sha: Option<&str>) -> String {
        serde_json::json!({
            "format": "por-dispute/1",
            "checked_at": "2026-12-01T21:30:00Z",
            "verifier": {"name": "por verify.js", "version": "0.1.0", "script_sha256": null},
            "proof": "{\"format\": \"por-inclusion-proof/1\"}",
            "manifest": {"snapshot_id": "s", "url": null, "sha256": sha, "source": "fetched",
                         "file_name": null, "index_check": "fetched"},
            "verdict": {"result": "invalid", "check": "parse", "step": 1, "reason": "x", "error": null},
        })
        .to_string()
    }

    const MANIFEST: &str = r#"{"exchange": "E", "snapshot_id": "s", "assets": [{"symbol": "BTC", "decimals": 8}],
        "tree": {"root": "0000000000000000000000000000000000000000000000000000000000000000", "sums": ["0"], "height": 0, "leaves": 1}}"#;

    #[test]
    fn a_bundle_parses_strictly() {
        assert!(parse(&bundle(None)).is_ok());
        let extra = bundle(None).replacen('{', r#"{"extra": 1, "#, 1);
        assert!(matches!(parse(&extra), Err(DisputeError::Json { .. })));
        let other = bundle(None).replace("por-dispute/1", "por-dispute/2");
        assert!(matches!(parse(&other), Err(DisputeError::Format(_))));
    }

    #[test]
    fn the_manifest_hash_is_compared_and_the_proof_rechecked() {
        let sha = sha256_hex(MANIFEST.as_bytes());
        let r = recheck(&bundle(Some(&sha)), MANIFEST.as_bytes()).unwrap();
        assert_eq!(r.manifest_hash, ManifestHash::Matches);
        assert_eq!(r.check(), Some("parse"));
        assert!(r.agrees_with_bundle());
        assert!(!r.is_valid());
        let r = recheck(&bundle(Some(&"0".repeat(64))), MANIFEST.as_bytes()).unwrap();
        assert!(matches!(r.manifest_hash, ManifestHash::Differs { .. }));
        let r = recheck(&bundle(None), MANIFEST.as_bytes()).unwrap();
        assert!(matches!(r.manifest_hash, ManifestHash::NotInBundle { .. }));
        assert!(matches!(
            recheck(&bundle(None), b"{}"),
            Err(DisputeError::Manifest(_))
        ));
        // A por/2 proof is re-checked too (here: rejected at step 1, as the manifest
        // is por/1).
        let v2 = bundle(None).replace("por-inclusion-proof/1", "por-inclusion-proof/2");
        let r = recheck(&v2, MANIFEST.as_bytes()).unwrap();
        assert_eq!(r.check(), Some("parse"));
    }
}
