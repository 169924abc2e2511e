//! `por bench`: the scale benchmark of the core issue, run on synthetic liabilities
//! read from any source ([`inputs`]: CSV, `.csv.gz`, `.csv.zst`, Parquet, a
//! PostgreSQL table). Reports, in one run, accounts/s for reading the source, the leaf
//! order, tree build and proof-store write, the end-to-end snapshot time, each phase's
//! time and peak RSS (the job reports its phases through [`crate::progress`]), the
//! store's size against the input, proof lookup latency, and this machine's raw
//! tagged-SHA-256 rate for the hashes the build computed (every commitment, leaf,
//! dummy and node hash), so the tree build can be quoted as a fraction of the
//! hashing limit.
//!
//! `por bench --addresses` ([`addresses`]) measures the reserves read instead: tens of
//! thousands of addresses against local Esplora and JSON-RPC servers with added latency.
//!
//! The bench works in a fresh folder of its own, `por-bench-<pid>-<n>`, made inside
//! `--dir` (or the system temp folder) and removed afterwards: it deletes only what it
//! created, never `--dir` itself or anything else in it. It needs the input plus the
//! store there: about 1.5 GB at 10^7 accounts × 4 assets (756 MB of CSV, a store of
//! 0.9–1.2 × that), 17 GB at 10^8.

// Floats here are timing statistics for a report, never money.
#![allow(clippy::float_arithmetic)]

pub mod addresses;
pub mod esplora;
pub mod inputs;
pub mod jsonrpc;
pub mod serve;

pub use inputs::BenchSource;

use crate::config::{AssetConfig, Config, SiteConfig};
use crate::format::SnapshotId;
use crate::job;
use crate::progress::{Phase, Progress};
use crate::time::Timestamp;
use crate::tree::TreeParams;
use crate::tree::hash::Tag;
use crate::tree::record_size;
use crate::tree::store::AnyStore;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;
use sha2::Digest;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Why `por bench` failed.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// The bench's own work folder could not be created.
    #[error("{}: cannot create the bench folder: {source}", path.display())]
    WorkDir {
        /// The folder that failed.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// An I/O error on the bench's own files, such as writing the synthetic liabilities.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The snapshot job under test failed.
    #[error("{0}")]
    Job(#[from] job::JobError),
    /// The proof store under test failed.
    #[error("{0}")]
    Store(#[from] crate::tree::store::StoreError),
    /// The reserves read under test (`--addresses`) failed or read a wrong total.
    #[error("{0}")]
    Reserves(String),
}

/// The measurements of one bench run, ready to print.
pub struct BenchReport {
    /// One human-readable line per measurement, in run order.
    pub lines: Vec<String>,
}

fn rate(n: u64, d: Duration) -> String {
    let r = n as f64 / d.as_secs_f64().max(1e-9);
    if r >= 1e6 {
        format!("{:.2} M/s", r / 1e6)
    } else {
        format!("{:.0} k/s", r / 1e3)
    }
}

/// Bytes of the files directly in `dir`.
fn dir_size(dir: &Path) -> std::io::Result<u64> {
    let mut total = 0;
    for e in std::fs::read_dir(dir)? {
        total += e?.metadata()?.len();
    }
    Ok(total)
}

/// Peak resident set size of this process, from /proc (Linux).
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Resident set size of this process now, from /proc (Linux).
pub fn rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// The raw tagged-SHA-256 cost of `n` messages of `len` bytes under `tag`, on all
/// cores: the hashing limit a tree phase is compared with.
fn sha256_limit(n: u64, tag: Tag, len: usize) -> Duration {
    if n == 0 {
        return Duration::ZERO;
    }
    let buf = vec![7u8; len];
    let t = Instant::now();
    let x: u64 = (0..n as usize)
        .into_par_iter()
        .with_min_len(4096)
        .map(|i| {
            let mut h = tag.hasher();
            h.update(&buf);
            u64::from(h.finalize()[0]) ^ i as u64
        })
        .sum();
    std::hint::black_box(x);
    t.elapsed()
}

/// The bench's own work folder: made fresh (never an existing one) and removed with
/// everything in it when dropped, even when the bench fails or panics.
struct WorkDir(PathBuf);

impl WorkDir {
    /// A new, empty folder inside `parent` (created first if missing).
    fn create(parent: &Path) -> Result<WorkDir, BenchError> {
        let failed = |path: &Path, source| BenchError::WorkDir {
            path: path.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(parent).map_err(|e| failed(parent, e))?;
        let mut n = 0;
        loop {
            let path = parent.join(format!("por-bench-{}-{n}", std::process::id()));
            match std::fs::create_dir(&path) {
                Ok(()) => return Ok(WorkDir(path)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 1000 => n += 1,
                Err(e) => return Err(failed(&path, e)),
            }
        }
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_dir_all(&self.0) {
            tracing::warn!(dir = %self.0.display(), error = %e, "could not remove the bench folder");
        }
    }
}

/// Runs the bench in a fresh folder inside `dir` (default: the system temp folder),
/// removed afterwards.
/// `progress` hears the snapshot's phases as they run (the bench also times each one
/// and its peak RSS).
pub fn run(
    accounts: u64,
    assets: usize,
    tree: TreeParams,
    dir: Option<PathBuf>,
    lookups: usize,
    source: &BenchSource,
    progress: &dyn Progress,
) -> Result<BenchReport, BenchError> {
    let parent = dir.unwrap_or_else(std::env::temp_dir);
    let work = WorkDir::create(&parent)?;
    run_in(accounts, assets, tree, &work.0, lookups, source, progress)
}

/// Times each phase and its peak RSS (the kernel's high-water mark, reset at each
/// phase start through `/proc/self/clear_refs`), and passes the phases on.
struct PhaseLog<'a> {
    next: &'a dyn Progress,
    phases: Mutex<Vec<(Phase, Instant, Option<u64>)>>,
}

impl PhaseLog<'_> {
    /// Ends the current phase (its peak RSS read) and resets the high-water mark.
    fn cut(&self) {
        let mut phases = self.phases.lock().expect("not poisoned");
        if let Some(last) = phases.last_mut() {
            last.2 = peak_rss_bytes();
        }
        // "5" resets the peak RSS (Linux 4.0+); without it the peaks are cumulative.
        let _ = std::fs::write("/proc/self/clear_refs", "5");
    }

    /// Each phase with its duration and peak RSS.
    fn report(&self, end: Instant) -> Vec<(Phase, Duration, Option<u64>)> {
        self.cut();
        let phases = self.phases.lock().expect("not poisoned");
        phases
            .iter()
            .enumerate()
            .map(|(i, &(p, t, rss))| {
                let until = phases.get(i + 1).map_or(end, |n| n.1);
                (p, until - t, rss)
            })
            .collect()
    }
}

impl Progress for PhaseLog<'_> {
    fn start(&self, phase: Phase, total: Option<u64>) {
        self.cut();
        self.phases
            .lock()
            .expect("not poisoned")
            .push((phase, Instant::now(), None));
        self.next.start(phase, total);
    }

    fn advance(&self, n: u64) {
        self.next.advance(n);
    }
}

fn gib(bytes: u64) -> f64 {
    bytes as f64 / (1u64 << 30) as f64
}

/// `por bench --addresses`: the reserves read at exchange scale against local chain
/// servers ([`addresses`]), in a fresh folder inside `dir`, removed afterwards.
pub fn run_addresses(
    bench: &addresses::AddressBench,
    dir: Option<PathBuf>,
) -> Result<BenchReport, BenchError> {
    let parent = dir.unwrap_or_else(std::env::temp_dir);
    let work = WorkDir::create(&parent)?;
    addresses::run_in(bench, &work.0)
}

fn run_in(
    accounts: u64,
    assets: usize,
    tree: TreeParams,
    dir: &Path,
    lookups: usize,
    source: &BenchSource,
    progress: &dyn Progress,
) -> Result<BenchReport, BenchError> {
    let mut lines = Vec::new();
    let t = Instant::now();
    progress.start(Phase::Input, None);
    let input = inputs::prepare(source, dir, accounts, assets)?;
    lines.push(format!(
        "generated {accounts} accounts x {assets} assets: {} in {:.1}s",
        input.described,
        t.elapsed().as_secs_f64()
    ));
    let config = Config {
        file: dir.join("bench.toml"),
        exchange: "Bench Exchange".into(),
        assets: (0..assets)
            .map(|a| AssetConfig {
                symbol: format!("A{a}"),
                decimals: 8,
                sources: Vec::new(),
            })
            .collect(),
        liabilities: input.source.clone(),
        wallets: None,
        chains: None,
        custodians: Vec::new(),
        snapshots_dir: dir.join("snapshots"),
        site_dir: dir.join("public"),
        private_dir: dir.join("private"),
        updates_dir: dir.join("updates"),
        site: SiteConfig::default(),
        tree,
        log: None,
        bip127: Vec::new(),
        watch: None,
    };
    let id = SnapshotId::new("bench").expect("valid id");
    let out =
        crate::publish::Output::open(&job::output_dirs(&config)).map_err(job::JobError::from)?;
    let log = PhaseLog {
        next: progress,
        phases: Mutex::new(Vec::new()),
    };
    let outcome = job::snapshot(&out, &config, &id, Timestamp(1_795_219_200), true, &log)?;
    let phases = log.report(Instant::now());
    progress.start(Phase::Measure, None);
    let tm = &outcome.timings;
    let manifest_tree = &outcome.manifest.tree;
    let leaves = manifest_tree.leaves;
    lines.push(format!(
        "tree:         {} ({leaves} leaves, height {})",
        match tree {
            TreeParams::V1 => "por/1, one leaf per account".to_string(),
            TreeParams::V2 {
                split,
                padding_bits,
                ..
            } => format!("por/2, split {split}, padding_bits {padding_bits}"),
        },
        manifest_tree.height
    ));
    let throughput = input
        .bytes
        .map(|b| {
            format!(
                "  ({:.0} MB/s of input)",
                b as f64 / 1e6 / outcome.parse_time.as_secs_f64()
            )
        })
        .unwrap_or_default();
    lines.push(format!(
        "read + validate: {:>7.2}s  {} accounts{throughput}",
        outcome.parse_time.as_secs_f64(),
        rate(accounts, outcome.parse_time),
    ));
    let r = record_size(assets);
    // The hashes the build computed: per account (por/1) or part (por/2) leaf its
    // commitment over salt (‖ part index) ‖ uid and its leaf hash; per dummy its
    // dummy hash; one node hash per leaf, less one. The bench's uids are 15 bytes.
    let (account_leaves, commitment_len, dummies) = match tree {
        TreeParams::V1 => (accounts, 32 + 15, 0),
        TreeParams::V2 { split, .. } => {
            let parts = accounts * u64::from(split);
            (parts, 33 + 15, leaves - parts)
        }
    };
    let (commit_tag, leaf_tag, node_tag) = match tree {
        TreeParams::V1 => (Tag::Account, Tag::Leaf, Tag::Node),
        TreeParams::V2 { .. } => (Tag::AccountV2, Tag::LeafV2, Tag::NodeV2),
    };
    let limit = sha256_limit(account_leaves, commit_tag, commitment_len)
        + sha256_limit(account_leaves, leaf_tag, r)
        + sha256_limit(dummies, Tag::DummyV2, 32)
        + sha256_limit(leaves.saturating_sub(1), node_tag, 2 * r);
    let pct = |limit: Duration, actual: Duration| {
        100.0 * limit.as_secs_f64() / actual.as_secs_f64().max(1e-9)
    };
    lines.push(format!(
        "layout:       {:>7.2}s  {}  (snapshot secret, tree shape)",
        tm.random.as_secs_f64(),
        rate(leaves, tm.random)
    ));
    lines.push(format!(
        "tree:         {:>7.2}s  {} leaves  (leaves hashed in input order and spooled by key, folded in key order, levels)",
        tm.tree.as_secs_f64(),
        rate(leaves, tm.tree)
    ));
    let build = tm.tree;
    lines.push(format!(
        "store write:  {:>7.2}s  {}  (accounts, index, order, levels from 6 up)",
        tm.store.as_secs_f64(),
        rate(accounts, tm.store)
    ));
    lines.push(format!(
        "publish:      {:>7.2}s  (manifest, fsync of the store, renames)",
        tm.publish.as_secs_f64()
    ));
    lines.push(format!(
        "end to end:   {:>7.2}s  (parse, tree, proof store, manifest)",
        outcome.total_time.as_secs_f64()
    ));
    lines.push(format!(
        "sha256 limit: {:>7.2}s  {}  ({account_leaves} commitments of {commitment_len} bytes + leaf hashes of {r}, {dummies} dummies, {} node hashes of {} bytes; {} threads)",
        limit.as_secs_f64(),
        rate(leaves, limit),
        leaves.saturating_sub(1),
        2 * r,
        rayon::current_num_threads()
    ));
    lines.push(format!(
        "tree build at {:.0}% of the SHA-256 limit",
        pct(limit, build),
    ));
    let peak = phases.iter().filter_map(|p| p.2).max();
    for (phase, took, rss) in &phases {
        lines.push(format!(
            "  phase {:<12} {:>7.2}s  peak RSS {}",
            phase.label(),
            took.as_secs_f64(),
            rss.map(|b| format!("{:.2} GiB", gib(b)))
                .unwrap_or_else(|| "?".into())
        ));
    }
    if let Some(rss) = peak {
        lines.push(format!(
            "peak RSS:     {:.2} GiB (the snapshot job's phases)",
            gib(rss)
        ));
    }
    let store_bytes = dir_size(&config.private_dir.join("bench"))?;
    let ratio = input
        .bytes
        .map(|b| format!(", {:.2} x the input", store_bytes as f64 / b as f64))
        .unwrap_or_default();
    lines.push(format!(
        "store:        {:.0} MB{ratio}",
        store_bytes as f64 / 1e6
    ));
    let store_dir = config.private_dir.join("bench");
    let store = AnyStore::open(&store_dir)?;
    let lookup = |seed: u64| -> Vec<Duration> {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let mut times: Vec<Duration> = (0..lookups)
            .map(|_| {
                let uid = format!("user-{:010}", rng.gen_range(0..accounts));
                let t = Instant::now();
                let p = store.proof(&uid);
                let d = t.elapsed();
                assert!(p.is_ok(), "lookup of {uid} failed");
                d
            })
            .collect();
        times.sort();
        times
    };
    // First as the store is after the build (its pages partly evicted by the build's
    // spool), then with the whole store read once into the page cache ("warm").
    let cold = lookup(7);
    warm_page_cache(&store_dir)?;
    let warm = lookup(8);
    for (label, times) in [("after the build", cold), ("warm cache", warm)] {
        if !times.is_empty() {
            lines.push(format!(
                "proof lookup ({label}): median {:.0} µs, max {:.0} µs over {lookups} random uids",
                times[times.len() / 2].as_secs_f64() * 1e6,
                times[times.len() - 1].as_secs_f64() * 1e6
            ));
        }
    }
    Ok(BenchReport { lines })
}

/// Reads every file of `dir` once, so that its pages are in the page cache.
fn warm_page_cache(dir: &std::path::Path) -> std::io::Result<()> {
    use std::io::Read;
    let mut buf = vec![0u8; 1 << 20];
    for e in std::fs::read_dir(dir)? {
        let p = e?.path();
        if p.is_file() {
            let mut f = std::fs::File::open(&p)?;
            while f.read(&mut buf)? > 0 {}
        }
    }
    Ok(())
}
