//! The loopback HTTP/1.1 server under the address-scale bench's chain servers
//! ([`super::esplora`], [`super::jsonrpc`]) and the tests that use them: hyper on a
//! thread of its own, every request answered after a fixed added latency (the bench's
//! 20 ms stands for the round trip to a provider), requests counted.
//!
//! The latency is a `tokio::time::sleep` before the handler runs, per HTTP request
//! (a JSON-RPC batch is one request), so a client with `n` requests in flight sees
//! them served in parallel, as a remote provider would.

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::{Request, Response, StatusCode};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The largest request body read (a JSON-RPC batch of 1,000 calls is ~200 kB).
const MAX_BODY: usize = 16 << 20;

/// One answer of a handler: status, content type and body.
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The `Content-Type`.
    pub content_type: &'static str,
    /// The body.
    pub body: String,
}

impl Answer {
    /// `200` with a JSON body.
    pub fn json(body: String) -> Answer {
        Answer {
            status: 200,
            content_type: "application/json",
            body,
        }
    }

    /// A plain-text answer.
    pub fn text(status: u16, body: impl Into<String>) -> Answer {
        Answer {
            status,
            content_type: "text/plain",
            body: body.into(),
        }
    }
}

/// Answers one request: method, path (without the query) and body.
pub type Handler = Arc<dyn Fn(&str, &str, &[u8]) -> Answer + Send + Sync>;

/// A server on `127.0.0.1` running on its own thread; stopped when dropped.
pub struct Server {
    addr: SocketAddr,
    requests: Arc<AtomicU64>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// Serves `handler` on a free loopback port, each request after `latency`.
    pub fn start(latency: Duration, handler: Handler) -> std::io::Result<Server> {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let requests = Arc::new(AtomicU64::new(0));
        let counted = requests.clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            rt.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(std_listener) else {
                    return;
                };
                let task = tokio::spawn(accept_loop(listener, latency, handler, counted));
                let _ = stopped.await;
                task.abort();
            });
        });
        Ok(Server {
            addr,
            requests,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// HTTP requests answered so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn accept_loop(
    listener: tokio::net::TcpListener,
    latency: Duration,
    handler: Handler,
    requests: Arc<AtomicU64>,
) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let (handler, requests) = (handler.clone(), requests.clone());
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                let (handler, requests) = (handler.clone(), requests.clone());
                async move {
                    let method = req.method().to_string();
                    let path = req.uri().path().to_string();
                    let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
                        Ok(b) => b.to_bytes(),
                        Err(_) => Bytes::new(),
                    };
                    tokio::time::sleep(latency).await;
                    requests.fetch_add(1, Ordering::Relaxed);
                    let a = handler(&method, &path, &body);
                    let mut r = Response::new(Full::new(Bytes::from(a.body)));
                    *r.status_mut() =
                        StatusCode::from_u16(a.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                    r.headers_mut().insert(
                        hyper::header::CONTENT_TYPE,
                        hyper::header::HeaderValue::from_static(a.content_type),
                    );
                    Ok::<_, std::convert::Infallible>(r)
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                .await;
        });
    }
}
