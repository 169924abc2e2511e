//! The commands that write, end to end, as the CLI and cron run them. Each one opens
//! the [`Output`] first (the run lock, recovery of a killed run, removal of its
//! leftovers), so no two writers ever work on the same output, whichever command
//! they are.
//!
//! - [`snapshot()`]: validate everything that can be validated before any write
//!   (config, id, liabilities, chains, signatures), then publish the private store and
//!   the public snapshot together, and report solvency.
//! - [`run`]: the cron job: the snapshot, then the site. Re-running an id that is
//!   already published finishes the job (renders the site) without touching it.
//! - [`render`]: the site alone.
//! - [`watch`](mod@watch): `por watch`, reserves updates between snapshots.
//! - [`log`](mod@log): the publisher's half of the snapshot log (keys, checkpoint,
//!   witnesses); [`audit`]: the verifiers' half (`por verify` with witnesses,
//!   `por log check`).
//! - [`demo()`]: the bundled demo; [`tools`]: the commands around a run
//!   (one proof, the messages to sign, the example files).

pub mod audit;
pub mod demo;
pub mod log;
pub mod tools;
pub mod watch;

pub use demo::{DEMO_SNAPSHOTS, DemoOutcome, demo};
pub use tools::{SigningMessage, init, messages, proof};

use crate::config::{Config, ConfigError};
use crate::exit::ExitCode;
use crate::format::{Manifest, ManifestAsset, SnapshotId};
use crate::liabilities::{self, LiabilitiesError};
use crate::progress::{Phase, Progress};
use crate::publish::{Output, OutputDirs, PublishError};
use crate::reserves::{self, ReservesError, connect::ConnectError, wallets::WalletsError};
use crate::site::{self, RenderSummary, SiteError};
use crate::snapshot::{self, ReserveFigures, SnapshotError, Timings};
use crate::time::Timestamp;
use crate::tree::store::StoreError;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Everything that stops a command before it published.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// The config file could not be read or is invalid.
    #[error("{0}")]
    Config(#[from] ConfigError),
    /// The liabilities could not be read (file, database) or are invalid.
    #[error("{0}")]
    Liabilities(#[from] LiabilitiesError),
    /// The snapshot could not be published.
    #[error("{0}")]
    Snapshot(#[from] SnapshotError),
    /// The wallets file could not be read or is invalid.
    #[error("{0}")]
    Wallets(#[from] WalletsError),
    /// A chain endpoint could not be reached or set up.
    #[error("{0}")]
    Connect(#[from] ConnectError),
    /// Reserves could not be read from the chains.
    #[error("{0}")]
    Reserves(#[from] ReservesError),
    /// An address list could not be written.
    #[error("{0}")]
    Addresses(#[from] crate::addresses::AddressesError),
    /// The write path failed (lock, staging, rename).
    #[error("{0}")]
    Publish(#[from] PublishError),
    /// The site could not be rendered.
    #[error("{0}")]
    Site(#[from] SiteError),
    /// The private proof store could not be read or written.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// A file the command reads or writes failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The snapshot asked for has no published manifest.
    #[error("snapshot {id} is not published (no {path})")]
    NotPublished {
        /// The snapshot id asked for.
        id: String,
        /// The manifest file that does not exist.
        path: PathBuf,
    },
    /// The private proof store does not match the published manifest's root; proofs from it would
    /// not verify.
    #[error(
        "the proof store of snapshot {id} was built for root {store_root}, but the published manifest's root is {manifest_root}; run `por run --id {id} --replace` to rebuild both"
    )]
    StoreMismatch {
        /// The snapshot id.
        id: String,
        /// The root the store was built for, 64 hex.
        store_root: String,
        /// The root in the published manifest, 64 hex.
        manifest_root: String,
    },
    /// `por demo --out` names a folder that exists and is not a demo folder.
    #[error("{path}: exists and is not a por demo folder; choose another --out")]
    NotDemo {
        /// The folder.
        path: PathBuf,
    },
    /// The command needs a `[wallets]` file and the config has none.
    #[error("{file}: no [wallets] file configured")]
    NoWallets {
        /// The config file.
        file: PathBuf,
    },
    /// A file the command would create already exists.
    #[error("{path}: already exists; not overwritten")]
    WouldOverwrite {
        /// The existing file.
        path: PathBuf,
    },
    /// The snapshot log's key, checkpoint or entries are not what they must be.
    #[error("{path}: {message}")]
    Log {
        /// The file or folder at fault.
        path: PathBuf,
        /// What is wrong, in one line.
        message: String,
    },
    /// `--replace` of a snapshot the published checkpoint already includes.
    #[error(
        "snapshot {id} is entry {entry} of the published log checkpoint (size {size}); replacing it would fork the log, which every witness refuses: publish a new snapshot instead"
    )]
    LogReplace {
        /// The snapshot id.
        id: String,
        /// Its entry number in the log.
        entry: u64,
        /// The published checkpoint's size.
        size: u64,
    },
    /// A witness could not be set up or run.
    #[error("{0}")]
    Witness(#[from] crate::witness::WitnessError),
    /// A reserves update was not published (`por demo`'s updates).
    #[error("{0}")]
    Watch(#[from] Box<watch::WatchError>),
}

impl From<crate::log::LogError> for JobError {
    fn from(e: crate::log::LogError) -> JobError {
        JobError::Log {
            path: PathBuf::from("log"),
            message: e.to_string(),
        }
    }
}

/// An address whose ownership proof failed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FailedAddress {
    /// The address as listed in the wallets file.
    pub address: String,
    /// Why its ownership proof was rejected, in one line.
    pub reason: String,
    /// The proof scheme it was listed with (e.g. `bip137`).
    pub scheme: String,
}

/// What a published snapshot reports.
pub struct Outcome {
    /// The published manifest.
    pub manifest: Manifest,
    /// SHA-256 of the manifest bytes, lowercase hex.
    pub manifest_sha256: String,
    /// Accounts in the snapshot.
    pub accounts: u64,
    /// Time spent reading and validating the liabilities file.
    pub parse_time: Duration,
    /// Wall-clock time of each publishing phase.
    pub timings: Timings,
    /// Wall-clock time of the whole command.
    pub total_time: Duration,
    /// Addresses whose ownership proof failed verification.
    pub failed_addresses: Vec<FailedAddress>,
    /// The snapshot was published by an earlier run; this one only finished the job.
    pub already_published: bool,
    /// The snapshot log's checkpoint and its cosignatures, when `[log]` is configured.
    pub log: Option<log::LogOutcome>,
}

impl Outcome {
    /// Assets whose reserves are below liabilities.
    pub fn short_assets(&self) -> Vec<&ManifestAsset> {
        self.manifest
            .assets
            .iter()
            .filter(|a| a.is_short())
            .collect()
    }

    /// [`ExitCode::Ok`] solvent and every address verified; else
    /// [`ExitCode::CheckFailed`].
    pub fn exit_code(&self) -> ExitCode {
        let log_ok = self.log.as_ref().is_none_or(log::LogOutcome::ok);
        if self.short_assets().is_empty() && self.failed_addresses.is_empty() && log_ok {
            ExitCode::Ok
        } else {
            ExitCode::CheckFailed
        }
    }

    /// The one-line human summary printed at the end of a run: accounts, reserve ratio per asset
    /// (with any shortfall), manifest hash.
    pub fn summary_line(&self) -> String {
        let assets: Vec<String> = self
            .manifest
            .assets
            .iter()
            .map(|a| {
                ratio_phrase(
                    &a.symbol,
                    a.decimals,
                    a.reserve_ratio.as_deref(),
                    a.liabilities,
                    a.reserves,
                )
            })
            .collect();
        let mut line = if self.already_published {
            format!(
                "snapshot {} was already published (not changed); {} leaves; reserve ratio {}; manifest sha256 {}",
                self.manifest.snapshot_id,
                self.accounts,
                assets.join(", "),
                self.manifest_sha256,
            )
        } else {
            format!(
                "snapshot {}: {} accounts; reserve ratio {}; manifest sha256 {}; {:.1}s",
                self.manifest.snapshot_id,
                self.accounts,
                assets.join(", "),
                self.manifest_sha256,
                self.total_time.as_secs_f64()
            )
        };
        if !self.failed_addresses.is_empty() {
            line.push_str(&format!(
                "; {} address(es) failed ownership verification",
                self.failed_addresses.len()
            ));
        }
        if let Some(l) = &self.log {
            line.push_str("; ");
            line.push_str(&l.summary());
        }
        line
    }
}

/// One asset in a summary line: `BTC 1.0712`, or `BTC 0.9500 SHORT by 5.0` when
/// reserves are below liabilities (the gap in display units).
fn ratio_phrase(
    symbol: &str,
    decimals: u8,
    ratio: Option<&str>,
    liabilities: crate::amount::Amount,
    reserves: crate::amount::Amount,
) -> String {
    let ratio = ratio.unwrap_or("n/a");
    if reserves < liabilities {
        let gap = liabilities.checked_sub(reserves).unwrap_or_default();
        format!("{symbol} {ratio} SHORT by {}", gap.display_units(decimals))
    } else {
        format!("{symbol} {ratio}")
    }
}

/// The output folders of a config.
pub fn output_dirs(config: &Config) -> OutputDirs {
    OutputDirs {
        snapshots: config.snapshots_dir.clone(),
        site: config.site_dir.clone(),
        private: config.private_dir.clone(),
        updates: config.updates_dir.clone(),
    }
}

/// What the publisher needs of a config: the exchange's name and the tree's shape.
pub fn snapshot_settings(config: &Config) -> snapshot::Settings {
    snapshot::Settings {
        exchange: config.exchange.clone(),
        tree: config.tree,
        custodians: config
            .custodians
            .iter()
            .map(|c| {
                let custodian = crate::format::Custodian {
                    name: c.name.clone(),
                    amount: c.amount,
                    attestation_sha256: c.attestation_sha256.clone(),
                };
                (c.asset, custodian)
            })
            .collect(),
    }
}

/// What the address lists need of a config: the exchange, the assets and the chains.
pub fn address_settings(config: &Config) -> crate::addresses::ListSettings {
    crate::addresses::ListSettings {
        exchange: config.exchange.clone(),
        assets: config.asset_infos(),
        chains: config
            .chains
            .iter()
            .flat_map(|c| &c.list)
            .map(|c| crate::addresses::ChainListing {
                name: c.name.clone(),
                evm: c.chain_id().is_some(),
                defillama: c.defillama.clone(),
            })
            .collect(),
    }
}

/// What the site needs of a config: the exchange's name, the configured title,
/// explorers and the log's public side.
pub fn site_settings(config: &Config) -> site::SiteSettings {
    site::SiteSettings {
        exchange: config.exchange.clone(),
        title: config.site.title.clone(),
        explorers: site::Explorers {
            bitcoin_explorer: config.site.bitcoin_explorer.clone(),
            ethereum_explorer: config.site.ethereum_explorer.clone(),
            chains: config
                .site
                .explorers
                .iter()
                .map(|(name, l)| {
                    let links = site::ChainLinks {
                        address: l.address.clone(),
                        block: l.block.clone(),
                    };
                    (name.clone(), links)
                })
                .collect(),
        },
        log: config.log.as_ref().map(|l| site::log::LogSettings {
            origin: l.origin.clone(),
            dir: l.dir.clone(),
            required: l.required,
            witnesses: l
                .witnesses
                .iter()
                .map(|w| site::log::Witness {
                    name: w.name.clone(),
                    key: w.key.clone(),
                })
                .collect(),
        }),
        updates: config.watch.as_ref().map(|w| site::UpdatesSettings {
            dir: config.updates_dir.clone(),
            every: w.every,
            snapshot_every: w.snapshot_every,
            now: Timestamp::now(),
        }),
    }
}

/// Runs the snapshot into an open output: liabilities, reserves, publication.
pub fn snapshot(
    out: &Output,
    config: &Config,
    id: &SnapshotId,
    as_of: Timestamp,
    replace: bool,
    progress: &dyn Progress,
) -> Result<Outcome, JobError> {
    let start = Instant::now();
    let previous = snapshot::plan(out, id, as_of, replace)?;
    let log_state = match &config.log {
        Some(l) => {
            let state = log::LogState::load(config, l)?;
            if replace {
                state.check_replace(id)?;
            }
            Some(state)
        }
        None => None,
    };
    let t = Instant::now();
    // A book too large for memory goes to a scratch file in the private staging area.
    let scratch = liabilities::Scratch::in_dir(&out.dirs().staging().join("liabilities"));
    let liabilities = liabilities::read_with(
        &config.liabilities_for(id.as_str()),
        &config.asset_infos(),
        as_of,
        progress,
        Some(&scratch),
    )?;
    let parse_time = t.elapsed();
    tracing::info!(
        accounts = liabilities.len(),
        secs = parse_time.as_secs_f64(),
        "liabilities parsed"
    );
    let (reserves, failed_addresses) = match &config.chains {
        None => {
            tracing::warn!("no [chains] configured: reserves are not read and count as zero");
            let figures = ReserveFigures {
                per_asset: vec![Default::default(); config.assets.len()],
                ..Default::default()
            };
            (figures, Vec::new())
        }
        Some(chains) => {
            progress.start(Phase::Reserves, None);
            let wallet_chains = reserves::wallets::WalletChains::from_config(config);
            let wallets_path = config
                .wallets_for(id.as_str())
                .expect("config requires [wallets] with [chains]");
            let wallets = reserves::wallets::parse_file(&wallets_path, &wallet_chains)?;
            let backends = reserves::connect::connect(chains)?;
            let t = Instant::now();
            let reading = reserves::Reading::Snapshot { as_of };
            let mut report =
                reserves::read_with(config, id, &reading, wallets, &backends, progress)?;
            tracing::info!(
                addresses = report.addresses.len(),
                secs = t.elapsed().as_secs_f64(),
                "reserves read"
            );
            let failed = report
                .failures()
                .into_iter()
                .map(|(address, scheme, reason)| FailedAddress {
                    address,
                    scheme,
                    reason,
                })
                .collect();
            let mut files = crate::addresses::render(
                &address_settings(config),
                &report.tokens,
                id,
                &report.figures.chains,
                &report.addresses,
            )?;
            files.append(&mut report.figures.files);
            report.figures.files = files;
            (report.figures, failed)
        }
    };
    let mut staged_log = None;
    let published = snapshot::publish_with(
        out,
        &snapshot_settings(config),
        id,
        as_of,
        liabilities,
        reserves,
        previous,
        replace,
        progress,
        |manifest| match &log_state {
            None => Ok(Vec::new()),
            Some(state) => {
                let staged = state.stage(out, Some((id, manifest)), replace)?;
                let moves = staged.moves.clone();
                staged_log = Some(staged);
                Ok(moves)
            }
        },
    )?;
    let log = match (&log_state, &staged_log) {
        (Some(state), Some(staged)) => Some(state.witness(out, staged)?),
        _ => None,
    };
    Ok(Outcome {
        manifest: published.manifest,
        manifest_sha256: published.manifest_sha256,
        accounts: published.accounts,
        parse_time,
        timings: published.timings,
        total_time: start.elapsed(),
        failed_addresses,
        already_published: false,
        log,
    })
}

/// Removes the reserves updates that name a manifest which is no longer the published
/// one of their snapshot (the snapshot was replaced with `--replace`; FORMAT of the
/// update: `docs/reserves-update.md`): they describe nothing published any more, and
/// the next `por watch` starts the new manifest's chain. Every writer runs it before
/// the site is rendered, so a replacement interrupted and rolled forward later is
/// cleaned up too. Each removal is logged; files that do not parse are left for the
/// site's checks to name.
fn remove_stale_updates(out: &Output) -> Result<(), JobError> {
    let root = out.dirs().updates.clone();
    let io = |path: &std::path::Path| {
        let path = path.to_path_buf();
        move |source| JobError::Io { path, source }
    };
    let Ok(snapshots) = std::fs::read_dir(&root) else {
        return Ok(());
    };
    let mut stale = Vec::new();
    for dir in snapshots {
        let dir = dir.map_err(io(&root))?.path();
        let Some(id) = dir.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let manifest = out.dirs().snapshot(id).join("manifest.json");
        if !dir.is_dir() || !manifest.is_file() {
            continue;
        }
        let published =
            crate::format::sha256_hex(&std::fs::read(&manifest).map_err(io(&manifest))?);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .map_err(io(&dir))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        files.sort();
        for f in files {
            let Ok(bytes) = std::fs::read(&f) else {
                continue;
            };
            let named = serde_json::from_slice::<serde_json::Value>(&bytes)
                .ok()
                .and_then(|v| v["manifest_sha256"].as_str().map(str::to_owned));
            if named.is_some_and(|n| n != published) {
                tracing::warn!(
                    update = %f.display(),
                    snapshot = id,
                    "this reserves update names a manifest its snapshot no longer has (the snapshot was replaced): removed"
                );
                stale.push(f);
            }
        }
    }
    if !stale.is_empty() {
        out.remove_files(&stale)?;
    }
    Ok(())
}

/// `por snapshot`: the snapshot alone, under the lock.
pub fn snapshot_only(
    config: &Config,
    id: &SnapshotId,
    as_of: Timestamp,
    progress: &dyn Progress,
) -> Result<Outcome, JobError> {
    let out = Output::open(&output_dirs(config))?;
    snapshot(&out, config, id, as_of, false, progress)
}

/// What `por run` did.
pub struct RunOutcome {
    /// The snapshot step's outcome (published now or by an earlier run).
    pub snapshot: Outcome,
    /// The site render: an error here means the snapshot is published but the site
    /// is stale ([`ExitCode::SiteNotRendered`]).
    pub site: Result<RenderSummary, SiteError>,
    /// Wall-clock time of the whole run, snapshot and site.
    pub total_time: Duration,
}

impl RunOutcome {
    /// The run's exit code: the site's failure first (it needs the operator), then
    /// the snapshot's own status.
    pub fn exit_code(&self) -> ExitCode {
        match self.site {
            Err(_) => ExitCode::SiteNotRendered,
            Ok(_) => self.snapshot.exit_code(),
        }
    }
}

/// `por run --json`: the machine-readable summary on stdout. Field names are
/// stable (log shippers and dashboards read them); keys are in alphabetical order.
#[derive(Clone, Debug, serde::Serialize)]
pub struct RunSummary {
    /// Accounts in the snapshot.
    pub accounts: u64,
    /// `true` when the snapshot was published by an earlier run and this one only rendered the
    /// site.
    pub already_published: bool,
    /// The snapshot's `as_of`, RFC 3339 UTC.
    pub as_of: String,
    /// Per-asset figures, in manifest order.
    pub assets: Vec<AssetSummary>,
    /// Wall-clock duration of the run in seconds (a timing, not money).
    pub duration_secs: f64,
    /// The process exit code (see [`crate::exit::ExitCode`]).
    pub exit_code: u8,
    /// Addresses whose ownership proof failed verification.
    pub failed_addresses: Vec<FailedAddress>,
    /// Files this run published (0 when the snapshot was already published).
    pub files_published: usize,
    /// The snapshot log's checkpoint: size, root, the witnesses that cosigned and the
    /// ones that did not, with why (absent without `[log]`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log: Option<log::LogOutcome>,
    /// SHA-256 of the manifest bytes, lowercase hex.
    pub manifest_sha256: String,
    /// How the site render went.
    pub site: SiteSummary,
    /// The snapshot id.
    pub snapshot_id: String,
}

/// One asset's figures in a [`RunSummary`] (amounts in base units).
#[derive(Clone, Debug, serde::Serialize)]
pub struct AssetSummary {
    /// Sum of all accounts' balances of the asset, base units.
    pub liabilities: crate::amount::Amount,
    /// `floor(10^4 · reserves / liabilities) / 10^4` with 4 decimals; `null` when liabilities are
    /// zero.
    pub reserve_ratio: Option<String>,
    /// Holdings of addresses whose ownership proof verified, base units.
    pub reserves: crate::amount::Amount,
    /// `true` when reserves are below liabilities.
    pub short: bool,
    /// The asset's symbol.
    pub symbol: String,
    /// Holdings of listed addresses without a valid ownership proof (not in `reserves`), base
    /// units.
    pub unproven_reserves: crate::amount::Amount,
}

/// The site render in a [`RunSummary`].
#[derive(Clone, Debug, serde::Serialize)]
#[serde(untagged)]
pub enum SiteSummary {
    /// The site was rendered.
    Rendered {
        /// Total bytes written.
        bytes: u64,
        /// Files written.
        files: usize,
        /// HTML pages among them.
        pages: usize,
    },
    /// The site render failed; the snapshot is published but the site is stale.
    Failed {
        /// The error, in one line.
        error: String,
    },
}

impl RunOutcome {
    /// The `--json` summary of this run.
    pub fn summary(&self) -> RunSummary {
        let snap = &self.snapshot;
        RunSummary {
            accounts: snap.accounts,
            already_published: snap.already_published,
            as_of: snap.manifest.as_of.clone(),
            assets: snap
                .manifest
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
            duration_secs: self.total_time.as_secs_f64(),
            exit_code: self.exit_code().code(),
            failed_addresses: snap.failed_addresses.clone(),
            files_published: if snap.already_published {
                0
            } else {
                snap.manifest.files.len() + 1
            },
            log: snap.log.clone(),
            manifest_sha256: snap.manifest_sha256.clone(),
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
            snapshot_id: snap.manifest.snapshot_id.to_string(),
        }
    }
}

/// `por run`: the snapshot `id` (default: the `as_of` date), then the site. When `id`
/// is already published (and `replace` is not asked for), its files are checked and
/// the job is finished: the site is rendered and the snapshot's own status returned,
/// without touching the snapshot.
pub fn run(
    config: &Config,
    id: Option<SnapshotId>,
    as_of: Timestamp,
    replace: bool,
    progress: &dyn Progress,
) -> Result<RunOutcome, JobError> {
    let start = Instant::now();
    let out = Output::open(&output_dirs(config))?;
    let id = match id {
        Some(id) => id,
        None => SnapshotId::new(&as_of.date()).expect("a date is a valid id"),
    };
    let outcome = if !replace && out.dirs().snapshot(id.as_str()).exists() {
        tracing::info!(snapshot = %id, "already published: checking it and rendering the site");
        let mut o = published_outcome(config, &id)?;
        if let Some(l) = &config.log {
            // Imports what the log lacks, or has the current checkpoint cosigned again.
            o.log = Some(log::refresh(&out, config, l)?);
        }
        o
    } else {
        snapshot(&out, config, &id, as_of, replace, progress)?
    };
    crate::publish::fault_point("published");
    remove_stale_updates(&out)?;
    let site = site::render(&out, &site_settings(config));
    Ok(RunOutcome {
        snapshot: outcome,
        site,
        total_time: start.elapsed(),
    })
}

/// The status of an already published snapshot, read back from its checked files.
fn published_outcome(config: &Config, id: &SnapshotId) -> Result<Outcome, JobError> {
    let checked =
        site::check::load(&config.snapshots_dir, &config.exchange).map_err(SiteError::from)?;
    let s = checked
        .into_iter()
        .find(|c| c.manifest.snapshot_id == *id)
        .ok_or_else(|| JobError::NotPublished {
            id: id.to_string(),
            path: config.snapshots_dir.join(id.as_str()).join("manifest.json"),
        })?;
    let failed_addresses = s
        .addresses
        .iter()
        .flat_map(|l| &l.addresses)
        .filter(|a| !a.ownership.verified && a.ownership.scheme != "none")
        .map(|a| FailedAddress {
            address: a.address.clone(),
            scheme: a.ownership.scheme.clone(),
            reason: "the published ownership proof did not verify".into(),
        })
        .collect();
    Ok(Outcome {
        accounts: s.manifest.tree.leaves,
        manifest: s.manifest,
        manifest_sha256: s.manifest_sha256,
        parse_time: Duration::ZERO,
        timings: Timings::default(),
        total_time: Duration::ZERO,
        failed_addresses,
        already_published: true,
        log: None,
    })
}

/// `por render`: the site from the published snapshots, under the lock.
pub fn render(config: &Config) -> Result<RenderSummary, JobError> {
    let out = Output::open(&output_dirs(config))?;
    remove_stale_updates(&out)?;
    Ok(site::render(&out, &site_settings(config))?)
}
