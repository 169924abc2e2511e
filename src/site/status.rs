//! `/status.json` (`por-status/1`, docs/site-feeds.md, `schema/por-status-1.json`): a
//! small, stable document for dashboards and uptime monitors: the newest snapshot,
//! the newest update of it and its age at the render's `now`, every asset's ratio at
//! the snapshot and now, the current alerts and the two overdue flags. Pure.

use super::UpdatesSettings;
use super::alerts::{Event, EventKind};
use super::check::Checked;
use super::updates::Updates;
use crate::amount::Amount;
use serde::Serialize;
use std::collections::BTreeMap;

/// The `format` value of `/status.json`.
pub const STATUS_FORMAT: &str = "por-status/1";

/// `por-status/1`.
#[derive(Debug, Serialize)]
pub struct Status {
    /// Always [`STATUS_FORMAT`].
    pub format: String,
    /// The exchange.
    pub exchange: String,
    /// The render's `now`: ages and the overdue flags are judged at it.
    pub generated_at: String,
    /// The newest snapshot.
    pub snapshot: StatusSnapshot,
    /// The newest update of the newest snapshot; `null` when it has none.
    pub update: Option<StatusUpdate>,
    /// When updates are overdue: the newest update's `time` (else the snapshot's
    /// `as_of`) plus twice the expected interval; `null` without one.
    pub update_overdue_at: Option<String>,
    /// Past `update_overdue_at` at `generated_at`.
    pub update_overdue: bool,
    /// Per asset of the newest snapshot, in its order.
    pub assets: Vec<StatusAsset>,
    /// What holds at `generated_at`, oldest first.
    pub alerts: Vec<StatusAlert>,
}

/// The newest snapshot in `/status.json`.
#[derive(Debug, Serialize)]
pub struct StatusSnapshot {
    /// Its id.
    pub snapshot_id: String,
    /// Its `as_of`.
    pub as_of: String,
    /// SHA-256 of its `manifest.json`.
    pub manifest_sha256: String,
    /// Site-relative URL of its manifest.
    pub manifest: String,
    /// Seconds from `as_of` to `generated_at`.
    pub age_seconds: u64,
    /// When the next snapshot is due (`as_of` + `snapshot_every`); `null` without a schedule.
    pub next_due: Option<String>,
    /// Past `next_due` at `generated_at`.
    pub overdue: bool,
}

/// One chain's block in an update.
#[derive(Debug, Serialize)]
pub struct StatusBlock {
    /// Block height.
    pub height: u64,
    /// Block hash.
    pub block_hash: String,
    /// Block time.
    pub block_time: String,
}

/// The newest update in `/status.json`.
#[derive(Debug, Serialize)]
pub struct StatusUpdate {
    /// Its `time`.
    pub time: String,
    /// Seconds from `time` to `generated_at`.
    pub age_seconds: u64,
    /// Site-relative URL of its file.
    pub file: String,
    /// SHA-256 of its bytes.
    pub sha256: String,
    /// The block each chain was read at.
    pub blocks: BTreeMap<String, StatusBlock>,
}

/// One asset in `/status.json`; amounts in base units.
#[derive(Debug, Serialize)]
pub struct StatusAsset {
    /// Symbol.
    pub symbol: String,
    /// Decimals.
    pub decimals: u8,
    /// The snapshot's liabilities.
    pub liabilities: Amount,
    /// Verified reserves at the snapshot.
    pub reserves_snapshot: Amount,
    /// The snapshot's ratio (`null` without liabilities).
    pub ratio_snapshot: Option<String>,
    /// Verified reserves in the newest update; `null` without one.
    pub reserves_now: Option<Amount>,
    /// The newest update's ratio; `null` without an update or liabilities.
    pub ratio_now: Option<String>,
    /// Reserves below liabilities now (the newest update's, else the snapshot's).
    pub short: bool,
}

/// A current alert in `/status.json`.
#[derive(Debug, Serialize)]
pub struct StatusAlert {
    /// The feed entry's id.
    pub id: String,
    /// When it began.
    pub since: String,
    /// Site-relative URL of what it is about.
    pub href: String,
    /// The event: `kind` and its fields, as in [`EventKind`].
    #[serde(flatten)]
    pub kind: EventKind,
}

/// The status at `settings.now`, from what the feed's `events` say is current.
pub fn status(
    exchange: &str,
    snapshots: &[Checked],
    updates: &Updates,
    events: &[Event],
    settings: &UpdatesSettings,
) -> Status {
    use crate::time::Timestamp;
    let now = settings.now;
    let newest = snapshots.last().expect("at least one snapshot");
    let m = &newest.manifest;
    let as_of = Timestamp::parse_rfc3339(&m.as_of).unwrap_or(Timestamp(0));
    let latest = super::now::latest(snapshots, updates);
    let next_due = settings
        .snapshot_every
        .map(|d| Timestamp(as_of.0.saturating_add(d.as_secs())));
    let overdue_at = settings.every.map(|d| {
        let since = latest.map_or(as_of, |u| u.time);
        Timestamp(since.0.saturating_add(d.as_secs().saturating_mul(2)))
    });
    Status {
        format: STATUS_FORMAT.into(),
        exchange: exchange.into(),
        generated_at: now.to_rfc3339(),
        snapshot: StatusSnapshot {
            snapshot_id: m.snapshot_id.to_string(),
            as_of: m.as_of.clone(),
            manifest_sha256: newest.manifest_sha256.clone(),
            manifest: format!("snapshots/{}/manifest.json", m.snapshot_id),
            age_seconds: now.0.saturating_sub(as_of.0),
            next_due: next_due.map(Timestamp::to_rfc3339),
            overdue: next_due.is_some_and(|d| now > d),
        },
        update: latest.map(|u| StatusUpdate {
            time: u.update.time.clone(),
            age_seconds: now.0.saturating_sub(u.time.0),
            file: u.href(),
            sha256: u.sha256.clone(),
            blocks: u
                .update
                .chains
                .0
                .iter()
                .map(|(k, c)| {
                    (
                        k.clone(),
                        StatusBlock {
                            height: c.height(),
                            block_hash: c.block_hash().to_string(),
                            block_time: c.block_time().to_string(),
                        },
                    )
                })
                .collect(),
        }),
        update_overdue_at: overdue_at.map(Timestamp::to_rfc3339),
        update_overdue: overdue_at.is_some_and(|d| now > d),
        assets: m
            .assets
            .iter()
            .map(|a| {
                let n = latest.and_then(|u| u.update.assets.iter().find(|x| x.symbol == a.symbol));
                StatusAsset {
                    symbol: a.symbol.clone(),
                    decimals: a.decimals,
                    liabilities: a.liabilities,
                    reserves_snapshot: a.reserves,
                    ratio_snapshot: a.reserve_ratio.clone(),
                    reserves_now: n.map(|n| n.reserves),
                    ratio_now: n.and_then(|n| n.reserve_ratio.clone()),
                    short: n.map_or(a.is_short(), |n| n.is_short()),
                }
            })
            .collect(),
        alerts: events
            .iter()
            .filter(|e| e.current)
            .map(|e| StatusAlert {
                id: e.id.clone(),
                since: e.time.clone(),
                href: e.href.clone(),
                kind: e.kind.clone(),
            })
            .collect(),
    }
}
