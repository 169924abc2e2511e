//! The snapshot log with two real `por witness serve` processes on loopback (the built
//! binary): normal growth is cosigned by both; a forked history (a publisher that
//! rewrites an old snapshot) is refused by both and nothing cosigned is published;
//! a restarted witness keeps its state; one witness down is exit 1 naming it; a bad
//! signature, a bad proof and an unknown origin get 403, 422 and 404; por itself
//! refuses to extend a log whose published manifests were changed. The verifiers
//! (`por verify` with pinned keys, `por log check`) accept the honest site.

use crate::support::cli::{command, por, root, stderr};
use por::log::witness::AddCheckpoint;
use por::log::{KeyType, LogTree, SigningKey, checkpoint};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::time::Duration;

const ORIGIN: &str = "exchange.example/por";
const IDS: [&str; 3] = ["2026-09-21", "2026-10-21", "2026-11-21"];

/// A `por witness serve` child process, killed when dropped.
struct WitnessProc {
    child: Child,
    addr: String,
}

impl WitnessProc {
    fn start(key: &Path, state: &Path, listen: &str, log_vkey: &str) -> WitnessProc {
        let mut child = command(&[
            "witness",
            "serve",
            "--key",
            key.to_str().unwrap(),
            "--state",
            state.to_str().unwrap(),
            "--listen",
            listen,
            "--log",
            &format!("{ORIGIN}={log_vkey}"),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .split("listening on http://")
            .nth(1)
            .and_then(|r| r.split(' ').next())
            .unwrap_or_else(|| panic!("no listening line: {line:?}"))
            .to_string();
        WitnessProc { child, addr }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for WitnessProc {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A publisher folder (the demo inputs, a log key) and two witness keys.
struct Scene {
    _t: tempfile::TempDir,
    dir: PathBuf,
    log_vkey: String,
    witness_keys: [PathBuf; 2],
    witness_vkeys: [String; 2],
}

fn ok(o: &Output) -> String {
    assert_eq!(o.status.code(), Some(0), "{}", stderr(o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn copy_demo_inputs(to: &Path) {
    let demo = root().join("demo");
    for f in ["por.toml", "chain-fixture.json"] {
        std::fs::copy(demo.join(f), to.join(f)).unwrap();
    }
    for sub in ["liabilities", "wallets"] {
        std::fs::create_dir_all(to.join(sub)).unwrap();
        for id in IDS {
            std::fs::copy(
                demo.join(format!("{sub}/{id}.csv")),
                to.join(format!("{sub}/{id}.csv")),
            )
            .unwrap();
        }
    }
}

impl Scene {
    fn new() -> Scene {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("exchange");
        std::fs::create_dir_all(&dir).unwrap();
        copy_demo_inputs(&dir);
        let config = dir.join("por.toml");
        let out = ok(&por(&[
            "keygen",
            "--config",
            config.to_str().unwrap(),
            "--name",
            ORIGIN,
        ]));
        let log_vkey = out.trim().to_string();
        let key_file = dir.join("private/.log-key");
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(&key_file).unwrap().permissions(),
        );
        assert_eq!(mode & 0o777, 0o600, "the private key is 0600");
        assert_eq!(
            std::fs::read_to_string(dir.join("log/key.txt")).unwrap(),
            format!("{log_vkey}\n")
        );
        // A second keygen never overwrites the key.
        let again = por(&[
            "keygen",
            "--config",
            config.to_str().unwrap(),
            "--name",
            ORIGIN,
        ]);
        assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
        assert!(
            stderr(&again).contains("already exists"),
            "{}",
            stderr(&again)
        );
        let mut witness_keys = [PathBuf::new(), PathBuf::new()];
        let mut witness_vkeys = [String::new(), String::new()];
        for i in 0..2 {
            let k = t.path().join(format!("w{}.key", i + 1));
            let out = ok(&por(&[
                "witness",
                "keygen",
                "--name",
                &format!("w{}.witness.example/w", i + 1),
                "--key",
                k.to_str().unwrap(),
            ]));
            witness_keys[i] = k;
            witness_vkeys[i] = out.trim().to_string();
        }
        Scene {
            _t: t,
            dir,
            log_vkey,
            witness_keys,
            witness_vkeys,
        }
    }

    fn state(&self, i: usize) -> PathBuf {
        self._t.path().join(format!("w{}-state", i + 1))
    }

    fn start(&self, i: usize, listen: &str) -> WitnessProc {
        WitnessProc::start(
            &self.witness_keys[i],
            &self.state(i),
            listen,
            &self.log_vkey,
        )
    }

    /// Writes `[log]` into the publisher folder `dir` with these witness URLs.
    fn configure(&self, dir: &Path, urls: [&str; 2], required: usize) {
        let base = std::fs::read_to_string(root().join("demo/por.toml")).unwrap();
        let mut log = format!(
            "\n[log]\norigin = \"{ORIGIN}\"\nkey = \"private/.log-key\"\nrequired = {required}\ntimeout_secs = 5\n"
        );
        for (i, url) in urls.iter().enumerate() {
            log.push_str(&format!(
                "\n[[log.witnesses]]\nname = \"Witness {}\"\nkey = \"{}\"\nurl = \"{url}\"\n",
                ["One", "Two"][i],
                self.witness_vkeys[i]
            ));
        }
        std::fs::write(dir.join("por.toml"), base + &log).unwrap();
    }

    fn run(&self, dir: &Path, id: &str) -> Output {
        let config = dir.join("por.toml");
        por(&[
            "run",
            "--config",
            config.to_str().unwrap(),
            "--id",
            id,
            "--as-of",
            &format!("{id}T00:00:00Z"),
        ])
    }

    fn pins(&self) -> Vec<String> {
        let mut v = vec!["--log-key".to_string(), self.log_vkey.clone()];
        for w in &self.witness_vkeys {
            v.push("--witness".into());
            v.push(w.clone());
        }
        v
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn signature_lines(note: &str) -> usize {
    note.lines().filter(|l| l.starts_with('—')).count()
}

/// One HTTP/1.1 POST to a witness: `(status, body)`.
fn post(addr: &str, path: &str, body: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    s.write_all(body).unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let status = resp[9..12].parse().unwrap();
    let body = resp.split_once("\r\n\r\n").map(|x| x.1).unwrap_or("");
    (status, body.to_string())
}

#[test]
fn normal_growth_is_cosigned_by_both_witnesses_and_verifies() {
    let s = Scene::new();
    let (w1, w2) = (s.start(0, "127.0.0.1:0"), s.start(1, "127.0.0.1:0"));
    s.configure(&s.dir, [&w1.url(), &w2.url()], 2);
    for (n, id) in IDS.iter().enumerate() {
        let out = ok(&s.run(&s.dir, id));
        assert!(
            out.contains(&format!(
                "log size {}: cosigned by 2 of 2 required witness(es) (Witness One, Witness Two)",
                n + 1
            )),
            "{out}"
        );
    }
    let site = s.dir.join("public");
    let note = std::fs::read_to_string(site.join("log/checkpoint")).unwrap();
    assert!(note.starts_with(&format!("{ORIGIN}\n3\n")), "{note}");
    assert!(note.contains("\nsnapshot 2026-11-21\n\n"), "{note}");
    assert_eq!(signature_lines(&note), 3, "{note}");
    for f in ["0-1", "1-2", "2-3"] {
        assert!(
            site.join(format!("log/consistency/{f}.txt")).is_file(),
            "{f}"
        );
    }
    // Each witness recorded size 3 durably.
    for i in 0..2 {
        let states: Vec<_> = std::fs::read_dir(s.state(i))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "txt"))
            .collect();
        assert_eq!(states.len(), 1);
        let text = std::fs::read_to_string(&states[0]).unwrap();
        assert!(text.starts_with(&format!("{ORIGIN}\n3 ")), "{text}");
    }
    // The auditor's check and a user's verify, with pinned keys.
    let mut args = vec!["log", "check", "--site", site.to_str().unwrap()];
    let pins = s.pins();
    args.extend(pins.iter().map(String::as_str));
    let out = ok(&por(&args));
    assert!(
        out.starts_with("valid: log exchange.example/por of 3 snapshots"),
        "{out}"
    );
    assert!(out.contains("seen by 2 independent witness(es)"), "{out}");
    let config = s.dir.join("por.toml");
    let proof = por(&[
        "proof",
        "--config",
        config.to_str().unwrap(),
        "--id",
        "2026-10-21",
        "--uid",
        "acct-000001",
    ]);
    let proof_file = s.dir.join("proof.json");
    std::fs::write(&proof_file, ok(&proof)).unwrap();
    let manifest = site.join("snapshots/2026-10-21/manifest.json");
    let mut args = vec![
        "verify",
        "--proof",
        proof_file.to_str().unwrap(),
        "--manifest",
        manifest.to_str().unwrap(),
    ];
    args.extend(pins.iter().map(String::as_str));
    let out = ok(&por(&args));
    assert!(
        out.contains(
            "in log exchange.example/por as entry 1 of 3, seen by 2 independent witness(es)"
        ),
        "{out}"
    );
    // Pinning another key for the log fails the check (exit 1), naming it.
    let other = SigningKey::from_seed(ORIGIN, KeyType::Note, [1; 32])
        .unwrap()
        .verifier()
        .to_string();
    let mut args = vec![
        "log",
        "check",
        "--site",
        site.to_str().unwrap(),
        "--log-key",
        &other,
    ];
    args.extend(["--witness", &s.witness_vkeys[0]]);
    let o = por(&args);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("invalid: note-signature:"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn a_forked_history_is_refused_by_both_witnesses() {
    let s = Scene::new();
    let (w1, w2) = (s.start(0, "127.0.0.1:0"), s.start(1, "127.0.0.1:0"));
    s.configure(&s.dir, [&w1.url(), &w2.url()], 2);
    for id in &IDS[..2] {
        ok(&s.run(&s.dir, id));
    }
    // The same exchange (same log key, same witnesses) rewrites its first snapshot:
    // another liabilities file, then the history again on top of it.
    let fork = s.dir.parent().unwrap().join("fork");
    std::fs::create_dir_all(fork.join("private")).unwrap();
    copy_demo_inputs(&fork);
    std::fs::copy(
        s.dir.join("private/.log-key"),
        fork.join("private/.log-key"),
    )
    .unwrap();
    let csv = fork.join("liabilities/2026-09-21.csv");
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.remove(1);
    std::fs::write(&csv, lines.join("\n") + "\n").unwrap();
    s.configure(&fork, [&w1.url(), &w2.url()], 2);
    for id in IDS {
        let o = s.run(&fork, id);
        assert_eq!(o.status.code(), Some(1), "{id}: {}", stderr(&o));
        let out = stdout(&o);
        assert!(
            out.contains("cosigned by 0 of 2 required witness(es); did not cosign: Witness One: ")
                && out.contains("; Witness Two: ")
                && out.contains("TOO FEW COSIGNATURES"),
            "{id}: {out}"
        );
        // Each refusal says what the witness saw.
        assert!(
            out.contains("another history") || out.contains("409") || out.contains("422"),
            "{id}: {out}"
        );
        let note = std::fs::read_to_string(fork.join("public/log/checkpoint")).unwrap();
        assert_eq!(
            signature_lines(&note),
            1,
            "{id}: only the log's own signature: {note}"
        );
    }
    // The 2026-11-21 fork extends the fork's own size 2 from size 2: a consistency
    // proof the witnesses reject (422).
    let o = s.run(&fork, "2026-11-21");
    assert!(stdout(&o).contains("422"), "{}", stdout(&o));
    // The witnesses still hold the honest size 2: the honest publisher goes on.
    let out = ok(&s.run(&s.dir, "2026-11-21"));
    assert!(out.contains("log size 3: cosigned by 2 of 2"), "{out}");
}

#[test]
fn a_restarted_witness_keeps_its_state() {
    let s = Scene::new();
    let mut w1 = s.start(0, "127.0.0.1:0");
    let w2 = s.start(1, "127.0.0.1:0");
    let addr = w1.addr.clone();
    s.configure(&s.dir, [&w1.url(), &w2.url()], 2);
    ok(&s.run(&s.dir, IDS[0]));
    let first = std::fs::read_to_string(s.dir.join("log/checkpoint")).unwrap();
    w1.stop();
    let w1 = s.start(0, &addr);
    // It remembers size 1: a request from size 0 is a conflict naming it.
    let note = first.split_inclusive('\n').take(6).collect::<String>();
    let req = AddCheckpoint {
        old: 0,
        proof: vec![],
        checkpoint: note.into_bytes(),
    };
    let (status, body) = post(&w1.addr, "/add-checkpoint", &req.to_bytes());
    assert_eq!((status, body.as_str()), (409, "1\n"));
    let out = ok(&s.run(&s.dir, IDS[1]));
    assert!(out.contains("log size 2: cosigned by 2 of 2"), "{out}");
}

#[test]
fn one_witness_down_is_exit_1_naming_it() {
    let s = Scene::new();
    let w1 = s.start(0, "127.0.0.1:0");
    // Witness Two: an address nothing listens on.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    s.configure(&s.dir, [&w1.url(), &dead], 2);
    let o = s.run(&s.dir, IDS[0]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("cosigned by 1 of 2 required witness(es) (Witness One); did not cosign: Witness Two: unreachable"),
        "{out}"
    );
    // Published all the same: the snapshot, the site, the checkpoint with one cosignature.
    assert!(s.dir.join("snapshots/2026-09-21/manifest.json").is_file());
    let note = std::fs::read_to_string(s.dir.join("public/log/checkpoint")).unwrap();
    assert_eq!(signature_lines(&note), 2, "{note}");
    // With k = 1 the same run is good: rerunning the id resubmits for fresh cosignatures.
    s.configure(&s.dir, [&w1.url(), &dead], 1);
    let out = ok(&s.run(&s.dir, IDS[0]));
    assert!(
        out.contains("was already published") && out.contains("cosigned by 1 of 1"),
        "{out}"
    );
    // The JSON summary carries the same.
    let config = s.dir.join("por.toml");
    let o = por(&[
        "run",
        "--config",
        config.to_str().unwrap(),
        "--id",
        IDS[0],
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["log"]["size"], 1);
    assert_eq!(v["log"]["cosigned"][0], "Witness One");
    assert_eq!(v["log"]["failed"][0]["witness"], "Witness Two");
}

#[test]
fn bad_signature_bad_proof_and_unknown_origin_get_their_status() {
    let s = Scene::new();
    let (w1, w2) = (s.start(0, "127.0.0.1:0"), s.start(1, "127.0.0.1:0"));
    s.configure(&s.dir, [&w1.url(), &w2.url()], 2);
    for id in &IDS[..2] {
        ok(&s.run(&s.dir, id));
    }
    let key_text = std::fs::read_to_string(s.dir.join("private/.log-key")).unwrap();
    let key = SigningKey::parse(&key_text).unwrap();
    let tree = LogTree::new(&[[1; 32], [2; 32], [3; 32]]);
    let sign = |k: &SigningKey, origin: &str| {
        let body = checkpoint::body(origin, 3, tree.root(), "2026-11-21").unwrap();
        checkpoint::sign(&body, k).unwrap()
    };
    // A good signature, the witness's old size (2), a proof that is not this tree's: 422.
    let req = AddCheckpoint {
        old: 2,
        proof: tree.consistency(2, 3).unwrap(),
        checkpoint: sign(&key, ORIGIN).into_bytes(),
    };
    let (status, body) = post(&w1.addr, "/add-checkpoint", &req.to_bytes());
    assert_eq!(status, 422, "{body}");
    // The right old size is asked for: 409 with it.
    let stale = AddCheckpoint {
        old: 1,
        ..req.clone()
    };
    assert_eq!(
        post(&w1.addr, "/add-checkpoint", &stale.to_bytes()),
        (409, "2\n".into())
    );
    // Signed by another key under the log's name: 403.
    let other = SigningKey::from_seed(ORIGIN, KeyType::Note, [5; 32]).unwrap();
    let forged = AddCheckpoint {
        checkpoint: sign(&other, ORIGIN).into_bytes(),
        ..req.clone()
    };
    let (status, body) = post(&w1.addr, "/add-checkpoint", &forged.to_bytes());
    assert_eq!(status, 403, "{body}");
    // A log the witness does not follow: 404.
    let stranger = SigningKey::from_seed("other.example/log", KeyType::Note, [6; 32]).unwrap();
    let unknown = AddCheckpoint {
        checkpoint: sign(&stranger, "other.example/log").into_bytes(),
        ..req.clone()
    };
    let (status, body) = post(&w2.addr, "/add-checkpoint", &unknown.to_bytes());
    assert_eq!(status, 404, "{body}");
    // None of these moved the witnesses: the honest log goes on from size 2.
    let out = ok(&s.run(&s.dir, IDS[2]));
    assert!(out.contains("log size 3: cosigned by 2 of 2"), "{out}");
}

#[test]
fn por_refuses_to_extend_a_log_whose_history_was_changed() {
    let s = Scene::new();
    let (w1, w2) = (s.start(0, "127.0.0.1:0"), s.start(1, "127.0.0.1:0"));
    s.configure(&s.dir, [&w1.url(), &w2.url()], 2);
    for id in &IDS[..2] {
        ok(&s.run(&s.dir, id));
    }
    // --replace of a logged snapshot is refused before anything is built.
    let config = s.dir.join("por.toml");
    let o = por(&[
        "run",
        "--config",
        config.to_str().unwrap(),
        "--id",
        IDS[1],
        "--as-of",
        "2026-10-21T00:00:00Z",
        "--replace",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("is entry 1 of the published log checkpoint"),
        "{}",
        stderr(&o)
    );
    // An old manifest rewritten in place: the next run stops, nothing published.
    let m = s.dir.join("snapshots/2026-09-21/manifest.json");
    let text = std::fs::read_to_string(&m).unwrap();
    std::fs::write(&m, text.replace("Demo Exchange", "Demo Exchangf")).unwrap();
    let o = s.run(&s.dir, IDS[2]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(!s.dir.join("snapshots/2026-11-21").exists());
    std::fs::write(&m, &text).unwrap();
    // Restored, the history extends again.
    ok(&s.run(&s.dir, IDS[2]));
}

#[test]
fn snapshots_published_without_the_log_are_imported_oldest_first() {
    let s = Scene::new();
    let (w1, w2) = (s.start(0, "127.0.0.1:0"), s.start(1, "127.0.0.1:0"));
    let plain = std::fs::read_to_string(root().join("demo/por.toml")).unwrap();
    // A history published before the log existed: imported by the first run with [log].
    std::fs::write(s.dir.join("por.toml"), &plain).unwrap();
    ok(&s.run(&s.dir, IDS[0]));
    assert!(!s.dir.join("log/checkpoint").exists());
    s.configure(&s.dir, [&w1.url(), &w2.url()], 2);
    let out = ok(&s.run(&s.dir, IDS[1]));
    assert!(out.contains("log size 2: cosigned by 2 of 2"), "{out}");
    // Two snapshots while [log] was off: the next run with it proves 2 -> 4 to the
    // witnesses and publishes that proof beside the consecutive ones.
    std::fs::write(s.dir.join("por.toml"), &plain).unwrap();
    ok(&s.run(&s.dir, IDS[2]));
    crate::support::cli::add_inputs(&s.dir, "2026-12-18", None);
    ok(&s.run(&s.dir, "2026-12-18"));
    s.configure(&s.dir, [&w1.url(), &w2.url()], 2);
    let out = ok(&s.run(&s.dir, "2026-12-18"));
    assert!(out.contains("log size 4: cosigned by 2 of 2"), "{out}");
    let site = s.dir.join("public/log/consistency");
    for f in ["0-1", "1-2", "2-3", "3-4", "2-4"] {
        assert!(site.join(format!("{f}.txt")).is_file(), "{f}");
    }
    let mut args = vec!["log", "check", "--site"];
    let public = s.dir.join("public");
    args.push(public.to_str().unwrap());
    let pins = s.pins();
    args.extend(pins.iter().map(String::as_str));
    let out = ok(&por(&args));
    assert!(
        out.starts_with("valid: log exchange.example/por of 4 snapshots"),
        "{out}"
    );
}
