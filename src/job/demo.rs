//! `por demo`: the bundled demo (a fictitious exchange and a synthetic, offline chain
//! fixture; see demo/README.md), written into a folder and run end to end under that
//! folder's lock: three monthly snapshots, then the site.

use super::{JobError, Outcome, output_dirs, snapshot};
use crate::config::Config;
use crate::exit::ExitCode;
use crate::format::SnapshotId;
use crate::publish::Output;
use crate::site::{self, RenderSummary};
use crate::time::Timestamp;
use std::path::Path;

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
/// The demo's snapshot ids (each at 00:00:00Z of its date).
pub const DEMO_SNAPSHOTS: [&str; 3] = ["2026-09-21", "2026-10-21", "2026-11-21"];
const DEMO_MARKER: &str = ".por-demo";

/// What `por demo` did.
pub struct DemoOutcome {
    /// The config of the demo folder, as written and used.
    pub config: Config,
    /// One outcome per demo snapshot, oldest first (see [`DEMO_SNAPSHOTS`]).
    pub snapshots: Vec<Outcome>,
    /// The site rendered from the demo snapshots.
    pub site: RenderSummary,
}

impl DemoOutcome {
    /// The highest exit code of the demo's snapshots: [`ExitCode::Ok`] when every one is solvent
    /// and verified.
    pub fn exit_code(&self) -> ExitCode {
        self.snapshots
            .iter()
            .map(Outcome::exit_code)
            .max()
            .unwrap_or(ExitCode::Ok)
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
    let config_text = DEMO_FILES[1].1;
    let config = Config::parse(
        config_text,
        &dir.join("por.toml").display().to_string(),
        dir,
        &dir.join("por.toml"),
    )?;
    let dirs = output_dirs(&config);
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
    let marker = dir.join(DEMO_MARKER);
    std::fs::write(
        &marker,
        "written by `por demo`; removed by the next `por demo`\n",
    )
    .map_err(io(&marker))?;
    let mut snapshots = Vec::new();
    for id in DEMO_SNAPSHOTS {
        let as_of = Timestamp::parse_rfc3339(&format!("{id}T00:00:00Z")).expect("valid");
        let id = SnapshotId::new(id).expect("valid");
        snapshots.push(snapshot(&out, &config, &id, as_of, false)?);
    }
    let site = site::render(&out, &config)?;
    Ok(DemoOutcome {
        config,
        snapshots,
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
