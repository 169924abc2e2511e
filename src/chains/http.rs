//! HTTP plumbing every network backend shares: building the client and its runtime,
//! telling transient failures from definite ones, and redacting endpoint URLs.
//!
//! - **Client**: one `reqwest::Client` per endpoint with the configured timeout for
//!   the whole request (connect included), driven by a current-thread tokio runtime
//!   the backend owns ([`client`], [`runtime`]). Calls must not be made from inside
//!   another tokio runtime.
//! - **Retries**: [`RetryPolicy`](super::RetryPolicy) runs each call; what it retries
//!   is decided here and in [`ChainError::is_transient`]: connection refused/reset,
//!   timeouts, HTTP 429 and 5xx are transient; other 4xx, redirect loops and malformed
//!   bodies are definite ([`reqwest_is_transient`]).
//! - **Redaction**: endpoint URLs carry credentials (userinfo, `?apikey=`, a key as a
//!   path segment). A URL reaches a message or a log only through [`redact`]: no
//!   userinfo, no query, no fragment, and every path segment that looks like a key is
//!   `***`. Scheme, host, port and the other path segments stay, so an operator can
//!   tell `https://host/api` from `https://host/testnet/api`.
//!
//! [`Http`] is the small REST/JSON-RPC client of the Esplora and Bitcoin Core backends;
//! the Ethereum backend hands [`client`] to alloy's transport instead.

use std::time::Duration;

use reqwest::Url;

use super::ChainError;

/// How [`redact`] marks what it hid. What is hidden is the same in both styles; the
/// marks differ because the backends' messages (asserted by their tests) always have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Marks {
    /// Bitcoin backends: userinfo and fragment dropped, a query shown as `?…`, a bare
    /// `/` path dropped (`http://127.0.0.1:3000`).
    Elided,
    /// Ethereum backend: userinfo shown as `***@`, query as `?***`, fragment as
    /// `#***`, the path always shown (`http://127.0.0.1:8545/`); an unparseable URL is
    /// `<unparseable url>`.
    Starred,
}

/// `url` for messages: `scheme://host[:port]` and the path with key-like segments
/// replaced by `***`; userinfo, query and fragment never appear (see [`Marks`]).
pub(crate) fn redact(url: &str, marks: Marks) -> String {
    let Ok(parsed) = Url::parse(url) else {
        return match marks {
            Marks::Starred => "<unparseable url>".to_string(),
            Marks::Elided => redact_unparsed(url),
        };
    };
    let mut out = format!("{}://", parsed.scheme());
    if marks == Marks::Starred && (!parsed.username().is_empty() || parsed.password().is_some()) {
        out.push_str("***@");
    }
    if let Some(host) = parsed.host_str() {
        out.push_str(host);
    }
    if let Some(port) = parsed.port() {
        out.push_str(&format!(":{port}"));
    }
    let path = redact_path(parsed.path());
    if !(marks == Marks::Elided && path == "/") {
        out.push_str(&path);
    }
    match marks {
        Marks::Elided if parsed.query().is_some() => out.push_str("?…"),
        Marks::Starred if parsed.query().is_some() => out.push_str("?***"),
        _ => {}
    }
    if marks == Marks::Starred && parsed.fragment().is_some() {
        out.push_str("#***");
    }
    out
}

/// A URL that does not parse: `user:pass@`, the query and the fragment dropped,
/// key-like path segments `***`.
fn redact_unparsed(url: &str) -> String {
    let s = url.split(['?', '#']).next().unwrap_or("");
    let Some(scheme_end) = s.find("://") else {
        return redact_path(s);
    };
    let rest = &s[scheme_end + 3..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let host = authority
        .rfind('@')
        .map_or(authority, |at| &authority[at + 1..]);
    format!("{}{host}{}", &s[..scheme_end + 3], redact_path(path))
}

fn redact_path(path: &str) -> String {
    path.split('/')
        .map(|seg| if is_key_like(seg) { "***" } else { seg })
        .collect::<Vec<_>>()
        .join("/")
}

/// A path segment that looks like an API key (`/v3/<32 hex>`, `/v2/<key>`): long and
/// made only of key characters.
fn is_key_like(segment: &str) -> bool {
    segment.len() >= 20
        && segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The pieces of `url` that [`redact`] hides, longest first, to scrub from messages
/// that came from outside (a node's error text may echo the request URL).
pub(crate) fn url_secrets(url: &str) -> Vec<String> {
    let mut secrets = vec![url.to_string()];
    if let Ok(parsed) = Url::parse(url) {
        secrets.push(parsed.as_str().to_string());
        secrets.push(parsed.username().to_string());
        secrets.extend(parsed.password().map(str::to_string));
        secrets.extend(parsed.query().map(str::to_string));
        secrets.extend(parsed.fragment().map(str::to_string));
        secrets.extend(
            parsed
                .path()
                .split('/')
                .filter(|s| is_key_like(s))
                .map(str::to_string),
        );
    }
    // Short pieces (a user "a") would mangle ordinary words; the URL-free reqwest
    // message is the main defence, this is the second.
    secrets.retain(|s| s.len() >= 6);
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    secrets.dedup();
    secrets
}

/// The HTTP client of one endpoint: `timeout` bounds each request from connecting to
/// the last byte. The error is reqwest's, without any URL.
pub(crate) fn client(timeout: Duration) -> Result<reqwest::Client, String> {
    install_crypto_provider();
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .build()
        .map_err(|e| error_chain(&e.without_url()))
}

/// The runtime a blocking chain backend drives its requests with: one I/O worker
/// thread, so that several reader threads may `block_on` requests at once (the
/// reserves step reads `in_flight` addresses concurrently).
pub(crate) fn shared_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
}

/// Makes rustls' `ring` provider the process default, once, before any client exists.
/// reqwest is built without a provider of its own (Cargo.toml: `rustls-no-provider`,
/// which keeps aws-lc's C build out); a provider installed earlier by an embedding
/// program is kept.
fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Err only when a default is already installed: that one stays in use.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// The current-thread runtime a blocking client drives its requests with.
pub(crate) fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

/// Whether a request that got no usable HTTP answer may succeed if tried again:
/// connection refused/reset, timeouts and cut-off bodies may; a request that cannot
/// be built or a redirect loop will not.
pub(crate) fn reqwest_is_transient(e: &reqwest::Error) -> bool {
    if e.is_builder() || e.is_redirect() {
        return false;
    }
    e.is_timeout() || e.is_connect() || e.is_request() || e.is_body() || e.is_decode()
}

/// An error and its sources, joined with `: ` (a source already in the text is skipped).
pub(crate) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        let inner_s = inner.to_string();
        if !s.contains(&inner_s) {
            s.push_str(": ");
            s.push_str(&inner_s);
        }
        source = inner.source();
    }
    s
}

/// The start of a response body, for error messages.
pub(crate) fn snippet(body: &str) -> String {
    crate::excerpt::Excerpt::message(body.trim()).to_string()
}

/// An HTTP client bound to one base URL, with its own current-thread runtime.
pub(crate) struct Http {
    /// Base URL without credentials.
    base: Url,
    basic_auth: Option<(String, String)>,
    /// `base` redacted, for messages.
    pub(crate) endpoint: String,
    timeout: Duration,
    client: reqwest::Client,
    runtime: tokio::runtime::Runtime,
}

/// Why an [`Http`] could not be set up.
pub(crate) enum HttpSetupError {
    /// The URL is not an `http(s)://` URL with a host.
    Url(String),
    /// The client or its runtime could not be built.
    Client { endpoint: String, message: String },
}

impl Http {
    /// A client for `url`; credentials in it become HTTP basic auth.
    pub(crate) fn new(url: &str, timeout: Duration) -> Result<Http, HttpSetupError> {
        let mut base = Url::parse(url).map_err(|e| HttpSetupError::Url(e.to_string()))?;
        if !matches!(base.scheme(), "http" | "https") || base.host().is_none() {
            return Err(HttpSetupError::Url(
                "expected an http:// or https:// url".into(),
            ));
        }
        let basic_auth = (!base.username().is_empty() || base.password().is_some()).then(|| {
            (
                percent_decode(base.username()),
                percent_decode(base.password().unwrap_or("")),
            )
        });
        let _ = base.set_username("");
        let _ = base.set_password(None);
        let endpoint = redact(base.as_str(), Marks::Elided);
        let setup = |message: String| HttpSetupError::Client {
            endpoint: endpoint.clone(),
            message,
        };
        let client = client(timeout).map_err(setup)?;
        let runtime = shared_runtime().map_err(|e| setup(e.to_string()))?;
        Ok(Http {
            base,
            basic_auth,
            endpoint,
            timeout,
            client,
            runtime,
        })
    }

    /// The base URL with `path` appended to its path (query kept).
    fn url(&self, path: &str) -> Url {
        let mut url = self.base.clone();
        let joined = format!("{}{}", self.base.path().trim_end_matches('/'), path);
        url.set_path(&joined);
        url
    }

    /// A `GET` of `path` under the base URL.
    pub(crate) fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.with_auth(self.client.get(self.url(path)))
    }

    /// A `POST` to `path` under the base URL.
    pub(crate) fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.with_auth(self.client.post(self.url(path)))
    }

    fn with_auth(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.basic_auth {
            Some((user, password)) => request.basic_auth(user, Some(password)),
            None => request,
        }
    }

    /// Sends one request; the status and body of any HTTP answer. Failing to get an
    /// answer is a [`ChainError::Transport`], transient as [`reqwest_is_transient`] says.
    pub(crate) fn send(
        &self,
        request: reqwest::RequestBuilder,
        what: &str,
    ) -> Result<(u16, String), ChainError> {
        self.send_full(request, what)
            .map(|(status, body, _)| (status, body))
    }

    /// As [`Http::send`], with the `Retry-After` wait of the answer when it gives one.
    pub(crate) fn send_full(
        &self,
        request: reqwest::RequestBuilder,
        what: &str,
    ) -> Result<(u16, String, Option<Duration>), ChainError> {
        let transport = |e: reqwest::Error| {
            let e = e.without_url();
            let message = if e.is_timeout() {
                format!("{what}: no answer within {:?}", self.timeout)
            } else {
                format!("{what}: {}", error_chain(&e))
            };
            ChainError::Transport {
                endpoint: self.endpoint.clone(),
                message,
                transient: reqwest_is_transient(&e),
            }
        };
        self.runtime.block_on(async {
            let response = request.send().await.map_err(transport)?;
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(retry_after);
            let body = response.text().await.map_err(transport)?;
            Ok((status, body, retry_after))
        })
    }
}

/// A `Retry-After` value (RFC 9110 §10.2.3): delay-seconds, or an HTTP date (the
/// wait until then, zero if it is past).
pub(crate) fn retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = jiff::fmt::rfc2822::parse(value).ok()?.timestamp();
    let now = jiff::Timestamp::now();
    Some(at.duration_since(now).try_into().unwrap_or(Duration::ZERO))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {

    #[test]
    fn retry_after_takes_seconds_or_a_date() {
        use std::time::Duration;
        assert_eq!(retry_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(retry_after(" 0 "), Some(Duration::ZERO));
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        let later = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(120);
        let d = retry_after(
            &jiff::fmt::rfc2822::to_string(&later.to_zoned(jiff::tz::TimeZone::UTC)).unwrap(),
        )
        .unwrap();
        assert!(
            d > Duration::from_secs(100) && d <= Duration::from_secs(120),
            "{d:?}"
        );
        assert_eq!(retry_after("soon"), None);
    }

    use super::*;

    const KEY: &str = "AbC-dEf_0123456789xyzXYZ";

    /// reqwest is built without a crypto provider (no aws-lc): building a client must
    /// install ring's, or reqwest panics at `build()` for want of one.
    #[test]
    fn clients_build_on_the_ring_provider() {
        let client = client(Duration::from_secs(1)).expect("client");
        let provider = rustls::crypto::CryptoProvider::get_default().expect("a default provider");
        let ring = rustls::crypto::ring::default_provider();
        assert_eq!(
            format!("{:?}", provider.cipher_suites),
            format!("{:?}", ring.cipher_suites)
        );
        // An HTTPS request gets as far as the (refused) connection: TLS is usable.
        let rt = runtime().unwrap();
        let e = rt
            .block_on(async { client.get("https://127.0.0.1:9/").send().await })
            .expect_err("nothing listens on port 9");
        assert!(e.is_connect(), "{e:?}");
    }

    #[test]
    fn a_key_in_path_query_or_userinfo_never_shows() {
        let urls = [
            format!("https://eth-mainnet.g.alchemy.com/v2/{KEY}"),
            format!("https://eth-mainnet.g.alchemy.com/v2/{KEY}/"),
            format!("https://host.example:8443/api?apikey={KEY}"),
            format!("https://host.example/api?x=1&key={KEY}#frag"),
            format!("https://{KEY}@host.example/api"),
            format!("https://user:{KEY}@host.example/api"),
            format!("https://user:{KEY}@host.example/{KEY}?k={KEY}#{KEY}"),
            format!("https://user:{KEY}@host with space/{KEY}?k={KEY}"),
            format!("ftp://user:{KEY}@host.example/{KEY}"),
        ];
        for url in &urls {
            for marks in [Marks::Elided, Marks::Starred] {
                let shown = redact(url, marks);
                assert!(!shown.contains(KEY), "{url} -> {shown}");
                assert!(!shown.contains("user"), "{url} -> {shown}");
                assert!(!shown.contains("frag"), "{url} -> {shown}");
            }
        }
        let secrets = url_secrets(&urls[6]);
        assert!(secrets.iter().any(|s| s == KEY), "{secrets:?}");
    }

    #[test]
    fn keeps_scheme_host_port_and_plain_path() {
        let e = |u: &str| redact(u, Marks::Elided);
        let s = |u: &str| redact(u, Marks::Starred);
        assert_eq!(
            e("https://user:secret@example.com/api?key=abc"),
            "https://example.com/api?…"
        );
        assert_eq!(e("http://127.0.0.1:3000/"), "http://127.0.0.1:3000");
        assert_eq!(e("http://u:p@host:1/x?k=1 x"), "http://host:1/x?…");
        assert_eq!(e("http://u:p@[host:1/x?k=1"), "http://[host:1/x");
        assert_eq!(s("http://127.0.0.1:8545"), "http://127.0.0.1:8545/");
        assert_eq!(
            s("https://alice:s3cret@node.example.com:8545/rpc?token=abc#frag"),
            "https://***@node.example.com:8545/rpc?***#***"
        );
        assert_eq!(
            s("https://mainnet.infura.io/v3/0123456789abcdef0123456789abcdef"),
            "https://mainnet.infura.io/v3/***"
        );
        assert_eq!(
            e(&format!("https://eth-mainnet.g.alchemy.com/v2/{KEY}/")),
            "https://eth-mainnet.g.alchemy.com/v2/***/"
        );
        assert_eq!(s("https://user@host/"), "https://***@host/");
        assert_eq!(s("not a url"), "<unparseable url>");
        assert_eq!(percent_decode("p%40ss%3a"), "p@ss:");
    }

    #[test]
    fn classifies_transport_failures() {
        let rt = runtime().unwrap();
        let client = client(Duration::from_secs(2)).unwrap();
        // Port 1 on loopback: nothing listens, the connection is refused.
        let e = rt
            .block_on(async { client.get("http://127.0.0.1:1/").send().await })
            .unwrap_err();
        assert!(reqwest_is_transient(&e), "{e}");
        let e = client.get("not a url").build().unwrap_err();
        assert!(!reqwest_is_transient(&e), "{e}");
    }
}
