//! An Esplora-protocol server over a chain state held in memory, for the
//! address-scale bench and the tests: the endpoints por's Esplora backend reads
//! (Blockstream/esplora `API.md`): `GET /blocks/tip/height`, `GET /block-height/:h`,
//! `GET /block/:hash`, and `GET /address/:address/txs/chain[/:last_seen_txid]`, the
//! confirmed history newest first in pages of 25, as electrs serves it.
//!
//! The chain is synthetic: block `h` has time `genesis_time + 600·h` and hash
//! `SHA-256("por-bench-btc" ‖ h)`. Histories come from a [`Histories`], so the bench
//! can derive each address's history from its index on demand (no state grows with
//! the address count) and a test can list its own.

use super::serve::{Answer, Handler, Server};
use sha2::Digest;
use std::sync::Arc;
use std::time::Duration;

/// Transactions per history page (Esplora's `/txs/chain`).
pub const PAGE: usize = 25;

/// One confirmed transaction touching an address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tx {
    /// 64 hex characters.
    pub txid: String,
    /// The height that confirmed it.
    pub height: u64,
    /// Outputs, as (script hex, satoshis).
    pub outputs: Vec<(String, u64)>,
    /// The outputs its inputs spend, as (script hex, satoshis).
    pub inputs: Vec<(String, u64)>,
}

/// Where the server's address histories come from.
pub trait Histories: Send + Sync {
    /// The confirmed history of `address` (as written in the URL), oldest first;
    /// empty for an address never used.
    fn history(&self, address: &str) -> Vec<Tx>;
}

/// Histories listed by address.
impl Histories for std::collections::HashMap<String, Vec<Tx>> {
    fn history(&self, address: &str) -> Vec<Tx> {
        self.get(address).cloned().unwrap_or_default()
    }
}

/// The synthetic chain's shape: blocks `0..=tip`, 600 s apart from `genesis_time`.
#[derive(Clone, Copy, Debug)]
pub struct Blocks {
    /// The best block's height.
    pub tip: u64,
    /// Block 0's time, Unix seconds.
    pub genesis_time: u64,
}

impl Blocks {
    /// Block `h`'s hash, 64 hex characters.
    pub fn hash(h: u64) -> String {
        let mut d = sha2::Sha256::new();
        d.update(b"por-bench-btc");
        d.update(h.to_be_bytes());
        hex::encode(d.finalize())
    }

    /// Block `h`'s time.
    pub fn time(&self, h: u64) -> u64 {
        self.genesis_time + 600 * h
    }
}

/// Starts an Esplora server on loopback answering each request after `latency`.
pub fn start(
    blocks: Blocks,
    histories: Arc<dyn Histories>,
    latency: Duration,
) -> std::io::Result<Server> {
    let handler: Handler = Arc::new(move |method, path, _body| {
        if method != "GET" {
            return Answer::text(405, "GET only");
        }
        answer(&blocks, &*histories, path)
    });
    Server::start(latency, handler)
}

fn answer(blocks: &Blocks, histories: &dyn Histories, path: &str) -> Answer {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let not_found = || Answer::text(404, "Block not found");
    match parts.as_slice() {
        ["blocks", "tip", "height"] => Answer::text(200, blocks.tip.to_string()),
        ["block-height", h] => match h.parse::<u64>() {
            Ok(h) if h <= blocks.tip => Answer::text(200, Blocks::hash(h)),
            _ => not_found(),
        },
        ["block", hash] => match (0..=blocks.tip).find(|h| Blocks::hash(*h) == *hash) {
            Some(h) => Answer::json(
                serde_json::json!({"id": hash, "height": h, "timestamp": blocks.time(h)})
                    .to_string(),
            ),
            None => not_found(),
        },
        ["address", address, "txs", "chain", rest @ ..] => {
            let mut txs = histories.history(address);
            txs.retain(|t| t.height <= blocks.tip);
            txs.reverse();
            let start = match rest {
                [] => 0,
                [last] => match txs.iter().position(|t| t.txid == *last) {
                    Some(i) => i + 1,
                    None => return Answer::text(400, "Invalid hex string"),
                },
                _ => return Answer::text(404, "no such route"),
            };
            let page: Vec<serde_json::Value> =
                txs.iter().skip(start).take(PAGE).map(tx_json).collect();
            Answer::json(serde_json::Value::Array(page).to_string())
        }
        _ => Answer::text(404, format!("no route for {path}")),
    }
}

fn tx_json(t: &Tx) -> serde_json::Value {
    let out = |(script, value): &(String, u64)| serde_json::json!({"scriptpubkey": script, "value": value});
    serde_json::json!({
        "txid": t.txid,
        "vin": t.inputs.iter().map(|i| serde_json::json!({"prevout": out(i)})).collect::<Vec<_>>(),
        "vout": t.outputs.iter().map(out).collect::<Vec<_>>(),
        "status": {
            "confirmed": true,
            "block_height": t.height,
            "block_hash": Blocks::hash(t.height),
        }
    })
}

/// A txid from any bytes (SHA-256, hex).
pub fn txid(seed: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(seed))
}
