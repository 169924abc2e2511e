//! A real anvil dev node for chain tests: started on a free loopback port from the
//! npm package `@foundry-rs/anvil` (installed by `npm ci` at the repo root), killed on
//! drop, with the few dev RPCs the tests need (send from the unlocked accounts,
//! deploy the compiled test contracts, mine at chosen timestamps, snapshot/revert).
//!
//! Include from a test crate with `#[path = "support/anvil.rs"] mod anvil;`.
//! If anvil is not installed the test fails with a message saying how to install it:
//! a chain test that silently skips would prove nothing.
#![allow(dead_code)] // each test crate uses a different part of the helper

use std::borrow::Cow;
use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use alloy::primitives::{Address, B256, Bytes, U256};
use alloy::providers::{Provider, RootProvider};
use serde_json::{Value, json};

/// Genesis timestamp of every node started here (2023-11-14T22:13:20Z).
pub const GENESIS_TIME: u64 = 1_700_000_000;

/// Anvil's first default account (from the well-known `test test … junk` mnemonic):
/// unlocked and funded with 10 000 ETH; deploys and owns the test contracts.
pub const DEPLOYER: Address =
    alloy::primitives::address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266");

pub struct Anvil {
    child: Child,
    port: u16,
    url: String,
    log: tempfile::NamedTempFile,
    provider: RootProvider,
    rt: tokio::runtime::Runtime,
}

/// A JSON-RPC error object from anvil.
#[derive(Debug)]
pub struct NodeError {
    pub code: i64,
    pub message: String,
}

/// Path of the anvil binary inside `node_modules`, or a panic saying how to get it.
///
/// The native binary ships in the platform package (`@foundry-rs/anvil-linux-amd64`,
/// …); it is run directly rather than through the `node_modules/.bin/anvil` node
/// wrapper so that killing the child kills the node itself.
pub fn anvil_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("ANVIL_BIN") {
        return PathBuf::from(path);
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        "windows" => "win32",
        other => other,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    let native = root
        .join("node_modules/@foundry-rs")
        .join(format!("anvil-{os}-{arch}"))
        .join("bin/anvil");
    if native.is_file() {
        return native;
    }
    let wrapper = root.join("node_modules/.bin/anvil");
    if wrapper.is_file() {
        return wrapper;
    }
    panic!(
        "anvil is not installed: neither {} nor {} exists. Run `npm ci` at the repo root \
         (scripts/setup-test-deps.sh does) to install the pinned @foundry-rs/anvil, or set \
         ANVIL_BIN to an anvil binary",
        native.display(),
        wrapper.display()
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind a loopback port")
        .port()
}

impl Anvil {
    /// A fresh node: chain id 31337, genesis at [`GENESIS_TIME`], automine.
    pub fn start() -> Anvil {
        Self::start_with(&[])
    }

    /// A fresh node with extra command-line arguments.
    pub fn start_with(extra: &[&str]) -> Anvil {
        // reqwest is built without a TLS crypto provider of its own (Cargo.toml); por's
        // clients install rustls' ring provider, this helper's client may come first.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let binary = anvil_binary();
        let mut last_log = String::new();
        // The port is free when chosen but may be taken before anvil binds it; try again.
        for _ in 0..5 {
            let port = free_port();
            let log = tempfile::NamedTempFile::new().expect("temp file for the anvil log");
            let mut cmd = Command::new(&binary);
            cmd.args(["--host", "127.0.0.1", "--port", &port.to_string()])
                .args(["--timestamp", &GENESIS_TIME.to_string()])
                .args(extra)
                .stdin(Stdio::null())
                .stdout(log.reopen().expect("reopen anvil log"))
                .stderr(log.reopen().expect("reopen anvil log"));
            let child = cmd
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
            let url = format!("http://127.0.0.1:{port}");
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("tokio runtime");
            let provider = RootProvider::new_http(url.parse().expect("anvil url"));
            let mut anvil = Anvil {
                child,
                port,
                url,
                log,
                provider,
                rt,
            };
            match anvil.wait_ready(Duration::from_secs(20)) {
                Ok(()) => return anvil,
                Err(why) => {
                    last_log = format!("{why}; log: {}", anvil.log_text());
                    // Drop kills it.
                }
            }
        }
        panic!("anvil ({}) did not start: {last_log}", binary.display());
    }

    fn wait_ready(&mut self, limit: Duration) -> Result<(), String> {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().map_err(|e| e.to_string())? {
                return Err(format!("anvil exited with {status}"));
            }
            if self.rpc("eth_chainId", json!([])).is_ok() {
                return Ok(());
            }
            if start.elapsed() > limit {
                return Err(format!("no answer on {} after {limit:?}", self.url));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn log_text(&self) -> String {
        let mut text = String::new();
        let _ = self
            .log
            .reopen()
            .and_then(|mut f| f.read_to_string(&mut text));
        text
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// One JSON-RPC call; a node error object is `Err`, a transport failure panics.
    pub fn rpc(&self, method: &str, params: Value) -> Result<Value, NodeError> {
        let method: Cow<'static, str> = Cow::Owned(method.to_string());
        let result: Result<Value, _> = self
            .rt
            .block_on(self.provider.raw_request(method.clone(), params));
        match result {
            Ok(v) => Ok(v),
            Err(e) => match e.as_error_resp() {
                Some(p) => Err(NodeError {
                    code: p.code,
                    message: p.message.to_string(),
                }),
                None => Err(NodeError {
                    code: 0,
                    message: format!("transport: {e}"),
                }),
            },
        }
    }

    /// [`Anvil::rpc`] that must succeed.
    pub fn call(&self, method: &str, params: Value) -> Value {
        self.rpc(method, params.clone())
            .unwrap_or_else(|e| panic!("anvil {method} {params}: {e:?}"))
    }

    /// Sends a transaction from an unlocked (or impersonated) account; with automine it
    /// is mined in its own block. Panics unless it succeeded; returns the receipt.
    pub fn send(&self, from: Address, to: Option<Address>, value: U256, data: &[u8]) -> Value {
        let mut tx = json!({
            "from": from,
            "value": value,
            "data": Bytes::copy_from_slice(data),
            "gas": "0x4c4b40",
        });
        if let Some(to) = to {
            tx["to"] = json!(to);
        }
        let hash = self.call("eth_sendTransaction", json!([tx]));
        // Automine mines right after the send returns; wait for the receipt.
        let start = Instant::now();
        let receipt = loop {
            let receipt = self.call("eth_getTransactionReceipt", json!([hash]));
            if !receipt.is_null() || start.elapsed() > Duration::from_secs(10) {
                break receipt;
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        assert_eq!(
            receipt["status"],
            json!("0x1"),
            "transaction failed: {receipt}"
        );
        receipt
    }

    /// Deploys `tests/data/eth/<name>.json` with ABI-encoded constructor arguments from
    /// [`DEPLOYER`]; returns the contract address.
    pub fn deploy(&self, name: &str, constructor_args: &[u8]) -> Address {
        let mut code = artifact_bytecode(name);
        code.extend_from_slice(constructor_args);
        let receipt = self.send(DEPLOYER, None, U256::ZERO, &code);
        serde_json::from_value(receipt["contractAddress"].clone())
            .unwrap_or_else(|e| panic!("no contract address in {receipt}: {e}"))
    }

    /// The next block (mined or by a transaction) gets timestamp `time`.
    pub fn set_next_timestamp(&self, time: u64) {
        self.call("evm_setNextBlockTimestamp", json!([time]));
    }

    /// Mines one empty block at `time`; returns its height.
    pub fn mine_at(&self, time: u64) -> u64 {
        self.call("evm_mine", json!([time]));
        self.height()
    }

    /// Mines `n` empty blocks.
    pub fn mine(&self, n: u64) {
        self.call("anvil_mine", json!([format!("{n:#x}")]));
    }

    pub fn height(&self) -> u64 {
        hex_u64(&self.call("eth_blockNumber", json!([])))
    }

    pub fn block_hash(&self, height: u64) -> B256 {
        let block = self.call(
            "eth_getBlockByNumber",
            json!([format!("{height:#x}"), false]),
        );
        serde_json::from_value(block["hash"].clone()).expect("block hash")
    }

    /// `evm_snapshot`: an id to [`Anvil::revert`] to.
    pub fn snapshot(&self) -> Value {
        self.call("evm_snapshot", json!([]))
    }

    pub fn revert(&self, id: &Value) {
        assert_eq!(
            self.call("evm_revert", json!([id])),
            json!(true),
            "evm_revert {id}"
        );
    }

    pub fn set_balance(&self, who: Address, wei: U256) {
        self.call("anvil_setBalance", json!([who, wei]));
    }

    /// Lets [`Anvil::send`] send from `who` without its key.
    pub fn impersonate(&self, who: Address) {
        self.call("anvil_impersonateAccount", json!([who]));
    }
}

impl Drop for Anvil {
    fn drop(&mut self) {
        // SIGTERM first so the npm wrapper (if that is what runs) passes it on; then
        // make sure.
        let pid = self.child.id() as libc::pid_t;
        // SAFETY: kill(2) on our own child's pid; no memory is touched.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Creation bytecode of a committed artifact in `tests/data/eth/`.
pub fn artifact_bytecode(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/data/eth/{name}.json"));
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let artifact: Value = serde_json::from_str(&text).expect("artifact json");
    let hex_code = artifact["bytecode"].as_str().expect("bytecode string");
    alloy::primitives::hex::decode(hex_code).expect("bytecode hex")
}

pub fn hex_u64(v: &Value) -> u64 {
    let s = v
        .as_str()
        .unwrap_or_else(|| panic!("expected a hex quantity, got {v}"));
    u64::from_str_radix(s.trim_start_matches("0x"), 16).expect("hex quantity")
}

/// Posts a JSON-RPC `body` to the node at `port` over plain HTTP/1.1 (std only, for a
/// proxy that runs in a [`crate::support::http_server::TestServer`] reply) and returns
/// the response body.
pub fn post_raw(port: u16, body: &str) -> String {
    use std::io::Write;
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect to anvil");
    write!(
        s,
        "POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("write to anvil");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read from anvil");
    let text = String::from_utf8(raw).expect("utf-8 response");
    let (head, rest) = text.split_once("\r\n\r\n").expect("an HTTP response");
    if !head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        return rest.to_string();
    }
    let (mut out, mut rest) = (String::new(), rest);
    loop {
        let (size, after) = rest.split_once("\r\n").expect("a chunk size");
        let n = usize::from_str_radix(size.trim(), 16).expect("hex chunk size");
        if n == 0 {
            return out;
        }
        out.push_str(&after[..n]);
        rest = &after[n + 2..];
    }
}
