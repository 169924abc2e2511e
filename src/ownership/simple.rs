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

/// The crate's error texts ("Invalid signature", "Public key does not match"), in our
/// lower-case style, with the source where it says more.
fn describe(e: &bip322::Error) -> String {
    let mut text = e.to_string();
    if let Some(source) = std::error::Error::source(e) {
        let source = source.to_string();
        if !text.contains(&source) {
            text = format!("{text}: {source}");
        }
    }
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => text,
    }
}
