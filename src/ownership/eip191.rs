//! The Ethereum schemes. `eip191`: a `personal_sign` signature `r ‖ s ‖ v` over
//! `keccak256("\x19Ethereum Signed Message:\n" ‖ len ‖ message)`; the signer recovered
//! from it must be the listed address. `eip1271` (contract wallets) needs an `eth_call`
//! at the snapshot block, so it is handed back to the chain adapter with the same hash.
//!
//! High-s signatures: alloy normalises `s` before recovery (flipping the parity), as
//! the `ecrecover` precompile and contract wallets accept both halves; we follow alloy
//! and accept them. Malleability is harmless here: a second encoding of a valid
//! signature proves the same key signed the same message.

use alloy::primitives::{B256, Signature, eip191_hash_message};

use super::{EthAddress, OwnershipError, Scheme};

pub(crate) fn verify(
    address: &EthAddress,
    message: &str,
    sig: &[u8; 65],
) -> Result<(), OwnershipError> {
    let reject = |reason: String| OwnershipError::rejected(address, Scheme::Eip191, reason);
    let signature = Signature::from_raw_array(sig)
        .map_err(|e| reject(format!("signature: {}", e.to_string().to_lowercase())))?;
    let signer = signature.recover_address_from_msg(message).map_err(|e| {
        reject(format!(
            "signature recovers no signer: {}",
            e.to_string().to_lowercase()
        ))
    })?;
    if signer != address.inner() {
        return Err(reject(format!(
            "signature recovers signer {}, not the listed address",
            EthAddress::from(signer)
        )));
    }
    Ok(())
}

/// The digest an EIP-1271 wallet is asked about: the EIP-191 hash of the message.
pub fn eip1271_hash(message: &str) -> B256 {
    eip191_hash_message(message)
}
