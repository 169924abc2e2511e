//! The `bip322-simple` scheme: a BIP-322 "simple" signature, the witness stack that
//! spends the virtual `to_spend` output committing to the message.
//!
//! The construction and the script checks are the `bip322` crate's (rust-bitcoin
//! organisation), which handles P2WPKH, P2SH-P2WPKH, P2TR key path, and P2WSH /
//! P2SH-P2WSH standard multisig witness scripts, and enforces the BIP's required rules
//! for those (SIGHASH_ALL or taproot default, LOW_S, strict DER). A validator state of
//! "inconclusive" (a witness script it cannot interpret, e.g. a timelock or a
//! taproot script path) is a rejection here: an unproven reserve is not a proven one.

use bitcoin::Witness;

use super::{BitcoinAddress, OwnershipError, Scheme};

pub(crate) fn verify(
    address: &BitcoinAddress,
    message: &str,
    witness: &Witness,
) -> Result<(), OwnershipError> {
    let reject = |reason: String| OwnershipError::rejected(address, Scheme::Bip322Simple, reason);
    match bip322::verify_simple(address.inner(), message, witness.clone()) {
        Ok(bip322::Verification::Valid { .. }) => Ok(()),
        Ok(bip322::Verification::Inconclusive) => Err(reject(
            "signature is inconclusive: the witness script is not one this verifier interprets (standard multisig only)".to_owned(),
        )),
        Err(e) => Err(reject(format!("signature is invalid: {}", describe(&e)))),
    }
}

/// Our words for the crate's errors where a reader needs more than its terse text
/// ("Invalid signature"); its own text (lower-cased) otherwise.
fn describe(e: &bip322::Error) -> String {
    use bip322::Error as E;
    match e {
        E::SignatureInvalid { .. } => {
            "the signature does not verify (wrong message, key or address)".to_owned()
        }
        E::PublicKeyMismatch => "the witness key is not the key of the listed address".to_owned(),
        E::ToSignInvalid => {
            "the witness does not spend the listed address (its script or key hashes elsewhere)"
                .to_owned()
        }
        E::InvalidWitness | E::WitnessEmpty => {
            "the witness stack does not have the shape this address needs".to_owned()
        }
        other => {
            let text = other.to_string();
            let mut chars = text.chars();
            match chars.next() {
                Some(c) => c.to_lowercase().chain(chars).collect(),
                None => text,
            }
        }
    }
}
