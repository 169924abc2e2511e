//! Address ownership (FORMAT.md §5): which addresses the exchange may count as its
//! reserves, and the proofs that it controls them.
//!
//! - [`address`]: addresses checked against chain and network ([`WalletAddress`]).
//! - [`proof`]: the schemes and the parsing of their `signature`/`script` fields
//!   ([`Scheme`], [`OwnershipProof`]).
//! - [`message`]: the exact text every scheme signs.
//! - [`verify`]: one proof against one address and message, giving a [`Verdict`].
//!   Per scheme: `bip137`, `simple` (bip322-simple), `multisig`, `eip191` (and eip1271).
//! - [`bip127`]: a whole wallet's proof-of-reserves PSBT, checked against the chain's
//!   outputs at the snapshot block (the caller reads them).
//!
//! Pure: no network, clock or files. EIP-1271 needs an `eth_call`; [`verify`] returns
//! [`Verdict::NeedsEip1271`] with everything the chain adapter needs to make it.
//! This module verifies only; signing belongs to custody tools (and to the tests).

pub mod address;
pub mod bip127;
mod bip137;
mod eip191;
mod error;
pub mod multisig;
pub mod proof;
mod simple;

use alloy::primitives::B256;

pub use address::{BitcoinAddress, Chain, EthAddress, WalletAddress};
pub use eip191::eip1271_hash;
pub use error::OwnershipError;
pub use multisig::MultisigScript;
pub use proof::{OwnershipProof, Scheme};

/// The ownership message of FORMAT.md §5: four lines joined by `\n`, no trailing
/// newline. `address` is the published form (`WalletAddress`'s `Display`: EIP-55 for
/// Ethereum, lower-case bech32). The caller validates `exchange` and `snapshot_id`
/// (a newline inside either would make the text ambiguous).
pub fn message(exchange: &str, snapshot_id: &str, address: &str) -> String {
    format!("Proof of reserves\nexchange: {exchange}\nsnapshot: {snapshot_id}\naddress: {address}")
}

/// The outcome of a proof that was not rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum Verdict {
    /// The signature proves control of the address.
    Verified,
    /// Scheme `none`: listed without proof; counts in `unproven_reserves` only.
    Unproven,
    /// Scheme `eip1271`: the wallet contract decides. Call
    /// `isValidSignature(hash, signature)` on `wallet` at the snapshot block; the
    /// proof holds if it returns `0x1626ba7e`.
    NeedsEip1271 {
        /// The wallet contract to call.
        wallet: EthAddress,
        /// The EIP-191 hash of the ownership message, passed as `isValidSignature`'s `hash`.
        hash: B256,
        /// The proof's bytes, passed as `isValidSignature`'s `signature`.
        signature: Vec<u8>,
    },
}

/// Checks `proof` for `address` over `message` (build it with [`message`]).
///
/// A scheme that cannot fit the address (eip191 on Bitcoin, bip137 on P2TR, …) is an
/// error before any signature is looked at; so is a proof that fails, with the reason.
pub fn verify(
    address: &WalletAddress,
    message: &str,
    proof: &OwnershipProof,
) -> Result<Verdict, OwnershipError> {
    address.supports(proof.scheme())?;
    match (address, proof) {
        (_, OwnershipProof::None) => Ok(Verdict::Unproven),
        (WalletAddress::Bitcoin(a), OwnershipProof::Bip137 { signature }) => {
            bip137::verify(a, message, signature).map(|()| Verdict::Verified)
        }
        (WalletAddress::Bitcoin(a), OwnershipProof::Bip322Simple { witness }) => {
            simple::verify(a, message, witness).map(|()| Verdict::Verified)
        }
        (WalletAddress::Bitcoin(a), OwnershipProof::Multisig { script, signatures }) => {
            multisig::verify(a, message, script, signatures).map(|()| Verdict::Verified)
        }
        (WalletAddress::Ethereum(a), OwnershipProof::Eip191 { signature }) => {
            eip191::verify(a, message, signature).map(|()| Verdict::Verified)
        }
        (WalletAddress::Ethereum(a), OwnershipProof::Eip1271 { signature }) => {
            Ok(Verdict::NeedsEip1271 {
                wallet: *a,
                hash: eip1271_hash(message),
                signature: signature.clone(),
            })
        }
        (_, OwnershipProof::Bip127 { wallet }) => Err(OwnershipError::rejected(
            address,
            Scheme::Bip127,
            format!("is proven by wallet {wallet}'s psbt, not by a signature over its own message"),
        )),
        // `supports` has ruled out every other pairing.
        (a, p) => unreachable!("scheme {} accepted for {}", p.scheme(), a.kind()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_is_exactly_the_spec_text() {
        assert_eq!(
            message("Example Exchange", "2026-11-21", "bc1qexample"),
            "Proof of reserves\nexchange: Example Exchange\nsnapshot: 2026-11-21\naddress: bc1qexample"
        );
    }
}
