//! Keys of the snapshot log (c2sp.org/signed-note verifier keys, FORMAT.md §7):
//! `<name>+<8 lowercase hex key id>+<standard base64 of (type byte ‖ 32-byte key)>`,
//! key id = the first 4 bytes of `SHA-256(name ‖ "\n" ‖ type ‖ key)`. Type `0x01` is an
//! Ed25519 note key (the log's, signing checkpoints); type `0x04` an Ed25519
//! cosignature/v1 key (a witness's). Parsing is strict: a key that would only be
//! accepted by a lenient reader (upper-case hex, URL-safe or unpadded base64, a wrong
//! id) is refused, so two verifiers never disagree on which key a text names.
//!
//! A private key is written as signed_note writes one,
//! `PRIVATE+KEY+<name>+<key id>+<base64 of (type ‖ 32-byte Ed25519 seed)>`, for both
//! types.

use super::{Check, LogError, b64, unb64};
use ed25519_dalek::{Signer as _, Verifier as _};
use std::fmt;

/// The signature type byte of a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyType {
    /// `0x01`: Ed25519 signed-note key; the log signs its checkpoints with it.
    Note,
    /// `0x04`: Ed25519 cosignature/v1 key; a witness cosigns with it.
    Cosignature,
}

impl KeyType {
    /// The type byte.
    pub fn byte(self) -> u8 {
        match self {
            KeyType::Note => 0x01,
            KeyType::Cosignature => 0x04,
        }
    }

    fn from_byte(b: u8) -> Option<KeyType> {
        match b {
            0x01 => Some(KeyType::Note),
            0x04 => Some(KeyType::Cosignature),
            _ => None,
        }
    }

    /// What a key of this type is, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            KeyType::Note => "a log key (type 0x01)",
            KeyType::Cosignature => "a witness key (type 0x04)",
        }
    }
}

/// The key id of `name` and a key of type `kind`.
pub fn key_id(name: &str, kind: KeyType, key: &[u8; 32]) -> u32 {
    let mut material = vec![kind.byte()];
    material.extend_from_slice(key);
    signed_note::key_id(name, &material)
}

/// A public key with its name: what a verifier pins.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifierKey {
    name: String,
    id: u32,
    kind: KeyType,
    key: ed25519_dalek::VerifyingKey,
}

fn vkey_error(text: &str, why: impl fmt::Display) -> LogError {
    LogError::new(
        Check::Vkey,
        format!(
            "verifier key {}: {why}",
            crate::excerpt::Excerpt::quoted(text)
        ),
    )
}

/// Splits `<name>+<8 lowercase hex>+<base64>` and decodes the key material (type byte
/// and 32 bytes), checking the key id.
fn parse_key_text(text: &str) -> Result<(String, u32, KeyType, [u8; 32]), String> {
    let mut parts = text.splitn(3, '+');
    let (Some(name), Some(id_hex), Some(material)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err("expected <name>+<key id>+<base64 key>".into());
    };
    if !signed_note::is_key_name_valid(name) {
        return Err(format!(
            "key name {:?} is empty or has a space or a +",
            name
        ));
    }
    if id_hex.len() != 8
        || !id_hex
            .bytes()
            .all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
    {
        return Err(format!("key id {id_hex:?} is not 8 lowercase hex digits"));
    }
    let id = u32::from_str_radix(id_hex, 16).map_err(|e| e.to_string())?;
    let Some(bytes) = unb64(material) else {
        return Err("the key is not standard padded base64".into());
    };
    if bytes.len() != 33 {
        return Err(format!(
            "the key is {} bytes, expected a type byte and 32 bytes",
            bytes.len()
        ));
    }
    let Some(kind) = KeyType::from_byte(bytes[0]) else {
        return Err(format!(
            "key type 0x{:02x} is neither 0x01 (log) nor 0x04 (witness)",
            bytes[0]
        ));
    };
    let key: [u8; 32] = bytes[1..].try_into().expect("33 - 1 bytes");
    Ok((name.to_string(), id, kind, key))
}

impl VerifierKey {
    /// Parses a verifier key of either type, strictly.
    pub fn parse(text: &str) -> Result<VerifierKey, LogError> {
        let (name, id, kind, key) = parse_key_text(text).map_err(|e| vkey_error(text, e))?;
        if id != key_id(&name, kind, &key) {
            return Err(vkey_error(
                text,
                format!(
                    "key id {id:08x} is not the one of this name and key ({:08x})",
                    key_id(&name, kind, &key)
                ),
            ));
        }
        let key = ed25519_dalek::VerifyingKey::from_bytes(&key)
            .map_err(|_| vkey_error(text, "not an Ed25519 public key"))?;
        Ok(VerifierKey {
            name,
            id,
            kind,
            key,
        })
    }

    /// Parses a verifier key that must be of type `kind` (a log key must not be
    /// pinned where a witness key is expected, nor the reverse).
    pub fn parse_as(text: &str, kind: KeyType) -> Result<VerifierKey, LogError> {
        let k = VerifierKey::parse(text)?;
        if k.kind != kind {
            return Err(vkey_error(
                text,
                format!("is {}, expected {}", k.kind.describe(), kind.describe()),
            ));
        }
        Ok(k)
    }

    /// The key's name (a log's origin, a witness's name).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key id.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The key's type.
    pub fn kind(&self) -> KeyType {
        self.kind
    }

    /// Whether `sig` is an Ed25519 signature of `msg` by this key.
    pub(crate) fn verify_raw(&self, msg: &[u8], sig: &[u8]) -> bool {
        let Ok(sig) = <[u8; 64]>::try_from(sig) else {
            return false;
        };
        self.key
            .verify(msg, &ed25519_dalek::Signature::from_bytes(&sig))
            .is_ok()
    }
}

impl fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut material = vec![self.kind.byte()];
        material.extend_from_slice(self.key.as_bytes());
        write!(f, "{}+{:08x}+{}", self.name, self.id, b64(&material))
    }
}

impl signed_note::Verifier for VerifierKey {
    fn name(&self) -> &str {
        &self.name
    }

    fn key_id(&self) -> u32 {
        self.id
    }

    fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        match self.kind {
            KeyType::Note => self.verify_raw(msg, sig),
            // A cosignature signs more than the note text (see checkpoint.rs); it is
            // never checked through signed_note.
            KeyType::Cosignature => false,
        }
    }
}

/// A private key: the log's note key or a witness's cosignature key.
pub struct SigningKey {
    name: String,
    id: u32,
    kind: KeyType,
    key: ed25519_dalek::SigningKey,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the secret.
        write!(f, "SigningKey({})", self.verifier())
    }
}

impl SigningKey {
    /// The key of `name` and `kind` with this 32-byte Ed25519 seed.
    pub fn from_seed(name: &str, kind: KeyType, seed: [u8; 32]) -> Result<SigningKey, LogError> {
        if !signed_note::is_key_name_valid(name) {
            return Err(LogError::new(
                Check::Vkey,
                format!(
                    "key name {} is empty or has a space or a +",
                    crate::excerpt::Excerpt::quoted(name)
                ),
            ));
        }
        let key = ed25519_dalek::SigningKey::from_bytes(&seed);
        let id = key_id(name, kind, key.verifying_key().as_bytes());
        Ok(SigningKey {
            name: name.to_string(),
            id,
            kind,
            key,
        })
    }

    /// Parses `PRIVATE+KEY+<name>+<key id>+<base64 (type ‖ seed)>`; the key id must be
    /// the one of the derived public key. The message never quotes the secret.
    pub fn parse(text: &str) -> Result<SigningKey, LogError> {
        let bad = |why: String| LogError::new(Check::Vkey, format!("private key: {why}"));
        let rest = text
            .trim_end_matches('\n')
            .strip_prefix("PRIVATE+KEY+")
            .ok_or_else(|| bad("does not start with PRIVATE+KEY+".into()))?;
        let (name, id, kind, seed) = parse_key_text(rest).map_err(|e| {
            // parse_key_text quotes only the name and id, never the key material.
            bad(e)
        })?;
        let k = SigningKey::from_seed(&name, kind, seed)?;
        if k.id != id {
            return Err(bad(format!(
                "key id {id:08x} is not the one of its public key ({:08x})",
                k.id
            )));
        }
        Ok(k)
    }

    /// The private key text (`PRIVATE+KEY+…`), for the key file.
    pub fn to_private_text(&self) -> String {
        let mut material = vec![self.kind.byte()];
        material.extend_from_slice(self.key.as_bytes());
        format!(
            "PRIVATE+KEY+{}+{:08x}+{}",
            self.name,
            self.id,
            b64(&material)
        )
    }

    /// The public half, as a verifier pins it.
    pub fn verifier(&self) -> VerifierKey {
        VerifierKey {
            name: self.name.clone(),
            id: self.id,
            kind: self.kind,
            key: self.key.verifying_key(),
        }
    }

    /// The key's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key's type.
    pub fn kind(&self) -> KeyType {
        self.kind
    }

    /// The key id.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// An Ed25519 signature of `msg` (deterministic, RFC 8032).
    pub(crate) fn sign_raw(&self, msg: &[u8]) -> [u8; 64] {
        self.key.sign(msg).to_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_a_wrong_type() {
        let k = SigningKey::from_seed("example.com/log", KeyType::Note, [7; 32]).unwrap();
        let v = k.verifier().to_string();
        assert_eq!(VerifierKey::parse(&v).unwrap(), k.verifier());
        let again = SigningKey::parse(&k.to_private_text()).unwrap();
        assert_eq!(again.verifier(), k.verifier());
        let e = VerifierKey::parse_as(&v, KeyType::Cosignature).unwrap_err();
        assert_eq!(e.check, Check::Vkey);
        assert!(e.message.contains("expected a witness key"), "{e}");
    }

    #[test]
    fn a_private_key_error_never_quotes_the_secret() {
        let k = SigningKey::from_seed("example.com/log", KeyType::Note, [9; 32]).unwrap();
        let text = k.to_private_text();
        let secret = text.rsplit('+').next().unwrap().to_string();
        let wrong_id = text.replacen(&format!("{:08x}", k.id()), "00000000", 1);
        let e = SigningKey::parse(&wrong_id).unwrap_err().to_string();
        assert!(!e.contains(&secret), "{e}");
        assert!(e.contains("key id 00000000"), "{e}");
    }
}
