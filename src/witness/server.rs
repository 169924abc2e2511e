//! `por witness serve`: an HTTP/1.1 c2sp.org/tlog-witness on hyper. One route,
//! `POST …/add-checkpoint` (any prefix, for a reverse proxy), and `GET /` saying
//! which witness this is and which logs it follows. Each request is decided by the
//! pure core under one mutex that also guards the state, and a cosignature leaves
//! only after its record is on disk ([`super::state::State::put`]).
//!
//! The state folder is locked (`<state>/.witness.lock`, the same `flock` as the run
//! lock), so two witness processes never share one state.

use super::WitnessError;
use super::state::State;
use crate::lock::RunLock;
use crate::log::witness::{Answer, add_checkpoint};
use crate::log::{SigningKey, VerifierKey};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::{Method, Request, Response, StatusCode};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The largest request body read (a signed note is at most 1 MB, the proof 63 lines).
const MAX_BODY: usize = 1 << 20;

/// A witness: its key, the logs it follows, its state.
pub struct Witness {
    key: SigningKey,
    logs: Vec<VerifierKey>,
    state: Mutex<State>,
    _lock: RunLock,
}

impl Witness {
    /// Opens the state folder (locked for this process) and loads what it recorded.
    pub fn open(
        key: SigningKey,
        logs: Vec<VerifierKey>,
        state_dir: &Path,
    ) -> Result<Witness, WitnessError> {
        let lock = RunLock::acquire(&state_dir.join(".witness.lock"))?;
        let state = State::open(state_dir)?;
        Ok(Witness {
            key,
            logs,
            state: Mutex::new(state),
            _lock: lock,
        })
    }

    /// The witness's verifier key (type `0x04`), as logs and users pin it.
    pub fn verifier(&self) -> VerifierKey {
        self.key.verifier()
    }

    /// Decides on one `add-checkpoint` body at `now` (POSIX seconds), recording the new
    /// size durably before a cosignature is returned; a record that cannot be written
    /// is a `500` and no cosignature.
    pub fn add_checkpoint(&self, body: &[u8], now: u64) -> Answer {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let mut a = add_checkpoint(body, &self.logs, |o| state.get(o), &self.key, now);
        if let (Some(record), Some(origin)) = (a.record, a.origin.clone())
            && let Err(e) = state.put(&origin, record)
        {
            tracing::error!(%origin, error = %e, "cannot record the new size: not cosigned");
            a = Answer {
                status: 500,
                content_type: "text/plain; charset=utf-8",
                body: "the witness cannot record its state\n".into(),
                origin: Some(origin),
                record: None,
            };
        }
        tracing::info!(
            origin = a.origin.as_deref().unwrap_or("-"),
            status = a.status,
            size = a.record.map(|r| r.size),
            "add-checkpoint"
        );
        a
    }

    fn about(&self) -> String {
        let mut s = format!(
            "por witness (c2sp.org/tlog-witness)\nkey {}\n",
            self.verifier()
        );
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        for l in &self.logs {
            let at = state
                .get(l.name())
                .map(|r| format!("size {}", r.size))
                .unwrap_or_else(|| "nothing cosigned yet".into());
            s.push_str(&format!("log {l}: {at}\n"));
        }
        s
    }
}

fn reply(status: u16, content_type: &str, body: String) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = hyper::header::HeaderValue::from_str(content_type) {
        r.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
    }
    r
}

async fn handle(
    w: Arc<Witness>,
    req: Request<hyper::body::Incoming>,
) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
    const TEXT: &str = "text/plain; charset=utf-8";
    let path = req.uri().path().to_string();
    let is_add = path == "/add-checkpoint" || path.ends_with("/add-checkpoint");
    Ok(match (req.method(), is_add) {
        (&Method::POST, true) => match Limited::new(req.into_body(), MAX_BODY).collect().await {
            Ok(body) => {
                let a = w.add_checkpoint(&body.to_bytes(), crate::time::Timestamp::now().0);
                reply(a.status, a.content_type, a.body)
            }
            Err(_) => reply(413, TEXT, "request body too large or cut off\n".into()),
        },
        (_, true) => reply(405, TEXT, "add-checkpoint takes POST\n".into()),
        (&Method::GET, false) if path == "/" => reply(200, TEXT, w.about()),
        _ => reply(404, TEXT, format!("no route {path}\n")),
    })
}

async fn accept_loop(listener: tokio::net::TcpListener, w: Arc<Witness>) {
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let w = w.clone();
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req| handle(w.clone(), req));
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(Duration::from_secs(10))
                .serve_connection(hyper_util::rt::TokioIo::new(stream), svc);
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
}

fn bind(listen: &str) -> Result<std::net::TcpListener, WitnessError> {
    let err = |message: String| WitnessError::Listen {
        address: listen.to_string(),
        message,
    };
    let l = std::net::TcpListener::bind(listen).map_err(|e| err(e.to_string()))?;
    l.set_nonblocking(true).map_err(|e| err(e.to_string()))?;
    Ok(l)
}

fn runtime(listen: &str) -> Result<tokio::runtime::Runtime, WitnessError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| WitnessError::Listen {
            address: listen.to_string(),
            message: e.to_string(),
        })
}

/// Serves `w` on `listen` (e.g. `127.0.0.1:7380`) until the process is stopped;
/// `ready` is called with the bound address once it accepts connections.
pub fn serve(
    w: Arc<Witness>,
    listen: &str,
    ready: impl FnOnce(SocketAddr),
) -> Result<(), WitnessError> {
    let std_listener = bind(listen)?;
    let addr = std_listener
        .local_addr()
        .map_err(|e| WitnessError::Listen {
            address: listen.to_string(),
            message: e.to_string(),
        })?;
    let rt = runtime(listen)?;
    rt.block_on(async move {
        let listener =
            tokio::net::TcpListener::from_std(std_listener).map_err(|e| WitnessError::Listen {
                address: listen.to_string(),
                message: e.to_string(),
            })?;
        ready(addr);
        accept_loop(listener, w).await;
        Ok(())
    })
}

/// A witness served on a thread of this process (the demo's); stopped when dropped.
pub struct Running {
    /// The address it listens on.
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Running {
    /// `http://<addr>`, the URL a log submits to.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Serves `w` on `listen` from a new thread until the returned [`Running`] is dropped.
pub fn spawn(w: Arc<Witness>, listen: &str) -> Result<Running, WitnessError> {
    let std_listener = bind(listen)?;
    let addr = std_listener
        .local_addr()
        .map_err(|e| WitnessError::Listen {
            address: listen.to_string(),
            message: e.to_string(),
        })?;
    let rt = runtime(listen)?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        rt.block_on(async move {
            let Ok(listener) = tokio::net::TcpListener::from_std(std_listener) else {
                return;
            };
            let task = tokio::spawn(accept_loop(listener, w));
            let _ = stopped.await;
            task.abort();
        });
    });
    Ok(Running {
        addr,
        stop: Some(stop),
        thread: Some(thread),
    })
}
