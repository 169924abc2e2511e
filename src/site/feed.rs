//! `/feed.xml`: an Atom 1.0 feed (RFC 4287) with one entry per snapshot and per alert
//! of [`super::alerts`], newest first, in each site language (`/feed.xml` in the
//! default one, `/<lang>/feed.xml` in the others). Written by `atom_syndication`; the
//! words come from the language's catalogue. Entry ids are the events' stable
//! `urn:por:` ids and `updated` is when the event happened, so a reader shows each
//! event once; the feed's own `updated` is its newest entry's, so two renders of the
//! same inputs write the same bytes. Links are relative to the feed's own URL.

use super::alerts::{Event, EventKind};
use super::i18n::{Catalogue, I18nError};
use atom_syndication::{Entry, Feed, FixedDateTime, Link, Person, Text, WriteConfig};

/// A feed that could not be written.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    /// A message of the catalogue is missing or lacks an argument.
    #[error("{0}")]
    I18n(#[from] I18nError),
    /// A time did not parse as RFC 3339 (cannot happen for checked inputs).
    #[error("feed: time {time:?}: {message}")]
    Time {
        /// The time.
        time: String,
        /// chrono's message.
        message: String,
    },
    /// The XML writer failed.
    #[error("feed: {0}")]
    Write(String),
}

fn duration_words(seconds: u64, c: &Catalogue) -> Result<String, I18nError> {
    super::now::age(seconds, c)
}

/// The event's one-line title in `c`'s language (also the overview's alert line).
pub fn title(e: &Event, c: &Catalogue) -> Result<String, I18nError> {
    match &e.kind {
        EventKind::Snapshot { snapshot_id, .. } => {
            c.text("feed.snapshot_title", &[("id", snapshot_id)])
        }
        EventKind::Short {
            asset,
            reserve_ratio,
        } => c.text(
            "feed.short_title",
            &[("asset", asset), ("ratio", reserve_ratio)],
        ),
        EventKind::Drained { chain, address, .. } => c.text(
            "feed.drained_title",
            &[
                ("chain", &super::view::chain_name(chain)),
                ("address", address),
            ],
        ),
        EventKind::SnapshotLate {
            snapshot_id,
            every_seconds,
            ..
        } => c.text(
            "feed.late_title",
            &[
                ("id", snapshot_id),
                ("every", &duration_words(*every_seconds, c)?),
            ],
        ),
        EventKind::UpdateFailed { error, .. } => c.text("feed.failed_title", &[("error", error)]),
        EventKind::UpdateOverdue {
            quiet_since,
            every_seconds,
            ..
        } => c.text(
            "feed.overdue_title",
            &[
                ("since", quiet_since),
                ("every", &duration_words(*every_seconds, c)?),
            ],
        ),
    }
}

/// The event's summary in `c`'s language.
pub fn summary(e: &Event, c: &Catalogue) -> Result<String, I18nError> {
    match &e.kind {
        EventKind::Snapshot {
            snapshot_id,
            manifest_sha256,
        } => c.text(
            "feed.snapshot_summary",
            &[
                ("id", snapshot_id),
                ("as_of", &e.time),
                ("sha256", manifest_sha256),
            ],
        ),
        EventKind::Short {
            asset,
            reserve_ratio,
        } => c.text(
            "feed.short_summary",
            &[
                ("asset", asset),
                ("ratio", reserve_ratio),
                ("time", &e.time),
            ],
        ),
        EventKind::Drained {
            chain,
            address,
            at_snapshot,
        } => {
            let held = at_snapshot
                .iter()
                .map(|h| format!("{} {}", h.amount, h.asset))
                .collect::<Vec<_>>()
                .join(", ");
            c.text(
                "feed.drained_summary",
                &[
                    ("chain", &super::view::chain_name(chain)),
                    ("address", address),
                    ("time", &e.time),
                    ("held", &held),
                ],
            )
        }
        EventKind::SnapshotLate {
            snapshot_id,
            as_of,
            every_seconds,
        } => c.text(
            "feed.late_summary",
            &[
                ("id", snapshot_id),
                ("as_of", as_of),
                ("every", &duration_words(*every_seconds, c)?),
            ],
        ),
        EventKind::UpdateFailed { snapshot_id, error } => c.text(
            "feed.failed_summary",
            &[("id", snapshot_id), ("time", &e.time), ("error", error)],
        ),
        EventKind::UpdateOverdue {
            snapshot_id,
            quiet_since,
            every_seconds,
        } => c.text(
            "feed.overdue_summary",
            &[
                ("id", snapshot_id),
                ("since", quiet_since),
                ("every", &duration_words(*every_seconds, c)?),
            ],
        ),
    }
}

fn time(s: &str) -> Result<FixedDateTime, FeedError> {
    FixedDateTime::parse_from_rfc3339(s).map_err(|e| FeedError::Time {
        time: s.to_string(),
        message: e.to_string(),
    })
}

fn link(href: String, rel: &str, mime: Option<&str>) -> Link {
    Link {
        href,
        rel: rel.into(),
        mime_type: mime.map(str::to_string),
        ..Link::default()
    }
}

/// What the feed says about its site.
pub struct FeedInfo<'a> {
    /// Stable feed id (`urn:por:feed:<first manifest's sha256>`).
    pub id: String,
    /// The site title.
    pub site_title: &'a str,
    /// The exchange (the feed's author).
    pub exchange: &'a str,
    /// From the feed's folder to the site root (`""` or `"../"`).
    pub root: &'a str,
}

/// The Atom document for `events` (oldest first, as [`super::alerts::events`] gives
/// them), in `c`'s language.
pub fn write(events: &[Event], info: &FeedInfo<'_>, c: &Catalogue) -> Result<Vec<u8>, FeedError> {
    let root = info.root;
    let entries = events
        .iter()
        .rev()
        .map(|e| {
            let href = if e.href.ends_with(".html") {
                // Pages exist in every language: the feed's own folder has them.
                e.href.clone()
            } else {
                format!("{root}{}", e.href)
            };
            let mime = if e.href.ends_with(".html") {
                "text/html"
            } else {
                "application/json"
            };
            Ok(Entry {
                title: Text::plain(title(e, c)?),
                id: e.id.clone(),
                updated: time(&e.time)?,
                summary: Some(Text::plain(summary(e, c)?)),
                links: vec![link(href, "alternate", Some(mime))],
                ..Entry::default()
            })
        })
        .collect::<Result<Vec<_>, FeedError>>()?;
    let updated = match events
        .iter()
        .map(|e| time(&e.time))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .max()
    {
        Some(t) => t,
        None => time("1970-01-01T00:00:00Z")?,
    };
    let feed = Feed {
        title: Text::plain(c.text("feed.title", &[("site_title", info.site_title)])?),
        subtitle: Some(Text::plain(
            c.text("feed.subtitle", &[("exchange", info.exchange)])?,
        )),
        id: info.id.clone(),
        updated,
        authors: vec![Person {
            name: info.exchange.to_string(),
            ..Person::default()
        }],
        links: vec![
            link("feed.xml".into(), "self", Some("application/atom+xml")),
            link("index.html".into(), "alternate", Some("text/html")),
        ],
        lang: Some(c.lang.clone()),
        entries,
        ..Feed::default()
    };
    let mut out = feed
        .write_with_config(
            Vec::new(),
            WriteConfig {
                write_document_declaration: true,
                indent_size: Some(2),
            },
        )
        .map_err(|e| FeedError::Write(e.to_string()))?;
    out.push(b'\n');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn english() -> std::sync::Arc<Catalogue> {
        super::super::i18n::catalogues().unwrap().remove(0)
    }

    fn event(id: &str, time: &str, href: &str, kind: EventKind) -> Event {
        Event {
            id: id.into(),
            time: time.into(),
            href: href.into(),
            current: false,
            kind,
        }
    }

    #[test]
    fn entries_are_newest_first_with_ids_times_and_links() {
        let events = [
            event(
                "urn:por:snapshot:aa",
                "2026-11-21T00:00:00Z",
                "snapshots/s1/manifest.json",
                EventKind::Snapshot {
                    snapshot_id: "s1".into(),
                    manifest_sha256: "aa".into(),
                },
            ),
            event(
                "urn:por:short:ETH:bb",
                "2026-11-22T01:00:00Z",
                "updates/s1/20261122T010000Z.json",
                EventKind::Short {
                    asset: "ETH".into(),
                    reserve_ratio: "0.9500".into(),
                },
            ),
            event(
                "urn:por:update-overdue:bb",
                "2026-11-22T03:00:00Z",
                "index.html",
                EventKind::UpdateOverdue {
                    snapshot_id: "s1".into(),
                    quiet_since: "2026-11-22T01:00:00Z".into(),
                    every_seconds: 3600,
                },
            ),
        ];
        let info = FeedInfo {
            id: "urn:por:feed:aa".into(),
            site_title: "X <proof>",
            exchange: "X & Co",
            root: "../",
        };
        let xml = String::from_utf8(write(&events, &info, &english()).unwrap()).unwrap();
        assert!(
            xml.starts_with("<?xml version=\"1.0\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\"")
        );
        assert!(xml.contains("<id>urn:por:feed:aa</id>"));
        assert!(xml.contains("X &amp; Co") && !xml.contains("X & Co"));
        // The feed is as new as its newest entry, and entries run newest first.
        assert!(xml.contains("<updated>2026-11-22T03:00:00+00:00</updated>"));
        let order: Vec<usize> = [
            "urn:por:update-overdue:bb",
            "urn:por:short:ETH:bb",
            "urn:por:snapshot:aa",
        ]
        .iter()
        .map(|id| xml.find(id).unwrap())
        .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{xml}");
        assert!(xml.contains(r#"href="../updates/s1/20261122T010000Z.json""#));
        assert!(xml.contains(r#"href="index.html""#));
        assert!(xml.contains("ETH reserves below liabilities (ratio 0.9500)"));
        assert!(xml.contains("no reserves update since 2026-11-22T01:00:00Z"));
        // The same events give the same bytes.
        assert_eq!(
            write(&events, &info, &english()).unwrap(),
            write(&events, &info, &english()).unwrap()
        );
    }
}
