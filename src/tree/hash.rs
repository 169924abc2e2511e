//! Tagged SHA-256 (FORMAT.md §1): `H(tag, msg) = SHA256(SHA256(tag) ‖ SHA256(tag) ‖ msg)`.
//!
//! The 64-byte tag prefix is one SHA-256 block, so each tag's midstate is computed
//! once and cloned per hash: a leaf costs two compressions, a node four (K = 4).

use sha2::{Digest, Sha256};
use std::fmt;
use std::sync::OnceLock;

/// The tags of por/1, in the order of FORMAT.md §1, then those of por/2 (§6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tag {
    /// `por/1/account`: an account's commitment, `salt ‖ uid` (FORMAT.md §2).
    Account,
    /// `por/1/leaf`: a por/1 leaf.
    Leaf,
    /// `por/1/node`: a por/1 inner node.
    Node,
    /// `por/1/pad`: the por/1 padding node.
    Pad,
    /// `por/2/account`: a part's commitment, `salt_j ‖ u8(j) ‖ uid`.
    AccountV2,
    /// `por/2/leaf`: a part leaf.
    LeafV2,
    /// `por/2/node`: a por/2 inner node.
    NodeV2,
    /// `por/2/pad`: the por/2 padding node.
    PadV2,
    /// `por/2/dummy`: a dummy leaf, `H("por/2/dummy", r)`.
    DummyV2,
}

impl Tag {
    /// The tags of por/1, in the order of FORMAT.md §1.
    pub const ALL: [Tag; 4] = [Tag::Account, Tag::Leaf, Tag::Node, Tag::Pad];

    /// The tags of por/2, in the order of FORMAT.md §6.
    pub const ALL_V2: [Tag; 5] = [
        Tag::AccountV2,
        Tag::LeafV2,
        Tag::NodeV2,
        Tag::PadV2,
        Tag::DummyV2,
    ];

    /// Every tag of every version, in discriminant order (the midstate table).
    const EVERY: [Tag; 9] = [
        Tag::Account,
        Tag::Leaf,
        Tag::Node,
        Tag::Pad,
        Tag::AccountV2,
        Tag::LeafV2,
        Tag::NodeV2,
        Tag::PadV2,
        Tag::DummyV2,
    ];

    /// The tag's domain-separation string, e.g. `"por/1/leaf"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Tag::Account => "por/1/account",
            Tag::Leaf => "por/1/leaf",
            Tag::Node => "por/1/node",
            Tag::Pad => "por/1/pad",
            Tag::AccountV2 => "por/2/account",
            Tag::LeafV2 => "por/2/leaf",
            Tag::NodeV2 => "por/2/node",
            Tag::PadV2 => "por/2/pad",
            Tag::DummyV2 => "por/2/dummy",
        }
    }

    fn midstate(self) -> &'static Sha256 {
        static STATES: OnceLock<[Sha256; 9]> = OnceLock::new();
        let states = STATES.get_or_init(|| {
            Tag::EVERY.map(|t| {
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

    /// The hash as 64 lowercase hex characters (FORMAT.md §1).
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

/// The tags a Merkle sum tree is built with: por/1 (FORMAT.md §2) or por/2 (§6). The
/// level and path code of [`crate::tree`] is the same for both; only these differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TreeTags {
    /// The tag of a leaf (an account in por/1, a part in por/2).
    pub leaf: Tag,
    /// The tag of an inner node.
    pub node: Tag,
    /// The tag whose empty-message hash is the padding node's hash.
    pub pad: Tag,
}

impl TreeTags {
    /// por/1: `por/1/leaf`, `por/1/node`, `por/1/pad`.
    pub const V1: TreeTags = TreeTags {
        leaf: Tag::Leaf,
        node: Tag::Node,
        pad: Tag::Pad,
    };

    /// por/2: `por/2/leaf`, `por/2/node`, `por/2/pad`.
    pub const V2: TreeTags = TreeTags {
        leaf: Tag::LeafV2,
        node: Tag::NodeV2,
        pad: Tag::PadV2,
    };

    /// The padding node's hash, `H(pad, "")`.
    pub fn pad_hash(self) -> NodeHash {
        static PAD_V2: OnceLock<NodeHash> = OnceLock::new();
        match self.pad {
            Tag::Pad => pad_hash(),
            Tag::PadV2 => *PAD_V2.get_or_init(|| Tag::PadV2.hash(b"")),
            other => other.hash(b""),
        }
    }
}
