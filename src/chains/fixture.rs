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

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::str::FromStr;

use alloy::primitives::{Address as EthAddress, B256};
use bitcoin::address::NetworkUnchecked;
use bitcoin::{Network, ScriptBuf};
use serde_json::{Map, Value};

use super::{BitcoinBackend, BlockRef, ChainError, EthereumBackend};
use crate::excerpt::Excerpt;

/// The value the `fixture` field must have.
pub const FIXTURE_LABEL: &str = "por chain fixture — recorded/synthetic data, NOT live chain data";

/// Errors loading a fixture file.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    #[error("{file}: cannot read fixture: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}:{line}:{column}: invalid json: {message}")]
    Json {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{file}: {path}: {message}")]
    Invalid {
        file: String,
        /// JSON path of the offending value, e.g. `$.bitcoin.blocks[2].hash`.
        path: String,
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
        let root: Value = serde_json::from_str(text).map_err(|e| FixtureError::Json {
            file: file.to_string(),
            line: e.line(),
            column: e.column(),
            message: Excerpt::message(e.to_string()).to_string(),
        })?;
        let p = Parser { file };
        let top = p.object(&root, "$", &["fixture", "bitcoin", "ethereum"])?;
        let label = p.string(p.field(top, "$", "fixture")?, "$.fixture")?;
        if label != FIXTURE_LABEL {
            return Err(p.invalid(
                "$.fixture",
                format!(
                    "must be exactly {FIXTURE_LABEL:?}, got {}",
                    Excerpt::quoted(label)
                ),
            ));
        }
        let bitcoin = top
            .get("bitcoin")
            .map(|v| p.bitcoin(v, "$.bitcoin"))
            .transpose()?;
        let ethereum = top
            .get("ethereum")
            .map(|v| p.ethereum(v, "$.ethereum"))
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

/// Validating walk over the parsed JSON, tracking JSON paths for errors.
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

    fn object<'v>(
        &self,
        v: &'v Value,
        path: &str,
        allowed: &[&str],
    ) -> Result<&'v Map<String, Value>, FixtureError> {
        let map = v
            .as_object()
            .ok_or_else(|| self.invalid(path, format!("expected an object, got {}", kind(v))))?;
        if let Some(key) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(self.invalid(
                path,
                format!(
                    "unknown field {} (expected one of {})",
                    Excerpt::quoted(key),
                    allowed.join(", ")
                ),
            ));
        }
        Ok(map)
    }

    /// An object whose keys are data (addresses), not field names.
    fn map<'v>(&self, v: &'v Value, path: &str) -> Result<&'v Map<String, Value>, FixtureError> {
        v.as_object()
            .ok_or_else(|| self.invalid(path, format!("expected an object, got {}", kind(v))))
    }

    fn field<'v>(
        &self,
        map: &'v Map<String, Value>,
        path: &str,
        key: &str,
    ) -> Result<&'v Value, FixtureError> {
        map.get(key)
            .ok_or_else(|| self.invalid(path, format!("missing field {key:?}")))
    }

    fn array<'v>(&self, v: &'v Value, path: &str) -> Result<&'v Vec<Value>, FixtureError> {
        v.as_array()
            .ok_or_else(|| self.invalid(path, format!("expected an array, got {}", kind(v))))
    }

    fn string<'v>(&self, v: &'v Value, path: &str) -> Result<&'v str, FixtureError> {
        v.as_str()
            .ok_or_else(|| self.invalid(path, format!("expected a string, got {}", kind(v))))
    }

    fn uint(&self, v: &Value, path: &str) -> Result<u64, FixtureError> {
        v.as_u64().ok_or_else(|| {
            self.invalid(
                path,
                format!("expected an unsigned integer, got {}", kind(v)),
            )
        })
    }

    /// A decimal string of base units, as in the published format: `^(0|[1-9][0-9]*)$`.
    fn amount(&self, v: &Value, path: &str) -> Result<u128, FixtureError> {
        if v.is_number() {
            return Err(self.invalid(
                path,
                format!("amounts are decimal strings, not JSON numbers: write \"{v}\""),
            ));
        }
        let s = self.string(v, path)?;
        let canonical = !s.is_empty()
            && s.bytes().all(|b| b.is_ascii_digit())
            && (s == "0" || !s.starts_with('0'));
        if !canonical {
            return Err(self.invalid(
                path,
                format!(
                    "{} is not an amount (decimal digits, no sign, point or leading zero)",
                    Excerpt::quoted(s)
                ),
            ));
        }
        s.parse()
            .map_err(|_| self.invalid(path, format!("{s} is above 2^128 - 1")))
    }

    fn blocks(
        &self,
        section: &Map<String, Value>,
        path: &str,
        eth: bool,
    ) -> Result<Blocks, FixtureError> {
        let tip = self.uint(self.field(section, path, "tip")?, &format!("{path}.tip"))?;
        let list_path = format!("{path}.blocks");
        let list = self.array(self.field(section, path, "blocks")?, &list_path)?;
        let mut by_height = BTreeMap::new();
        for (i, b) in list.iter().enumerate() {
            let bp = format!("{list_path}[{i}]");
            let m = self.object(b, &bp, &["height", "hash", "time"])?;
            let height = self.uint(self.field(m, &bp, "height")?, &format!("{bp}.height"))?;
            let hash = self.string(self.field(m, &bp, "hash")?, &format!("{bp}.hash"))?;
            let time = self.uint(self.field(m, &bp, "time")?, &format!("{bp}.time"))?;
            let hex = if eth {
                hash.strip_prefix("0x")
            } else {
                Some(hash)
            };
            if !hex.is_some_and(is_lower_hex64) {
                let want = if eth {
                    "0x + 64 lowercase hex"
                } else {
                    "64 lowercase hex"
                };
                return Err(self.invalid(
                    &format!("{bp}.hash"),
                    format!("expected {want}, got {}", Excerpt::quoted(hash)),
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
            by_height.insert(
                height,
                BlockRef {
                    height,
                    hash: hash.to_string(),
                    time,
                },
            );
        }
        if !by_height.contains_key(&tip) {
            return Err(self.invalid(&list_path, format!("the tip block {tip} is not listed")));
        }
        Ok(Blocks { tip, by_height })
    }

    fn history(&self, v: &Value, path: &str) -> Result<History, FixtureError> {
        let mut history: History = Vec::new();
        for (i, entry) in self.array(v, path)?.iter().enumerate() {
            let ep = format!("{path}[{i}]");
            let pair = self.array(entry, &ep)?;
            if pair.len() != 2 {
                return Err(self.invalid(&ep, "expected [height_from, \"amount\"]"));
            }
            let from = self.uint(&pair[0], &format!("{ep}[0]"))?;
            let amount = self.amount(&pair[1], &format!("{ep}[1]"))?;
            if history.last().is_some_and(|(last, _)| *last >= from) {
                return Err(self.invalid(
                    &format!("{ep}[0]"),
                    "height_from must be strictly ascending",
                ));
            }
            history.push((from, amount));
        }
        Ok(history)
    }

    fn bitcoin(&self, v: &Value, path: &str) -> Result<BitcoinData, FixtureError> {
        let m = self.object(v, path, &["network", "tip", "blocks", "balances"])?;
        let np = format!("{path}.network");
        let name = self.string(self.field(m, path, "network")?, &np)?;
        let network = Network::from_str(name).map_err(|_| {
            self.invalid(
                &np,
                format!(
                    "unknown network {} (bitcoin, testnet, testnet4, signet, regtest)",
                    Excerpt::quoted(name)
                ),
            )
        })?;
        let blocks = self.blocks(m, path, false)?;
        let bp = format!("{path}.balances");
        let mut balances = HashMap::new();
        for (addr, history) in self.map(self.field(m, path, "balances")?, &bp)? {
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

    fn bytes(&self, v: &Value, path: &str) -> Result<Vec<u8>, FixtureError> {
        let s = self.string(v, path)?;
        s.strip_prefix("0x")
            .and_then(|h| hex::decode(h).ok())
            .ok_or_else(|| {
                self.invalid(
                    path,
                    format!("{} is not 0x-prefixed hex bytes", Excerpt::quoted(s)),
                )
            })
    }

    fn ethereum(&self, v: &Value, path: &str) -> Result<EthereumData, FixtureError> {
        let m = self.object(
            v,
            path,
            &["chain_id", "tip", "blocks", "native", "erc20", "eip1271"],
        )?;
        let chain_id = self.uint(
            self.field(m, path, "chain_id")?,
            &format!("{path}.chain_id"),
        )?;
        let blocks = self.blocks(m, path, true)?;
        let empty = Map::new();
        let section = |key: &str| match m.get(key) {
            None => Ok(&empty),
            Some(v) => self.map(v, &format!("{path}.{key}")),
        };
        let mut native = HashMap::new();
        for (holder, history) in section("native")? {
            let hp = format!("{path}.native[{holder:?}]");
            let holder = self.eth_address(holder, &hp)?;
            if native.insert(holder, self.history(history, &hp)?).is_some() {
                return Err(self.invalid(&hp, "the same holder is listed twice"));
            }
        }
        let mut erc20 = HashMap::new();
        for (token, holders) in section("erc20")? {
            let tp = format!("{path}.erc20[{token:?}]");
            let token = self.eth_address(token, &tp)?;
            for (holder, history) in self.map(holders, &tp)? {
                let hp = format!("{tp}[{holder:?}]");
                let holder = self.eth_address(holder, &hp)?;
                if erc20
                    .insert((token, holder), self.history(history, &hp)?)
                    .is_some()
                {
                    return Err(self.invalid(&hp, "the same token and holder are listed twice"));
                }
            }
        }
        let mut eip1271 = HashMap::new();
        if let Some(list) = m.get("eip1271") {
            let lp = format!("{path}.eip1271");
            for (i, e) in self.array(list, &lp)?.iter().enumerate() {
                let ep = format!("{lp}[{i}]");
                let em = self.object(e, &ep, &["wallet", "hash", "signature", "valid"])?;
                let wp = format!("{ep}.wallet");
                let wallet =
                    self.eth_address(self.string(self.field(em, &ep, "wallet")?, &wp)?, &wp)?;
                let hp = format!("{ep}.hash");
                let hash = self.bytes(self.field(em, &ep, "hash")?, &hp)?;
                let hash = B256::try_from(hash.as_slice())
                    .map_err(|_| self.invalid(&hp, "expected 32 bytes"))?;
                let signature = self.bytes(
                    self.field(em, &ep, "signature")?,
                    &format!("{ep}.signature"),
                )?;
                let vp = format!("{ep}.valid");
                let valid = self
                    .field(em, &ep, "valid")?
                    .as_bool()
                    .ok_or_else(|| self.invalid(&vp, "expected true or false"))?;
                if eip1271.insert((wallet, hash, signature), valid).is_some() {
                    return Err(
                        self.invalid(&ep, "the same (wallet, hash, signature) is listed twice")
                    );
                }
            }
        }
        Ok(EthereumData {
            chain_id,
            blocks,
            native,
            erc20,
            eip1271,
        })
    }
}

fn is_lower_hex64(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
