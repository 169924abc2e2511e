//! Chain access: the traits the reserves pipeline reads through, and the pieces every
//! backend shares (block-at-time search, endpoint agreement, retry policy, errors;
//! HTTP plumbing and URL redaction in `http.rs`).
//!
//! One trait per chain, one module per backend (as BDK splits `esplora`,
//! `bitcoind_rpc`, …). Traits are blocking: the reserves step runs a bounded number
//! of reader threads over thousands of addresses (EVM reads in JSON-RPC batches,
//! [`EthereumBackend::read_batch`]), and blocking traits stay object-safe so a chain
//! can be served by several endpoints of different kinds at once. Backends that speak async
//! HTTP own a small runtime internally.
//!
//! Every read is pinned to a [`BlockRef`]: balances are read *at* the snapshot block,
//! never at the tip, and a block hash that changes between calls is a reorg error.

pub mod bitcoind;
pub mod esplora;
pub mod ethereum;
pub mod fixture;
pub(crate) mod http;

use std::fmt;
use std::time::Duration;

/// A block a snapshot is pinned to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockRef {
    /// Block height (genesis is 0).
    pub height: u64,
    /// Bitcoin: 64 lowercase hex (display byte order). Ethereum: `0x` + 64 lowercase hex.
    pub hash: String,
    /// Block timestamp, Unix seconds (UTC).
    pub time: u64,
}

/// Read access to the Bitcoin chain.
pub trait BitcoinBackend: Send + Sync {
    /// Where this backend reads from, for messages (a URL without credentials).
    fn endpoint(&self) -> &str;
    /// Height of the current best block.
    fn tip_height(&self) -> Result<u64, ChainError>;
    /// The block at `height` on the best chain.
    fn block_at(&self, height: u64) -> Result<BlockRef, ChainError>;
    /// Confirmed balance in satoshis of `address` as of block `at`: outputs confirmed at
    /// heights ≤ `at.height` minus those spent by transactions confirmed ≤ `at.height`.
    /// A backend that cannot answer for `at` exactly refuses with [`ChainError::Unsupported`].
    fn balance_at(&self, address: &bitcoin::Address, at: &BlockRef) -> Result<u128, ChainError>;
    /// The output `outpoint` as of block `at` (for BIP-127 wallet proofs): whether it was
    /// confirmed at a height ≤ `at.height` and not spent by a transaction confirmed
    /// ≤ `at.height`. A backend that cannot answer for `at` exactly refuses with
    /// [`ChainError::Unsupported`] (the default).
    fn output_at(
        &self,
        outpoint: &bitcoin::OutPoint,
        at: &BlockRef,
    ) -> Result<OutputAt, ChainError> {
        let _ = at;
        Err(ChainError::Unsupported {
            endpoint: self.endpoint().to_string(),
            message: format!(
                "cannot read output {outpoint} at a block: this backend has no output queries (use esplora)"
            ),
        })
    }
}

/// One output at the snapshot block, as [`BitcoinBackend::output_at`] finds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutputAt {
    /// Confirmed at `height` ≤ the block's and unspent at the block.
    Unspent {
        /// The output.
        txout: bitcoin::TxOut,
        /// The height of the block that confirmed it.
        height: u64,
    },
    /// Spent by `spender`, confirmed at `height` ≤ the block's.
    Spent {
        /// The output.
        txout: bitcoin::TxOut,
        /// The spending transaction.
        spender: String,
        /// The height that confirmed the spending transaction.
        height: u64,
    },
    /// Exists but was not confirmed at or before the block (in the mempool, or later).
    NotYetConfirmed {
        /// The output.
        txout: bitcoin::TxOut,
    },
    /// Not in the UTXO set at the block: spent, or never confirmed (a node without a
    /// spend index cannot tell which).
    NotInUtxoSet,
    /// No transaction with that txid, or it has no output with that index.
    Unknown,
}

impl fmt::Display for OutputAt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let out = |t: &bitcoin::TxOut| {
            format!(
                "{} sat to {}",
                t.value.to_sat(),
                t.script_pubkey.to_hex_string()
            )
        };
        match self {
            OutputAt::Unspent { txout, height } => {
                write!(f, "unspent, {} confirmed at height {height}", out(txout))
            }
            OutputAt::Spent {
                spender, height, ..
            } => {
                write!(f, "spent by {spender} at height {height}")
            }
            OutputAt::NotYetConfirmed { .. } => f.write_str("not confirmed at the snapshot block"),
            OutputAt::NotInUtxoSet => {
                f.write_str("not in the utxo set at the snapshot block (spent or never confirmed)")
            }
            OutputAt::Unknown => f.write_str("no such output"),
        }
    }
}

/// Read access to an Ethereum chain.
pub trait EthereumBackend: Send + Sync {
    /// Where this backend reads from, for messages (a URL without credentials).
    fn endpoint(&self) -> &str;
    /// The chain's EIP-155 chain id (`eth_chainId`), checked against the configured one.
    fn chain_id(&self) -> Result<u64, ChainError>;
    /// Height of the current best block.
    fn tip_height(&self) -> Result<u64, ChainError>;
    /// The block at `height` on the canonical chain.
    fn block_at(&self, height: u64) -> Result<BlockRef, ChainError>;
    /// Wei held by `holder` at block `at` (`eth_getBalance` pinned to the block).
    fn native_balance_at(
        &self,
        holder: alloy::primitives::Address,
        at: &BlockRef,
    ) -> Result<u128, ChainError>;
    /// `token.balanceOf(holder)` via `eth_call` pinned to block `at`.
    fn erc20_balance_at(
        &self,
        token: alloy::primitives::Address,
        holder: alloy::primitives::Address,
        at: &BlockRef,
    ) -> Result<u128, ChainError>;
    /// EIP-1271: `wallet.isValidSignature(hash, signature)` at block `at` returned the
    /// magic value `0x1626ba7e`. A revert or any other return value is `Ok(false)`.
    fn is_valid_signature_1271(
        &self,
        wallet: alloy::primitives::Address,
        hash: alloy::primitives::B256,
        signature: &[u8],
        at: &BlockRef,
    ) -> Result<bool, ChainError>;
    /// Every read of `queries`, pinned to block `at`, answered in `queries` order. A
    /// JSON-RPC backend sends them as one batch request; this default makes one call per
    /// query. A query the node answers with an error fails the whole batch with an error
    /// naming the query's address.
    fn read_batch(
        &self,
        queries: &[EvmQuery],
        at: &BlockRef,
    ) -> Result<Vec<EvmAnswer>, ChainError> {
        queries.iter().map(|q| self.read_one(q, at)).collect()
    }
    /// One query of a batch, through the single-call methods.
    fn read_one(&self, query: &EvmQuery, at: &BlockRef) -> Result<EvmAnswer, ChainError> {
        Ok(match query {
            EvmQuery::Native { holder } => EvmAnswer::Amount(self.native_balance_at(*holder, at)?),
            EvmQuery::Erc20 { token, holder } => {
                EvmAnswer::Amount(self.erc20_balance_at(*token, *holder, at)?)
            }
            EvmQuery::Eip1271 {
                wallet,
                hash,
                signature,
            } => EvmAnswer::Valid(self.is_valid_signature_1271(*wallet, *hash, signature, at)?),
        })
    }
}

/// One read on an EVM chain at the snapshot block, as batched by
/// [`EthereumBackend::read_batch`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EvmQuery {
    /// Wei held by `holder` (`eth_getBalance`).
    Native {
        /// The address read.
        holder: alloy::primitives::Address,
    },
    /// `token.balanceOf(holder)` (`eth_call`).
    Erc20 {
        /// The ERC-20 contract.
        token: alloy::primitives::Address,
        /// The address read.
        holder: alloy::primitives::Address,
    },
    /// EIP-1271 `wallet.isValidSignature(hash, signature)` (`eth_call`).
    Eip1271 {
        /// The contract wallet.
        wallet: alloy::primitives::Address,
        /// The message hash it is asked about.
        hash: alloy::primitives::B256,
        /// The signature bytes.
        signature: Vec<u8>,
    },
}

impl fmt::Display for EvmQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EvmQuery::Native { holder } => write!(f, "eth_getBalance of {holder}"),
            EvmQuery::Erc20 { token, holder } => write!(f, "balanceOf({holder}) on token {token}"),
            EvmQuery::Eip1271 { wallet, hash, .. } => {
                write!(f, "isValidSignature({hash}, …) on {wallet}")
            }
        }
    }
}

/// The answer to one [`EvmQuery`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvmAnswer {
    /// A balance in base units (wei or token units).
    Amount(u128),
    /// Whether the EIP-1271 check returned the magic value.
    Valid(bool),
}

impl fmt::Display for EvmAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EvmAnswer::Amount(v) => write!(f, "{v}"),
            EvmAnswer::Valid(v) => write!(f, "{v}"),
        }
    }
}

/// Errors from chain access. Every variant names the endpoint it came from.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The request did not get an answer (connection, timeout, HTTP 429 or 5xx).
    #[error("{endpoint}: request failed: {message}")]
    Transport {
        /// The endpoint, without credentials.
        endpoint: String,
        /// What went wrong.
        message: String,
        /// Connection refused/reset, timeout, HTTP 429 or 5xx: worth a retry.
        transient: bool,
    },
    /// The endpoint answered with an HTTP error status.
    #[error("{endpoint}: HTTP {status} for {what}: {body}")]
    Http {
        /// The endpoint, without credentials.
        endpoint: String,
        /// The HTTP status code.
        status: u16,
        /// What was asked for (e.g. `block 812345`).
        what: String,
        /// The response body, shortened.
        body: String,
    },
    /// HTTP 429: the endpoint asks to slow down, and may say for how long
    /// (`Retry-After`); retried after that wait (at most [`MAX_RETRY_AFTER`]).
    #[error("{endpoint}: HTTP 429 for {what}: {body}")]
    RateLimited {
        /// The endpoint, without credentials.
        endpoint: String,
        /// What was asked for.
        what: String,
        /// The response body, shortened.
        body: String,
        /// The `Retry-After` wait the endpoint gave, when it gave one.
        retry_after: Option<Duration>,
    },
    /// The endpoint answered with something that is not the expected response.
    #[error("{endpoint}: malformed response for {what}: {message}")]
    Malformed {
        /// The endpoint, without credentials.
        endpoint: String,
        /// What was asked for.
        what: String,
        /// Why the response could not be read.
        message: String,
    },
    /// The node answered with an error (JSON-RPC or the explorer's own).
    #[error("{endpoint}: node error for {what}: {message}")]
    Rpc {
        /// The endpoint, without credentials.
        endpoint: String,
        /// What was asked for.
        what: String,
        /// The node's error message.
        message: String,
    },
    /// A block the snapshot is pinned to changed during the run; nothing is published.
    #[error(
        "{endpoint}: block at height {height} changed from {before} to {after} during the run (reorg); nothing published, run again"
    )]
    Reorg {
        /// The endpoint, without credentials.
        endpoint: String,
        /// The pinned height.
        height: u64,
        /// The block hash first seen at that height.
        before: String,
        /// The block hash seen later.
        after: String,
    },
    /// Two endpoints of one chain gave different answers.
    #[error(
        "endpoints disagree on {what}: {first_endpoint} says {first}, {other_endpoint} says {other}"
    )]
    Disagree {
        /// What was asked for.
        what: String,
        /// The first endpoint, without credentials.
        first_endpoint: String,
        /// The first endpoint's answer.
        first: String,
        /// The other endpoint, without credentials.
        other_endpoint: String,
        /// The other endpoint's answer.
        other: String,
    },
    /// The backend cannot answer the question exactly (e.g. a balance at a past block).
    #[error("{endpoint}: {message}")]
    Unsupported {
        /// The endpoint, without credentials.
        endpoint: String,
        /// What it cannot do.
        message: String,
    },
    /// Every block is later than the snapshot's `as_of`.
    #[error("{endpoint}: no block at or before {as_of} (genesis is later)")]
    NoBlockBefore {
        /// The endpoint, without credentials.
        endpoint: String,
        /// The snapshot time, Unix seconds (UTC).
        as_of: u64,
    },
}

impl ChainError {
    /// Whether a retry may succeed (the answer was not definite).
    pub fn is_transient(&self) -> bool {
        match self {
            ChainError::Transport { transient, .. } => *transient,
            ChainError::RateLimited { .. } => true,
            ChainError::Http { status, .. } => *status == 429 || *status >= 500,
            _ => false,
        }
    }
}

/// The longest `Retry-After` wait honoured; a longer one waits this long.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// Retry with exponential backoff for transient errors only; a `Retry-After` given
/// with an HTTP 429 is waited instead (up to [`MAX_RETRY_AFTER`]).
#[derive(Clone, Copy, Debug)]
pub struct RetryPolicy {
    /// Total attempts, at least 1.
    pub attempts: u32,
    /// Wait before the first retry; doubled after each one.
    pub base_delay: Duration,
    /// The longest wait between two attempts.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 4,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(4),
        }
    }
}

impl RetryPolicy {
    /// Runs `op` until it succeeds, fails definitely, or attempts run out.
    pub fn run<T>(&self, mut op: impl FnMut() -> Result<T, ChainError>) -> Result<T, ChainError> {
        let mut delay = self.base_delay;
        let mut attempt = 1;
        loop {
            match op() {
                Err(e) if e.is_transient() && attempt < self.attempts.max(1) => {
                    let wait = match &e {
                        ChainError::RateLimited {
                            retry_after: Some(d),
                            ..
                        } => (*d).min(MAX_RETRY_AFTER),
                        _ => delay,
                    };
                    tracing::warn!(attempt, error = %e, wait_ms = wait.as_millis() as u64, "transient chain error, retrying");
                    std::thread::sleep(wait);
                    delay = (delay * 2).min(self.max_delay);
                    attempt += 1;
                }
                other => return other,
            }
        }
    }
}

/// The last block whose timestamp is ≤ `as_of`, found by binary search over
/// `time_at(height)` for heights `0..=tip`.
///
/// Bitcoin block times are not strictly monotonic (each is only above the median of
/// the previous 11, the median time past, which never decreases). So after the search
/// the blocks above the result are scanned: the answer is the highest height whose
/// time is ≤ `as_of`, and the scan stops at the tip or after 11 consecutive blocks
/// later than `as_of` (their median is then later than `as_of`, and so is every block
/// after them).
pub fn last_block_at_or_before(
    endpoint: &str,
    as_of: u64,
    tip: u64,
    mut time_at: impl FnMut(u64) -> Result<u64, ChainError>,
) -> Result<u64, ChainError> {
    if time_at(0)? > as_of {
        return Err(ChainError::NoBlockBefore {
            endpoint: endpoint.to_string(),
            as_of,
        });
    }
    // Invariant: time(lo) <= as_of; answer in [lo, hi].
    let (mut lo, mut hi) = (0u64, tip);
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if time_at(mid)? <= as_of {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    const MEDIAN_WINDOW: u64 = 11;
    let (mut best, mut h, mut later_in_a_row) = (lo, lo, 0);
    while h < tip && later_in_a_row < MEDIAN_WINDOW {
        h += 1;
        if time_at(h)? <= as_of {
            best = h;
            later_in_a_row = 0;
        } else {
            later_in_a_row += 1;
        }
    }
    Ok(best)
}

/// 64 lowercase hex characters (a txid or block hash in display order).
pub(crate) fn is_hex64(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Requires every endpoint's answer to be equal; returns it, or the first disagreement.
pub fn agree<T: PartialEq + fmt::Display>(
    what: &str,
    answers: Vec<(String, T)>,
) -> Result<T, ChainError> {
    let mut it = answers.into_iter();
    let (first_endpoint, first) = it.next().ok_or_else(|| ChainError::Unsupported {
        endpoint: "(none)".into(),
        message: format!("no endpoint configured for {what}"),
    })?;
    for (other_endpoint, other) in it {
        if other != first {
            return Err(ChainError::Disagree {
                what: what.to_string(),
                first_endpoint,
                first: first.to_string(),
                other_endpoint,
                other: other.to_string(),
            });
        }
    }
    Ok(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn search(times: &[u64], as_of: u64) -> Result<u64, ChainError> {
        last_block_at_or_before(
            "t",
            as_of,
            times.len() as u64 - 1,
            |h| Ok(times[h as usize]),
        )
    }

    #[test]
    fn finds_last_block_at_or_before() {
        let times = [100, 200, 300, 400, 500];
        assert_eq!(search(&times, 300).unwrap(), 2);
        assert_eq!(search(&times, 350).unwrap(), 2);
        assert_eq!(search(&times, 100).unwrap(), 0);
        assert_eq!(search(&times, 10_000).unwrap(), 4);
        assert!(matches!(
            search(&times, 99),
            Err(ChainError::NoBlockBefore { .. })
        ));
    }

    #[test]
    fn tolerates_non_monotonic_times() {
        // Block 3 is earlier than block 2, as Bitcoin allows.
        let times = [100, 200, 310, 290, 400];
        assert_eq!(search(&times, 300).unwrap(), 3);
        assert_eq!(search(&times, 305).unwrap(), 3);
    }

    #[test]
    fn agreement_names_both_endpoints() {
        assert_eq!(
            agree("x", vec![("a".into(), 1), ("b".into(), 1)]).unwrap(),
            1
        );
        let e = agree("balance of bc1q", vec![("a".into(), 1), ("b".into(), 2)]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "endpoints disagree on balance of bc1q: a says 1, b says 2"
        );
    }

    #[test]
    fn retry_after_is_waited_instead_of_the_backoff() {
        let policy = RetryPolicy {
            attempts: 2,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(1),
        };
        let mut calls = 0;
        let t = std::time::Instant::now();
        let r = policy.run(|| {
            calls += 1;
            if calls == 1 {
                Err(ChainError::RateLimited {
                    endpoint: "e".into(),
                    what: "w".into(),
                    body: String::new(),
                    retry_after: Some(Duration::from_millis(300)),
                })
            } else {
                Ok(calls)
            }
        });
        assert_eq!(r.unwrap(), 2);
        assert!(
            t.elapsed() >= Duration::from_millis(300),
            "{:?}",
            t.elapsed()
        );
    }

    #[test]
    fn retries_only_transient() {
        let policy = RetryPolicy {
            attempts: 3,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(1),
        };
        let mut calls = 0;
        let r: Result<(), _> = policy.run(|| {
            calls += 1;
            Err(ChainError::Http {
                endpoint: "e".into(),
                status: 503,
                what: "w".into(),
                body: String::new(),
            })
        });
        assert!(r.is_err());
        assert_eq!(calls, 3);
        let mut calls = 0;
        let r: Result<(), _> = policy.run(|| {
            calls += 1;
            Err(ChainError::Http {
                endpoint: "e".into(),
                status: 404,
                what: "w".into(),
                body: String::new(),
            })
        });
        assert!(r.is_err());
        assert_eq!(calls, 1);
    }
}
