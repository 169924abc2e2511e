//! `por demo`: the bundled demo (a fictitious exchange and a synthetic, offline chain
//! fixture; see demo/README.md), written into a folder and run end to end under that
//! folder's lock: three monthly snapshots with a few reserves updates after each
//! (`por watch` on the fixture chain as it was at each update's time), then the site.
//!
//! The demo's snapshot log is cosigned by two **demo witnesses** that `por demo` runs
//! itself, on loopback, for as long as it runs (`por witness serve` in this process;
//! state in `<out>/demo-witnesses/`). They show the mechanism, not independence: the
//! same program holds the log key and both witness keys, all three derived from
//! public strings (`sha256("por demo log key")`, …), so they are NOT SECRET. The
//! config written into the folder says so and requires no cosignature (`required =
//! 0`), since the demo witnesses are gone once the demo ends; a real log requires k ≥ 1
//! independent witnesses.

use super::watch::{self, WatchAt, WatchOutcome};
use super::{JobError, Outcome, output_dirs, snapshot};
use crate::config::Config;
use crate::exit::ExitCode;
use crate::format::SnapshotId;
use crate::log::{KeyType, SigningKey};
use crate::publish::Output;
use crate::site::{self, RenderSummary};
use crate::time::Timestamp;
use crate::witness;
use sha2::Digest;
use std::path::Path;
use std::sync::Arc;

/// The bundled demo inputs, by path relative to the demo folder.
const DEMO_FILES: &[(&str, &str)] = &[
    ("README.md", include_str!("../../demo/README.md")),
    ("por.toml", include_str!("../../demo/por.toml")),
    (
        "chain-fixture.json",
        include_str!("../../demo/chain-fixture.json"),
    ),
    (
        "liabilities/2026-09-21.csv",
        include_str!("../../demo/liabilities/2026-09-21.csv"),
    ),
    (
        "liabilities/2026-10-21.csv",
        include_str!("../../demo/liabilities/2026-10-21.csv"),
    ),
    (
        "liabilities/2026-11-21.csv",
        include_str!("../../demo/liabilities/2026-11-21.csv"),
    ),
    (
        "wallets/2026-09-21.csv",
        include_str!("../../demo/wallets/2026-09-21.csv"),
    ),
    (
        "wallets/2026-10-21.csv",
        include_str!("../../demo/wallets/2026-10-21.csv"),
    ),
    (
        "wallets/2026-11-21.csv",
        include_str!("../../demo/wallets/2026-11-21.csv"),
    ),
];
/// The demo log's origin.
pub const DEMO_ORIGIN: &str = "demo-exchange.example/por";
/// The demo witnesses' names (their keys' names).
pub const DEMO_WITNESSES: [&str; 2] = ["demo-witness-1.example/w", "demo-witness-2.example/w"];

/// A demo key: its seed is the SHA-256 of a public string, so it is NOT SECRET.
fn demo_key(name: &str, kind: KeyType, label: &str) -> SigningKey {
    let seed: [u8; 32] = sha2::Sha256::digest(label.as_bytes()).into();
    SigningKey::from_seed(name, kind, seed).expect("valid demo key name")
}

/// The `[log]` section appended to the demo config, naming the witnesses' URLs.
fn log_section(witnesses: &[(String, String)]) -> String {
    let mut s = format!(
        "\n# The snapshot log (FORMAT.md §7), written by `por demo`. DEMO KEYS, NOT SECRET:\n\
         # the log key and both witness keys are derived from public strings. The two demo\n\
         # witnesses ran inside `por demo` on loopback and are gone now, so this config\n\
         # requires no cosignature; a real log requires k >= 1 independent witnesses.\n\
         [log]\norigin = \"{DEMO_ORIGIN}\"\nkey = \"private/.log-key\"\nrequired = 0\ntimeout_secs = 2\n"
    );
    for (i, (vkey, url)) in witnesses.iter().enumerate() {
        s.push_str(&format!(
            "\n[[log.witnesses]]\nname = \"Demo witness {} (run by por demo, not independent)\"\nkey = \"{vkey}\"\nurl = \"{url}\"\n",
            i + 1
        ));
    }
    s
}

/// The demo's snapshot ids (each at 00:00:00Z of its date).
pub const DEMO_SNAPSHOTS: [&str; 3] = ["2026-09-21", "2026-10-21", "2026-11-21"];
/// The times of the demo's reserves updates after each snapshot (before the next).
pub const DEMO_UPDATES: [&[&str]; 3] = [
    &[
        "2026-09-28T00:00:00Z",
        "2026-10-05T00:00:00Z",
        "2026-10-12T00:00:00Z",
    ],
    &[
        "2026-10-28T00:00:00Z",
        "2026-11-04T00:00:00Z",
        "2026-11-11T00:00:00Z",
    ],
    &["2026-11-22T00:00:00Z", "2026-11-23T00:00:00Z"],
];
const DEMO_MARKER: &str = ".por-demo";

/// What `por demo` did.
pub struct DemoOutcome {
    /// The config of the demo folder, as written and used.
    pub config: Config,
    /// One outcome per demo snapshot, oldest first (see [`DEMO_SNAPSHOTS`]).
    pub snapshots: Vec<Outcome>,
    /// The reserves updates published between the snapshots, oldest first (see
    /// [`DEMO_UPDATES`]).
    pub updates: Vec<WatchOutcome>,
    /// The site rendered from the demo snapshots.
    pub site: RenderSummary,
}

impl DemoOutcome {
    /// The highest exit code of the demo's snapshots: [`ExitCode::Ok`] when every one is solvent
    /// and verified.
    pub fn exit_code(&self) -> ExitCode {
        // Both demo witnesses must have cosigned every checkpoint (the config requires
        // none, for the runs after the demo, when they are gone).
        let witnessed = self.snapshots.iter().all(|o| {
            o.log
                .as_ref()
                .is_some_and(|l| l.cosigned.len() == DEMO_WITNESSES.len())
        });
        let worst = self
            .snapshots
            .iter()
            .map(Outcome::exit_code)
            .max()
            .unwrap_or(ExitCode::Ok);
        // The final state counts: the last update (an alert in the history is part of
        // the demo's story, see demo/README.md).
        let worst = worst.max(self.updates.last().map_or(ExitCode::Ok, |u| u.exit_code()));
        if witnessed {
            worst
        } else {
            worst.max(ExitCode::CheckFailed)
        }
    }
}

/// `por demo`: writes the bundled demo inputs into `dir` (recreating a previous demo
/// folder, refusing any other existing folder), runs its snapshots and renders the
/// site, all under the demo output's lock.
pub fn demo(dir: &Path) -> Result<DemoOutcome, JobError> {
    let io = |p: &Path| {
        let path = p.to_path_buf();
        move |source| JobError::Io { path, source }
    };
    if dir.exists()
        && !dir.join(DEMO_MARKER).exists()
        && std::fs::read_dir(dir).map_err(io(dir))?.next().is_some()
    {
        return Err(JobError::NotDemo {
            path: dir.to_path_buf(),
        });
    }
    let base_config = Config::parse(
        DEMO_FILES[1].1,
        &dir.join("por.toml").display().to_string(),
        dir,
        &dir.join("por.toml"),
    )?;
    let dirs = output_dirs(&base_config);
    let out = Output::open(&dirs)?;
    // Clear the previous demo, keeping the lock we hold and the staging area.
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let p = entry.map_err(io(dir))?.path();
        if p == dirs.private {
            for inner in std::fs::read_dir(&p).map_err(io(&p))? {
                let q = inner.map_err(io(&p))?.path();
                if q != dirs.lock_path() && q != dirs.staging() {
                    remove(&q).map_err(io(&q))?;
                }
            }
        } else {
            remove(&p).map_err(io(&p))?;
        }
    }
    for (name, text) in DEMO_FILES {
        let p = dir.join(name);
        let parent = p.parent().expect("has a parent");
        std::fs::create_dir_all(parent).map_err(io(parent))?;
        std::fs::write(&p, text).map_err(io(&p))?;
    }
    // The log key, and two witnesses served from this process while the demo runs.
    let log_key = demo_key(DEMO_ORIGIN, KeyType::Note, "por demo log key");
    crate::publish::write_new_secret(
        &dirs.private.join(".log-key"),
        format!("{}\n", log_key.to_private_text()).as_bytes(),
    )?;
    let mut running = Vec::new();
    let mut witnesses = Vec::new();
    for (i, name) in DEMO_WITNESSES.iter().enumerate() {
        let key = demo_key(
            name,
            KeyType::Cosignature,
            &format!("por demo witness {}", i + 1),
        );
        let vkey = key.verifier().to_string();
        let state = dir.join(format!("demo-witnesses/w{}", i + 1));
        let w = witness::Witness::open(key, vec![log_key.verifier()], &state)?;
        let r = witness::spawn(Arc::new(w), "127.0.0.1:0")?;
        witnesses.push((vkey, r.url()));
        running.push(r);
    }
    let config_text = format!("{}{}", DEMO_FILES[1].1, log_section(&witnesses));
    let config_path = dir.join("por.toml");
    std::fs::write(&config_path, &config_text).map_err(io(&config_path))?;
    let config = Config::parse(
        &config_text,
        &config_path.display().to_string(),
        dir,
        &config_path,
    )?;
    let marker = dir.join(DEMO_MARKER);
    std::fs::write(
        &marker,
        "written by `por demo`; removed by the next `por demo`\n",
    )
    .map_err(io(&marker))?;
    let mut snapshots = Vec::new();
    let mut updates = Vec::new();
    for (id, times) in DEMO_SNAPSHOTS.iter().zip(DEMO_UPDATES) {
        let as_of = Timestamp::parse_rfc3339(&format!("{id}T00:00:00Z")).expect("valid");
        let id = SnapshotId::new(id).expect("valid");
        snapshots.push(snapshot(&out, &config, &id, as_of, false)?);
        for t in times {
            let time = Timestamp::parse_rfc3339(t).expect("valid");
            let at = WatchAt {
                time,
                tip_at: Some(time),
            };
            updates.push(watch::update_in_quiet(&out, &config, at).map_err(Box::new)?);
        }
    }
    // The site judges the updates' age at the demo's last update, not the clock: the
    // demo renders the same bytes on every run.
    let mut settings = super::site_settings(&config);
    if let Some(u) = &mut settings.updates {
        u.now =
            Timestamp::parse_rfc3339(DEMO_UPDATES[2][DEMO_UPDATES[2].len() - 1]).expect("valid");
    }
    let site = site::render(&out, &settings)?;
    drop(running);
    Ok(DemoOutcome {
        config,
        snapshots,
        updates,
        site,
    })
}

fn remove(p: &Path) -> std::io::Result<()> {
    if p.is_dir() {
        std::fs::remove_dir_all(p)
    } else {
        std::fs::remove_file(p)
    }
}
