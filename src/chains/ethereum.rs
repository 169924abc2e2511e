//! Ethereum over JSON-RPC (alloy): the [`EthereumBackend`] a snapshot reads ETH and
//! ERC-20 balances and EIP-1271 signature checks through.
//!
//! Every read after [`EthereumBackend::block_at`] is pinned to the snapshot block **by
//! hash** (EIP-1898 `{"blockHash", "requireCanonical": true}`), so a reorg cannot swap
//! the block under a run: the node refuses, and the refusal is reported as
//! [`ChainError::Reorg`] when the height now holds another block.
//!
//! The trait is blocking; this backend owns a current-thread tokio runtime and
//! `block_on`s each request (do not call it from inside another tokio runtime).
//! Retries follow the endpoint's [`RetryPolicy`], and only for transient failures:
//! connection refused/reset, timeouts, HTTP 429/5xx and rate-limit error objects. A
//! JSON-RPC error object or a malformed body is a definite answer.
//!
//! Many reads at once go as one JSON-RPC batch request ([`EthereumBackend::read_batch`]:
//! an array of `eth_getBalance` / `eth_call` requests, each pinned by hash, answers
//! matched by id). A transient failure of the request, or an item the node answers
//! with a rate-limit error, retries the whole batch; any other item error fails it,
//! named by the item's address. An endpoint that refuses batches (an HTTP 4xx other
//! than 429, or an answer that is not one response per request, such as a single error
//! object) is read with single calls from then on, with a warning.
//!
//! Endpoint URLs often carry credentials (userinfo, `?apikey=`, a key as a path
//! segment); they appear only through [`redact_url`], in messages and in `Debug`.
//! Client construction, transport classification and redaction are `chains/http.rs`,
//! shared with the Bitcoin backends.

use std::fmt;
use std::time::Duration;

use alloy::eips::BlockId;
use alloy::primitives::{Address, B256, Bytes, U64, U256};
use alloy::providers::{Provider, RootProvider};
use alloy::rpc::client::{BatchRequest, RpcClient, Waiter};
use alloy::rpc::types::{TransactionInput, TransactionRequest};
use alloy::sol_types::{SolCall, sol};
use alloy::transports::http::{Http, reqwest};
use alloy::transports::{RpcError, TransportErrorKind};

use super::http::{self, Marks, error_chain, reqwest_is_transient, url_secrets};
use super::{BlockRef, ChainError, EthereumBackend, EvmAnswer, EvmQuery, RetryPolicy};

sol! {
    #![sol(alloy_sol_types = alloy::sol_types)]
    interface IERC20 {
        function balanceOf(address holder) external view returns (uint256);
    }
    interface IERC1271 {
        function isValidSignature(bytes32 hash, bytes signature) external view returns (bytes4);
    }
}

/// EIP-1271 magic value, `bytes4(keccak256("isValidSignature(bytes32,bytes)"))`.
pub const EIP1271_MAGIC: [u8; 4] = [0x16, 0x26, 0xba, 0x7e];

/// How to reach one JSON-RPC endpoint.
#[derive(Clone)]
pub struct EthereumEndpointConfig {
    /// `http(s)://…`; may carry credentials, which are never printed.
    pub url: String,
    /// Per-request limit (connect + response).
    pub timeout: Duration,
    /// Retries of transient failures (connection, timeout, HTTP 429/5xx).
    pub retry: RetryPolicy,
}

impl fmt::Debug for EthereumEndpointConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EthereumEndpointConfig")
            .field("url", &redact_url(&self.url))
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .finish()
    }
}

/// Errors setting up a [`JsonRpcEthereum`]; reads report [`ChainError`].
#[derive(Debug, thiserror::Error)]
pub enum EthereumError {
    /// The configured URL does not parse or is not `http(s)`.
    #[error("invalid ethereum endpoint url {url}: {message}")]
    InvalidUrl {
        /// The URL, credentials redacted.
        url: String,
        /// Why it is refused.
        message: String,
    },
    /// The HTTP client could not be built.
    #[error("ethereum endpoint {url}: cannot build the http client: {message}")]
    HttpClient {
        /// The URL, credentials redacted.
        url: String,
        /// The client library's error.
        message: String,
    },
    /// The Tokio runtime the blocking calls run on could not be started.
    #[error("ethereum endpoint {url}: cannot start the async runtime: {source}")]
    Runtime {
        /// The URL, credentials redacted.
        url: String,
        /// The JSON parses but a value is invalid or inconsistent (e.g. no chain section, an
        /// unlisted tip block).
        #[source]
        source: std::io::Error,
    },
}

/// An Ethereum node (or provider) reached over JSON-RPC/HTTP.
pub struct JsonRpcEthereum {
    /// Redacted URL, for messages.
    endpoint: String,
    /// Pieces of the configured URL that must never reach a message.
    secrets: Vec<String>,
    provider: RootProvider,
    retry: RetryPolicy,
    rt: tokio::runtime::Runtime,
    /// Set once the endpoint refused a batch request: later batches are single calls.
    no_batches: std::sync::atomic::AtomicBool,
}

impl fmt::Debug for JsonRpcEthereum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JsonRpcEthereum")
            .field("endpoint", &self.endpoint)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl JsonRpcEthereum {
    /// A client for the endpoint at `config.url`, with its own single-threaded runtime.
    /// Errors if the URL is invalid or the client or runtime cannot be built; the endpoint is not
    /// contacted yet.
    pub fn new(config: EthereumEndpointConfig) -> Result<Self, EthereumError> {
        let endpoint = redact_url(&config.url);
        let url = reqwest::Url::parse(&config.url).map_err(|e| EthereumError::InvalidUrl {
            url: endpoint.clone(),
            message: e.to_string(),
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(EthereumError::InvalidUrl {
                url: endpoint,
                message: format!("scheme {:?} is not http or https", url.scheme()),
            });
        }
        let client = http::client(config.timeout).map_err(|message| EthereumError::HttpClient {
            url: endpoint.clone(),
            message,
        })?;
        let rt = http::shared_runtime().map_err(|source| EthereumError::Runtime {
            url: endpoint.clone(),
            source,
        })?;
        let is_local = url
            .host_str()
            .is_some_and(|h| h == "localhost" || h == "127.0.0.1" || h == "[::1]");
        let provider = RootProvider::new(RpcClient::new(Http::with_client(client, url), is_local));
        Ok(JsonRpcEthereum {
            secrets: url_secrets(&config.url),
            endpoint,
            provider,
            retry: config.retry,
            rt,
            no_batches: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// Runs one request under the retry policy, mapping alloy's errors.
    fn request<T, F>(&self, what: &str, op: impl Fn() -> F) -> Result<T, ChainError>
    where
        F: Future<Output = Result<T, RpcError<TransportErrorKind>>>,
    {
        self.retry
            .run(|| self.rt.block_on(op()).map_err(|e| self.map_error(what, e)))
    }

    /// Classifies an alloy error; see the module header for what is transient.
    fn map_error(&self, what: &str, err: RpcError<TransportErrorKind>) -> ChainError {
        let endpoint = self.endpoint.clone();
        let what = what.to_string();
        match err {
            RpcError::ErrorResp(payload) => {
                let message = self.scrub(&format!("code {}: {}", payload.code, payload.message));
                if is_rate_limited(payload.code, &payload.message) {
                    ChainError::Transport {
                        endpoint,
                        message: format!("rate limited on {what}: {message}"),
                        transient: true,
                    }
                } else {
                    ChainError::Rpc {
                        endpoint,
                        what,
                        message,
                    }
                }
            }
            RpcError::NullResp => ChainError::Malformed {
                endpoint,
                what,
                message: "null result".into(),
            },
            RpcError::DeserError { err, text } => ChainError::Malformed {
                endpoint,
                what,
                message: self.scrub(&format!("{err}; body: {}", truncate(&text, 200))),
            },
            RpcError::SerError(e) => ChainError::Malformed {
                endpoint,
                what,
                message: format!("cannot encode the request: {e}"),
            },
            RpcError::UnsupportedFeature(feature) => ChainError::Unsupported {
                endpoint,
                message: format!("{what}: unsupported: {feature}"),
            },
            RpcError::LocalUsageError(e) => ChainError::Transport {
                endpoint,
                message: self.scrub(&format!("{what}: {}", error_chain(&*e))),
                transient: false,
            },
            RpcError::Transport(kind) => self.map_transport(endpoint, what, kind),
        }
    }

    fn map_transport(
        &self,
        endpoint: String,
        what: String,
        kind: TransportErrorKind,
    ) -> ChainError {
        let http = |status: u16, body: &str| ChainError::Http {
            endpoint: endpoint.clone(),
            status,
            what: what.clone(),
            body: self.scrub(truncate(body, 200)),
        };
        match kind {
            TransportErrorKind::HttpError(e) => http(e.status, &e.body),
            TransportErrorKind::HttpErrorWithRetryAfter { error, .. } => {
                http(error.status, &error.body)
            }
            TransportErrorKind::Custom(boxed) => {
                let (message, transient) = match boxed.downcast::<reqwest::Error>() {
                    Ok(e) => {
                        // reqwest puts the full URL (credentials included) in its message.
                        let e = e.without_url();
                        (error_chain(&e), reqwest_is_transient(&e))
                    }
                    Err(other) => (error_chain(&*other), false),
                };
                ChainError::Transport {
                    endpoint: endpoint.clone(),
                    message: self.scrub(&format!("{what}: {message}")),
                    transient,
                }
            }
            other => ChainError::Transport {
                endpoint: endpoint.clone(),
                message: self.scrub(&format!("{what}: {other}")),
                transient: other.is_retry_err(),
            },
        }
    }

    /// Removes every configured secret from a message that came from outside.
    fn scrub(&self, message: &str) -> String {
        let mut out = message.to_string();
        for secret in &self.secrets {
            out = out.replace(secret.as_str(), "***");
        }
        out
    }

    /// The snapshot block as an EIP-1898 block id, or an error if `at.hash` is not a hash.
    fn pin(&self, at: &BlockRef) -> Result<BlockId, ChainError> {
        let hash: B256 = at.hash.parse().map_err(|_| ChainError::Unsupported {
            endpoint: self.endpoint.clone(),
            message: format!(
                "block {} has hash {}, not 0x + 64 hex digits",
                at.height,
                crate::excerpt::Excerpt::quoted(&at.hash)
            ),
        })?;
        Ok(BlockId::hash_canonical(hash))
    }

    /// A pinned read failed with a definite node error: if the snapshot height now
    /// holds another block, report the reorg rather than the node's wording.
    fn explain_pinned_failure(&self, at: &BlockRef, err: ChainError) -> ChainError {
        if !matches!(err, ChainError::Rpc { .. }) {
            return err;
        }
        match self.block_at(at.height) {
            Ok(now) if now.hash != at.hash => ChainError::Reorg {
                endpoint: self.endpoint.clone(),
                height: at.height,
                before: at.hash.clone(),
                after: now.hash,
            },
            _ => err,
        }
    }

    /// `eth_call` of `data` on `to`, pinned to `at`.
    fn call_at(
        &self,
        what: &str,
        to: Address,
        data: Bytes,
        at: &BlockRef,
    ) -> Result<Bytes, ChainError> {
        let block = self.pin(at)?;
        let tx = call_request(to, data);
        self.request(what, || {
            self.provider.call(tx.clone()).block(block).into_future()
        })
    }
}

/// An item of a batch on its way: the typed answer it waits for.
enum Pending {
    Balance(Waiter<U256>),
    Call(Waiter<Bytes>),
}

/// The raw answer of one batch item.
enum Raw {
    Balance(U256),
    Call(Bytes),
}

type ItemResult = Result<Raw, RpcError<TransportErrorKind>>;

impl JsonRpcEthereum {
    /// Sends `queries` as one JSON-RPC batch pinned to `block`; the outer error is the
    /// request's, the inner ones the items'.
    async fn send_batch(
        &self,
        queries: &[EvmQuery],
        block: BlockId,
    ) -> Result<Vec<ItemResult>, RpcError<TransportErrorKind>> {
        let mut batch = BatchRequest::new(self.provider.client());
        let mut pending = Vec::with_capacity(queries.len());
        for q in queries {
            pending.push(match q {
                EvmQuery::Native { holder } => {
                    Pending::Balance(batch.add_call("eth_getBalance", &(holder, block))?)
                }
                EvmQuery::Erc20 { token, holder } => {
                    let data = IERC20::balanceOfCall { holder: *holder }.abi_encode();
                    Pending::Call(
                        batch.add_call("eth_call", &(call_request(*token, data.into()), block))?,
                    )
                }
                EvmQuery::Eip1271 {
                    wallet,
                    hash,
                    signature,
                } => {
                    let data = IERC1271::isValidSignatureCall {
                        hash: *hash,
                        signature: Bytes::copy_from_slice(signature),
                    }
                    .abi_encode();
                    Pending::Call(
                        batch.add_call("eth_call", &(call_request(*wallet, data.into()), block))?,
                    )
                }
            });
        }
        batch.send().await?;
        let mut out = Vec::with_capacity(pending.len());
        for p in pending {
            out.push(match p {
                Pending::Balance(w) => w.await.map(Raw::Balance),
                Pending::Call(w) => w.await.map(Raw::Call),
            });
        }
        Ok(out)
    }

    /// What one query asks, with the snapshot block, for messages.
    fn what(query: &EvmQuery, at: &BlockRef) -> String {
        format!("{query} at block {} {}", at.height, at.hash)
    }

    /// The answer of one query from its raw result, as the single calls read it.
    fn answer(&self, query: &EvmQuery, raw: Raw, at: &BlockRef) -> Result<EvmAnswer, ChainError> {
        let what = Self::what(query, at);
        match (query, raw) {
            (EvmQuery::Native { .. }, Raw::Balance(wei)) => {
                Ok(EvmAnswer::Amount(to_u128(wei).ok_or_else(|| {
                    ChainError::Malformed {
                        endpoint: self.endpoint.clone(),
                        what,
                        message: format!("balance {wei} wei exceeds 2^128-1"),
                    }
                })?))
            }
            (EvmQuery::Erc20 { token, .. }, Raw::Call(ret)) => {
                self.erc20_units(&what, *token, &ret).map(EvmAnswer::Amount)
            }
            (EvmQuery::Eip1271 { .. }, Raw::Call(ret)) => Ok(EvmAnswer::Valid(is_magic(&ret))),
            _ => unreachable!("send_batch pairs each query with its answer type"),
        }
    }

    /// Whether a batch request's failure means the endpoint does not take batches.
    fn refuses_batches(err: &RpcError<TransportErrorKind>) -> bool {
        match err {
            RpcError::Transport(TransportErrorKind::HttpError(e)) => {
                (400..500).contains(&e.status) && e.status != 429
            }
            RpcError::DeserError { .. } => true,
            _ => false,
        }
    }

    /// The batch read of [`EthereumBackend::read_batch`].
    fn batch(&self, queries: &[EvmQuery], at: &BlockRef) -> Result<Vec<EvmAnswer>, ChainError> {
        use std::sync::atomic::Ordering;
        let block = self.pin(at)?;
        let what = format!(
            "a batch of {} reads at block {} {}",
            queries.len(),
            at.height,
            at.hash
        );
        // `None`: the endpoint refused the batch.
        let items: Option<Vec<ItemResult>> = self.retry.run(|| {
            let items = match self.rt.block_on(self.send_batch(queries, block)) {
                Ok(items) => items,
                Err(e) if Self::refuses_batches(&e) => {
                    tracing::warn!(endpoint = %self.endpoint, error = %self.map_error(&what, e), "the endpoint refuses JSON-RPC batches; reading with single calls");
                    return Ok(None);
                }
                Err(e) => return Err(self.map_error(&what, e)),
            };
            let missing = |r: &ItemResult| {
                matches!(r, Err(RpcError::Transport(TransportErrorKind::MissingBatchResponse(_))))
            };
            if items.iter().all(missing) {
                tracing::warn!(endpoint = %self.endpoint, "the endpoint answered a JSON-RPC batch with no response per request; reading with single calls");
                return Ok(None);
            }
            // An item the node rate-limited is worth another try of the whole batch.
            for (q, r) in queries.iter().zip(&items) {
                if let Err(RpcError::ErrorResp(p)) = r
                    && is_rate_limited(p.code, &p.message)
                {
                    return Err(self.map_error(&Self::what(q, at), RpcError::ErrorResp(p.clone())));
                }
            }
            Ok(Some(items))
        })?;
        let Some(items) = items else {
            self.no_batches.store(true, Ordering::Relaxed);
            return queries.iter().map(|q| self.read_one(q, at)).collect();
        };
        let mut out = Vec::with_capacity(items.len());
        for (q, r) in queries.iter().zip(items) {
            let what = Self::what(q, at);
            out.push(match r {
                Ok(raw) => self.answer(q, raw, at)?,
                Err(RpcError::Transport(TransportErrorKind::MissingBatchResponse(_))) => {
                    return Err(ChainError::Malformed {
                        endpoint: self.endpoint.clone(),
                        what,
                        message: "the batch response has no answer to this request".into(),
                    });
                }
                Err(e) => match (q, self.map_error(&what, e)) {
                    (EvmQuery::Eip1271 { .. }, ChainError::Rpc { message, .. })
                        if is_revert_message(&message) =>
                    {
                        EvmAnswer::Valid(false)
                    }
                    (_, e) => return Err(self.explain_pinned_failure(at, e)),
                },
            });
        }
        Ok(out)
    }

    /// Token units from a `balanceOf` return value: exactly one 32-byte word.
    fn erc20_units(&self, what: &str, token: Address, ret: &[u8]) -> Result<u128, ChainError> {
        let malformed = |message: String| ChainError::Malformed {
            endpoint: self.endpoint.clone(),
            what: what.to_string(),
            message,
        };
        if ret.len() != 32 {
            return Err(malformed(format!(
                "returned {} bytes ({}), expected one 32-byte uint256; is {token} an erc-20 contract at this block?",
                ret.len(),
                truncate(&Bytes::copy_from_slice(ret).to_string(), 80)
            )));
        }
        let units = U256::from_be_slice(ret);
        to_u128(units).ok_or_else(|| malformed(format!("balance {units} exceeds 2^128-1")))
    }
}

/// An `eth_call` of `data` on `to`, with both `input` and `data` (nodes differ in which
/// one they read).
fn call_request(to: Address, data: Bytes) -> TransactionRequest {
    TransactionRequest::default()
        .to(to)
        .input(TransactionInput::both(data))
}

/// The fields of a block this backend needs; a full header would tie us to one
/// chain's header shape for no gain.
#[derive(Debug, serde::Deserialize)]
struct BlockSummary {
    number: U64,
    hash: B256,
    timestamp: U64,
}

impl EthereumBackend for JsonRpcEthereum {
    fn endpoint(&self) -> &str {
        &self.endpoint
    }

    fn chain_id(&self) -> Result<u64, ChainError> {
        self.request("eth_chainId", || async {
            self.provider.get_chain_id().await
        })
    }

    fn tip_height(&self) -> Result<u64, ChainError> {
        self.request("eth_blockNumber", || async {
            self.provider.get_block_number().await
        })
    }

    fn block_at(&self, height: u64) -> Result<BlockRef, ChainError> {
        let what = format!("block {height} (eth_getBlockByNumber)");
        let block: Option<BlockSummary> = self.request(&what, || {
            self.provider
                .client()
                .request("eth_getBlockByNumber", (U64::from(height), false))
        })?;
        let block = block.ok_or_else(|| ChainError::Rpc {
            endpoint: self.endpoint.clone(),
            what: what.clone(),
            message: "no such block (beyond the tip?)".into(),
        })?;
        if block.number.to::<u64>() != height {
            return Err(ChainError::Malformed {
                endpoint: self.endpoint.clone(),
                what,
                message: format!("answered with block {}", block.number),
            });
        }
        Ok(BlockRef {
            height,
            hash: format!("{:#x}", block.hash),
            time: block.timestamp.to::<u64>(),
        })
    }

    fn native_balance_at(&self, holder: Address, at: &BlockRef) -> Result<u128, ChainError> {
        let what = format!(
            "eth_getBalance of {holder} at block {} {}",
            at.height, at.hash
        );
        let block = self.pin(at)?;
        let wei = self
            .request(&what, || {
                self.provider
                    .get_balance(holder)
                    .block_id(block)
                    .into_future()
            })
            .map_err(|e| self.explain_pinned_failure(at, e))?;
        to_u128(wei).ok_or_else(|| ChainError::Malformed {
            endpoint: self.endpoint.clone(),
            what,
            message: format!("balance {wei} wei exceeds 2^128-1"),
        })
    }

    fn erc20_balance_at(
        &self,
        token: Address,
        holder: Address,
        at: &BlockRef,
    ) -> Result<u128, ChainError> {
        let what = format!(
            "balanceOf({holder}) on token {token} at block {} {}",
            at.height, at.hash
        );
        let data = IERC20::balanceOfCall { holder }.abi_encode();
        let ret = self
            .call_at(&what, token, data.into(), at)
            .map_err(|e| self.explain_pinned_failure(at, e))?;
        self.erc20_units(&what, token, &ret)
    }

    fn is_valid_signature_1271(
        &self,
        wallet: Address,
        hash: B256,
        signature: &[u8],
        at: &BlockRef,
    ) -> Result<bool, ChainError> {
        let what = format!(
            "isValidSignature({hash}, …) on {wallet} at block {} {}",
            at.height, at.hash
        );
        let data = IERC1271::isValidSignatureCall {
            hash,
            signature: Bytes::copy_from_slice(signature),
        }
        .abi_encode();
        match self.call_at(&what, wallet, data.into(), at) {
            Ok(ret) => Ok(is_magic(&ret)),
            Err(ChainError::Rpc { message, .. }) if is_revert_message(&message) => Ok(false),
            Err(e) => Err(self.explain_pinned_failure(at, e)),
        }
    }

    fn read_batch(
        &self,
        queries: &[EvmQuery],
        at: &BlockRef,
    ) -> Result<Vec<EvmAnswer>, ChainError> {
        if queries.len() <= 1 || self.no_batches.load(std::sync::atomic::Ordering::Relaxed) {
            return queries.iter().map(|q| self.read_one(q, at)).collect();
        }
        self.batch(queries, at)
    }
}

/// Whether `ret` (the raw `eth_call` output) is the EIP-1271 magic value, ABI-encoded
/// as `bytes4` (left-aligned in a 32-byte word). Like OpenZeppelin's
/// `SignatureChecker`, at least one word is required and only the first is read; a
/// call to an address without code returns nothing, which is `false`.
fn is_magic(ret: &[u8]) -> bool {
    ret.len() >= 32 && ret[..4] == EIP1271_MAGIC && ret[4..32].iter().all(|b| *b == 0)
}

/// Whether a node error message reports an EVM revert (geth and anvil use code 3
/// "execution reverted", others -32000 with the same words).
fn is_revert_message(message: &str) -> bool {
    message.starts_with("code 3:") || message.to_ascii_lowercase().contains("revert")
}

/// Provider rate limiting sent as a JSON-RPC error object rather than HTTP 429
/// (Alchemy code 429, Infura -32005, messages saying "rate limit").
fn is_rate_limited(code: i64, message: &str) -> bool {
    code == 429 || code == -32005 || message.to_ascii_lowercase().contains("rate limit")
}

fn to_u128(v: U256) -> Option<u128> {
    u128::try_from(v).ok()
}

fn truncate(s: &str, max_chars: usize) -> &str {
    match s.char_indices().nth(max_chars) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// `url` for messages: userinfo, query and fragment replaced by `***`, as are path
/// segments that look like API keys. Scheme, host, port and the rest of the path stay
/// so the operator can tell endpoints apart.
pub fn redact_url(url: &str) -> String {
    http::redact(url, Marks::Starred)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_credentials() {
        let config = EthereumEndpointConfig {
            url: "https://alice:s3cret@node.example.com/?key=topsecret".into(),
            timeout: Duration::from_secs(1),
            retry: RetryPolicy::default(),
        };
        let text = format!("{config:?}");
        assert!(
            !text.contains("s3cret") && !text.contains("topsecret"),
            "{text}"
        );
        let backend = JsonRpcEthereum::new(config).unwrap();
        let text = format!("{backend:?}");
        assert!(
            !text.contains("s3cret") && !text.contains("topsecret"),
            "{text}"
        );
        assert_eq!(backend.endpoint(), "https://***@node.example.com/?***");
    }

    #[test]
    fn rejects_bad_urls_without_echoing_them() {
        let e = JsonRpcEthereum::new(EthereumEndpointConfig {
            url: "ws://alice:s3cret@node.example.com".into(),
            timeout: Duration::from_secs(1),
            retry: RetryPolicy::default(),
        })
        .unwrap_err();
        assert!(matches!(e, EthereumError::InvalidUrl { .. }));
        assert!(!e.to_string().contains("s3cret"), "{e}");
        assert!(e.to_string().contains("scheme \"ws\""), "{e}");
    }

    #[test]
    fn scrubs_secrets_from_foreign_messages() {
        let backend = JsonRpcEthereum::new(EthereumEndpointConfig {
            url: "https://alice:s3cret-pass@node.example.com/?apikey=topsecret".into(),
            timeout: Duration::from_secs(1),
            retry: RetryPolicy::default(),
        })
        .unwrap();
        let m = backend.scrub("failed for https://alice:s3cret-pass@node.example.com/?apikey=topsecret and s3cret-pass");
        assert!(!m.contains("s3cret") && !m.contains("topsecret"), "{m}");
    }

    fn backend() -> JsonRpcEthereum {
        JsonRpcEthereum::new(EthereumEndpointConfig {
            url: "http://127.0.0.1:1/".into(),
            timeout: Duration::from_secs(1),
            retry: RetryPolicy::default(),
        })
        .unwrap()
    }

    fn rpc_error(code: i64, message: &'static str) -> RpcError<TransportErrorKind> {
        // The payload type lives in alloy-json-rpc, which `alloy` exposes only behind
        // its `json-rpc` feature; build it from JSON instead.
        RpcError::ErrorResp(
            serde_json::from_value(serde_json::json!({"code": code, "message": message})).unwrap(),
        )
    }

    #[test]
    fn classifies_errors() {
        let b = backend();
        let map = |e| b.map_error("eth_chainId", e);

        // JSON-RPC error objects are definite answers…
        let e = map(rpc_error(-32000, "header not found"));
        assert!(
            matches!(e, ChainError::Rpc { .. }) && !e.is_transient(),
            "{e:?}"
        );
        assert_eq!(
            e.to_string(),
            "http://127.0.0.1:1/: node error for eth_chainId: code -32000: header not found"
        );
        // …except a provider saying it rate-limits.
        assert!(map(rpc_error(429, "too many requests")).is_transient());
        assert!(map(rpc_error(-32005, "limit exceeded")).is_transient());
        assert!(map(rpc_error(-32000, "Your app has exceeded its rate limit")).is_transient());

        // HTTP statuses: 429 and 5xx retry, other 4xx do not.
        for (status, transient) in [
            (429, true),
            (500, true),
            (502, true),
            (503, true),
            (401, false),
            (404, false),
        ] {
            let e = map(TransportErrorKind::http_error(status, "body".into()));
            assert!(matches!(e, ChainError::Http { .. }), "{e:?}");
            assert_eq!(e.is_transient(), transient, "status {status}");
        }

        // A body that is not JSON-RPC is malformed, definite.
        let bad = serde_json::from_str::<serde_json::Value>("<html>").unwrap_err();
        let e = map(RpcError::DeserError {
            err: bad,
            text: "<html>".into(),
        });
        assert!(
            matches!(e, ChainError::Malformed { .. }) && !e.is_transient(),
            "{e:?}"
        );
        assert!(e.to_string().contains("<html>"), "{e}");

        assert!(matches!(
            map(RpcError::NullResp),
            ChainError::Malformed { .. }
        ));
    }

    #[test]
    fn classifies_connection_failures_as_transient() {
        let b = JsonRpcEthereum::new(EthereumEndpointConfig {
            // Port 1 on loopback: nothing listens, the connection is refused.
            url: "http://user:s3cret-pass@127.0.0.1:1/".into(),
            timeout: Duration::from_secs(2),
            retry: RetryPolicy {
                attempts: 1,
                base_delay: Duration::ZERO,
                max_delay: Duration::ZERO,
            },
        })
        .unwrap();
        let e = b.chain_id().unwrap_err();
        assert!(
            matches!(
                e,
                ChainError::Transport {
                    transient: true,
                    ..
                }
            ),
            "{e:?}"
        );
        let text = e.to_string();
        assert!(
            text.starts_with("http://***@127.0.0.1:1/: request failed: eth_chainId: "),
            "{text}"
        );
        assert!(!text.contains("s3cret"), "{text}");
    }

    #[test]
    fn recognises_the_magic_value_and_reverts() {
        let mut word = [0u8; 32];
        word[..4].copy_from_slice(&EIP1271_MAGIC);
        assert!(is_magic(&word));
        assert!(
            !is_magic(&word[..4]),
            "bare bytes4 is not an abi-encoded return"
        );
        assert!(!is_magic(&[]));
        let mut other = word;
        other[31] = 1;
        assert!(!is_magic(&other));
        let mut invalid = [0u8; 32];
        invalid[..4].copy_from_slice(&[0xff; 4]);
        assert!(!is_magic(&invalid));

        assert!(is_revert_message(
            "code 3: execution reverted: signature must be 65 bytes"
        ));
        assert!(is_revert_message("code -32000: execution reverted"));
        assert!(!is_revert_message("code -32000: header not found"));
    }

    #[test]
    fn balances_above_u128_are_refused() {
        assert_eq!(to_u128(U256::from(u128::MAX)), Some(u128::MAX));
        assert_eq!(to_u128(U256::from(u128::MAX) + U256::from(1)), None);
    }
}
