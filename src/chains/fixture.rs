//! Offline chain data from one recorded or synthetic JSON file: a backend for both
//! [`BitcoinBackend`] and [`EthereumBackend`], used by the embedded demo and by tests.
//! Nothing here is live chain data, and the file says so in its first field.
//!
//! ```json
//! {
//!   "fixture": "por chain fixture — recorded/synthetic data, NOT live chain data",
//!   "bitcoin": {
//!     "network": "bitcoin",
//!     "tip": 870010,
//!     "blocks": [{"height": 870000, "hash": "<64 hex>", "time": 1736000000}, …],
//!     "balances": {"bc1q…": [[860000, "150000000"], [869990, "0"]]}
//!   },
//!   "ethereum": {
//!     "chain_id": 1,
//!     "tip": 21000010,
//!     "blocks": [{"height": 21000000, "hash": "0x<64 hex>", "time": 1736000003}, …],
//!     "native": {"0x…": [[20000000, "1000000000000000000"]]},
//!     "erc20": {"0x<token>": {"0x<holder>": [[20000000, "5000000"]]}},
//!     "eip1271": [{"wallet": "0x…", "hash": "0x<64 hex>", "signature": "0x…", "valid": true}]
//!   }
//! }
//! ```
//!
//! - Both chain sections are optional; a backend call for a missing one is
//!   [`ChainError::Unsupported`].
//! - `tip` is the best height; the block at `tip` must be listed. Blocks are listed in
//!   ascending height, need not be contiguous, and `block_at` of an unlisted height is
//!   `Unsupported` (block search over heights `0..=tip` needs them all listed).
//! - Balances are histories `[[height_from, "amount"], …]` with `height_from` strictly
//!   ascending: the balance at `H` is the amount of the last entry with
//!   `height_from ≤ H`, or 0 before the first. Amounts are decimal strings of base units
//!   (satoshi, wei, token units), never JSON numbers. An address not listed holds 0.
//! - Reads at a block check that block against the file: unlisted or above the tip is
//!   `Unsupported`, another hash at that height is [`ChainError::Reorg`].
//! - EIP-1271 answers are looked up by (wallet, hash, signature); an unlisted query is
//!   `Ok(false)`, as a wallet that does not validate the signature would answer.
//! - Unknown fields are errors, and every error names the file and the JSON path.
//!
//! Loading has two steps: serde (derive, `deny_unknown_fields`) reads the file's shape
//! into raw structs, tracking the JSON path with `serde_path_to_error`; then the raw
//! values are checked (hashes, orders, networks, addresses, amounts) into the data the
//! backends serve.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::str::FromStr;

use alloy::primitives::{Address as EthAddress, B256};
use bitcoin::address::NetworkUnchecked;
use bitcoin::{Network, ScriptBuf};
use serde::Deserialize;
use serde_path_to_error::Segment;

use super::{BitcoinBackend, BlockRef, ChainError, EthereumBackend, is_hex64};
use crate::amount::Amount;
use crate::excerpt::Excerpt;

/// The value the `fixture` field must have.
pub const FIXTURE_LABEL: &str = "por chain fixture — recorded/synthetic data, NOT live chain data";

/// Errors loading a fixture file.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    /// The fixture file could not be read.
    #[error("{file}: cannot read fixture: {source}")]
    Io {
        /// The fixture file.
        file: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The fixture file is not valid JSON for a fixture.
    #[error("{file}:{line}:{column}: invalid json: {message}")]
    Json {
        /// The fixture file.
        file: String,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// The JSON parses but a value is invalid or inconsistent (e.g. no chain section, an unlisted
    /// tip block).
    #[error("{file}: {path}: {message}")]
    Invalid {
        /// The fixture file.
        file: String,
        /// JSON path of the offending value, e.g. `$.bitcoin.blocks[2].hash`.
        path: String,
        /// What is wrong with the value.
        message: String,
    },
}

/// Amount history: `(height_from, amount)`, `height_from` strictly ascending.
type History = Vec<(u64, u128)>;

struct Blocks {
    tip: u64,
    by_height: BTreeMap<u64, BlockRef>,
}

struct BitcoinData {
    network: Network,
    blocks: Blocks,
    balances: HashMap<ScriptBuf, History>,
}

struct EthereumData {
    chain_id: u64,
    blocks: Blocks,
    native: HashMap<EthAddress, History>,
    erc20: HashMap<(EthAddress, EthAddress), History>,
    eip1271: HashMap<(EthAddress, B256, Vec<u8>), bool>,
}

/// Chain data for both chains from one fixture file.
pub struct FixtureChain {
    endpoint: String,
    bitcoin: Option<BitcoinData>,
    ethereum: Option<EthereumData>,
}

impl FixtureChain {
    /// Reads and validates the fixture at `path`.
    pub fn load(path: impl AsRef<Path>) -> Result<FixtureChain, FixtureError> {
        let path = path.as_ref();
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| FixtureError::Io {
            file: file.clone(),
            source,
        })?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| file.clone());
        FixtureChain::parse(&text, &file, &name)
    }

    /// Parses fixture text; `file` names it in errors, `name` goes into the endpoint.
    pub fn parse(text: &str, file: &str, name: &str) -> Result<FixtureChain, FixtureError> {
        let json_error = |e: serde_json::Error| FixtureError::Json {
            file: file.to_string(),
            line: e.line(),
            column: e.column(),
            message: Excerpt::message(e.to_string()).to_string(),
        };
        // Syntax first, so a broken file is reported as such wherever the break is.
        serde_json::from_str::<serde::de::IgnoredAny>(text).map_err(json_error)?;
        let p = Parser { file };
        let raw: RawFixture =
            serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_str(text))
                .map_err(|e| p.shape_error(e))?;
        if raw.fixture != FIXTURE_LABEL {
            return Err(p.invalid(
                "$.fixture",
                format!(
                    "must be exactly {FIXTURE_LABEL:?}, got {}",
                    Excerpt::quoted(&raw.fixture)
                ),
            ));
        }
        let bitcoin = raw.bitcoin.map(|b| p.bitcoin(b, "$.bitcoin")).transpose()?;
        let ethereum = raw
            .ethereum
            .map(|e| p.ethereum(e, "$.ethereum"))
            .transpose()?;
        if bitcoin.is_none() && ethereum.is_none() {
            return Err(p.invalid("$", "needs a \"bitcoin\" or an \"ethereum\" section"));
        }
        Ok(FixtureChain {
            endpoint: format!("fixture:{name}"),
            bitcoin,
            ethereum,
        })
    }

    /// The Bitcoin network the fixture's addresses belong to.
    pub fn bitcoin_network(&self) -> Option<Network> {
        self.bitcoin.as_ref().map(|b| b.network)
    }

    fn unsupported(&self, message: String) -> ChainError {
        ChainError::Unsupported {
            endpoint: self.endpoint.clone(),
            message,
        }
    }

    fn btc(&self) -> Result<&BitcoinData, ChainError> {
        self.bitcoin
            .as_ref()
            .ok_or_else(|| self.unsupported("the fixture has no bitcoin section".into()))
    }

    fn eth(&self) -> Result<&EthereumData, ChainError> {
        self.ethereum
            .as_ref()
            .ok_or_else(|| self.unsupported("the fixture has no ethereum section".into()))
    }

    fn block(&self, chain: &str, blocks: &Blocks, height: u64) -> Result<BlockRef, ChainError> {
        if height > blocks.tip {
            return Err(self.unsupported(format!(
                "{chain} height {height} is above the fixture's tip {}",
                blocks.tip
            )));
        }
        blocks.by_height.get(&height).cloned().ok_or_else(|| {
            self.unsupported(format!(
                "the fixture lists no {chain} block at height {height}"
            ))
        })
    }

    /// The block `at` must be the fixture's block at that height.
    fn check_at(&self, chain: &str, blocks: &Blocks, at: &BlockRef) -> Result<(), ChainError> {
        let listed = self.block(chain, blocks, at.height)?;
        if listed.hash != at.hash {
            return Err(ChainError::Reorg {
                endpoint: self.endpoint.clone(),
                height: at.height,
                before: at.hash.clone(),
                after: listed.hash,
            });
        }
        Ok(())
    }
}

/// The amount in effect at `height`: the last entry with `height_from ≤ height`.
fn as_of(history: Option<&History>, height: u64) -> u128 {
    history
        .and_then(|h| h.iter().rev().find(|(from, _)| *from <= height))
        .map_or(0, |(_, amount)| *amount)
}

impl BitcoinBackend for FixtureChain {
    fn endpoint(&self) -> &str {
        &self.endpoint
    }

    fn tip_height(&self) -> Result<u64, ChainError> {
        Ok(self.btc()?.blocks.tip)
    }

    fn block_at(&self, height: u64) -> Result<BlockRef, ChainError> {
        self.block("bitcoin", &self.btc()?.blocks, height)
    }

    fn balance_at(&self, address: &bitcoin::Address, at: &BlockRef) -> Result<u128, ChainError> {
        let btc = self.btc()?;
        self.check_at("bitcoin", &btc.blocks, at)?;
        Ok(as_of(btc.balances.get(&address.script_pubkey()), at.height))
    }
}

impl EthereumBackend for FixtureChain {
    fn endpoint(&self) -> &str {
        &self.endpoint
    }

    fn chain_id(&self) -> Result<u64, ChainError> {
        Ok(self.eth()?.chain_id)
    }

    fn tip_height(&self) -> Result<u64, ChainError> {
        Ok(self.eth()?.blocks.tip)
    }

    fn block_at(&self, height: u64) -> Result<BlockRef, ChainError> {
        self.block("ethereum", &self.eth()?.blocks, height)
    }

    fn native_balance_at(&self, holder: EthAddress, at: &BlockRef) -> Result<u128, ChainError> {
        let eth = self.eth()?;
        self.check_at("ethereum", &eth.blocks, at)?;
        Ok(as_of(eth.native.get(&holder), at.height))
    }

    fn erc20_balance_at(
        &self,
        token: EthAddress,
        holder: EthAddress,
        at: &BlockRef,
    ) -> Result<u128, ChainError> {
        let eth = self.eth()?;
        self.check_at("ethereum", &eth.blocks, at)?;
        Ok(as_of(eth.erc20.get(&(token, holder)), at.height))
    }

    fn is_valid_signature_1271(
        &self,
        wallet: EthAddress,
        hash: B256,
        signature: &[u8],
        at: &BlockRef,
    ) -> Result<bool, ChainError> {
        let eth = self.eth()?;
        self.check_at("ethereum", &eth.blocks, at)?;
        Ok(eth
            .eip1271
            .get(&(wallet, hash, signature.to_vec()))
            .copied()
            .unwrap_or(false))
    }
}

// --- The file's shape, as serde reads it -------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFixture {
    fixture: String,
    bitcoin: Option<RawBitcoin>,
    ethereum: Option<RawEthereum>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBitcoin {
    network: String,
    tip: u64,
    blocks: Vec<RawBlock>,
    /// Address → history; checked against `network` once the section is read.
    balances: BTreeMap<String, RawHistory>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEthereum {
    chain_id: u64,
    tip: u64,
    blocks: Vec<RawBlock>,
    #[serde(default)]
    native: BTreeMap<String, RawHistory>,
    #[serde(default)]
    erc20: BTreeMap<String, BTreeMap<String, RawHistory>>,
    #[serde(default)]
    eip1271: Vec<RawEip1271>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBlock {
    height: u64,
    hash: String,
    time: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEip1271 {
    wallet: String,
    hash: String,
    signature: String,
    valid: bool,
}

/// `[[height_from, "amount"], …]`.
type RawHistory = Vec<(u64, FixtureAmount)>;

/// A fixture amount: a decimal string of base units, as in the published format
/// (`^(0|[1-9][0-9]*)$`), parsed by [`Amount::parse_canonical`]. A JSON number is
/// refused with a hint rather than read through a float.
struct FixtureAmount(u128);

impl<'de> Deserialize<'de> for FixtureAmount {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = FixtureAmount;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a decimal string of base units")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<FixtureAmount, E> {
                match Amount::parse_canonical(s) {
                    Ok(a) => Ok(FixtureAmount(a.base_units())),
                    Err(crate::amount::AmountError::Overflow(_)) => {
                        Err(E::custom(format!("{s} is above 2^128 - 1")))
                    }
                    Err(_) => Err(E::custom(format!(
                        "{} is not an amount (decimal digits, no sign, point or leading zero)",
                        Excerpt::quoted(s)
                    ))),
                }
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<FixtureAmount, E> {
                Err(number(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<FixtureAmount, E> {
                Err(number(v))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<FixtureAmount, E> {
                Err(number(v))
            }
        }
        fn number<E: serde::de::Error>(v: impl std::fmt::Display) -> E {
            E::custom(format!(
                "amounts are decimal strings, not JSON numbers: write \"{v}\""
            ))
        }
        d.deserialize_any(Visitor)
    }
}

/// Field names of the raw structs: a path segment that is one of these is written
/// `.name`, any other map key (an address) `["key"]`.
const FIELDS: &[&str] = &[
    "fixture",
    "bitcoin",
    "ethereum",
    "network",
    "tip",
    "blocks",
    "balances",
    "chain_id",
    "native",
    "erc20",
    "eip1271",
    "height",
    "hash",
    "time",
    "wallet",
    "signature",
    "valid",
];

// --- Checks on the raw values --------------------------------------------------------

/// Checks raw values, naming the file and the JSON path in errors.
struct Parser<'a> {
    file: &'a str,
}

impl Parser<'_> {
    fn invalid(&self, path: &str, message: impl Into<String>) -> FixtureError {
        FixtureError::Invalid {
            file: self.file.to_string(),
            path: path.to_string(),
            message: message.into(),
        }
    }

    /// A shape error from serde, at its JSON path (`$.bitcoin.blocks[2].hash`), in
    /// this module's wording where it has one.
    fn shape_error(&self, e: serde_path_to_error::Error<serde_json::Error>) -> FixtureError {
        let inner_text = e.inner().to_string();
        let mut segments: Vec<&Segment> = e.path().iter().collect();
        // serde puts an unknown field in the path; the old walk named its object.
        if inner_text.starts_with("unknown field `") {
            segments.pop();
        }
        let mut path = String::from("$");
        for segment in segments {
            match segment {
                Segment::Seq { index } => path.push_str(&format!("[{index}]")),
                Segment::Map { key } if FIELDS.contains(&key.as_str()) => {
                    path.push('.');
                    path.push_str(key);
                }
                Segment::Map { key } => path.push_str(&format!("[{key:?}]")),
                Segment::Enum { variant } => path.push_str(&format!(".{variant}")),
                Segment::Unknown => path.push_str(".?"),
            }
        }
        let inner = e.inner();
        let position = format!(" at line {} column {}", inner.line(), inner.column());
        let message = inner_text
            .strip_suffix(&position)
            .unwrap_or(&inner_text)
            .to_string();
        self.invalid(&path, reword(&message))
    }

    fn blocks(
        &self,
        tip: u64,
        list: Vec<RawBlock>,
        path: &str,
        eth: bool,
    ) -> Result<Blocks, FixtureError> {
        let list_path = format!("{path}.blocks");
        let mut by_height = BTreeMap::new();
        for (i, b) in list.into_iter().enumerate() {
            let bp = format!("{list_path}[{i}]");
            let RawBlock { height, hash, time } = b;
            let hex = if eth {
                hash.strip_prefix("0x")
            } else {
                Some(hash.as_str())
            };
            if !hex.is_some_and(is_hex64) {
                let want = if eth {
                    "0x + 64 lowercase hex"
                } else {
                    "64 lowercase hex"
                };
                return Err(self.invalid(
                    &format!("{bp}.hash"),
                    format!("expected {want}, got {}", Excerpt::quoted(&hash)),
                ));
            }
            if by_height
                .keys()
                .next_back()
                .is_some_and(|last| *last >= height)
            {
                return Err(self.invalid(
                    &format!("{bp}.height"),
                    "blocks must be listed in strictly ascending height",
                ));
            }
            if height > tip {
                return Err(self.invalid(
                    &format!("{bp}.height"),
                    format!("block {height} is above the tip {tip}"),
                ));
            }
            by_height.insert(height, BlockRef { height, hash, time });
        }
        if !by_height.contains_key(&tip) {
            return Err(self.invalid(&list_path, format!("the tip block {tip} is not listed")));
        }
        Ok(Blocks { tip, by_height })
    }

    fn history(&self, raw: RawHistory, path: &str) -> Result<History, FixtureError> {
        let mut history: History = Vec::with_capacity(raw.len());
        for (i, (from, amount)) in raw.into_iter().enumerate() {
            if history.last().is_some_and(|(last, _)| *last >= from) {
                return Err(self.invalid(
                    &format!("{path}[{i}][0]"),
                    "height_from must be strictly ascending",
                ));
            }
            history.push((from, amount.0));
        }
        Ok(history)
    }

    fn bitcoin(&self, raw: RawBitcoin, path: &str) -> Result<BitcoinData, FixtureError> {
        let np = format!("{path}.network");
        let network = Network::from_str(&raw.network).map_err(|_| {
            self.invalid(
                &np,
                format!(
                    "unknown network {} (bitcoin, testnet, testnet4, signet, regtest)",
                    Excerpt::quoted(&raw.network)
                ),
            )
        })?;
        let blocks = self.blocks(raw.tip, raw.blocks, path, false)?;
        let bp = format!("{path}.balances");
        let mut balances = HashMap::new();
        for (addr, history) in raw.balances {
            let ap = format!("{bp}[{addr:?}]");
            let address = addr
                .parse::<bitcoin::Address<NetworkUnchecked>>()
                .map_err(|e| self.invalid(&ap, format!("not a bitcoin address: {e}")))?
                .require_network(network)
                .map_err(|_| self.invalid(&ap, format!("not an address of network {network}")))?;
            if balances
                .insert(address.script_pubkey(), self.history(history, &ap)?)
                .is_some()
            {
                return Err(self.invalid(&ap, "the same address is listed twice"));
            }
        }
        Ok(BitcoinData {
            network,
            blocks,
            balances,
        })
    }

    fn eth_address(&self, s: &str, path: &str) -> Result<EthAddress, FixtureError> {
        let hex = s
            .strip_prefix("0x")
            .filter(|h| h.len() == 40 && h.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| {
                self.invalid(path, format!("{} is not 0x + 40 hex", Excerpt::quoted(s)))
            })?;
        let mixed = hex.bytes().any(|b| b.is_ascii_lowercase())
            && hex.bytes().any(|b| b.is_ascii_uppercase());
        if mixed {
            EthAddress::parse_checksummed(s, None)
                .map_err(|_| self.invalid(path, format!("{s} has a wrong eip-55 checksum")))
        } else {
            EthAddress::from_str(s).map_err(|e| self.invalid(path, e.to_string()))
        }
    }

    fn bytes(&self, s: &str, path: &str) -> Result<Vec<u8>, FixtureError> {
        s.strip_prefix("0x")
            .and_then(|h| hex::decode(h).ok())
            .ok_or_else(|| {
                self.invalid(
                    path,
                    format!("{} is not 0x-prefixed hex bytes", Excerpt::quoted(s)),
                )
            })
    }

    fn ethereum(&self, raw: RawEthereum, path: &str) -> Result<EthereumData, FixtureError> {
        let blocks = self.blocks(raw.tip, raw.blocks, path, true)?;
        let mut native = HashMap::new();
        for (holder, history) in raw.native {
            let hp = format!("{path}.native[{holder:?}]");
            let holder = self.eth_address(&holder, &hp)?;
            if native.insert(holder, self.history(history, &hp)?).is_some() {
                return Err(self.invalid(&hp, "the same holder is listed twice"));
            }
        }
        let mut erc20 = HashMap::new();
        for (token, holders) in raw.erc20 {
            let tp = format!("{path}.erc20[{token:?}]");
            let token = self.eth_address(&token, &tp)?;
            for (holder, history) in holders {
                let hp = format!("{tp}[{holder:?}]");
                let holder = self.eth_address(&holder, &hp)?;
                if erc20
                    .insert((token, holder), self.history(history, &hp)?)
                    .is_some()
                {
                    return Err(self.invalid(&hp, "the same token and holder are listed twice"));
                }
            }
        }
        let mut eip1271 = HashMap::new();
        for (i, e) in raw.eip1271.into_iter().enumerate() {
            let ep = format!("{path}.eip1271[{i}]");
            let wallet = self.eth_address(&e.wallet, &format!("{ep}.wallet"))?;
            let hp = format!("{ep}.hash");
            let hash = self.bytes(&e.hash, &hp)?;
            let hash = B256::try_from(hash.as_slice())
                .map_err(|_| self.invalid(&hp, "expected 32 bytes"))?;
            let signature = self.bytes(&e.signature, &format!("{ep}.signature"))?;
            if eip1271.insert((wallet, hash, signature), e.valid).is_some() {
                return Err(self.invalid(&ep, "the same (wallet, hash, signature) is listed twice"));
            }
        }
        Ok(EthereumData {
            chain_id: raw.chain_id,
            blocks,
            native,
            erc20,
            eip1271,
        })
    }
}

/// serde's ``unknown field `x`, expected one of `a`, `b` `` and ``missing field `x` ``
/// in this module's wording (`unknown field "x" (expected one of a, b)`); other
/// messages unchanged.
fn reword(message: &str) -> String {
    if let Some(rest) = message.strip_prefix("unknown field `")
        && let Some((field, expected)) = rest.split_once('`')
    {
        let expected: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
        return format!(
            "unknown field {} (expected one of {})",
            Excerpt::quoted(field),
            expected.join(", ")
        );
    }
    if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.strip_suffix('`'))
    {
        return format!("missing field {field:?}");
    }
    message.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(section: &str) -> String {
        let text = format!(r#"{{"fixture": {FIXTURE_LABEL:?}, {section}}}"#);
        match FixtureChain::parse(&text, "f.json", "f.json") {
            Ok(_) => panic!("{section} accepted"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn shape_errors_name_the_json_path() {
        assert_eq!(
            err(r#""bitcoin": {"network": "bitcoin", "blocks": [], "balances": {}}"#),
            "f.json: $.bitcoin: missing field \"tip\""
        );
        assert_eq!(
            err(r#""extra": 1, "bitcoin": {}"#),
            "f.json: $: unknown field \"extra\" (expected one of fixture, bitcoin, ethereum)"
        );
        let e = err(
            r#""ethereum": {"chain_id": 1, "tip": 0, "blocks": [], "native": {"0xab": [[0, 5]]}}"#,
        );
        assert_eq!(
            e,
            "f.json: $.ethereum.native[\"0xab\"][0][1]: amounts are decimal strings, not JSON numbers: write \"5\""
        );
        let e =
            err(r#""bitcoin": {"network": "bitcoin", "tip": "1", "blocks": [], "balances": {}}"#);
        assert!(
            e.starts_with("f.json: $.bitcoin.tip: invalid type: string"),
            "{e}"
        );
    }
}
