//! The `bip137` scheme: a compact recoverable ECDSA signature over Bitcoin's
//! signed-message hash (`"\x18Bitcoin Signed Message:\n" ‖ len ‖ msg`, double SHA-256).
//!
//! The header byte says which address the recovered key stands for (BIP-137):
//! 27–30 P2PKH of the uncompressed key, 31–34 P2PKH of the compressed key,
//! 35–38 P2SH-P2WPKH, 39–42 P2WPKH. Electrum and Bitcoin Core's descendants sign
//! segwit addresses with 31–34, so for a P2WPKH or P2SH-P2WPKH address 31–34 is read
//! as "the compressed key", and the address of the listed kind is derived from it.
//! Either way the recovered key must produce exactly the listed address.

use bitcoin::hashes::Hash as _;
use bitcoin::secp256k1::ecdsa::{RecoverableSignature, RecoveryId};
use bitcoin::secp256k1::{self, Message, Secp256k1};
use bitcoin::sign_message::signed_msg_hash;
use bitcoin::{Address, CompressedPublicKey, PublicKey};

use super::{BitcoinAddress, OwnershipError, Scheme};

/// Recovers the signing key of a 65-byte compact signature over `message`'s
/// signed-message hash; returns it with the header's "compressed" flag.
pub(crate) fn recover_compact(
    sig: &[u8; 65],
    message: &str,
) -> Result<(secp256k1::PublicKey, bool), String> {
    let header = sig[0];
    if !(27..=42).contains(&header) {
        return Err(format!("header byte {header} is outside 27..=42"));
    }
    let recid = RecoveryId::from_i32(i32::from((header - 27) % 4))
        .map_err(|e| format!("bad recovery id: {e}"))?;
    let compressed = header >= 31;
    let rsig = RecoverableSignature::from_compact(&sig[1..], recid)
        .map_err(|e| format!("r and s are not a valid signature: {e}"))?;
    let digest = Message::from_digest(signed_msg_hash(message).to_byte_array());
    let key = Secp256k1::verification_only()
        .recover_ecdsa(&digest, &rsig)
        .map_err(|_| "no public key recovers from this signature".to_owned())?;
    Ok((key, compressed))
}

/// The address kinds a header byte can stand for, given the listed address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Derived {
    P2pkhUncompressed,
    P2pkh,
    P2shP2wpkh,
    P2wpkh,
}

impl Derived {
    fn name(self) -> &'static str {
        match self {
            Derived::P2pkhUncompressed => "uncompressed p2pkh",
            Derived::P2pkh => "p2pkh",
            Derived::P2shP2wpkh => "p2sh-p2wpkh",
            Derived::P2wpkh => "p2wpkh",
        }
    }
}

pub(crate) fn verify(
    address: &BitcoinAddress,
    message: &str,
    sig: &[u8; 65],
) -> Result<(), OwnershipError> {
    let reject = |reason: String| OwnershipError::rejected(address, Scheme::Bip137, reason);
    let (key, _) = recover_compact(sig, message).map_err(|e| reject(format!("signature: {e}")))?;
    let derived = match sig[0] {
        27..=30 => Derived::P2pkhUncompressed,
        // Electrum-style: the compressed key, standing for the listed segwit kind.
        31..=34 => match address.kind() {
            "p2wpkh" => Derived::P2wpkh,
            "p2sh" => Derived::P2shP2wpkh,
            _ => Derived::P2pkh,
        },
        35..=38 => Derived::P2shP2wpkh,
        _ => Derived::P2wpkh,
    };
    let network = address.network();
    let compressed = CompressedPublicKey(key);
    let ours = match derived {
        Derived::P2pkhUncompressed => Address::p2pkh(PublicKey::new_uncompressed(key), network),
        Derived::P2pkh => Address::p2pkh(compressed, network),
        Derived::P2shP2wpkh => Address::p2shwpkh(&compressed, network),
        Derived::P2wpkh => Address::p2wpkh(&compressed, network),
    };
    if ours.script_pubkey() != address.script_pubkey() {
        let shown = match derived {
            Derived::P2pkhUncompressed => PublicKey::new_uncompressed(key).to_string(),
            _ => compressed.to_string(),
        };
        return Err(reject(format!(
            "signature (header {}) recovers key {shown} whose {} address is {ours}, not the listed address",
            sig[0],
            derived.name()
        )));
    }
    Ok(())
}
