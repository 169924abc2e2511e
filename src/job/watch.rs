//! `por watch`: reserves updates between snapshots (the spec of record is
//! `docs/reserves-update.md`). One update, under the run lock:
//!
//! 1. the latest published snapshot is loaded and checked as the site checks it (file
//!    hashes, hash chain); its manifest gives the liabilities and its address list the
//!    ownership verdicts, which stand until the next snapshot;
//! 2. the newest update of that snapshot is parsed and checked (the `previous` link);
//!    the new update's `time` must be later than it and than the snapshot's `as_of`;
//! 3. every address of the snapshot, then every address the current wallets file lists
//!    since (unproven), is read at each chain's `tip - confirmations + 1`, agreed on by
//!    every endpoint and re-checked after the reads ([`crate::reserves::read_with`]);
//! 4. the update is published as a new file through [`Output::publish_new_file`] (never
//!    over an existing one), updates older than `[watch] keep` are pruned, and the
//!    site is rendered again.
//!
//! Any fault publishes no update: a [`WatchFailure`] is appended to
//! `<updates>/failures.json` (at most [`MAX_FAILURES`], oldest dropped) and the site is
//! rendered again so that its feed and status show it.
//!
//! The run lock is never waited for by a single update ([`update`]: refused with the
//! holder's pid, exit 2, nothing recorded, since recording needs the lock); the loop of
//! `por watch --every` waits for it ([`open_waiting`]) up to the next round.

use super::{AssetSummary, SiteSummary, output_dirs, site_settings};
use crate::amount::{Amount, reserve_ratio};
use crate::config::{ChainKind, Config};
use crate::exit::ExitCode;
use crate::format::{
    AddressEntry, Alert, Holding, ReservesUpdate, SnapshotId, UPDATE_FORMAT, UpdateAddress,
    UpdateAsset, UpdateLink, WATCH_FAILURES_FORMAT, WatchFailure, WatchFailures, sha256_hex,
    to_json_bytes, update_file_name,
};
use crate::lock::LockError;
use crate::ownership::{Chain, OwnershipProof, Scheme, WalletAddress};
use crate::publish::{Output, OutputDirs, PublishError};
use crate::reserves::{self, Reading, Status, wallets::Wallet};
use crate::site::{self, CheckError, RenderSummary, SiteError, check::Checked};
use crate::time::Timestamp;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The most failures `failures.json` keeps (the oldest are dropped).
pub const MAX_FAILURES: usize = 100;
/// The failure record's file name in the updates folder.
pub const FAILURES_FILE: &str = "failures.json";

/// Why no update was published.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    /// The config has no `[watch]` section.
    #[error(
        "{file}: no [watch] section; add one to publish reserves updates (docs/reserves-update.md)"
    )]
    NoWatch {
        /// The config file.
        file: PathBuf,
    },
    /// The write path failed, or another command holds the lock.
    #[error("{0}")]
    Publish(#[from] PublishError),
    /// The published snapshots failed their checks (or none is published).
    #[error("{0}")]
    Check(#[from] CheckError),
    /// The latest snapshot cannot be watched as configured.
    #[error("snapshot {snapshot}: {message}")]
    Snapshot {
        /// The latest snapshot's id.
        snapshot: String,
        /// What does not fit.
        message: String,
    },
    /// The newest published update of the snapshot is not what it must be.
    #[error("{path}: {message}; nothing published")]
    Previous {
        /// The update file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// The update's time is not later than the snapshot's or the previous update's.
    #[error("update time {time} is not later than {what} ({other}); nothing published")]
    Time {
        /// The update's time.
        time: String,
        /// What it must follow.
        what: String,
        /// That time.
        other: String,
    },
    /// The wallets file could not be read or is invalid.
    #[error("{0}")]
    Wallets(#[from] reserves::wallets::WalletsError),
    /// A chain endpoint could not be set up.
    #[error("{0}")]
    Connect(#[from] reserves::connect::ConnectError),
    /// The chains could not be read (timeouts, endpoints disagreeing, a reorg).
    #[error("{0}")]
    Reserves(#[from] reserves::ReservesError),
}

/// When an update is taken: its `time`, and the chain state it reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WatchAt {
    /// The update's `time` (the clock, read at the binary's edge).
    pub time: Timestamp,
    /// Read each chain as its tip was at this time (the demo's fixture chain, whose
    /// tip lies in the future of most updates); `None`: each chain's tip now.
    pub tip_at: Option<Timestamp>,
}

/// The updates pruned by one `por watch`.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Pruned {
    /// Updates removed.
    pub count: usize,
    /// The `time` of the newest one removed.
    pub newest: Option<String>,
    /// The `time` of the oldest one removed.
    pub oldest: Option<String>,
}

/// What one published update did.
pub struct WatchOutcome {
    /// The update as published.
    pub update: ReservesUpdate,
    /// The file it was published as.
    pub path: PathBuf,
    /// SHA-256 of its bytes (the next update's `previous.sha256`).
    pub sha256: String,
    /// What was pruned after it.
    pub pruned: Pruned,
    /// Why pruning stopped, when it failed (the update is published all the same).
    pub prune_error: Option<String>,
    /// The site render (an error: the update is published, the site is stale).
    pub site: Result<RenderSummary, SiteError>,
    /// Wall-clock time of the whole update.
    pub total_time: Duration,
}

/// One chain in a [`WatchSummary`].
#[derive(Clone, Debug, serde::Serialize)]
pub struct ChainSummary {
    /// The block hash read at.
    pub block_hash: String,
    /// Its confirmations when read.
    pub confirmations: u64,
    /// Its height.
    pub height: u64,
}

/// `por watch --json`: the machine-readable summary of one update. Field names are
/// stable; keys are in alphabetical order.
#[derive(Clone, Debug, serde::Serialize)]
pub struct WatchSummary {
    /// The update's alerts (`short`, `drained`), as published.
    pub alerts: Vec<Alert>,
    /// Per-asset figures now, in manifest order.
    pub assets: Vec<AssetSummary>,
    /// The block each chain was read at.
    pub chains: BTreeMap<String, ChainSummary>,
    /// Wall-clock duration of the update in seconds (a timing, not money).
    pub duration_secs: f64,
    /// The process exit code (see [`ExitCode`]).
    pub exit_code: u8,
    /// The published update file.
    pub file: String,
    /// SHA-256 of the previous update of the snapshot, `null` for its first.
    pub previous_sha256: Option<String>,
    /// Why pruning failed, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prune_error: Option<String>,
    /// What was pruned.
    pub pruned: Pruned,
    /// SHA-256 of the published update's bytes.
    pub sha256: String,
    /// How the site render went.
    pub site: SiteSummary,
    /// The snapshot whose liabilities the update is against.
    pub snapshot_id: String,
    /// The update's time.
    pub time: String,
}

impl WatchOutcome {
    /// [`ExitCode::SiteNotRendered`] when the site failed; else [`ExitCode::CheckFailed`]
    /// with any alert (an asset short, an address drained); else [`ExitCode::Ok`].
    pub fn exit_code(&self) -> ExitCode {
        match (&self.site, self.update.alerts.is_empty()) {
            (Err(_), _) => ExitCode::SiteNotRendered,
            (Ok(_), true) => ExitCode::Ok,
            (Ok(_), false) => ExitCode::CheckFailed,
        }
    }

    /// The one-line human summary: ratio now per asset, alerts, the file, what was pruned.
    pub fn summary_line(&self) -> String {
        let u = &self.update;
        let assets: Vec<String> = u
            .assets
            .iter()
            .map(|a| {
                super::ratio_phrase(
                    &a.symbol,
                    a.decimals,
                    a.reserve_ratio.as_deref(),
                    a.liabilities,
                    a.reserves,
                )
            })
            .collect();
        let mut line = format!(
            "update {} of snapshot {}: reserve ratio now {}",
            u.time,
            u.snapshot_id,
            assets.join(", ")
        );
        if !u.alerts.is_empty() {
            let alerts: Vec<String> = u
                .alerts
                .iter()
                .map(|a| match a {
                    Alert::Short { asset, .. } => format!("{asset} short"),
                    Alert::Drained { chain, address, .. } => {
                        format!("{chain} {address} drained")
                    }
                })
                .collect();
            line.push_str(&format!(
                "; {} alert(s): {}",
                alerts.len(),
                alerts.join(", ")
            ));
        }
        line.push_str(&format!(
            "; published {} (sha256 {})",
            self.path.display(),
            self.sha256
        ));
        line.push_str(&format!("; {}", self.pruned.describe()));
        if let Some(e) = &self.prune_error {
            line.push_str(&format!("; pruning failed: {e}"));
        }
        if let Err(e) = &self.site {
            line.push_str(&format!("; the site was not rendered: {e}"));
        }
        line
    }

    /// The `--json` summary.
    pub fn summary(&self) -> WatchSummary {
        let u = &self.update;
        WatchSummary {
            alerts: u.alerts.clone(),
            assets: u
                .assets
                .iter()
                .map(|a| AssetSummary {
                    liabilities: a.liabilities,
                    reserve_ratio: a.reserve_ratio.clone(),
                    reserves: a.reserves,
                    short: a.is_short(),
                    symbol: a.symbol.clone(),
                    unproven_reserves: a.unproven_reserves,
                })
                .collect(),
            chains: u
                .chains
                .0
                .iter()
                .map(|(name, c)| {
                    let s = ChainSummary {
                        block_hash: c.block_hash().to_string(),
                        confirmations: u.confirmations.get(name).copied().unwrap_or(0),
                        height: c.height(),
                    };
                    (name.clone(), s)
                })
                .collect(),
            duration_secs: self.total_time.as_secs_f64(),
            exit_code: self.exit_code().code(),
            file: self.path.display().to_string(),
            previous_sha256: u.previous.as_ref().map(|p| p.sha256.clone()),
            prune_error: self.prune_error.clone(),
            pruned: self.pruned.clone(),
            sha256: self.sha256.clone(),
            site: match &self.site {
                Ok(s) => SiteSummary::Rendered {
                    bytes: s.bytes,
                    files: s.files,
                    pages: s.pages,
                },
                Err(e) => SiteSummary::Failed {
                    error: e.to_string(),
                },
            },
            snapshot_id: u.snapshot_id.to_string(),
            time: u.time.clone(),
        }
    }
}

impl Pruned {
    /// `pruned nothing` or `pruned N update(s) (oldest … to newest …)`.
    pub fn describe(&self) -> String {
        match (&self.oldest, &self.newest) {
            (Some(o), Some(n)) if self.count > 0 => {
                format!("pruned {} update(s), {o} to {n}", self.count)
            }
            _ => "pruned nothing".into(),
        }
    }
}

/// `por watch` without `--every`: one update under the run lock (refused, naming the
/// holder's pid, when another command holds it).
pub fn update(config: &Config, at: WatchAt) -> Result<WatchOutcome, WatchError> {
    // Checked before the lock is taken: a config without [watch] writes nothing.
    if config.watch.is_none() {
        return Err(WatchError::NoWatch {
            file: config.file.clone(),
        });
    }
    let out = Output::open(&output_dirs(config))?;
    update_in(&out, config, at)
}

/// Opens the output, waiting while another command holds the run lock (polling every
/// `poll`), at most until `deadline`; `on_wait` is told the holder's pid once.
pub fn open_waiting(
    dirs: &OutputDirs,
    poll: Duration,
    deadline: Instant,
    mut on_wait: impl FnMut(&str),
) -> Result<Output, PublishError> {
    let mut told = false;
    loop {
        match Output::open(dirs) {
            Err(PublishError::Lock(LockError::Held { pid, path })) => {
                if Instant::now() + poll > deadline {
                    return Err(PublishError::Lock(LockError::Held { pid, path }));
                }
                if !told {
                    on_wait(&pid);
                    told = true;
                }
                std::thread::sleep(poll);
            }
            other => return other,
        }
    }
}

/// One update into an open output: publishes it, prunes, renders the site. On a fault
/// nothing is published, the failure is recorded and the site rendered again.
pub fn update_in(out: &Output, config: &Config, at: WatchAt) -> Result<WatchOutcome, WatchError> {
    update_inner(out, config, at, true)
}

/// [`update_in`] without rendering the site (its `site` is an empty summary): for
/// `por demo`, which renders once after all of its snapshots and updates.
pub(super) fn update_in_quiet(
    out: &Output,
    config: &Config,
    at: WatchAt,
) -> Result<WatchOutcome, WatchError> {
    update_inner(out, config, at, false)
}

fn update_inner(
    out: &Output,
    config: &Config,
    at: WatchAt,
    render: bool,
) -> Result<WatchOutcome, WatchError> {
    let start = Instant::now();
    let Some(watch) = &config.watch else {
        return Err(WatchError::NoWatch {
            file: config.file.clone(),
        });
    };
    let mut settings = site_settings(config);
    if let Some(u) = &mut settings.updates {
        u.now = at.time;
    }
    let (update, path, sha256) = match publish(out, config, at) {
        Ok(p) => p,
        Err(e) => {
            record_failure(out, config, at.time, &e);
            if !render {
                return Err(e);
            }
            if let Err(site) = site::render(out, &settings) {
                tracing::warn!(error = %site, "the site was not rendered after the failed update");
            }
            return Err(e);
        }
    };
    crate::publish::fault_point("update-published");
    tracing::info!(file = %path.display(), sha256 = %sha256, "reserves update published");
    let (pruned, prune_error) = match prune(out, &config.updates_dir, at.time, watch.keep) {
        Ok(p) => (p, None),
        Err(e) => {
            tracing::warn!(error = %e, "pruning old updates failed");
            (Pruned::default(), Some(e.to_string()))
        }
    };
    if pruned.count > 0 {
        tracing::info!(
            count = pruned.count,
            oldest = pruned.oldest.as_deref().unwrap_or(""),
            newest = pruned.newest.as_deref().unwrap_or(""),
            "pruned reserves updates older than [watch] keep"
        );
    }
    let site = if render {
        site::render(out, &settings)
    } else {
        Ok(RenderSummary::default())
    };
    Ok(WatchOutcome {
        update,
        path,
        sha256,
        pruned,
        prune_error,
        site,
        total_time: start.elapsed(),
    })
}

/// The snapshot's ownership facts about one address read by an update.
struct Listed {
    label: String,
    scheme: String,
    verified: bool,
    at_snapshot: Option<Vec<Holding>>,
}

/// Builds, checks and publishes one update; returns it, its file and its hash.
fn publish(
    out: &Output,
    config: &Config,
    at: WatchAt,
) -> Result<(ReservesUpdate, PathBuf, String), WatchError> {
    let watch = config.watch.as_ref().expect("checked by the caller");
    let snapshots = site::check::load(&config.snapshots_dir, &config.exchange)?;
    let snap = snapshots.last().expect("load returns at least one");
    let id = &snap.manifest.snapshot_id;
    let fault = |message: String| WatchError::Snapshot {
        snapshot: id.to_string(),
        message,
    };
    let Some(list) = &snap.addresses else {
        return Err(fault(
            "publishes no addresses.json (no chains were read): there is nothing to watch".into(),
        ));
    };
    let ours: Vec<(&str, u8)> = config
        .assets
        .iter()
        .map(|a| (a.symbol.as_str(), a.decimals))
        .collect();
    let theirs: Vec<(&str, u8)> = snap
        .manifest
        .assets
        .iter()
        .map(|a| (a.symbol.as_str(), a.decimals))
        .collect();
    if ours != theirs {
        return Err(fault(format!(
            "its assets {theirs:?} differ from the configured {ours:?}; publish a snapshot first"
        )));
    }

    let dir = config.updates_dir.join(id.as_str());
    let previous = newest_update(&dir, snap)?;
    let time = at.time.to_rfc3339();
    let as_of =
        Timestamp::parse_rfc3339(&snap.manifest.as_of).map_err(|e| fault(format!("as_of: {e}")))?;
    if at.time <= as_of {
        return Err(WatchError::Time {
            time,
            what: format!("snapshot {id}'s as_of"),
            other: snap.manifest.as_of.clone(),
        });
    }
    if let Some((p, _)) = &previous
        && at.time <= Timestamp::parse_rfc3339(&p.time).expect("checked in newest_update")
    {
        return Err(WatchError::Time {
            time,
            what: "the previous update".into(),
            other: p.time.clone(),
        });
    }

    let (wallets, listed, verdicts) = addresses(config, id, list)?;
    let chains = config.chains.as_ref().expect("[watch] requires chains");
    let backends = reserves::connect::connect(chains)?;
    let confirmations = |chain: &str| watch.confirmations_for(chain);
    let reading = Reading::Update {
        confirmations: &confirmations,
        tip_at: at.tip_at,
        verdicts: &verdicts,
    };
    let report = reserves::read_with(
        config,
        id,
        &reading,
        wallets,
        &backends,
        &crate::progress::Silent,
    )?;
    assert_eq!(report.addresses.len(), listed.len(), "one read per address");

    let assets: Vec<UpdateAsset> = snap
        .manifest
        .assets
        .iter()
        .zip(&report.figures.per_asset)
        .map(|(m, (reserves, unproven))| UpdateAsset {
            symbol: m.symbol.clone(),
            decimals: m.decimals,
            liabilities: m.liabilities,
            reserves: *reserves,
            unproven_reserves: *unproven,
            reserve_ratio: reserve_ratio(*reserves, m.liabilities),
        })
        .collect();
    let mut alerts: Vec<Alert> = assets
        .iter()
        .filter(|a| a.is_short())
        .map(|a| Alert::Short {
            asset: a.symbol.clone(),
            reserve_ratio: a.reserve_ratio.clone().unwrap_or_default(),
        })
        .collect();
    let mut addresses = Vec::with_capacity(listed.len());
    for (read, meta) in report.addresses.iter().zip(listed) {
        let holdings: Vec<Holding> = read
            .holdings
            .iter()
            .map(|h| Holding {
                asset: config.assets[h.asset].symbol.clone(),
                contract: h.contract.clone(),
                amount: h.amount,
            })
            .collect();
        let address = read.wallet.address.to_string();
        if let Some(before) = &meta.at_snapshot {
            let held: Vec<Holding> = before
                .iter()
                .filter(|h| h.amount > Amount::ZERO)
                .cloned()
                .collect();
            if !held.is_empty() && holdings.iter().all(|h| h.amount == Amount::ZERO) {
                tracing::warn!(chain = %read.wallet.chain, address = %address, "an address that held funds at the snapshot holds nothing now");
                alerts.push(Alert::Drained {
                    chain: read.wallet.chain.clone(),
                    address: address.clone(),
                    at_snapshot: held,
                });
            }
        }
        addresses.push(UpdateAddress {
            chain: read.wallet.chain.clone(),
            address,
            label: meta.label,
            holdings,
            scheme: meta.scheme,
            verified: meta.verified,
            in_snapshot: meta.at_snapshot.is_some(),
        });
    }
    let confirmations = report
        .figures
        .chains
        .0
        .keys()
        .map(|name| (name.clone(), watch.confirmations_for(name)))
        .collect();
    let update = ReservesUpdate {
        format: UPDATE_FORMAT.into(),
        exchange: snap.manifest.exchange.clone(),
        snapshot_id: id.clone(),
        manifest_sha256: snap.manifest_sha256.clone(),
        time: time.clone(),
        chains: report.figures.chains,
        confirmations,
        assets,
        addresses,
        alerts,
        previous: previous.map(|(p, sha256)| UpdateLink {
            time: p.time,
            sha256,
        }),
    };
    let bytes = to_json_bytes(&update);
    let path = dir.join(update_file_name(&time));
    out.publish_new_file(&path, &bytes)?;
    Ok((update, path, sha256_hex(&bytes)))
}

/// The addresses an update reads, in published order (the snapshot's, then those the
/// wallets file lists since), what the snapshot says of each, and its verdicts.
#[allow(clippy::type_complexity)]
fn addresses(
    config: &Config,
    id: &SnapshotId,
    list: &crate::format::AddressList,
) -> Result<(Vec<Wallet>, Vec<Listed>, BTreeMap<(String, String), Status>), WatchError> {
    let fault = |message: String| WatchError::Snapshot {
        snapshot: id.to_string(),
        message,
    };
    let plain = |line: u64, chain: &str, address: WalletAddress, label: &str| Wallet {
        line,
        chain: chain.to_string(),
        address,
        label: label.to_string(),
        scheme: Scheme::None,
        signature: String::new(),
        script: None,
        proof: OwnershipProof::None,
    };
    let mut wallets = Vec::new();
    let mut listed = Vec::new();
    let mut verdicts = BTreeMap::new();
    let mut seen = BTreeSet::new();
    for e in &list.addresses {
        let address = parse_listed(config, e).map_err(fault)?;
        let key = (e.chain.clone(), address.to_string());
        if !seen.insert(key.clone()) {
            continue;
        }
        let status = if e.ownership.verified {
            Status::Verified
        } else if e.ownership.scheme == "none" {
            Status::Unproven
        } else {
            Status::Failed(format!(
                "{}: the snapshot's {} proof did not verify",
                e.address, e.ownership.scheme
            ))
        };
        verdicts.insert(key, status);
        wallets.push(plain(0, &e.chain, address, &e.label));
        listed.push(Listed {
            label: e.label.clone(),
            scheme: e.ownership.scheme.clone(),
            verified: e.ownership.verified,
            at_snapshot: Some(e.holdings.clone()),
        });
    }
    let path = config
        .watch
        .as_ref()
        .and_then(|w| w.wallets_for(id.as_str()))
        .or_else(|| config.wallets_for(id.as_str()))
        .expect("[watch] requires chains, which require [wallets]");
    let chains = reserves::wallets::WalletChains::from_config(config);
    for w in reserves::wallets::parse_file(&path, &chains)? {
        let key = (w.chain.clone(), w.address.to_string());
        if !seen.insert(key) {
            continue;
        }
        tracing::info!(chain = %w.chain, address = %w.address, "listed since the snapshot: read as unproven");
        listed.push(Listed {
            label: w.label.clone(),
            scheme: "none".into(),
            verified: false,
            at_snapshot: None,
        });
        wallets.push(plain(w.line, &w.chain, w.address.clone(), &w.label));
    }
    Ok((wallets, listed, verdicts))
}

/// A snapshot address, parsed for its chain as the config has it now.
fn parse_listed(config: &Config, e: &AddressEntry) -> Result<WalletAddress, String> {
    let chain = config
        .chains
        .as_ref()
        .and_then(|c| c.get(&e.chain))
        .ok_or_else(|| {
            format!(
                "{} is on chain {}, which the config no longer has",
                e.address, e.chain
            )
        })?;
    let kind = match chain.kind {
        ChainKind::Bitcoin { .. } => Chain::Bitcoin,
        ChainKind::Evm { .. } => Chain::Ethereum,
    };
    WalletAddress::parse(kind, &e.address, config.bitcoin_network())
        .map_err(|err| format!("addresses.json: {err}"))
}

/// `YYYYMMDDTHHMMSSZ.json` → its time; `None` for any other name.
pub fn time_of_file_name(name: &str) -> Option<Timestamp> {
    let stem = name.strip_suffix(".json")?;
    let b = stem.as_bytes();
    let ok = b.len() == 16
        && b[8] == b'T'
        && b[15] == b'Z'
        && b[..8].iter().chain(&b[9..15]).all(u8::is_ascii_digit);
    if !ok {
        return None;
    }
    let text = format!(
        "{}-{}-{}T{}:{}:{}Z",
        &stem[0..4],
        &stem[4..6],
        &stem[6..8],
        &stem[9..11],
        &stem[11..13],
        &stem[13..15]
    );
    Timestamp::parse_rfc3339(&text)
        .ok()
        .filter(|t| update_file_name(&t.to_rfc3339()) == name)
}

/// The update files of one snapshot's folder, oldest first (other names are skipped).
pub fn list_updates(dir: &Path) -> Result<Vec<(Timestamp, PathBuf)>, PublishError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(PublishError::Io {
                path: dir.to_path_buf(),
                source,
            });
        }
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| PublishError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let name = entry.file_name().to_string_lossy().into_owned();
        match time_of_file_name(&name) {
            Some(t) if entry.path().is_file() => out.push((t, entry.path())),
            _ => {
                tracing::warn!(path = %entry.path().display(), "not a reserves update file: ignored")
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The newest update of `snap` in `dir`, parsed and checked, with the SHA-256 of its
/// bytes; `None` before its first update.
fn newest_update(
    dir: &Path,
    snap: &Checked,
) -> Result<Option<(ReservesUpdate, String)>, WatchError> {
    let Some((_, path)) = list_updates(dir)?.pop() else {
        return Ok(None);
    };
    let bad = |message: String| WatchError::Previous {
        path: path.clone(),
        message,
    };
    let bytes = std::fs::read(&path).map_err(|e| bad(e.to_string()))?;
    let u: ReservesUpdate =
        serde_json::from_slice(&bytes).map_err(|e| bad(format!("not a reserves update: {e}")))?;
    if u.format != UPDATE_FORMAT {
        return Err(bad(format!(
            "format {:?} is not {UPDATE_FORMAT:?}",
            u.format
        )));
    }
    if u.snapshot_id != snap.manifest.snapshot_id || u.exchange != snap.manifest.exchange {
        return Err(bad(format!(
            "belongs to snapshot {} of {:?}, not {} of {:?}",
            u.snapshot_id, u.exchange, snap.manifest.snapshot_id, snap.manifest.exchange
        )));
    }
    if u.manifest_sha256 != snap.manifest_sha256 {
        return Err(bad(format!(
            "manifest_sha256 {} is not the snapshot's manifest.json (sha256 {})",
            u.manifest_sha256, snap.manifest_sha256
        )));
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if Timestamp::parse_rfc3339(&u.time).is_err() || update_file_name(&u.time) != name {
        return Err(bad(format!(
            "its time {:?} does not name this file",
            u.time
        )));
    }
    Ok(Some((u, sha256_hex(&bytes))))
}

/// Removes every update (of any snapshot) older than `now - keep`, never the newest
/// one overall; oldest first, so a kill part-way leaves the newest ones.
fn prune(
    out: &Output,
    updates: &Path,
    now: Timestamp,
    keep: Duration,
) -> Result<Pruned, PublishError> {
    let cutoff = now.0.saturating_sub(keep.as_secs());
    let mut all = Vec::new();
    if let Ok(entries) = std::fs::read_dir(updates) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if entry.path().is_dir() && SnapshotId::new(&name).is_ok() {
                all.extend(list_updates(&entry.path())?);
            }
        }
    }
    all.sort();
    // The newest update is never pruned, however old.
    all.pop();
    let old: Vec<(Timestamp, PathBuf)> = all.into_iter().filter(|(t, _)| t.0 < cutoff).collect();
    let paths: Vec<PathBuf> = old.iter().map(|(_, p)| p.clone()).collect();
    out.remove_files(&paths)?;
    Ok(Pruned {
        count: old.len(),
        oldest: old.first().map(|(t, _)| t.to_rfc3339()),
        newest: old.last().map(|(t, _)| t.to_rfc3339()),
    })
}

/// Appends the failure to `<updates>/failures.json` (through the write path), keeping
/// the newest [`MAX_FAILURES`]. Without a published snapshot there is nothing to name
/// it by, and it is only logged.
fn record_failure(out: &Output, config: &Config, time: Timestamp, e: &WatchError) {
    let latest = crate::snapshot::list_published(&config.snapshots_dir)
        .ok()
        .and_then(|mut l| l.pop())
        .map(|p| p.manifest.snapshot_id);
    let Some(snapshot_id) = latest else {
        tracing::warn!(error = %e, "no snapshot is published: the failure is not recorded");
        return;
    };
    let path = config.updates_dir.join(FAILURES_FILE);
    let mut record = match std::fs::read(&path) {
        Err(_) => WatchFailures::default(),
        Ok(bytes) => match serde_json::from_slice::<WatchFailures>(&bytes) {
            Ok(r) if r.format == WATCH_FAILURES_FORMAT => r,
            Ok(_) | Err(_) => {
                tracing::warn!(file = %path.display(), "the failure record is unreadable: starting a new one");
                WatchFailures::default()
            }
        },
    };
    record.format = WATCH_FAILURES_FORMAT.into();
    record.failures.push(WatchFailure {
        time: time.to_rfc3339(),
        snapshot_id,
        error: e.to_string().replace(['\n', '\r'], " "),
    });
    let excess = record.failures.len().saturating_sub(MAX_FAILURES);
    record.failures.drain(..excess);
    if let Err(w) = out.write_file(&path, &to_json_bytes(&record)) {
        tracing::warn!(error = %w, "the failure could not be recorded");
    }
}

/// The failure record of `updates`, empty when none was written.
pub fn failures(updates: &Path) -> Option<WatchFailures> {
    let bytes = std::fs::read(updates.join(FAILURES_FILE)).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// What one round of the `--every` loop ended with.
pub type Round = Result<WatchOutcome, WatchError>;

/// `por watch --every`: a round now, then one every `every` (measured from each round's
/// start; a round that overran starts the next at once), forever. Each round waits for
/// the run lock until the next round is due; each update's time is `clock()` (the
/// binary passes the system clock); `on_round` gets every round's result.
pub fn every(
    config: &Config,
    every: Duration,
    clock: impl Fn() -> Timestamp,
    mut on_round: impl FnMut(Round),
) -> ! {
    loop {
        let start = Instant::now();
        let deadline = start + every;
        let round = match &config.watch {
            None => Err(WatchError::NoWatch {
                file: config.file.clone(),
            }),
            Some(_) => open_waiting(
                &output_dirs(config),
                Duration::from_millis(500).min(every),
                deadline,
                |pid| tracing::info!(pid, "another por command holds the lock: waiting"),
            )
            .map_err(WatchError::from)
            .and_then(|out| {
                update_in(
                    &out,
                    config,
                    WatchAt {
                        time: clock(),
                        tip_at: None,
                    },
                )
            }),
        };
        on_round(round);
        std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_file_names_read_back_as_times() {
        let t = Timestamp::parse_rfc3339("2026-11-22T01:02:03Z").unwrap();
        assert_eq!(time_of_file_name("20261122T010203Z.json"), Some(t));
        for bad in [
            "20261122T010203Z.json.tmp",
            "20261122T010203.json",
            "2026112xT010203Z.json",
            "20261322T010203Z.json",
            "failures.json",
            ".20261122T010203Z.json",
        ] {
            assert_eq!(time_of_file_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn pruning_describes_itself() {
        assert_eq!(Pruned::default().describe(), "pruned nothing");
        let p = Pruned {
            count: 2,
            oldest: Some("a".into()),
            newest: Some("b".into()),
        };
        assert_eq!(p.describe(), "pruned 2 update(s), a to b");
    }
}
