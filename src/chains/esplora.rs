//! Bitcoin through an Esplora REST API (Blockstream's esplora/electrs, mempool.space).
//!
//! Endpoints used, as documented in Blockstream/esplora `API.md`:
//! `GET /blocks/tip/height`, `GET /block-height/:height` (hash as text),
//! `GET /block/:hash` (JSON, `timestamp`), and the confirmed history of an address,
//! `GET /address/:address/txs/chain[/:last_seen_txid]`, newest first, in pages. For
//! BIP-127 wallet proofs, one output at a block: `GET /tx/:txid` (the output and the
//! block that confirmed it) and `GET /tx/:txid/outspend/:vout` (who spent it, when).
//!
//! A balance at block `H` is rebuilt from the whole confirmed history: the values of
//! outputs paying the address's script in transactions confirmed at heights ≤ `H`,
//! minus the `prevout` values of inputs spending that script in transactions confirmed
//! at heights ≤ `H`. Outputs are matched on `scriptpubkey` (the script of the checked
//! address), not on the address string, so an explorer's address rendering cannot
//! change the result. The walk continues until the server returns an empty page, so a
//! server with a different page size than 25 is still read completely (one extra
//! request per address). The block hash at `H` is checked before and after the walk;
//! a change is [`ChainError::Reorg`].
//!
//! Histories are capped at [`DEFAULT_MAX_HISTORY_PAGES`] pages (25 transactions each)
//! per address, adjustable with [`Esplora::with_max_history_pages`]; a longer history
//! is refused with [`ChainError::Unsupported`] rather than read for hours. For such
//! addresses read the balance at the tip from a Bitcoin Core node (`scantxoutset`).
//!
//! HTTP (client, runtime, retry classification, URL redaction) is `chains/http.rs`,
//! shared with the other backends: async `reqwest` driven by a current-thread tokio
//! runtime owned by the backend, so calls must not be made from inside another tokio
//! runtime (use `spawn_blocking`).

use std::collections::HashSet;
use std::time::Duration;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::http::{Http, HttpSetupError, Marks, redact, snippet};
use super::{BitcoinBackend, BlockRef, ChainError, OutputAt, RetryPolicy, is_hex64};

/// Confirmed transactions per page of `/address/:address/txs/chain` (API.md).
pub const PAGE_SIZE: usize = 25;
/// Default cap on history pages read per address (250,000 transactions).
pub const DEFAULT_MAX_HISTORY_PAGES: u32 = 10_000;

/// Where and how to reach an Esplora server.
#[derive(Clone, Debug)]
pub struct EsploraConfig {
    /// Base URL of the API, e.g. `https://blockstream.info/api`. Credentials in the URL
    /// (`https://user:pass@host/api`) are sent as HTTP basic auth and never logged.
    pub url: String,
    /// Timeout of one HTTP request, connection to last byte.
    pub timeout: Duration,
    /// Retries of transient failures (connection, timeout, HTTP 429/5xx).
    pub retry: RetryPolicy,
}

/// Errors setting up an Esplora backend. Errors while reading are [`ChainError`]s.
#[derive(Debug, thiserror::Error)]
pub enum EsploraError {
    /// The configured URL is not a usable `http(s)` URL.
    #[error(
        "invalid esplora url {}: {message}",
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

/// A [`BitcoinBackend`] reading an Esplora REST API.
pub struct Esplora {
    http: Http,
    retry: RetryPolicy,
    max_history_pages: u32,
}

impl Esplora {
    /// A backend for the Esplora API at `config.url`.
    /// Errors if the URL is invalid or the HTTP client cannot be built; the server is not contacted
    /// yet.
    pub fn new(config: EsploraConfig) -> Result<Esplora, EsploraError> {
        let http = Http::new(&config.url, config.timeout).map_err(|e| match e {
            HttpSetupError::Url(message) => EsploraError::InvalidUrl {
                url: redact(&config.url, Marks::Elided),
                message,
            },
            HttpSetupError::Client { endpoint, message } => {
                EsploraError::Client { endpoint, message }
            }
        })?;
        Ok(Esplora {
            http,
            retry: config.retry,
            max_history_pages: DEFAULT_MAX_HISTORY_PAGES,
        })
    }

    /// Sets the cap on history pages read per address (at least 1).
    pub fn with_max_history_pages(mut self, pages: u32) -> Esplora {
        self.max_history_pages = pages.max(1);
        self
    }

    /// `GET path` with retries; the body of a `200`.
    fn get_text(&self, path: &str, what: &str) -> Result<String, ChainError> {
        self.retry.run(|| {
            let (status, body, retry_after) = self.http.send_full(self.http.get(path), what)?;
            if status == 200 {
                Ok(body)
            } else if status == 429 {
                Err(ChainError::RateLimited {
                    endpoint: self.http.endpoint.clone(),
                    what: what.to_string(),
                    body: snippet(&body),
                    retry_after,
                })
            } else {
                Err(ChainError::Http {
                    endpoint: self.http.endpoint.clone(),
                    status,
                    what: what.to_string(),
                    body: snippet(&body),
                })
            }
        })
    }

    fn get_json<T: DeserializeOwned>(&self, path: &str, what: &str) -> Result<T, ChainError> {
        let body = self.get_text(path, what)?;
        serde_json::from_str(&body).map_err(|e| self.malformed(what, format!("{e}")))
    }

    fn malformed(&self, what: &str, message: impl Into<String>) -> ChainError {
        ChainError::Malformed {
            endpoint: self.http.endpoint.clone(),
            what: what.to_string(),
            message: message.into(),
        }
    }

    fn hash_at(&self, height: u64) -> Result<String, ChainError> {
        let what = format!("block hash at height {height}");
        let body = self.get_text(&format!("/block-height/{height}"), &what)?;
        let hash = body.trim();
        if !is_hex64(hash) {
            return Err(self.malformed(
                &what,
                format!(
                    "expected 64 lowercase hex characters, got {}",
                    crate::excerpt::Excerpt::quoted(hash)
                ),
            ));
        }
        Ok(hash.to_string())
    }

    /// `Reorg` unless the best chain still has `at.hash` at `at.height`.
    fn check_still_at(&self, at: &BlockRef) -> Result<(), ChainError> {
        let now = self.hash_at(at.height)?;
        if now != at.hash {
            return Err(ChainError::Reorg {
                endpoint: self.http.endpoint.clone(),
                height: at.height,
                before: at.hash.clone(),
                after: now,
            });
        }
        Ok(())
    }
}

impl BitcoinBackend for Esplora {
    fn endpoint(&self) -> &str {
        &self.http.endpoint
    }

    fn tip_height(&self) -> Result<u64, ChainError> {
        let what = "tip height";
        let body = self.get_text("/blocks/tip/height", what)?;
        body.trim().parse().map_err(|_| {
            self.malformed(
                what,
                format!(
                    "expected a height, got {}",
                    crate::excerpt::Excerpt::quoted(body.trim())
                ),
            )
        })
    }

    fn block_at(&self, height: u64) -> Result<BlockRef, ChainError> {
        let hash = self.hash_at(height)?;
        let what = format!("block {hash}");
        let block: EsploraBlock = self.get_json(&format!("/block/{hash}"), &what)?;
        if block.id != hash || block.height != height {
            return Err(self.malformed(
                &what,
                format!(
                    "asked for block {hash} at height {height}, got block {} at height {}",
                    block.id, block.height
                ),
            ));
        }
        Ok(BlockRef {
            height,
            hash,
            time: block.timestamp,
        })
    }

    fn balance_at(&self, address: &bitcoin::Address, at: &BlockRef) -> Result<u128, ChainError> {
        let script = address.script_pubkey().to_hex_string();
        let what = format!("history of {address}");
        self.check_still_at(at)?;

        let mut history = History::new(&script, at);
        let mut last_seen: Option<String> = None;
        let mut pages = 0u32;
        loop {
            if pages == self.max_history_pages {
                return Err(ChainError::Unsupported {
                    endpoint: self.http.endpoint.clone(),
                    message: format!(
                        "{address} has more than {} transactions ({pages} pages of {PAGE_SIZE}); \
                         refusing to walk a history that long, read it with a bitcoin core node \
                         (scantxoutset) with a snapshot at its tip",
                        u64::from(pages) * PAGE_SIZE as u64
                    ),
                });
            }
            let path = match &last_seen {
                None => format!("/address/{address}/txs/chain"),
                Some(txid) => format!("/address/{address}/txs/chain/{txid}"),
            };
            let page: Vec<EsploraTx> = self.get_json(&path, &what)?;
            pages += 1;
            let Some(last) = page.last() else { break };
            if !is_hex64(&last.txid) {
                return Err(self.malformed(&what, format!("invalid txid {:?}", last.txid)));
            }
            last_seen = Some(last.txid.clone());
            for tx in &page {
                history
                    .add(tx)
                    .map_err(|e| e.into_chain_error(&self.http.endpoint, &what))?;
            }
        }

        self.check_still_at(at)?;
        history
            .balance()
            .map_err(|e| e.into_chain_error(&self.http.endpoint, &what))
    }

    fn output_at(
        &self,
        outpoint: &bitcoin::OutPoint,
        at: &BlockRef,
    ) -> Result<OutputAt, ChainError> {
        self.read_output_at(outpoint, at)
    }
}

impl Esplora {
    /// `Reorg` when a transaction confirmed at the snapshot height names another block.
    fn check_same_block(
        &self,
        status: &EsploraStatus,
        at: &BlockRef,
        what: &str,
    ) -> Result<(), ChainError> {
        match (status.block_height, &status.block_hash) {
            (Some(h), Some(hash)) if h == at.height && *hash != at.hash => Err(ChainError::Reorg {
                endpoint: self.http.endpoint.clone(),
                height: at.height,
                before: at.hash.clone(),
                after: hash.clone(),
            }),
            (None, _) if status.confirmed => {
                Err(self.malformed(what, "confirmed without a block_height"))
            }
            _ => Ok(()),
        }
    }

    /// [`BitcoinBackend::output_at`]: `GET /tx/:txid`, then `GET /tx/:txid/outspend/:vout`.
    fn read_output_at(
        &self,
        outpoint: &bitcoin::OutPoint,
        at: &BlockRef,
    ) -> Result<OutputAt, ChainError> {
        let txid = outpoint.txid.to_string();
        let what = format!("transaction {txid}");
        self.check_still_at(at)?;
        let tx: EsploraTx = match self.get_json(&format!("/tx/{txid}"), &what) {
            Err(ChainError::Http { status: 404, .. }) => return Ok(OutputAt::Unknown),
            other => other?,
        };
        if tx.txid != txid {
            return Err(self.malformed(&what, format!("asked for {txid}, got {}", tx.txid)));
        }
        let Some(vout) = tx.vout.get(outpoint.vout as usize) else {
            return Ok(OutputAt::Unknown);
        };
        let txout = bitcoin::TxOut {
            value: bitcoin::Amount::from_sat(vout.value),
            script_pubkey: bitcoin::ScriptBuf::from_hex(&vout.scriptpubkey).map_err(|e| {
                self.malformed(&what, format!("vout[{}].scriptpubkey: {e}", outpoint.vout))
            })?,
        };
        self.check_same_block(&tx.status, at, &what)?;
        let height = match tx.status.block_height {
            Some(h) if tx.status.confirmed && h <= at.height => h,
            _ => return Ok(OutputAt::NotYetConfirmed { txout }),
        };
        let what = format!("outspend of {outpoint}");
        let spend: EsploraOutspend =
            self.get_json(&format!("/tx/{txid}/outspend/{}", outpoint.vout), &what)?;
        let out = match (spend.spent, spend.txid, spend.status) {
            (false, _, _) => OutputAt::Unspent { txout, height },
            (true, Some(spender), Some(status)) => {
                self.check_same_block(&status, at, &what)?;
                match status.block_height {
                    Some(h) if status.confirmed && h <= at.height => OutputAt::Spent {
                        txout,
                        spender,
                        height: h,
                    },
                    // Spent later, or by a transaction still in the mempool.
                    _ => OutputAt::Unspent { txout, height },
                }
            }
            (true, _, _) => return Err(self.malformed(&what, "spent without a txid and status")),
        };
        self.check_still_at(at)?;
        Ok(out)
    }
}

#[derive(Deserialize)]
struct EsploraOutspend {
    spent: bool,
    #[serde(default)]
    txid: Option<String>,
    #[serde(default)]
    status: Option<EsploraStatus>,
}

/// Running totals over an address's history, newest transaction first. Pure, so the
/// arithmetic and the consistency checks are unit-tested without a server.
struct History<'a> {
    script: &'a str,
    at: &'a BlockRef,
    seen: HashSet<String>,
    last_height: u64,
    received: u128,
    spent: u128,
}

enum HistoryError {
    Malformed(String),
    /// A transaction confirmed at the snapshot height names another block.
    Reorg {
        height: u64,
        before: String,
        after: String,
    },
}

impl HistoryError {
    fn into_chain_error(self, endpoint: &str, what: &str) -> ChainError {
        match self {
            HistoryError::Malformed(message) => ChainError::Malformed {
                endpoint: endpoint.to_string(),
                what: what.to_string(),
                message,
            },
            HistoryError::Reorg {
                height,
                before,
                after,
            } => ChainError::Reorg {
                endpoint: endpoint.to_string(),
                height,
                before,
                after,
            },
        }
    }
}

impl<'a> History<'a> {
    fn new(script: &'a str, at: &'a BlockRef) -> History<'a> {
        History {
            script,
            at,
            seen: HashSet::new(),
            last_height: u64::MAX,
            received: 0,
            spent: 0,
        }
    }

    fn add(&mut self, tx: &EsploraTx) -> Result<(), HistoryError> {
        if !self.seen.insert(tx.txid.clone()) {
            return Err(HistoryError::Malformed(format!(
                "pagination returned transaction {} twice",
                tx.txid
            )));
        }
        // The chain history holds confirmed transactions only; skip anything else.
        let (true, Some(height)) = (tx.status.confirmed, tx.status.block_height) else {
            return Ok(());
        };
        if height > self.last_height {
            return Err(HistoryError::Malformed(format!(
                "history is not newest first: transaction {} at height {height} follows height {}",
                tx.txid, self.last_height
            )));
        }
        self.last_height = height;
        if height > self.at.height {
            return Ok(());
        }
        if height == self.at.height && tx.status.block_hash.as_deref() != Some(&self.at.hash) {
            return Err(HistoryError::Reorg {
                height,
                before: self.at.hash.clone(),
                after: tx.status.block_hash.clone().unwrap_or_default(),
            });
        }
        for out in &tx.vout {
            if out.scriptpubkey == self.script {
                self.received = self
                    .received
                    .checked_add(u128::from(out.value))
                    .ok_or_else(|| {
                        HistoryError::Malformed("received total overflows".to_string())
                    })?;
            }
        }
        for input in &tx.vin {
            if let Some(prevout) = input
                .prevout
                .as_ref()
                .filter(|p| p.scriptpubkey == self.script)
            {
                self.spent = self
                    .spent
                    .checked_add(u128::from(prevout.value))
                    .ok_or_else(|| HistoryError::Malformed("spent total overflows".to_string()))?;
            }
        }
        Ok(())
    }

    fn balance(&self) -> Result<u128, HistoryError> {
        self.received.checked_sub(self.spent).ok_or_else(|| {
            HistoryError::Malformed(format!(
                "history spends {} sat but received only {} sat up to height {}",
                self.spent, self.received, self.at.height
            ))
        })
    }
}

// --- Esplora JSON shapes (only the fields read; others are ignored) ---------------

#[derive(Deserialize)]
struct EsploraBlock {
    id: String,
    height: u64,
    timestamp: u64,
}

#[derive(Deserialize)]
struct EsploraTx {
    txid: String,
    vin: Vec<EsploraVin>,
    vout: Vec<EsploraVout>,
    status: EsploraStatus,
}

#[derive(Deserialize)]
struct EsploraVin {
    /// `null` for coinbase inputs.
    prevout: Option<EsploraVout>,
}

#[derive(Deserialize)]
struct EsploraVout {
    scriptpubkey: String,
    value: u64,
}

#[derive(Deserialize)]
struct EsploraStatus {
    confirmed: bool,
    block_height: Option<u64>,
    block_hash: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCRIPT: &str = "0014aa";
    const OTHER: &str = "0014bb";

    fn at(height: u64) -> BlockRef {
        BlockRef {
            height,
            hash: "h".repeat(64),
            time: 0,
        }
    }

    fn tx(txid: &str, height: Option<u64>, outs: &[(&str, u64)], ins: &[(&str, u64)]) -> EsploraTx {
        let out = |(s, v): &(&str, u64)| EsploraVout {
            scriptpubkey: s.to_string(),
            value: *v,
        };
        EsploraTx {
            txid: txid.to_string(),
            vout: outs.iter().map(out).collect(),
            vin: ins
                .iter()
                .map(|i| EsploraVin {
                    prevout: Some(out(i)),
                })
                .collect(),
            status: EsploraStatus {
                confirmed: height.is_some(),
                block_height: height,
                block_hash: height.map(|_| "h".repeat(64)),
            },
        }
    }

    fn balance(at_height: u64, txs: &[EsploraTx]) -> Result<u128, String> {
        let at = at(at_height);
        let mut h = History::new(SCRIPT, &at);
        for t in txs {
            h.add(t).map_err(|e| match e {
                HistoryError::Malformed(m) => m,
                HistoryError::Reorg { after, .. } => format!("reorg {after}"),
            })?;
        }
        h.balance().map_err(|e| match e {
            HistoryError::Malformed(m) => m,
            HistoryError::Reorg { .. } => unreachable!(),
        })
    }

    #[test]
    fn sums_outputs_minus_spends_up_to_height() {
        let txs = [
            tx("d", Some(30), &[(SCRIPT, 7)], &[(SCRIPT, 100)]), // after H: ignored
            tx("c", Some(20), &[(OTHER, 40)], &[(SCRIPT, 50)]),  // spends 50
            tx("b", Some(10), &[(SCRIPT, 100), (SCRIPT, 1)], &[]),
            tx("a", Some(10), &[(SCRIPT, 50), (OTHER, 9)], &[(OTHER, 60)]),
        ];
        assert_eq!(balance(25, &txs), Ok(101));
        assert_eq!(balance(10, &txs), Ok(151));
        assert_eq!(balance(9, &txs), Ok(0));
        assert_eq!(balance(30, &txs), Ok(8));
    }

    #[test]
    fn rejects_duplicates_and_disorder_and_overspend() {
        let a = || tx("a", Some(10), &[(SCRIPT, 5)], &[]);
        assert!(balance(10, &[a(), a()]).unwrap_err().contains("twice"));
        let b = tx("b", Some(11), &[], &[]);
        assert!(balance(20, &[a(), b]).unwrap_err().contains("newest first"));
        let spend = tx("s", Some(12), &[], &[(SCRIPT, 6)]);
        assert!(
            balance(20, &[spend, a()])
                .unwrap_err()
                .contains("spends 6 sat")
        );
    }

    #[test]
    fn unconfirmed_is_ignored() {
        let txs = [
            tx("u", None, &[(SCRIPT, 5)], &[]),
            tx("a", Some(1), &[(SCRIPT, 2)], &[]),
        ];
        assert_eq!(balance(5, &txs), Ok(2));
    }
}
