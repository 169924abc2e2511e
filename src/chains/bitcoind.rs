//! Bitcoin through a Bitcoin Core node's JSON-RPC interface.
//!
//! JSON-RPC 1.0 over HTTP POST (`{"jsonrpc":"1.0","id":n,"method":…,"params":[…]}`),
//! answered with `{"result":…,"error":…,"id":n}`. Core signals an RPC error with a
//! non-null `error` object and (in 1.0 mode) HTTP 500, 404 or 400 *with that JSON
//! body*; such errors are definite ([`ChainError::Rpc`]) except code `-28`
//! (`RPC_IN_WARMUP`, the node is still loading), which is retried. HTTP 401 means the
//! credentials were refused; it is reported as such and never retried.
//!
//! Methods used: `getblockcount`, `getblockhash`, `getblockheader` (its `time`), and
//! `scantxoutset "start" ["addr(<address>)"]` for balances. `scantxoutset` reads the
//! node's UTXO set, which exists only at the node's tip: the answer is used only when
//! its `bestblock` is the snapshot block, otherwise the read is refused with
//! [`ChainError::Unsupported`]; it is never approximated. Take the snapshot at the
//! node's tip, or read history through Esplora. A mainnet scan takes minutes: give
//! the config a generous timeout.
//!
//! BTC amounts are JSON numbers with 8 decimals (`"amount": 0.00000001`). They are
//! kept as raw JSON text ([`serde_json::value::RawValue`]) and parsed by
//! [`Amount::parse_decimal`] with 8 decimals into satoshis; no float ever holds an
//! amount.

use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use crate::amount::{Amount, AmountError};

use super::http::{Http, HttpSetupError, Marks, redact, snippet};
use super::{BitcoinBackend, BlockRef, ChainError, RetryPolicy, is_hex64};

/// `RPC_IN_WARMUP`: the node is starting and not ready to answer yet.
pub const RPC_IN_WARMUP: i64 = -28;

/// How to authenticate to the node.
#[derive(Clone, PartialEq, Eq)]
pub enum RpcAuth {
    /// `rpcuser`/`rpcpassword` (or an `rpcauth` entry).
    UserPass {
        /// The RPC user name.
        user: String,
        /// The RPC password; never printed (`Debug` redacts it).
        password: String,
    },
    /// The `.cookie` file the node writes into its datadir (`__cookie__:<password>`).
    /// Read at every call, so a restarted node's new cookie is picked up.
    CookieFile(PathBuf),
    /// No credentials are sent.
    None,
}

impl fmt::Debug for RpcAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RpcAuth::UserPass { user, .. } => f
                .debug_struct("UserPass")
                .field("user", user)
                .field("password", &"<redacted>")
                .finish(),
            RpcAuth::CookieFile(path) => f.debug_tuple("CookieFile").field(path).finish(),
            RpcAuth::None => f.write_str("None"),
        }
    }
}

/// Where and how to reach a Bitcoin Core node.
#[derive(Clone, Debug)]
pub struct BitcoindConfig {
    /// e.g. `http://127.0.0.1:8332`.
    pub url: String,
    /// How to authenticate to the node.
    pub auth: RpcAuth,
    /// Timeout of one RPC call; `scantxoutset` on mainnet needs minutes.
    pub timeout: Duration,
    /// Retries of transient failures (connection, timeout, HTTP 429/5xx, warm-up).
    pub retry: RetryPolicy,
}

/// Errors setting up a Bitcoin Core backend. Errors while reading are [`ChainError`]s.
#[derive(Debug, thiserror::Error)]
pub enum BitcoindError {
    /// The configured URL is not a usable `http(s)` URL.
    #[error(
        "invalid bitcoin core rpc url {}: {message}",
        crate::excerpt::Excerpt::quoted(url)
    )]
    InvalidUrl {
        /// The URL, credentials elided.
        url: String,
        /// Why it is refused.
        message: String,
    },
    /// The HTTP client could not be built.
    #[error("{endpoint}: cannot set up the http client: {message}")]
    Client {
        /// The endpoint, without credentials.
        endpoint: String,
        /// The client library's error.
        message: String,
    },
}

/// A [`BitcoinBackend`] reading a Bitcoin Core node over JSON-RPC.
pub struct BitcoindRpc {
    http: Http,
    auth: RpcAuth,
    retry: RetryPolicy,
    next_id: AtomicU64,
}

impl BitcoindRpc {
    /// A backend for the node at `config.url`.
    /// Errors if the URL is invalid or the HTTP client cannot be built; the node is not contacted
    /// yet.
    pub fn new(config: BitcoindConfig) -> Result<BitcoindRpc, BitcoindError> {
        let http = Http::new(&config.url, config.timeout).map_err(|e| match e {
            HttpSetupError::Url(message) => BitcoindError::InvalidUrl {
                url: redact(&config.url, Marks::Elided),
                message,
            },
            HttpSetupError::Client { endpoint, message } => {
                BitcoindError::Client { endpoint, message }
            }
        })?;
        Ok(BitcoindRpc {
            http,
            auth: config.auth,
            retry: config.retry,
            next_id: AtomicU64::new(1),
        })
    }

    /// Calls `method` with `params` (a JSON array) and deserializes the `result`,
    /// retrying transient failures. For amounts, deserialize into a type holding
    /// [`RawValue`]s, never `f64`.
    pub fn call<T: DeserializeOwned>(
        &self,
        method: &str,
        params: serde_json::Value,
    ) -> Result<T, ChainError> {
        let raw = self.retry.run(|| self.call_once(method, &params))?;
        serde_json::from_str(raw.get()).map_err(|e| self.malformed(method, e.to_string()))
    }

    fn call_once(
        &self,
        method: &str,
        params: &serde_json::Value,
    ) -> Result<Box<RawValue>, ChainError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let body =
            serde_json::json!({"jsonrpc": "1.0", "id": id, "method": method, "params": params});
        let mut request = self
            .http
            .post("")
            .header("Content-Type", "application/json")
            .body(body.to_string());
        match &self.auth {
            RpcAuth::UserPass { user, password } => {
                request = request.basic_auth(user, Some(password));
            }
            RpcAuth::CookieFile(path) => {
                let (user, password) =
                    read_cookie(path).map_err(|message| ChainError::Transport {
                        endpoint: self.http.endpoint.clone(),
                        message: format!("{method}: {message}"),
                        transient: false,
                    })?;
                request = request.basic_auth(user, Some(password));
            }
            RpcAuth::None => {}
        }
        let (status, text) = self.http.send(request, method)?;
        if status == 401 || status == 403 {
            let why = match (status, &self.auth) {
                (403, _) => "forbidden: this client's address is not allowed (rpcallowip)",
                (_, RpcAuth::None) => {
                    "authentication required: configure rpc user/password or a cookie file"
                }
                (_, RpcAuth::CookieFile(_)) => {
                    "authentication failed: the cookie file is stale or belongs to another node"
                }
                _ => "authentication failed: wrong rpc user or password",
            };
            return Err(ChainError::Http {
                endpoint: self.http.endpoint.clone(),
                status,
                what: method.to_string(),
                body: why.to_string(),
            });
        }
        let envelope: Envelope = match serde_json::from_str(&text) {
            Ok(envelope) => envelope,
            // Not JSON-RPC: a proxy page, "Work queue depth exceeded" (503), …
            Err(_) if status != 200 => {
                return Err(ChainError::Http {
                    endpoint: self.http.endpoint.clone(),
                    status,
                    what: method.to_string(),
                    body: snippet(&text),
                });
            }
            Err(e) => return Err(self.malformed(method, format!("not a json-rpc response: {e}"))),
        };
        if let Some(error) = envelope.error {
            let message = format!("rpc error {}: {}", error.code, error.message);
            return Err(if error.code == RPC_IN_WARMUP {
                ChainError::Transport {
                    endpoint: self.http.endpoint.clone(),
                    message: format!("{method}: node is warming up ({message})"),
                    transient: true,
                }
            } else {
                ChainError::Rpc {
                    endpoint: self.http.endpoint.clone(),
                    what: method.to_string(),
                    message,
                }
            });
        }
        if status != 200 {
            return Err(ChainError::Http {
                endpoint: self.http.endpoint.clone(),
                status,
                what: method.to_string(),
                body: snippet(&text),
            });
        }
        if envelope.id.as_ref().and_then(|v| v.as_u64()) != Some(id) {
            return Err(self.malformed(
                method,
                format!("response id {:?} is not request id {id}", envelope.id),
            ));
        }
        envelope
            .result
            .ok_or_else(|| self.malformed(method, "response has neither result nor error"))
    }

    fn malformed(&self, what: &str, message: impl Into<String>) -> ChainError {
        ChainError::Malformed {
            endpoint: self.http.endpoint.clone(),
            what: what.to_string(),
            message: message.into(),
        }
    }
}

impl BitcoinBackend for BitcoindRpc {
    fn endpoint(&self) -> &str {
        &self.http.endpoint
    }

    fn tip_height(&self) -> Result<u64, ChainError> {
        self.call("getblockcount", serde_json::json!([]))
    }

    fn block_at(&self, height: u64) -> Result<BlockRef, ChainError> {
        let hash: String = self.call("getblockhash", serde_json::json!([height]))?;
        if !is_hex64(&hash) {
            return Err(self.malformed(
                "getblockhash",
                format!(
                    "invalid block hash {}",
                    crate::excerpt::Excerpt::quoted(&hash)
                ),
            ));
        }
        let header: BlockHeader = self.call("getblockheader", serde_json::json!([hash, true]))?;
        if header.hash != hash || header.height != height {
            return Err(self.malformed(
                "getblockheader",
                format!(
                    "asked for block {hash} at height {height}, got block {} at height {}",
                    header.hash, header.height
                ),
            ));
        }
        Ok(BlockRef {
            height,
            hash,
            time: header.time,
        })
    }

    fn balance_at(&self, address: &bitcoin::Address, at: &BlockRef) -> Result<u128, ChainError> {
        let what = format!("scantxoutset of {address}");
        let scan: ScanResult = self.call(
            "scantxoutset",
            serde_json::json!(["start", [format!("addr({address})")]]),
        )?;
        if !scan.success {
            return Err(ChainError::Rpc {
                endpoint: self.http.endpoint.clone(),
                what,
                message: "the scan did not complete (aborted on the node)".into(),
            });
        }
        let (Some(height), Some(bestblock)) = (scan.height, scan.bestblock) else {
            return Err(ChainError::Unsupported {
                endpoint: self.http.endpoint.clone(),
                message: "this bitcoin core is too old: scantxoutset does not say which block its utxo set is at, so a balance cannot be pinned to the snapshot block".into(),
            });
        };
        if bestblock != at.hash {
            let relation = if height > at.height {
                "the node's tip moved past the snapshot block"
            } else {
                "the node's utxo set is not at the snapshot block"
            };
            return Err(ChainError::Unsupported {
                endpoint: self.http.endpoint.clone(),
                message: format!(
                    "cannot read {address} at height {} ({}): {relation} (utxo set at height {height}, block {bestblock}); scantxoutset only reads the utxo set at the tip, so use an esplora backend (history) or take the snapshot at the node's tip",
                    at.height, at.hash
                ),
            });
        }
        if height != at.height {
            return Err(self.malformed(
                &what,
                format!(
                    "bestblock {bestblock} reported at height {height}, the snapshot has it at {}",
                    at.height
                ),
            ));
        }
        let script = address.script_pubkey().to_hex_string();
        let mut sum: u128 = 0;
        for (i, unspent) in scan.unspents.iter().enumerate() {
            if unspent.script_pubkey != script {
                return Err(self.malformed(
                    &what,
                    format!(
                        "unspents[{i}] ({}:{}) pays script {}, not {address}",
                        unspent.txid, unspent.vout, unspent.script_pubkey
                    ),
                ));
            }
            if unspent.height > at.height {
                return Err(self.malformed(
                    &what,
                    format!(
                        "unspents[{i}] is confirmed at height {} above the scanned block {}",
                        unspent.height, at.height
                    ),
                ));
            }
            let sats = sats(&unspent.amount)
                .map_err(|e| self.malformed(&what, format!("unspents[{i}].amount: {e}")))?;
            sum = sum
                .checked_add(sats)
                .ok_or_else(|| self.malformed(&what, "sum of unspents overflows"))?;
        }
        let total = sats(&scan.total_amount)
            .map_err(|e| self.malformed(&what, format!("total_amount: {e}")))?;
        if total != sum {
            return Err(self.malformed(
                &what,
                format!("total_amount is {total} sat but the unspents add up to {sum} sat"),
            ));
        }
        Ok(sum)
    }
}

/// Decimals of a BTC amount as Core writes it (`0.00000001`).
const BTC_DECIMALS: u8 = 8;

/// Satoshis of a BTC amount, from the exact text of the JSON number Core wrote
/// (`20999999.97690000`): at most 8 significant decimals, no sign, no exponent.
fn sats(raw: &RawValue) -> Result<u128, AmountError> {
    Amount::parse_decimal(raw.get(), BTC_DECIMALS).map(|a| a.base_units())
}

fn read_cookie(path: &std::path::Path) -> Result<(String, String), String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read cookie file {}: {e}", path.display()))?;
    let (user, password) = text
        .trim_end()
        .split_once(':')
        .ok_or_else(|| format!("cookie file {} is not user:password", path.display()))?;
    Ok((user.to_string(), password.to_string()))
}

// --- JSON-RPC shapes (only the fields read) -------------------------------------------

#[derive(Deserialize)]
struct Envelope {
    /// `null` when `error` is set.
    result: Option<Box<RawValue>>,
    error: Option<RpcErrorObject>,
    id: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct RpcErrorObject {
    code: i64,
    message: String,
}

#[derive(Deserialize)]
struct BlockHeader {
    hash: String,
    height: u64,
    time: u64,
}

#[derive(Deserialize)]
struct ScanResult {
    success: bool,
    height: Option<u64>,
    bestblock: Option<String>,
    unspents: Vec<ScanUnspent>,
    total_amount: Box<RawValue>,
}

#[derive(Deserialize)]
struct ScanUnspent {
    txid: String,
    vout: u32,
    #[serde(rename = "scriptPubKey")]
    script_pubkey: String,
    amount: Box<RawValue>,
    height: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sats_of(json: &str) -> Result<u128, AmountError> {
        sats(&serde_json::from_str::<Box<RawValue>>(json).unwrap())
    }

    #[test]
    fn parses_btc_amounts_exactly() {
        assert_eq!(sats_of("0.00000001"), Ok(1));
        assert_eq!(sats_of("20999999.97690000"), Ok(2_099_999_997_690_000));
        assert_eq!(sats_of("0"), Ok(0));
        assert_eq!(sats_of("1.5"), Ok(150_000_000));
        assert_eq!(sats_of("50.00000000"), Ok(5_000_000_000));
        // Valid JSON that is not a BTC amount. ("", "1.", ".5", "01.0" … are not JSON.)
        for bad in [
            "-1",
            "1e-8",
            "1E8",
            "0.000000001",
            "\"1.5\"",
            "null",
            "true",
        ] {
            assert!(sats_of(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn auth_debug_hides_the_password() {
        let auth = RpcAuth::UserPass {
            user: "u".into(),
            password: "hunter2".into(),
        };
        assert!(!format!("{auth:?}").contains("hunter2"));
    }
}
