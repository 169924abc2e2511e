//! A tiny HTTP/1.1 server for integration tests (std only).
//!
//! It listens on `127.0.0.1:0` in a background thread and answers each connection in
//! its own thread, so a delayed reply never blocks other requests. Routes match on
//! method, path (query string ignored) and optionally a substring of the body (handy
//! for JSON-RPC, where every call is `POST /`). Each route plays a scripted sequence
//! of replies: the n-th matching request gets the n-th reply, and the last reply
//! repeats. That covers "500 then 200", "a block hash that changes between calls"
//! and "reply later than the client's timeout". Every request is recorded, and hits
//! are counted per route so tests can assert how often a client retried.
//!
//! A request that matches no route gets `404` with body `no route for METHOD PATH`
//! and is listed by [`TestServer::unmatched`]. Connections are closed after each
//! reply (`Connection: close`), which every HTTP client handles.
//!
//! Use from a test crate with:
//! ```ignore
//! #[path = "support/http_server.rs"]
//! mod http_server;
//! use http_server::{Reply, TestServer};
//! ```

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// Builds a reply from the request (see [`Reply::from_request`]).
pub type ReplyFn = Arc<dyn Fn(&Request) -> Reply + Send + Sync>;

/// One scripted response.
#[derive(Clone)]
pub struct Reply {
    pub status: u16,
    pub body: String,
    pub headers: Vec<(String, String)>,
    /// Sleep this long before writing the response (to trip client timeouts).
    pub delay: Duration,
    /// When set, the reply actually sent is `f(request)` (its own delay applies).
    pub dynamic: Option<ReplyFn>,
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reply")
            .field("status", &self.status)
            .field("body", &self.body)
            .field("delay", &self.delay)
            .field("dynamic", &self.dynamic.is_some())
            .finish()
    }
}

impl Reply {
    /// A response with `Content-Type: text/plain`.
    pub fn text(status: u16, body: impl Into<String>) -> Reply {
        Reply {
            status,
            body: body.into(),
            headers: vec![("Content-Type".into(), "text/plain".into())],
            delay: Duration::ZERO,
            dynamic: None,
        }
    }

    /// A response with `Content-Type: application/json` (the body is sent as given).
    pub fn json(status: u16, body: impl Into<String>) -> Reply {
        Reply {
            status,
            body: body.into(),
            headers: vec![("Content-Type".into(), "application/json".into())],
            delay: Duration::ZERO,
            dynamic: None,
        }
    }

    /// A reply computed from the request when it arrives, e.g. to echo a JSON-RPC `id`.
    pub fn from_request(f: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Reply {
        Reply {
            dynamic: Some(Arc::new(f)),
            ..Reply::text(500, "dynamic reply")
        }
    }

    /// `200` with a text body.
    pub fn ok(body: impl Into<String>) -> Reply {
        Reply::text(200, body)
    }

    /// Adds a response header.
    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Waits `delay` before answering.
    pub fn delayed(mut self, delay: Duration) -> Reply {
        self.delay = delay;
        self
    }
}

/// A request as the server received it.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    /// The path without the query string.
    pub path: String,
    pub query: Option<String>,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Request {
    /// The first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Handle to a registered route, for [`TestServer::hits`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route(usize);

struct RouteEntry {
    method: String,
    path: String,
    body_contains: Option<String>,
    replies: Vec<Reply>,
    hits: usize,
}

#[derive(Default)]
struct State {
    routes: Vec<RouteEntry>,
    log: Vec<(Request, Option<Route>)>,
}

/// The server; it stops when dropped.
pub struct TestServer {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
}

impl TestServer {
    /// Binds `127.0.0.1:0` and starts accepting.
    pub fn start() -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let acceptor = {
            let (state, stop) = (state.clone(), stop.clone());
            thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = conn else { continue };
                    let state = state.clone();
                    thread::spawn(move || serve(stream, &state));
                }
            })
        };
        TestServer {
            addr,
            state,
            stop,
            acceptor: Some(acceptor),
        }
    }

    /// `http://127.0.0.1:<port>` (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Registers `method path` answered by `replies` in order (the last one repeats).
    /// Routes are tried in registration order; the first match wins.
    pub fn route(
        &self,
        method: &str,
        path: &str,
        replies: impl IntoIterator<Item = Reply>,
    ) -> Route {
        self.add(method, path, None, replies)
    }

    /// Like [`route`](Self::route), but only for requests whose body contains `needle`
    /// (e.g. `"method":"getblockcount"` for JSON-RPC).
    pub fn route_body(
        &self,
        method: &str,
        path: &str,
        needle: &str,
        replies: impl IntoIterator<Item = Reply>,
    ) -> Route {
        self.add(method, path, Some(needle.to_string()), replies)
    }

    fn add(
        &self,
        method: &str,
        path: &str,
        body_contains: Option<String>,
        replies: impl IntoIterator<Item = Reply>,
    ) -> Route {
        let replies: Vec<Reply> = replies.into_iter().collect();
        assert!(!replies.is_empty(), "a route needs at least one reply");
        let mut state = self.state.lock().unwrap();
        state.routes.push(RouteEntry {
            method: method.to_string(),
            path: path.to_string(),
            body_contains,
            replies,
            hits: 0,
        });
        Route(state.routes.len() - 1)
    }

    /// How many requests `route` has answered.
    pub fn hits(&self, route: Route) -> usize {
        self.state.lock().unwrap().routes[route.0].hits
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<Request> {
        let state = self.state.lock().unwrap();
        state.log.iter().map(|(r, _)| r.clone()).collect()
    }

    /// Requests that matched no route (answered `404 no route`).
    pub fn unmatched(&self) -> Vec<Request> {
        let state = self.state.lock().unwrap();
        state
            .log
            .iter()
            .filter(|(_, route)| route.is_none())
            .map(|(r, _)| r.clone())
            .collect()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept so the thread sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

fn serve(stream: TcpStream, state: &Mutex<State>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    });
    let Some(request) = read_request(&mut reader) else {
        return;
    };
    let reply = {
        let mut state = state.lock().unwrap();
        let found = state.routes.iter().position(|r| {
            r.method.eq_ignore_ascii_case(&request.method)
                && r.path == request.path
                && r.body_contains
                    .as_deref()
                    .is_none_or(|needle| request.body.contains(needle))
        });
        let reply = match found {
            Some(i) => {
                let entry = &mut state.routes[i];
                let reply = entry.replies[entry.hits.min(entry.replies.len() - 1)].clone();
                entry.hits += 1;
                reply
            }
            None => Reply::text(
                404,
                format!("no route for {} {}", request.method, request.path),
            ),
        };
        let reply = match &reply.dynamic {
            Some(f) => f(&request),
            None => reply,
        };
        state.log.push((request, found.map(Route)));
        reply
    };
    if !reply.delay.is_zero() {
        thread::sleep(reply.delay);
    }
    let mut out = stream;
    let mut head = format!(
        "HTTP/1.1 {} {}\r\nContent-Length: {}\r\nConnection: close\r\n",
        reply.status,
        reason(reply.status),
        reply.body.len()
    );
    for (name, value) in &reply.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let _ = out.write_all(head.as_bytes());
    let _ = out.write_all(reply.body.as_bytes());
    let _ = out.flush();
    let _ = out.shutdown(std::net::Shutdown::Both);
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).ok()? == 0 {
            return None;
        }
        let h = h.trim_end_matches(['\r', '\n']);
        if h.is_empty() {
            break;
        }
        let (name, value) = h.split_once(':')?;
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _): &&(String, String)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let mut body = Vec::new();
    if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).ok()?;
            let size = usize::from_str_radix(size.trim().split(';').next()?, 16).ok()?;
            let mut chunk = vec![0; size + 2]; // data + CRLF
            reader.read_exact(&mut chunk).ok()?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    } else if let Some(len) = header("content-length") {
        let mut buf = vec![0; len.parse().ok()?];
        reader.read_exact(&mut buf).ok()?;
        body = buf;
    }
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_string(), Some(q.to_string())),
        None => (target, None),
    };
    Some(Request {
        method,
        path,
        query,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}
