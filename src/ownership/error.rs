//! The one error type of the ownership module: every failure to parse an address or a
//! proof, and every rejected proof, with the offending input in the message (as an
//! [`Excerpt`]: at most 80 characters of it).

use super::Scheme;
use crate::excerpt::Excerpt;

/// Why an address, a proof or a verification was rejected. Messages are one line,
/// lower-case, and name the address or the input they are about.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OwnershipError {
    /// The text is not an address of the chain at all.
    #[error("{address}: not a {chain} address: {reason}")]
    NotAnAddress {
        /// The chain the text was parsed for, `bitcoin` or `ethereum`.
        chain: &'static str,
        /// The text given, quoted.
        address: Excerpt,
        /// Why it is not an address.
        reason: Excerpt,
    },
    /// A valid Bitcoin address, but of another network.
    #[error("{address}: not a {network} address (wrong network)")]
    WrongNetwork {
        /// The address given, quoted.
        address: Excerpt,
        /// The network the config requires (e.g. `bitcoin`, `testnet`).
        network: String,
    },
    /// A mixed-case Ethereum address whose EIP-55 checksum is wrong.
    #[error("{address}: bad eip-55 checksum (the checksummed form is {expected})")]
    BadChecksum {
        /// The address as given.
        address: String,
        /// Its correctly checksummed EIP-55 form.
        expected: String,
    },
    /// A chain name that is not `bitcoin` or `ethereum`.
    #[error("unknown chain {0} (expected bitcoin or ethereum)")]
    UnknownChain(Excerpt),
    /// A scheme name that FORMAT.md §5 does not define.
    #[error(
        "unknown ownership scheme {0} (expected bip137, bip322-simple, multisig, eip191, eip1271 or none)"
    )]
    UnknownScheme(Excerpt),
    /// The scheme cannot prove ownership of this kind of address.
    #[error("{address}: scheme {scheme} does not apply to {kind} addresses{hint}")]
    SchemeNotForAddress {
        /// The address.
        address: String,
        /// The scheme listed for it.
        scheme: Scheme,
        /// The address kind (`p2tr`, `p2wsh`, …, or `ethereum`).
        kind: &'static str,
        /// A suggestion of a scheme that fits, with a leading space, or empty.
        hint: &'static str,
    },
    /// The `signature` (or `script`) field does not have the form the scheme requires.
    #[error("{scheme} signature {input}: {reason}")]
    MalformedProof {
        /// The scheme whose field is malformed.
        scheme: Scheme,
        /// The field's text, quoted (at most 80 characters).
        input: Excerpt,
        /// What is wrong with its form.
        reason: String,
    },
    /// The proof is well formed but does not prove control of the address.
    #[error("{address}: {scheme} {reason}")]
    Rejected {
        /// The address whose proof was rejected.
        address: String,
        /// The scheme of the proof.
        scheme: Scheme,
        /// Why it does not prove control (e.g. the signature recovers another key).
        reason: String,
    },
}

impl OwnershipError {
    pub(crate) fn malformed(scheme: Scheme, input: &str, reason: impl Into<String>) -> Self {
        // A signature field can be arbitrarily long outside input; keep the message one
        // readable line.
        OwnershipError::MalformedProof {
            scheme,
            input: Excerpt::backticked(input),
            reason: reason.into(),
        }
    }

    pub(crate) fn rejected(
        address: &impl std::fmt::Display,
        scheme: Scheme,
        reason: impl Into<String>,
    ) -> Self {
        OwnershipError::Rejected {
            address: address.to_string(),
            scheme,
            reason: reason.into(),
        }
    }
}
