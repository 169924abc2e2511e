//! Ownership schemes and the parsing of their `signature` / `script` fields
//! (FORMAT.md §5) into typed proofs. Parsing checks form only (encoding, lengths,
//! header bytes, script shape); whether a proof proves anything is `verify`'s job.

use std::fmt;
use std::str::FromStr;

use bitcoin::Witness;
use bitcoin::base64::Engine as _;
use bitcoin::base64::engine::general_purpose::STANDARD as BASE64;
use bitcoin::consensus::Decodable;
use serde::{Deserialize, Serialize};

use super::OwnershipError;
use super::multisig::MultisigScript;
use crate::excerpt::Excerpt;

/// How an address proves it is controlled by the exchange (FORMAT.md §5, `scheme`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Scheme {
    /// `bip137`: a compact ECDSA message signature by the address's key (P2PKH, P2SH-P2WPKH,
    /// P2WPKH).
    #[serde(rename = "bip137")]
    Bip137,
    /// `bip322-simple`: a BIP-322 simple signature (P2WPKH, P2TR key path, P2WSH).
    #[serde(rename = "bip322-simple")]
    Bip322Simple,
    /// `multisig`: the P2SH or P2WSH script and signatures by at least `m` distinct keys of it.
    #[serde(rename = "multisig")]
    Multisig,
    /// `eip191`: an Ethereum `personal_sign` signature by the address's key.
    #[serde(rename = "eip191")]
    Eip191,
    /// `eip1271`: a contract wallet's signature, checked by calling `isValidSignature` on it.
    #[serde(rename = "eip1271")]
    Eip1271,
    /// `none`: listed without proof; its holdings count as unproven reserves only.
    #[serde(rename = "none")]
    None,
    /// `bip127`: one proof-of-reserves PSBT for a whole wallet (declared in the config's
    /// `[[bip127]]`, not in the wallets file).
    #[serde(rename = "bip127")]
    Bip127,
}

impl Scheme {
    /// Every scheme a wallets-file row can name, in the order of FORMAT.md §5
    /// (`bip127` proves whole wallets and is declared in the config instead).
    pub const ALL: [Scheme; 6] = [
        Scheme::Bip137,
        Scheme::Bip322Simple,
        Scheme::Multisig,
        Scheme::Eip191,
        Scheme::Eip1271,
        Scheme::None,
    ];

    /// The exact spelling of FORMAT.md §5.
    pub const fn as_str(self) -> &'static str {
        match self {
            Scheme::Bip137 => "bip137",
            Scheme::Bip322Simple => "bip322-simple",
            Scheme::Multisig => "multisig",
            Scheme::Eip191 => "eip191",
            Scheme::Eip1271 => "eip1271",
            Scheme::None => "none",
            Scheme::Bip127 => "bip127",
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scheme {
    type Err = OwnershipError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scheme::ALL
            .into_iter()
            .find(|scheme| scheme.as_str() == s)
            .ok_or_else(|| OwnershipError::UnknownScheme(Excerpt::backticked(s)))
    }
}

/// A parsed ownership proof, one variant per scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnershipProof {
    /// A 65-byte compact recoverable signature: header byte (27–42), `r`, `s`.
    Bip137 {
        /// The signature bytes: header, `r`, `s`.
        signature: [u8; 65],
    },
    /// The BIP-322 `to_sign` witness stack.
    Bip322Simple {
        /// The witness stack that spends `to_spend`.
        witness: Witness,
    },
    /// A standard `OP_m <keys> OP_n OP_CHECKMULTISIG` script and compact signatures by
    /// its keys (each as `Bip137`).
    Multisig {
        /// The multisig script, checked to be standard.
        script: MultisigScript,
        /// Compact signatures (each as `Bip137`) by at least `m` distinct keys of the script.
        signatures: Vec<[u8; 65]>,
    },
    /// `r ‖ s ‖ v`, `v` ∈ {0, 1, 27, 28}.
    Eip191 {
        /// The signature bytes: `r`, `s`, `v`.
        signature: [u8; 65],
    },
    /// Opaque bytes for the wallet contract's `isValidSignature`.
    Eip1271 {
        /// The bytes as given.
        signature: Vec<u8>,
    },
    /// Scheme `none`: no proof.
    None,
    /// Scheme `bip127`: an address of one of the wallet's claimed outputs; the wallet's
    /// PSBT is checked as a whole (see [`super::bip127`]).
    Bip127 {
        /// The wallet's name (FORMAT.md §5).
        wallet: String,
    },
}

impl OwnershipProof {
    /// The scheme this proof is for.
    pub fn scheme(&self) -> Scheme {
        match self {
            OwnershipProof::Bip137 { .. } => Scheme::Bip137,
            OwnershipProof::Bip322Simple { .. } => Scheme::Bip322Simple,
            OwnershipProof::Multisig { .. } => Scheme::Multisig,
            OwnershipProof::Eip191 { .. } => Scheme::Eip191,
            OwnershipProof::Eip1271 { .. } => Scheme::Eip1271,
            OwnershipProof::None => Scheme::None,
            OwnershipProof::Bip127 { .. } => Scheme::Bip127,
        }
    }

    /// Parses the `signature` field (and `script`, for `multisig` only) of `scheme`.
    ///
    /// - `bip137`: base64 of 65 bytes, header 27–42.
    /// - `bip322-simple`: base64 of a consensus-encoded witness stack, optionally
    ///   prefixed `smp` (BIP-322 v2); `ful`/`pof` prefixes are other formats and rejected.
    /// - `multisig`: a JSON array of base64 compact signatures, or that array as a JSON
    ///   string (as it arrives from a CSV cell written by a JSON-unaware tool).
    /// - `eip191`: `0x` and 130 hex digits. `eip1271`: `0x` and any even number of hex digits.
    /// - `none`: empty.
    ///
    /// Surrounding whitespace is not trimmed: the signature is published byte for byte.
    pub fn parse(
        scheme: Scheme,
        signature: &str,
        script: Option<&str>,
    ) -> Result<Self, OwnershipError> {
        let script = script.filter(|s| !s.is_empty());
        if scheme != Scheme::Multisig
            && let Some(s) = script
        {
            return Err(OwnershipError::malformed(
                scheme,
                s,
                "a script is only part of a multisig proof",
            ));
        }
        match scheme {
            Scheme::Bip137 => Ok(OwnershipProof::Bip137 {
                signature: parse_compact(scheme, signature, signature)?,
            }),
            Scheme::Bip322Simple => parse_bip322_simple(signature),
            Scheme::Multisig => {
                let script = script.ok_or_else(|| {
                    OwnershipError::malformed(
                        scheme,
                        signature,
                        "a multisig proof needs the script (hex of the redeem or witness script)",
                    )
                })?;
                let script = MultisigScript::parse_hex(script)?;
                let signatures = parse_signature_list(signature)?
                    .iter()
                    .map(|s| parse_compact(scheme, s, s))
                    .collect::<Result<Vec<_>, _>>()?;
                if signatures.is_empty() {
                    return Err(OwnershipError::malformed(
                        scheme,
                        signature,
                        "no signatures in the list",
                    ));
                }
                Ok(OwnershipProof::Multisig { script, signatures })
            }
            Scheme::Eip191 => {
                let bytes = parse_0x_hex(scheme, signature)?;
                let signature: [u8; 65] = bytes.try_into().map_err(|b: Vec<u8>| {
                    OwnershipError::malformed(
                        scheme,
                        signature,
                        format!("expected 65 bytes (r, s, v), got {}", b.len()),
                    )
                })?;
                if !matches!(signature[64], 0 | 1 | 27 | 28) {
                    return Err(OwnershipError::malformed(
                        scheme,
                        &hex::encode(signature),
                        format!(
                            "v is {}; personal_sign uses 27 or 28 (or 0 or 1)",
                            signature[64]
                        ),
                    ));
                }
                Ok(OwnershipProof::Eip191 { signature })
            }
            Scheme::Eip1271 => Ok(OwnershipProof::Eip1271 {
                signature: parse_0x_hex(scheme, signature)?,
            }),
            Scheme::None if signature.is_empty() => Ok(OwnershipProof::None),
            Scheme::None => Err(OwnershipError::malformed(
                scheme,
                signature,
                "scheme none carries no signature",
            )),
            Scheme::Bip127 => Err(OwnershipError::malformed(
                scheme,
                signature,
                "bip127 proves a whole wallet: declare it in the config's [[bip127]], not in the wallets file",
            )),
        }
    }
}

/// Base64 of a 65-byte compact signature with a BIP-137 header byte.
fn parse_compact(scheme: Scheme, shown: &str, b64: &str) -> Result<[u8; 65], OwnershipError> {
    let bytes = BASE64.decode(b64).map_err(|e| {
        OwnershipError::malformed(scheme, shown, format!("not base64: {}", lower(e)))
    })?;
    let sig: [u8; 65] = bytes.try_into().map_err(|b: Vec<u8>| {
        OwnershipError::malformed(
            scheme,
            shown,
            format!(
                "expected a 65-byte compact signature, got {} bytes",
                b.len()
            ),
        )
    })?;
    if !(27..=42).contains(&sig[0]) {
        return Err(OwnershipError::malformed(
            scheme,
            shown,
            format!("header byte {} is outside 27..=42 (bip137)", sig[0]),
        ));
    }
    Ok(sig)
}

fn parse_bip322_simple(signature: &str) -> Result<OwnershipProof, OwnershipError> {
    let scheme = Scheme::Bip322Simple;
    for (prefix, what) in [("ful", "a full"), ("pof", "a proof-of-funds")] {
        if signature.starts_with(prefix) {
            return Err(OwnershipError::malformed(
                scheme,
                signature,
                format!("{what} bip322 signature (`{prefix}` prefix), not a simple one"),
            ));
        }
    }
    let body = signature.strip_prefix("smp").unwrap_or(signature);
    if body.is_empty() {
        return Err(OwnershipError::malformed(
            scheme,
            signature,
            "empty signature",
        ));
    }
    let bytes = BASE64.decode(body).map_err(|e| {
        OwnershipError::malformed(scheme, signature, format!("not base64: {}", lower(e)))
    })?;
    let mut reader = bytes.as_slice();
    let witness = Witness::consensus_decode_from_finite_reader(&mut reader).map_err(|e| {
        OwnershipError::malformed(
            scheme,
            signature,
            format!("not a consensus-encoded witness stack: {e}"),
        )
    })?;
    if !reader.is_empty() {
        return Err(OwnershipError::malformed(
            scheme,
            signature,
            format!("{} bytes after the witness stack", reader.len()),
        ));
    }
    if witness.is_empty() {
        return Err(OwnershipError::malformed(
            scheme,
            signature,
            "empty witness stack",
        ));
    }
    Ok(OwnershipProof::Bip322Simple { witness })
}

/// `["b64", …]`, or the same array as a JSON string.
fn parse_signature_list(signature: &str) -> Result<Vec<String>, OwnershipError> {
    let scheme = Scheme::Multisig;
    let bad = |reason: String| OwnershipError::malformed(scheme, signature, reason);
    let value: serde_json::Value = serde_json::from_str(signature)
        .map_err(|e| bad(format!("expected a json array of base64 signatures: {e}")))?;
    let value = match value {
        serde_json::Value::String(inner) => serde_json::from_str(&inner)
            .map_err(|e| bad(format!("expected a json array of base64 signatures: {e}")))?,
        v => v,
    };
    serde_json::from_value(value)
        .map_err(|e| bad(format!("expected a json array of base64 signatures: {e}")))
}

fn parse_0x_hex(scheme: Scheme, s: &str) -> Result<Vec<u8>, OwnershipError> {
    let digits = s
        .strip_prefix("0x")
        .ok_or_else(|| OwnershipError::malformed(scheme, s, "expected 0x-prefixed hex"))?;
    hex::decode(digits)
        .map_err(|e| OwnershipError::malformed(scheme, s, format!("not hex: {}", lower(e))))
}

fn lower(e: impl fmt::Display) -> String {
    e.to_string().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheme_strings_are_the_spec_strings() {
        let names: Vec<_> = Scheme::ALL.iter().map(|s| s.to_string()).collect();
        assert_eq!(
            names,
            [
                "bip137",
                "bip322-simple",
                "multisig",
                "eip191",
                "eip1271",
                "none"
            ]
        );
        for s in Scheme::ALL {
            assert_eq!(s.as_str().parse::<Scheme>().unwrap(), s);
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{s}\""));
        }
        assert_eq!(
            "BIP137".parse::<Scheme>().unwrap_err().to_string(),
            "unknown ownership scheme `BIP137` (expected bip137, bip322-simple, multisig, eip191, eip1271 or none)"
        );
    }

    #[test]
    fn form_errors_name_the_input() {
        let e = OwnershipProof::parse(Scheme::Bip137, "AAAA", None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "bip137 signature `AAAA`: expected a 65-byte compact signature, got 3 bytes"
        );
        let e = OwnershipProof::parse(Scheme::Eip191, "0x1234", None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "eip191 signature `0x1234`: expected 65 bytes (r, s, v), got 2"
        );
        let e = OwnershipProof::parse(Scheme::None, "x", None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "none signature `x`: scheme none carries no signature"
        );
        let e = OwnershipProof::parse(Scheme::Bip137, "", Some("51")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "bip137 signature `51`: a script is only part of a multisig proof"
        );
        assert_eq!(
            OwnershipProof::parse(Scheme::Eip1271, "0x", None).unwrap(),
            OwnershipProof::Eip1271 { signature: vec![] }
        );
    }

    #[test]
    fn signature_list_accepts_array_or_string_of_array() {
        let a = parse_signature_list(r#"["x","y"]"#).unwrap();
        let b = parse_signature_list(r#""[\"x\",\"y\"]""#).unwrap();
        assert_eq!(a, b);
        assert!(parse_signature_list("x,y").is_err());
    }
}
