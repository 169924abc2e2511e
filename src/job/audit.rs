//! The verifiers' side of the snapshot log, with keys the user pins (arguments or a
//! keys file), never the site's: `por verify` with witnesses (one snapshot in a
//! cosigned checkpoint) and `por log check` (the whole history). Published files are
//! read from a site folder or fetched from its URL; the checks are the pure ones of
//! [`crate::log::audit`].

use super::JobError;
use crate::log::audit::{self, Included, LogReport, Pins};
use std::path::PathBuf;
use std::time::Duration;

/// Where the published files are: a site folder or its URL.
#[derive(Clone, Debug)]
pub enum Site {
    /// A folder holding the rendered site (`log/`, `snapshots/`).
    Dir(PathBuf),
    /// The site's base URL.
    Url(String),
}

impl Site {
    /// A site from `--site`: an `http(s)://` URL, else a folder.
    pub fn parse(arg: &str) -> Site {
        if arg.starts_with("http://") || arg.starts_with("https://") {
            Site::Url(arg.trim_end_matches('/').to_string())
        } else {
            Site::Dir(PathBuf::from(arg))
        }
    }

    /// The bytes of `rel` (e.g. `log/checkpoint`).
    pub fn get(&self, rel: &str) -> Result<Vec<u8>, JobError> {
        match self {
            Site::Dir(d) => {
                let p = d.join(rel);
                std::fs::read(&p).map_err(|source| JobError::Io { path: p, source })
            }
            Site::Url(base) => fetch(&format!("{base}/{rel}")),
        }
    }
}

fn fetch(url: &str) -> Result<Vec<u8>, JobError> {
    let fail = |message: String| JobError::Log {
        path: PathBuf::from(url),
        message,
    };
    let client = crate::chains::http::client(Duration::from_secs(30)).map_err(fail)?;
    let rt = crate::chains::http::runtime().map_err(|e| fail(e.to_string()))?;
    rt.block_on(async {
        let r = client
            .get(url)
            .send()
            .await
            .map_err(|e| fail(crate::chains::http::error_chain(&e.without_url())))?;
        if !r.status().is_success() {
            return Err(fail(format!("HTTP {}", r.status())));
        }
        r.bytes()
            .await
            .map(|b| b.to_vec())
            .map_err(|e| fail(e.to_string()))
    })
}

/// `por verify` with witnesses: is `manifest` in the site's cosigned checkpoint?
/// `Ok(Err(_))` is a refusal (exit 1); `Err(_)` an operational error (exit 2).
pub fn verify_in_log(
    manifest: &[u8],
    checkpoint: &[u8],
    index: &[u8],
    pins: &Pins,
    now: u64,
) -> Result<Included, crate::log::LogError> {
    audit::check_snapshot(manifest, index, checkpoint, pins, now)
}

/// `por log check --site`: the whole history. `Ok(Err(_))` is a refusal (exit 1);
/// `Err(_)` an operational error (a file could not be read or fetched; exit 2).
pub fn log_check(
    site: &Site,
    pins: &Pins,
    now: u64,
) -> Result<Result<LogReport, crate::log::LogError>, JobError> {
    let checkpoint = site.get("log/checkpoint")?;
    let index_bytes = site.get("snapshots/index.json")?;
    let index = match audit::parse_index(&index_bytes) {
        Ok(ix) => ix,
        Err(e) => return Ok(Err(e)),
    };
    let mut manifests = Vec::with_capacity(index.len());
    let mut consistency = Vec::with_capacity(index.len());
    for (n, e) in index.iter().enumerate() {
        if crate::format::SnapshotId::new(&e.snapshot_id).is_err() {
            return Ok(Err(crate::log::LogError::new(
                crate::log::Check::Parse,
                format!("snapshots/index.json: snapshots[{n}].snapshot_id is not a snapshot id"),
            )));
        }
        let bytes = site.get(&format!("snapshots/{}/manifest.json", e.snapshot_id))?;
        // Every file the manifest lists must be published with that hash.
        if let Ok(m) = serde_json::from_slice::<crate::format::Manifest>(&bytes) {
            for (name, sha) in &m.files {
                let f = site.get(&format!("snapshots/{}/{name}", e.snapshot_id))?;
                if crate::format::sha256_hex(&f) != *sha {
                    return Ok(Err(crate::log::LogError::new(
                        crate::log::Check::Parse,
                        format!(
                            "snapshots/{}/{name}: sha256 {} is not the {sha} its manifest lists",
                            e.snapshot_id,
                            crate::format::sha256_hex(&f)
                        ),
                    )));
                }
            }
        } else {
            return Ok(Err(crate::log::LogError::new(
                crate::log::Check::Parse,
                format!(
                    "snapshots/{}/manifest.json is not a por manifest",
                    e.snapshot_id
                ),
            )));
        }
        manifests.push(bytes);
        let text = site.get(&format!("log/consistency/{n}-{}.txt", n + 1))?;
        consistency.push(String::from_utf8_lossy(&text).into_owned());
    }
    Ok(audit::check_log(
        &manifests,
        &index_bytes,
        &checkpoint,
        &consistency,
        pins,
        now,
    ))
}
