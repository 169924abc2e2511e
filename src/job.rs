//! The snapshot job end to end, as the CLI and cron run it: validate everything that
//! can be validated before any write (config, id, liabilities, chains, signatures),
//! then publish the private store and the public snapshot, and report solvency.

use crate::config::Config;
use crate::format::{Manifest, SnapshotId};
use crate::liabilities::{self, LiabilitiesError};
use crate::reserves::{self, ReservesError, connect::ConnectError, wallets::WalletsError};
use crate::snapshot::{self, ReserveFigures, SnapshotError, Timings};
use crate::time::Timestamp;
use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("{0}")]
    Liabilities(#[from] LiabilitiesError),
    #[error("{0}")]
    Snapshot(#[from] SnapshotError),
    #[error("{0}")]
    Wallets(#[from] WalletsError),
    #[error("{0}")]
    Connect(#[from] ConnectError),
    #[error("{0}")]
    Reserves(#[from] ReservesError),
}

/// What a finished snapshot reports.
pub struct Outcome {
    pub manifest: Manifest,
    pub manifest_sha256: String,
    pub accounts: u64,
    pub parse_time: Duration,
    pub timings: Timings,
    pub total_time: Duration,
    /// Addresses whose ownership proof failed verification (address, scheme, reason).
    pub failed_addresses: Vec<(String, String, String)>,
}

impl Outcome {
    /// Assets whose reserves are below liabilities.
    pub fn short_assets(&self) -> Vec<&crate::format::ManifestAsset> {
        self.manifest
            .assets
            .iter()
            .filter(|a| a.is_short())
            .collect()
    }

    /// 0 solvent and every address verified; 1 published but short or unverified.
    pub fn exit_code(&self) -> u8 {
        if self.short_assets().is_empty() && self.failed_addresses.is_empty() {
            0
        } else {
            1
        }
    }

    pub fn summary_line(&self) -> String {
        let assets: Vec<String> = self
            .manifest
            .assets
            .iter()
            .map(|a| {
                let ratio = a.reserve_ratio.as_deref().unwrap_or("n/a");
                if a.is_short() {
                    let gap = a.liabilities.checked_sub(a.reserves).unwrap_or_default();
                    format!(
                        "{} {ratio} SHORT by {}",
                        a.symbol,
                        gap.display_units(a.decimals)
                    )
                } else {
                    format!("{} {ratio}", a.symbol)
                }
            })
            .collect();
        let mut line = format!(
            "snapshot {}: {} accounts; reserve ratio {}; manifest sha256 {}; {:.1}s",
            self.manifest.snapshot_id,
            self.accounts,
            assets.join(", "),
            self.manifest_sha256,
            self.total_time.as_secs_f64()
        );
        if !self.failed_addresses.is_empty() {
            line.push_str(&format!(
                "; {} address(es) failed ownership verification",
                self.failed_addresses.len()
            ));
        }
        line
    }
}

/// Runs the snapshot: liabilities, reserves, publication.
pub fn snapshot(
    config: &Config,
    id: &SnapshotId,
    as_of: Timestamp,
    replace: bool,
) -> Result<Outcome, JobError> {
    let start = Instant::now();
    let previous = snapshot::plan(config, id, as_of, replace)?;
    let t = Instant::now();
    let liabilities =
        liabilities::parse_file(&config.liabilities_for(id.as_str()), &config.asset_infos())?;
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
            let network = chains
                .bitcoin
                .as_ref()
                .map(|b| b.network)
                .unwrap_or(bitcoin::Network::Bitcoin);
            let wallets_path = config
                .wallets_for(id.as_str())
                .expect("config requires [wallets] with [chains]");
            let wallets = reserves::wallets::parse_file(&wallets_path, network)?;
            let backends = reserves::connect::connect(chains)?;
            let t = Instant::now();
            let report = reserves::read(config, id, as_of, wallets, &backends)?;
            tracing::info!(
                addresses = report.addresses.len(),
                secs = t.elapsed().as_secs_f64(),
                "reserves read"
            );
            let failed = report.failures();
            (report.figures, failed)
        }
    };
    let published = snapshot::publish(config, id, as_of, liabilities, reserves, previous, replace)?;
    Ok(Outcome {
        manifest: published.manifest,
        manifest_sha256: published.manifest_sha256,
        accounts: published.accounts,
        parse_time,
        timings: published.timings,
        total_time: start.elapsed(),
        failed_addresses,
    })
}
