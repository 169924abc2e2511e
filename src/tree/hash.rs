//! Tagged SHA-256 (FORMAT.md §1): `H(tag, msg) = SHA256(SHA256(tag) ‖ SHA256(tag) ‖ msg)`.
//!
//! The 64-byte tag prefix is one SHA-256 block, so each tag's midstate is computed
//! once and cloned per hash: a leaf costs two compressions, a node four (K = 4).

use sha2::{Digest, Sha256};
use std::fmt;
use std::sync::OnceLock;

/// The tags of por/1, in the order of FORMAT.md §1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tag {
    Account,
    Leaf,
    Node,
    Pad,
}

impl Tag {
    pub const ALL: [Tag; 4] = [Tag::Account, Tag::Leaf, Tag::Node, Tag::Pad];

    pub fn as_str(self) -> &'static str {
        match self {
            Tag::Account => "por/1/account",
            Tag::Leaf => "por/1/leaf",
            Tag::Node => "por/1/node",
            Tag::Pad => "por/1/pad",
        }
    }

    fn midstate(self) -> &'static Sha256 {
        static STATES: OnceLock<[Sha256; 4]> = OnceLock::new();
        let states = STATES.get_or_init(|| {
            Tag::ALL.map(|t| {
                let th = Sha256::digest(t.as_str().as_bytes());
                let mut h = Sha256::new();
                h.update(th);
                h.update(th);
                h
            })
        });
        &states[self as usize]
    }

    /// A hasher already fed with the tag prefix; feed the message and finalize.
    pub fn hasher(self) -> Sha256 {
        self.midstate().clone()
    }

    /// `H(tag, msg)`.
    pub fn hash(self, msg: &[u8]) -> NodeHash {
        let mut h = self.hasher();
        h.update(msg);
        NodeHash(h.finalize().into())
    }
}

/// A 32-byte hash of the tree; displayed and serialized as 64 lowercase hex.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct NodeHash(pub [u8; 32]);

impl NodeHash {
    /// Parses exactly 64 lowercase hex characters (FORMAT.md §1).
    pub fn from_hex(s: &str) -> Option<NodeHash> {
        parse_hex32(s).map(NodeHash)
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

/// Exactly 64 lowercase hex characters → 32 bytes.
pub fn parse_hex32(s: &str) -> Option<[u8; 32]> {
    let b = s.as_bytes();
    if b.len() != 64 || !b.iter().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    let mut out = [0u8; 32];
    hex::decode_to_slice(s, &mut out).ok()?;
    Some(out)
}

impl fmt::Debug for NodeHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NodeHash({})", self.to_hex())
    }
}

impl fmt::Display for NodeHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl serde::Serialize for NodeHash {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> serde::Deserialize<'de> for NodeHash {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        NodeHash::from_hex(&s).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "{} is not 64 lowercase hex characters",
                crate::excerpt::Excerpt::quoted(s.as_bytes())
            ))
        })
    }
}

/// `H("por/1/account", salt ‖ uid)`.
pub fn account_commitment(salt: &[u8; 32], uid: &[u8]) -> NodeHash {
    let mut h = Tag::Account.hasher();
    h.update(salt);
    h.update(uid);
    NodeHash(h.finalize().into())
}

/// The padding node's hash, `H("por/1/pad", "")`.
pub fn pad_hash() -> NodeHash {
    static PAD: OnceLock<NodeHash> = OnceLock::new();
    *PAD.get_or_init(|| Tag::Pad.hash(b""))
}
