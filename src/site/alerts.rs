//! What the feed, `/status.json` and the overview report between snapshots, computed
//! from the checked snapshots and updates and the render's `now` (pure: no clock, no
//! files). One [`Event`] per snapshot and per alert:
//!
//! - `short` / `drained`: the first update of a run of updates (of one snapshot)
//!   carrying that alert for that asset or address; it stays current while the newest
//!   update of the newest snapshot still carries it.
//! - `snapshot-late`: the newest snapshot's `as_of` is more than `snapshot_every`
//!   before `now`; dated when it became late.
//! - `update-failed`: one per entry of `failures.json`; current when it is newer than
//!   the newest update.
//! - `update-overdue`: no update of the newest snapshot for more than twice `every`
//!   (counted from its newest update, else from its `as_of`); dated when it became due.
//!
//! Every id is a `urn:por:` URI built from hashes and times that do not change between
//! renders, so a feed reader sees the same event once (docs/site-feeds.md).

use super::UpdatesSettings;
use super::check::Checked;
use super::updates::Updates;
use crate::format::{Alert, Holding, update_file_name};
use crate::time::Timestamp;
use serde::Serialize;
use std::collections::BTreeSet;

/// What happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum EventKind {
    /// A snapshot was published.
    Snapshot {
        /// Its id.
        snapshot_id: String,
        /// SHA-256 of its manifest.
        manifest_sha256: String,
    },
    /// An asset's reserves fell below its liabilities in an update.
    Short {
        /// The asset.
        asset: String,
        /// Its ratio in that update (4 decimals).
        reserve_ratio: String,
    },
    /// An address that held funds at the snapshot holds nothing in an update.
    Drained {
        /// Its chain.
        chain: String,
        /// The address.
        address: String,
        /// What it held at the snapshot block.
        at_snapshot: Vec<Holding>,
    },
    /// The newest snapshot is older than its schedule.
    SnapshotLate {
        /// The newest snapshot's id.
        snapshot_id: String,
        /// Its `as_of`.
        as_of: String,
        /// The schedule, in seconds.
        every_seconds: u64,
    },
    /// An update attempt failed (from `failures.json`).
    UpdateFailed {
        /// The snapshot it was for.
        snapshot_id: String,
        /// Why, one line.
        error: String,
    },
    /// No update for more than twice the expected interval.
    UpdateOverdue {
        /// The newest snapshot's id.
        snapshot_id: String,
        /// The newest update's time, or the snapshot's `as_of` when it has none.
        quiet_since: String,
        /// The expected interval, in seconds.
        every_seconds: u64,
    },
}

/// One entry of the feed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Event {
    /// Stable id, a `urn:por:` URI.
    pub id: String,
    /// When it happened (RFC 3339 UTC): the feed entry's `updated`.
    pub time: String,
    /// Site-relative URL of the file or page it is about.
    pub href: String,
    /// Whether it still holds at `now` (always false for a snapshot).
    pub current: bool,
    /// What happened.
    #[serde(flatten)]
    pub kind: EventKind,
}

fn plus(t: Timestamp, d: std::time::Duration) -> Timestamp {
    Timestamp(t.0.saturating_add(d.as_secs()))
}

/// Every event, oldest first (ties by id, so the order is deterministic). Without
/// `settings` only the snapshots' events.
pub fn events(snapshots: &[Checked], updates: &Updates, settings: &UpdatesSettings) -> Vec<Event> {
    let mut out = Vec::new();
    let mut snapshot_times = Vec::new();
    for s in snapshots {
        let m = &s.manifest;
        snapshot_times.push(Timestamp::parse_rfc3339(&m.as_of).unwrap_or(Timestamp(0)));
        out.push((
            snapshot_times[snapshot_times.len() - 1],
            Event {
                id: format!("urn:por:snapshot:{}", s.manifest_sha256),
                time: m.as_of.clone(),
                href: format!("snapshots/{}/manifest.json", m.snapshot_id),
                current: false,
                kind: EventKind::Snapshot {
                    snapshot_id: m.snapshot_id.to_string(),
                    manifest_sha256: s.manifest_sha256.clone(),
                },
            },
        ));
    }
    let newest = snapshots.last().expect("at least one snapshot");
    let newest_updates = updates.of(&newest.manifest.snapshot_id);
    let latest = newest_updates.last();

    // Alerts carried by updates: one event per run.
    for (sid, list) in &updates.by_snapshot {
        let mut active: BTreeSet<String> = BTreeSet::new();
        // Each subject's newest onset in this snapshot, as an index into `out`.
        let mut onset: std::collections::BTreeMap<String, usize> = Default::default();
        for u in list {
            let mut now_active = BTreeSet::new();
            for alert in &u.update.alerts {
                let (key, kind) = match alert {
                    Alert::Short {
                        asset,
                        reserve_ratio,
                    } => (
                        format!("short:{asset}"),
                        EventKind::Short {
                            asset: asset.clone(),
                            reserve_ratio: reserve_ratio.clone(),
                        },
                    ),
                    Alert::Drained {
                        chain,
                        address,
                        at_snapshot,
                    } => (
                        format!("drained:{chain}:{address}"),
                        EventKind::Drained {
                            chain: chain.clone(),
                            address: address.clone(),
                            at_snapshot: at_snapshot.clone(),
                        },
                    ),
                };
                if !active.contains(&key) && !now_active.contains(&key) {
                    onset.insert(key.clone(), out.len());
                    out.push((
                        u.time,
                        Event {
                            id: format!("urn:por:{key}:{}", u.sha256),
                            time: u.update.time.clone(),
                            href: u.href(),
                            current: false,
                            kind,
                        },
                    ));
                }
                now_active.insert(key);
            }
            active = now_active;
        }
        // `active` now holds the subjects of this snapshot's newest update: when that
        // is the newest update of the newest snapshot, their runs are current.
        if latest.is_some_and(|l| l.update.snapshot_id == *sid) {
            for key in &active {
                if let Some(&i) = onset.get(key) {
                    out[i].1.current = true;
                }
            }
        }
    }

    let now = settings.now;
    let as_of = *snapshot_times.last().expect("at least one snapshot");
    let latest_time = latest.map(|l| l.time);
    for f in updates.failures() {
        let Ok(t) = Timestamp::parse_rfc3339(&f.time) else {
            continue;
        };
        let name = update_file_name(&f.time);
        out.push((
            t,
            Event {
                id: format!(
                    "urn:por:update-failed:{}:{}",
                    f.snapshot_id,
                    name.trim_end_matches(".json")
                ),
                time: t.to_rfc3339(),
                href: "updates/failures.json".into(),
                current: false,
                kind: EventKind::UpdateFailed {
                    snapshot_id: f.snapshot_id.to_string(),
                    error: f.error.clone(),
                },
            },
        ));
    }
    // Only the newest failure can be current, and only if no update came after it.
    if let Some((t, e)) = out
        .iter_mut()
        .filter(|(_, e)| matches!(e.kind, EventKind::UpdateFailed { .. }))
        .max_by_key(|(t, _)| *t)
    {
        e.current = latest_time.is_none_or(|l| *t > l) && *t <= now;
    }
    if let Some(every) = settings.snapshot_every {
        let due = plus(as_of, every);
        if now > due {
            out.push((
                due,
                Event {
                    id: format!("urn:por:snapshot-late:{}", newest.manifest_sha256),
                    time: due.to_rfc3339(),
                    href: "index.html".into(),
                    current: true,
                    kind: EventKind::SnapshotLate {
                        snapshot_id: newest.manifest.snapshot_id.to_string(),
                        as_of: newest.manifest.as_of.clone(),
                        every_seconds: every.as_secs(),
                    },
                },
            ));
        }
    }
    if let Some(every) = settings.every {
        let since = latest_time.unwrap_or(as_of);
        let due = plus(since, every.saturating_mul(2));
        if now > due {
            let basis = latest.map_or(&newest.manifest_sha256, |l| &l.sha256);
            out.push((
                due,
                Event {
                    id: format!("urn:por:update-overdue:{basis}"),
                    time: due.to_rfc3339(),
                    href: latest.map_or_else(|| "index.html".into(), |l| l.href()),
                    current: true,
                    kind: EventKind::UpdateOverdue {
                        snapshot_id: newest.manifest.snapshot_id.to_string(),
                        quiet_since: since.to_rfc3339(),
                        every_seconds: every.as_secs(),
                    },
                },
            ));
        }
    }
    out.sort_by(|(ta, a), (tb, b)| ta.cmp(tb).then_with(|| a.id.cmp(&b.id)));
    out.into_iter().map(|(_, e)| e).collect()
}
