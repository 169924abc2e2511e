//! An Ethereum JSON-RPC server over a balance table held in memory, for the
//! address-scale bench and the tests: `POST /` with one request or a batch (an
//! array, answered with an array matched by id), the methods por's EVM backend
//! calls: `eth_chainId`, `eth_blockNumber`, `eth_getBlockByNumber`, `eth_getBalance`
//! and `eth_call` of `balanceOf(address)`, the last two with an EIP-1898 block
//! parameter (`{"blockHash": …, "requireCanonical": true}`; a hash the chain does
//! not have is error -32000 `header not found`, as geth answers) or a block number.
//!
//! The chain is synthetic: block `h` has time `genesis_time + 12·h` and hash
//! `0x` + SHA-256("por-bench-evm" ‖ chain id ‖ h). Balances come from a [`Balances`],
//! which may also fail one item (a per-item JSON-RPC error inside a batch), and the
//! server may refuse batches the way some providers do (one error object, id null).

use super::serve::{Answer, Handler, Server};
use serde_json::{Value, json};
use sha2::Digest;
use std::sync::Arc;
use std::time::Duration;

/// `balanceOf(address)`'s selector.
const BALANCE_OF: [u8; 4] = [0x70, 0xa0, 0x82, 0x31];

/// Where the server's balances come from.
pub trait Balances: Send + Sync {
    /// The balance of `holder` at `height`: wei when `token` is `None`, else token
    /// units; `Err(message)` answers this one request with a JSON-RPC error.
    fn balance(
        &self,
        token: Option<[u8; 20]>,
        holder: [u8; 20],
        height: u64,
    ) -> Result<u128, String>;
}

/// The synthetic chain's shape and manners.
#[derive(Clone, Copy, Debug)]
pub struct Chain {
    /// `eth_chainId`.
    pub chain_id: u64,
    /// The best block's height.
    pub tip: u64,
    /// Block 0's time, Unix seconds.
    pub genesis_time: u64,
    /// Whether batch requests are answered (else one error object, id null).
    pub batches: bool,
}

impl Chain {
    /// Block `h`'s hash, `0x` + 64 hex.
    pub fn hash(&self, h: u64) -> String {
        let mut d = sha2::Sha256::new();
        d.update(b"por-bench-evm");
        d.update(self.chain_id.to_be_bytes());
        d.update(h.to_be_bytes());
        format!("0x{}", hex::encode(d.finalize()))
    }

    /// Block `h`'s time.
    pub fn time(&self, h: u64) -> u64 {
        self.genesis_time + 12 * h
    }
}

/// Starts a JSON-RPC server on loopback answering each HTTP request after `latency`.
pub fn start(
    chain: Chain,
    balances: Arc<dyn Balances>,
    latency: Duration,
) -> std::io::Result<Server> {
    let hashes: std::collections::HashMap<String, u64> =
        (0..=chain.tip).map(|h| (chain.hash(h), h)).collect();
    let handler: Handler = Arc::new(move |method, _path, body| {
        if method != "POST" {
            return Answer::text(405, "POST only");
        }
        let Ok(req) = serde_json::from_slice::<Value>(body) else {
            return Answer::json(
                json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32700, "message": "parse error"}})
                    .to_string(),
            );
        };
        let one = |r: &Value| call(&chain, &hashes, &*balances, r);
        let out = match &req {
            Value::Array(_) if !chain.batches => {
                json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32600, "message": "batch requests are not supported"}})
            }
            Value::Array(list) => Value::Array(list.iter().map(one).collect()),
            single => one(single),
        };
        Answer::json(out.to_string())
    });
    Server::start(latency, handler)
}

fn call(
    chain: &Chain,
    hashes: &std::collections::HashMap<String, u64>,
    balances: &dyn Balances,
    req: &Value,
) -> Value {
    let id = req.get("id").cloned().unwrap_or(Value::Null);
    let params = req
        .get("params")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let result = match req.get("method").and_then(Value::as_str).unwrap_or("") {
        "eth_chainId" => Ok(json!(format!("{:#x}", chain.chain_id))),
        "eth_blockNumber" => Ok(json!(format!("{:#x}", chain.tip))),
        "eth_getBlockByNumber" => match params.first().and_then(quantity) {
            Some(h) if h <= chain.tip => Ok(json!({
                "number": format!("{h:#x}"),
                "hash": chain.hash(h),
                "timestamp": format!("{:#x}", chain.time(h)),
            })),
            Some(_) => Ok(Value::Null),
            None => Err((-32602, "invalid block number".to_string())),
        },
        "eth_getBalance" => block(chain, hashes, params.get(1)).and_then(|h| {
            let holder = params
                .first()
                .and_then(address)
                .ok_or((-32602, "invalid address".into()))?;
            balances
                .balance(None, holder, h)
                .map(|v| json!(format!("{v:#x}")))
                .map_err(|m| (-32000, m))
        }),
        "eth_call" => block(chain, hashes, params.get(1)).and_then(|h| {
            let tx = params.first().ok_or((-32602, "missing call".to_string()))?;
            let to = tx
                .get("to")
                .and_then(address)
                .ok_or((-32602, "missing to".to_string()))?;
            let data = tx
                .get("input")
                .or_else(|| tx.get("data"))
                .and_then(Value::as_str)
                .and_then(|s| hex::decode(s.trim_start_matches("0x")).ok())
                .unwrap_or_default();
            if data.len() != 36 || data[..4] != BALANCE_OF {
                return Err((3, "execution reverted".to_string()));
            }
            let mut holder = [0u8; 20];
            holder.copy_from_slice(&data[16..36]);
            balances
                .balance(Some(to), holder, h)
                .map(|v| json!(format!("0x{v:064x}")))
                .map_err(|m| (-32000, m))
        }),
        other => Err((
            -32601,
            format!("the method {other} does not exist/is not available"),
        )),
    };
    match result {
        Ok(v) => json!({"jsonrpc": "2.0", "id": id, "result": v}),
        Err((code, message)) => {
            json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
        }
    }
}

/// The height an EIP-1898 block parameter (or a number, or `latest`) names.
fn block(
    chain: &Chain,
    hashes: &std::collections::HashMap<String, u64>,
    param: Option<&Value>,
) -> Result<u64, (i64, String)> {
    let header_not_found = || (-32000, "header not found".to_string());
    match param {
        None => Ok(chain.tip),
        Some(Value::String(s)) if s == "latest" => Ok(chain.tip),
        Some(Value::Object(o)) => match (o.get("blockHash"), o.get("blockNumber")) {
            (Some(Value::String(h)), _) => hashes.get(h).copied().ok_or_else(header_not_found),
            (_, Some(n)) => quantity(n)
                .filter(|h| *h <= chain.tip)
                .ok_or_else(header_not_found),
            _ => Err((-32602, "invalid block parameter".into())),
        },
        Some(v) => quantity(v)
            .filter(|h| *h <= chain.tip)
            .ok_or_else(header_not_found),
    }
}

fn quantity(v: &Value) -> Option<u64> {
    u64::from_str_radix(v.as_str()?.strip_prefix("0x")?, 16).ok()
}

fn address(v: &Value) -> Option<[u8; 20]> {
    let bytes = hex::decode(v.as_str()?.strip_prefix("0x")?).ok()?;
    bytes.try_into().ok()
}
