//! Wallet addresses checked against their chain and network: a [`BitcoinAddress`] has
//! passed `require_network`, an [`EthAddress`] has passed the EIP-55 rule. Their
//! `Display` is the published form (canonical lower-case bech32 or base58; EIP-55 for
//! Ethereum), the one that goes into the ownership message.

use std::fmt;
use std::str::FromStr;

use alloy::primitives::Address as AlloyAddress;
use bitcoin::address::{AddressType, NetworkUnchecked};
use bitcoin::{Address, Network, ScriptBuf};
use serde::{Deserialize, Serialize};

use super::{OwnershipError, Scheme};
use crate::excerpt::Excerpt;

/// The chains por reads reserves from (FORMAT.md §5, `chain` field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Chain {
    /// Bitcoin (mainnet, or the test network the config names).
    Bitcoin,
    /// An EVM chain (Ethereum mainnet or the configured chain id).
    Ethereum,
}

impl Chain {
    /// The lower-case name used in config, wallets files and FORMAT.md §5 (`bitcoin`, `ethereum`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Chain::Bitcoin => "bitcoin",
            Chain::Ethereum => "ethereum",
        }
    }
}

impl fmt::Display for Chain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Chain {
    type Err = OwnershipError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "bitcoin" => Ok(Chain::Bitcoin),
            "ethereum" => Ok(Chain::Ethereum),
            _ => Err(OwnershipError::UnknownChain(Excerpt::backticked(s))),
        }
    }
}

/// A Bitcoin address known to belong to the network it was checked against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BitcoinAddress {
    address: Address,
    network: Network,
}

impl BitcoinAddress {
    /// Parses `s` and requires it to be an address of `network` (testnet and signet
    /// addresses share their encoding, so either accepts the other's).
    pub fn parse(s: &str, network: Network) -> Result<Self, OwnershipError> {
        let unchecked: Address<NetworkUnchecked> = s.parse().map_err(
            |e: bitcoin::address::ParseError| OwnershipError::NotAnAddress {
                chain: "bitcoin",
                address: Excerpt::bare(s),
                reason: Excerpt::message(lower_first(&e.to_string())),
            },
        )?;
        let address =
            unchecked
                .require_network(network)
                .map_err(|_| OwnershipError::WrongNetwork {
                    address: Excerpt::bare(s),
                    network: network.to_string(),
                })?;
        Ok(BitcoinAddress { address, network })
    }

    /// The checked rust-bitcoin address.
    pub fn inner(&self) -> &Address {
        &self.address
    }

    /// The network the address was checked against.
    pub fn network(&self) -> Network {
        self.network
    }

    /// The output script that pays this address (what balances are looked up by).
    pub fn script_pubkey(&self) -> ScriptBuf {
        self.address.script_pubkey()
    }

    /// `p2pkh`, `p2sh`, `p2wpkh`, `p2wsh`, `p2tr`, or `unknown` for other witness
    /// programs (future segwit versions, pay-to-anchor).
    pub fn kind(&self) -> &'static str {
        match self.address.address_type() {
            Some(AddressType::P2pkh) => "p2pkh",
            Some(AddressType::P2sh) => "p2sh",
            Some(AddressType::P2wpkh) => "p2wpkh",
            Some(AddressType::P2wsh) => "p2wsh",
            Some(AddressType::P2tr) => "p2tr",
            _ => "unknown",
        }
    }
}

impl fmt::Display for BitcoinAddress {
    /// The canonical form: base58 as given, bech32/bech32m in lower case.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.address, f)
    }
}

/// An Ethereum account address whose spelling passed EIP-55: all lower-case, all
/// upper-case, or mixed case with the right checksum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EthAddress(AlloyAddress);

impl EthAddress {
    /// Parses `0x` followed by 40 hex digits; a mixed-case spelling must carry a valid EIP-55
    /// checksum.
    /// Errors with [`OwnershipError::NotAnAddress`] or [`OwnershipError::BadChecksum`].
    pub fn parse(s: &str) -> Result<Self, OwnershipError> {
        let not = |reason: &str| OwnershipError::NotAnAddress {
            chain: "ethereum",
            address: Excerpt::bare(s),
            reason: Excerpt::message(reason),
        };
        let hex = s
            .strip_prefix("0x")
            .ok_or_else(|| not("expected 0x followed by 40 hex digits"))?;
        if hex.len() != 40 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(not("expected 0x followed by 40 hex digits"));
        }
        let address: AlloyAddress = s.parse().map_err(|_| not("not hex"))?;
        let has_lower = hex.bytes().any(|b| b.is_ascii_lowercase());
        let has_upper = hex.bytes().any(|b| b.is_ascii_uppercase());
        if has_lower && has_upper {
            let expected = address.to_checksum(None);
            if expected != s {
                return Err(OwnershipError::BadChecksum {
                    address: s.to_owned(),
                    expected,
                });
            }
        }
        Ok(EthAddress(address))
    }

    /// The 20-byte address.
    pub fn inner(&self) -> AlloyAddress {
        self.0
    }
}

impl From<AlloyAddress> for EthAddress {
    fn from(a: AlloyAddress) -> Self {
        EthAddress(a)
    }
}

impl fmt::Display for EthAddress {
    /// The EIP-55 checksummed form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_checksum(None))
    }
}

/// An address of either chain, checked.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum WalletAddress {
    /// A Bitcoin address, checked against the configured network.
    Bitcoin(BitcoinAddress),
    /// An Ethereum address whose spelling passed EIP-55.
    Ethereum(EthAddress),
}

impl WalletAddress {
    /// Parses `s` as an address of `chain`; `bitcoin_network` is required of Bitcoin
    /// addresses and ignored for Ethereum.
    pub fn parse(chain: Chain, s: &str, bitcoin_network: Network) -> Result<Self, OwnershipError> {
        match chain {
            Chain::Bitcoin => BitcoinAddress::parse(s, bitcoin_network).map(Self::Bitcoin),
            Chain::Ethereum => EthAddress::parse(s).map(Self::Ethereum),
        }
    }

    /// The chain the address belongs to.
    pub fn chain(&self) -> Chain {
        match self {
            WalletAddress::Bitcoin(_) => Chain::Bitcoin,
            WalletAddress::Ethereum(_) => Chain::Ethereum,
        }
    }

    /// The address kind as used in messages: `p2wpkh`, `p2tr`, … or `ethereum`.
    pub fn kind(&self) -> &'static str {
        match self {
            WalletAddress::Bitcoin(a) => a.kind(),
            WalletAddress::Ethereum(_) => "ethereum",
        }
    }

    /// Whether `scheme` can prove control of this address at all (FORMAT.md §5), before
    /// looking at any signature. A P2SH address accepts `bip137` (P2SH-P2WPKH),
    /// `bip322-simple` (P2SH-wrapped segwit) and `multisig`; which one it really is only
    /// the proof can tell.
    pub fn supports(&self, scheme: Scheme) -> Result<(), OwnershipError> {
        let kind = self.kind();
        let ok = match (self, scheme) {
            (_, Scheme::None) => true,
            (WalletAddress::Bitcoin(_), Scheme::Bip127) => true,
            (WalletAddress::Ethereum(_), s) => matches!(s, Scheme::Eip191 | Scheme::Eip1271),
            (WalletAddress::Bitcoin(_), s) => matches!(
                (kind, s),
                ("p2pkh" | "p2sh" | "p2wpkh", Scheme::Bip137)
                    | ("p2sh" | "p2wpkh" | "p2wsh" | "p2tr", Scheme::Bip322Simple)
                    | ("p2sh" | "p2wsh", Scheme::Multisig)
            ),
        };
        if ok {
            return Ok(());
        }
        let hint = match (kind, scheme) {
            ("p2tr", Scheme::Bip137) => {
                " (a taproot key cannot make an ecdsa message signature; use bip322-simple)"
            }
            ("p2wsh", Scheme::Bip137) => " (use multisig or bip322-simple)",
            ("p2pkh", Scheme::Bip322Simple) => " (the simple form has no scriptSig; use bip137)",
            ("ethereum", _) => " (use eip191 or eip1271)",
            (_, Scheme::Eip191 | Scheme::Eip1271) => " (an ethereum scheme)",
            _ => "",
        };
        Err(OwnershipError::SchemeNotForAddress {
            address: self.to_string(),
            scheme,
            kind,
            hint,
        })
    }
}

impl fmt::Display for WalletAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WalletAddress::Bitcoin(a) => a.fmt(f),
            WalletAddress::Ethereum(a) => a.fmt(f),
        }
    }
}

/// rust-bitcoin's error texts start with a capital now and then; ours are lower-case.
fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitcoin_address_keeps_canonical_form_and_checks_network() {
        let a = BitcoinAddress::parse(
            "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
            Network::Bitcoin,
        )
        .unwrap();
        assert_eq!(a.to_string(), "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4");
        assert_eq!(a.kind(), "p2wpkh");
        let e = BitcoinAddress::parse(
            "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
            Network::Regtest,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4: not a regtest address (wrong network)"
        );
    }

    #[test]
    fn ethereum_address_case_rules() {
        let lower = EthAddress::parse("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed").unwrap();
        assert_eq!(
            lower.to_string(),
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
        );
        let e = EthAddress::parse("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD").unwrap_err();
        assert!(matches!(e, OwnershipError::BadChecksum { .. }), "{e}");
        assert!(EthAddress::parse("5aaeb6053f3e94c9b9a09f33669435e7ef1beaed").is_err());
        assert!(EthAddress::parse("0x5aaeb6053f3e94c9b9a09f33669435e7ef1bea").is_err());
    }

    #[test]
    fn chain_round_trips() {
        for c in [Chain::Bitcoin, Chain::Ethereum] {
            assert_eq!(c.to_string().parse::<Chain>().unwrap(), c);
        }
        assert!("Bitcoin".parse::<Chain>().is_err());
    }
}
