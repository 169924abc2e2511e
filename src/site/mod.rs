//! The static transparency site, rendered from the published snapshots alone (never
//! from private data): an overview of the newest snapshot, the history with ratio
//! charts, the address list, the in-browser proof verifier and the methodology, plus
//! byte-identical copies of every published file, `latest/`, `snapshots/index.json`
//! and JSON Schemas of the formats.
//!
//! - [`check`]: the snapshots are checked first (file hashes, hash chain); any fault
//!   stops the render before anything is written.
//! - [`view`]: the pages' data (pure); [`chart`]: the inline SVG charts (pure).
//! - [`pages`]: the embedded templates and the strict minijinja environment; every
//!   page in every language of [`i18n`] (the default at the root, others under
//!   `<lang>/`), all of their words from that language's message catalogue.
//! - [`log`](mod@log): the snapshot log folder, checked against the snapshots, copied
//!   to `log/`, and the keys the pages show and pin.
//! - With [`SiteSettings::updates`] (the config's `[watch]`): [`updates`] checks the
//!   reserves updates like the snapshots and the site copies them to `updates/`;
//!   [`now`] is the pages' "reserves now" and holdings now; [`alerts`] the events
//!   that [`feed`] (`/feed.xml`, Atom) and [`status`] (`/status.json`) publish; and
//!   `latest/addresses.json` holds the holdings now (docs/site-feeds.md). Without it
//!   the site is exactly as before.
//!
//! The whole site is built in the staging area and swapped into place by
//! [`crate::publish::Output::publish_dir`]: on any error the previous site stays.
//! Rendering is deterministic: the same snapshots and [`SiteSettings`] give the same
//! bytes.

pub mod alerts;
pub mod chart;
pub mod check;
pub mod feed;
pub mod i18n;
pub mod log;
pub mod now;
pub mod pages;
pub mod status;
pub mod updates;
pub mod view;

use crate::format::{INDEX_FORMAT, IndexEntry, SnapshotIndex, to_json_bytes};
use crate::publish::{Mode, Output, PublishError};
pub use check::CheckError;
use std::path::{Path, PathBuf};

/// What the site needs of the configuration; the job builds it from its config, and
/// the site sees nothing else of it.
#[derive(Clone, Debug)]
pub struct SiteSettings {
    /// The exchange's display name: on the pages, and every manifest must carry it.
    pub exchange: String,
    /// The configured site title; without one, each language's
    /// `<exchange> proof of reserves`.
    pub title: Option<String>,
    /// Where blocks and addresses link to.
    pub explorers: Explorers,
    /// The snapshot log, when one is kept (`[log]`).
    pub log: Option<log::LogSettings>,
    /// The reserves updates between snapshots, when `[watch]` is configured.
    pub updates: Option<UpdatesSettings>,
}

/// Where the reserves updates are and how the site judges their age: the `[output]
/// updates` folder and the `[watch]` schedule. The render's `now` is passed in, so
/// the same inputs and settings render the same bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpdatesSettings {
    /// The `[output] updates` folder.
    pub dir: PathBuf,
    /// The expected interval of updates (`[watch] every`).
    pub every: Option<std::time::Duration>,
    /// The snapshot schedule (`[watch] snapshot_every`).
    pub snapshot_every: Option<std::time::Duration>,
    /// The render's "now": lateness and age are judged at it.
    pub now: crate::time::Timestamp,
}

/// The block explorers the pages link to, by base URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explorers {
    /// Base URL of the Bitcoin explorer.
    pub bitcoin_explorer: String,
    /// Base URL of the Ethereum explorer.
    pub ethereum_explorer: String,
    /// URL templates of chains configured with them, by chain name; `bitcoin` and
    /// `ethereum` without templates link to the two base URLs above.
    pub chains: std::collections::BTreeMap<String, ChainLinks>,
}

/// One chain's explorer links, as URL templates.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChainLinks {
    /// An address page, with `{address}` in it.
    pub address: Option<String>,
    /// A block page, with `{height}` or `{hash}` in it.
    pub block: Option<String>,
}

impl Explorers {
    fn links(&self, chain: &str) -> ChainLinks {
        let base = |url: &str, block: &str| ChainLinks {
            address: Some(format!("{}/address/{{address}}", url.trim_end_matches('/'))),
            block: Some(format!("{}/block/{block}", url.trim_end_matches('/'))),
        };
        match (self.chains.get(chain), chain) {
            (Some(l), _) => l.clone(),
            (None, "bitcoin") => base(&self.bitcoin_explorer, "{hash}"),
            (None, "ethereum") => base(&self.ethereum_explorer, "{height}"),
            (None, _) => ChainLinks::default(),
        }
    }

    /// The explorer page of `address` on chain `chain`, when an explorer is known for it.
    pub fn address_url(&self, chain: &str, address: &str) -> Option<String> {
        self.links(chain)
            .address
            .map(|t| t.replace("{address}", address))
    }

    /// The explorer page of a block on chain `chain`, when an explorer is known for it.
    pub fn block_url(&self, chain: &str, height: u64, hash: &str) -> Option<String> {
        self.links(chain).block.map(|t| {
            t.replace("{height}", &height.to_string())
                .replace("{hash}", hash)
        })
    }
}

/// Why the site could not be rendered; nothing is published then.
#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    /// The published snapshots failed their checks.
    #[error("{0}")]
    Check(#[from] CheckError),
    /// A page template failed to render.
    #[error("template {template}: {message}")]
    Template {
        /// The template that failed.
        template: String,
        /// minijinja's message.
        message: String,
    },
    /// Writing the site through the one write path failed.
    #[error("{0}")]
    Publish(#[from] PublishError),
    /// A published reserves update or `failures.json` failed its checks.
    #[error("{0}")]
    Updates(#[from] updates::UpdateError),
    /// The Atom feed could not be written.
    #[error("{0}")]
    Feed(#[from] feed::FeedError),
}

/// What a render wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RenderSummary {
    /// HTML pages.
    pub pages: usize,
    /// Every file, pages included.
    pub files: usize,
    /// Total size of every file written, in bytes.
    pub bytes: u64,
}

/// Static files served under `static/`.
pub const STATIC: &[(&str, &str)] = &[
    ("style.css", include_str!("../../site/static/style.css")),
    ("verify.js", include_str!("../../site/static/verify.js")),
    ("log.js", include_str!("../../site/static/log.js")),
    ("lang.js", include_str!("../../site/static/lang.js")),
    (
        "verify-page.js",
        include_str!("../../site/static/verify-page.js"),
    ),
    (
        "addresses.js",
        include_str!("../../site/static/addresses.js"),
    ),
];

/// JSON Schemas (draft 2020-12) served under `schema/`.
pub const SCHEMAS: &[(&str, &str)] = &[
    (
        "por-manifest-1.json",
        include_str!("../../site/schema/por-manifest-1.json"),
    ),
    (
        "por-inclusion-proof-1.json",
        include_str!("../../site/schema/por-inclusion-proof-1.json"),
    ),
    (
        "por-inclusion-proof-2.json",
        include_str!("../../site/schema/por-inclusion-proof-2.json"),
    ),
    (
        "por-addresses-1.json",
        include_str!("../../site/schema/por-addresses-1.json"),
    ),
    (
        "por-snapshot-index-1.json",
        include_str!("../../site/schema/por-snapshot-index-1.json"),
    ),
    (
        "por-dispute-1.json",
        include_str!("../../site/schema/por-dispute-1.json"),
    ),
];

/// JSON Schemas served under `schema/` only by a site with reserves updates (a site
/// without them stays byte for byte as before).
pub const UPDATE_SCHEMAS: &[(&str, &str)] = &[
    (
        "por-reserves-update-1.json",
        include_str!("../../site/schema/por-reserves-update-1.json"),
    ),
    (
        "por-watch-failures-1.json",
        include_str!("../../site/schema/por-watch-failures-1.json"),
    ),
    (
        "por-status-1.json",
        include_str!("../../site/schema/por-status-1.json"),
    ),
];

/// Checks the published snapshots and renders the site into the output's site
/// folder, replacing the previous site atomically.
pub fn render(out: &Output, settings: &SiteSettings) -> Result<RenderSummary, SiteError> {
    let snapshots = check::load(&out.dirs().snapshots, &settings.exchange)?;
    let template_error = |(template, e): (String, minijinja::Error)| SiteError::Template {
        template,
        message: e.to_string(),
    };
    let env = pages::environment().map_err(|e| template_error(("(environment)".into(), e)))?;
    let published_log = log::load(settings.log.as_ref(), &snapshots)?;
    let live = match &settings.updates {
        Some(u) => {
            let updates = updates::load(&u.dir, &snapshots, &settings.exchange)?;
            let events = alerts::events(&snapshots, &updates, u);
            Some(pages::Live {
                settings: u,
                updates,
                events,
            })
        }
        None => None,
    };
    let html = pages::render_pages(
        &env,
        settings,
        &snapshots,
        published_log.as_ref().map(|l| &l.view),
        live.as_ref(),
    )
    .map_err(template_error)?;
    let extra = match &live {
        Some(l) => live_files(settings, &snapshots, l)?,
        None => Vec::new(),
    };

    let index = SnapshotIndex {
        format: INDEX_FORMAT.into(),
        exchange: settings.exchange.clone(),
        snapshots: snapshots
            .iter()
            .map(|s| IndexEntry {
                snapshot_id: s.manifest.snapshot_id.clone(),
                as_of: s.manifest.as_of.clone(),
                manifest_sha256: s.manifest_sha256.clone(),
            })
            .collect(),
    };

    let mut summary = RenderSummary::default();
    out.publish_dir::<SiteError>(&out.dirs().site, Mode::Replace, |tmp| {
        let mut out = Writer {
            root: tmp,
            summary: &mut summary,
        };
        for (name, page) in &html {
            out.write(name, page.as_bytes())?;
            out.summary.pages += 1;
        }
        for (name, text) in STATIC {
            out.write(&format!("static/{name}"), text.as_bytes())?;
        }
        for (name, text) in SCHEMAS {
            out.write(&format!("schema/{name}"), text.as_bytes())?;
        }
        out.write("snapshots/index.json", &to_json_bytes(&index))?;
        for s in &snapshots {
            for (name, bytes) in &s.files {
                out.write(
                    &format!("snapshots/{}/{name}", s.manifest.snapshot_id),
                    bytes,
                )?;
            }
        }
        if let Some(l) = &published_log {
            for (name, bytes) in &l.files {
                out.write(&format!("log/{name}"), bytes)?;
            }
        }
        let newest = snapshots.last().expect("load returns at least one");
        for (name, bytes) in &newest.files {
            let rel = format!("latest/{name}");
            // With updates, `latest/addresses.json` holds the holdings now (below).
            if !extra.iter().any(|(r, _)| *r == rel) {
                out.write(&rel, bytes)?;
            }
        }
        for (rel, bytes) in &extra {
            out.write(rel, bytes)?;
        }
        Ok(())
    })?;
    Ok(summary)
}

/// The files a site with updates adds: the schemas of its documents, every update
/// and `failures.json` byte for byte, `status.json`, a feed per language and the
/// holdings now in `latest/addresses.json`.
fn live_files(
    settings: &SiteSettings,
    snapshots: &[check::Checked],
    live: &pages::Live<'_>,
) -> Result<Vec<(String, Vec<u8>)>, SiteError> {
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for (name, text) in UPDATE_SCHEMAS {
        files.push((format!("schema/{name}"), text.as_bytes().to_vec()));
    }
    for u in live.updates.all() {
        files.push((u.href(), u.bytes.clone()));
    }
    if let Some((_, bytes)) = &live.updates.failures {
        files.push((format!("updates/{}", updates::FAILURES_FILE), bytes.clone()));
    }
    let st = status::status(
        &settings.exchange,
        snapshots,
        &live.updates,
        &live.events,
        live.settings,
    );
    files.push(("status.json".into(), to_json_bytes(&st)));
    let first = snapshots.first().expect("load returns at least one");
    for c in i18n::catalogues().map_err(feed::FeedError::from)? {
        let title = pages::site_title(settings, &c).map_err(feed::FeedError::from)?;
        let info = feed::FeedInfo {
            id: format!("urn:por:feed:{}", first.manifest_sha256),
            site_title: &title,
            exchange: &settings.exchange,
            root: if c.dir.is_empty() { "" } else { "../" },
        };
        files.push((
            format!("{}feed.xml", c.dir),
            feed::write(&live.events, &info, &c)?,
        ));
    }
    let newest = snapshots.last().expect("load returns at least one");
    if let Some(list) =
        now::latest(snapshots, &live.updates).and_then(|u| now::live_addresses(newest, u))
    {
        files.push(("latest/addresses.json".into(), to_json_bytes(&list)));
    }
    Ok(files)
}

struct Writer<'a> {
    root: &'a Path,
    summary: &'a mut RenderSummary,
}

impl Writer<'_> {
    fn write(&mut self, rel: &str, bytes: &[u8]) -> Result<(), PublishError> {
        let path: PathBuf = self.root.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| PublishError::Io {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        std::fs::write(&path, bytes).map_err(|source| PublishError::Io { path, source })?;
        self.summary.files += 1;
        self.summary.bytes += bytes.len() as u64;
        Ok(())
    }
}
