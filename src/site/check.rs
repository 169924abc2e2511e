//! Reads the published snapshots back and checks them before anything is rendered:
//! every file of each snapshot folder hashes to what its manifest lists (and nothing
//! unlisted sits beside it), each manifest names the folder it lives in, and the
//! `previous` links form an unbroken hash chain from the first snapshot to the newest.
//! The bytes checked here are the bytes the site copies, so what is published is
//! exactly what was verified.

use crate::format::{
    ADDRESSES_FORMAT, AddressList, MANIFEST_FORMAT, Manifest, sha256_hex, to_json_bytes,
};
use crate::snapshot::{self, SnapshotError};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Everything that can be wrong with the published snapshots.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The snapshots folder `dir` holds no published snapshot.
    #[error("no published snapshot in {dir}; run `por snapshot` first")]
    NoSnapshots {
        /// The snapshots folder that holds none.
        dir: PathBuf,
    },
    /// Listing the published snapshots failed.
    #[error("{0}")]
    Snapshots(#[from] SnapshotError),
    /// A snapshot file could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file that failed.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A manifest's `format` is not [`MANIFEST_FORMAT`].
    #[error("snapshot {snapshot}: manifest.json: format {found:?} is not {MANIFEST_FORMAT:?}")]
    Format {
        /// The snapshot id.
        snapshot: String,
        /// The `format` it names instead.
        found: String,
    },
    /// A manifest sits in a folder other than its `snapshot_id` (FORMAT.md §4).
    #[error("snapshot {snapshot}: manifest.json is in folder {folder:?}, not {snapshot:?}")]
    Folder {
        /// The snapshot id the manifest names.
        snapshot: String,
        /// The folder it was found in.
        folder: String,
    },
    /// A manifest's `exchange` differs from the configured name.
    #[error(
        "snapshot {snapshot}: manifest.json: exchange {found:?} is not the configured {expected:?}"
    )]
    Exchange {
        /// The snapshot id.
        snapshot: String,
        /// The manifest's `exchange`.
        found: String,
        /// The configured exchange name.
        expected: String,
    },
    /// A manifest's `files` names something that is not a plain file name (a path, a dotfile).
    #[error("snapshot {snapshot}: manifest.json lists {file:?}, which is not a plain file name")]
    FileName {
        /// The snapshot id.
        snapshot: String,
        /// The listed name that is not a plain file name.
        file: String,
    },
    /// A file listed in a manifest's `files` is absent from its folder.
    #[error("snapshot {snapshot}: {file} is listed in manifest.json but missing")]
    Missing {
        /// The snapshot id.
        snapshot: String,
        /// The listed file that is not there.
        file: String,
    },
    /// A file sits in a snapshot folder without being listed in its manifest.
    #[error("snapshot {snapshot}: {file} is not listed in manifest.json's files")]
    Unlisted {
        /// The snapshot id.
        snapshot: String,
        /// The file that the manifest does not list.
        file: String,
    },
    /// A file's SHA-256 differs from the manifest's `files` entry.
    #[error(
        "snapshot {snapshot}: {file}: sha256 {actual} does not match {expected} in manifest.json"
    )]
    Hash {
        /// The snapshot id.
        snapshot: String,
        /// The file name.
        file: String,
        /// The hash the manifest lists, lowercase hex.
        expected: String,
        /// The hash of the bytes read, lowercase hex.
        actual: String,
    },
    /// A manifest's `previous` does not link to its predecessor's exact bytes.
    #[error("snapshot {snapshot}: manifest.json: broken hash chain: {detail}")]
    Chain {
        /// The snapshot whose link is broken.
        snapshot: String,
        /// What does not link.
        detail: String,
    },
    /// The published log folder does not match the snapshots (FORMAT.md §7).
    #[error("{path}: {message}")]
    Log {
        /// The log file at fault.
        path: PathBuf,
        /// What is wrong, in one line.
        message: String,
    },
    /// `addresses.json` does not parse, or belongs to another snapshot or other chains.
    #[error("snapshot {snapshot}: {file}: {message}")]
    Addresses {
        /// The snapshot id.
        snapshot: String,
        /// The file name (`addresses.json`).
        file: String,
        /// What is wrong with it.
        message: String,
    },
}

/// A snapshot whose files and chain link were checked.
#[derive(Clone, Debug)]
pub struct Checked {
    /// The snapshot's parsed `manifest.json`.
    pub manifest: Manifest,
    /// Lowercase hex SHA-256 of `manifest.json`'s exact bytes.
    pub manifest_sha256: String,
    /// `manifest.json` first, then the listed files by name, with their exact bytes.
    pub files: Vec<(String, Vec<u8>)>,
    /// The parsed `addresses.json`, when the snapshot publishes one.
    pub addresses: Option<AddressList>,
}

/// Loads and checks every snapshot under `dir`, oldest first.
pub fn load(dir: &Path, exchange: &str) -> Result<Vec<Checked>, CheckError> {
    let published = snapshot::list_published(dir)?;
    if published.is_empty() {
        return Err(CheckError::NoSnapshots {
            dir: dir.to_path_buf(),
        });
    }
    let mut out: Vec<Checked> = Vec::with_capacity(published.len());
    for p in published {
        let checked = check_one(&p.dir, p.manifest, exchange)?;
        // `list_published` hashed its own read; rehash ours, the bytes we copy.
        check_link(out.last(), &checked)?;
        out.push(checked);
    }
    Ok(out)
}

fn read(path: &Path) -> Result<Vec<u8>, CheckError> {
    std::fs::read(path).map_err(|source| CheckError::Read {
        path: path.to_path_buf(),
        source,
    })
}

fn plain_name(name: &str) -> bool {
    !name.is_empty()
        && name != "manifest.json"
        && !name.starts_with('.')
        && !name.contains(['/', '\\', '\0'])
}

/// A listed name FORMAT.md allows: a plain file name, or a bip127 wallet's proof
/// `bip127/<wallet name>.psbt` (§5).
fn listed_name(name: &str) -> bool {
    plain_name(name)
        || name
            .strip_prefix("bip127/")
            .and_then(|n| n.strip_suffix(".psbt"))
            .is_some_and(crate::ownership::bip127::is_wallet_name)
}

fn check_one(dir: &Path, listed: Manifest, exchange: &str) -> Result<Checked, CheckError> {
    let snapshot = listed.snapshot_id.to_string();
    let manifest_bytes = read(&dir.join("manifest.json"))?;
    // Re-parse our own read so that a file swapped since listing is not trusted.
    let manifest: Manifest = serde_json::from_slice(&manifest_bytes).map_err(|e| {
        CheckError::Snapshots(SnapshotError::BadPublished {
            path: dir.join("manifest.json"),
            message: e.to_string(),
        })
    })?;
    if manifest.format != MANIFEST_FORMAT {
        return Err(CheckError::Format {
            snapshot,
            found: manifest.format,
        });
    }
    let folder = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if manifest.snapshot_id != folder || listed.snapshot_id != manifest.snapshot_id {
        return Err(CheckError::Folder {
            snapshot: manifest.snapshot_id.to_string(),
            folder,
        });
    }
    if manifest.exchange != exchange {
        return Err(CheckError::Exchange {
            snapshot,
            found: manifest.exchange,
            expected: exchange.to_string(),
        });
    }

    // Everything in the folder must be listed; sorted for a deterministic first error.
    let mut present = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|source| CheckError::Read {
        path: dir.to_path_buf(),
        source,
    })? {
        let entry = entry.map_err(|source| CheckError::Read {
            path: dir.to_path_buf(),
            source,
        })?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == "bip127" && entry.path().is_dir() {
            // The bip127 proofs' folder: its files are checked by name like the others.
            for inner in std::fs::read_dir(entry.path()).map_err(|source| CheckError::Read {
                path: entry.path(),
                source,
            })? {
                let inner = inner.map_err(|source| CheckError::Read {
                    path: entry.path(),
                    source,
                })?;
                present.push(format!("bip127/{}", inner.file_name().to_string_lossy()));
            }
            continue;
        }
        present.push(name);
    }
    present.sort();
    for name in &present {
        if name != "manifest.json" && !manifest.files.contains_key(name) {
            return Err(CheckError::Unlisted {
                snapshot,
                file: name.clone(),
            });
        }
    }

    let mut files = vec![("manifest.json".to_string(), manifest_bytes.clone())];
    for (name, expected) in &manifest.files {
        if !listed_name(name) {
            return Err(CheckError::FileName {
                snapshot,
                file: name.clone(),
            });
        }
        let path = dir.join(name);
        if !path.is_file() {
            return Err(CheckError::Missing {
                snapshot,
                file: name.clone(),
            });
        }
        let bytes = read(&path)?;
        let actual = sha256_hex(&bytes);
        if &actual != expected {
            return Err(CheckError::Hash {
                snapshot,
                file: name.clone(),
                expected: expected.clone(),
                actual,
            });
        }
        files.push((name.clone(), bytes));
    }

    let addresses = files
        .iter()
        .find(|(n, _)| n == "addresses.json")
        .map(|(_, bytes)| parse_addresses(&manifest, bytes))
        .transpose()?;
    Ok(Checked {
        manifest_sha256: sha256_hex(&manifest_bytes),
        manifest,
        files,
        addresses,
    })
}

fn parse_addresses(manifest: &Manifest, bytes: &[u8]) -> Result<AddressList, CheckError> {
    let err = |message: String| CheckError::Addresses {
        snapshot: manifest.snapshot_id.to_string(),
        file: "addresses.json".into(),
        message,
    };
    let list: AddressList = serde_json::from_slice(bytes).map_err(|e| err(e.to_string()))?;
    if list.format != ADDRESSES_FORMAT {
        return Err(err(format!(
            "format {:?} is not {ADDRESSES_FORMAT:?}",
            list.format
        )));
    }
    if list.snapshot_id != manifest.snapshot_id || list.exchange != manifest.exchange {
        return Err(err(format!(
            "belongs to snapshot {} of {:?}, not this one",
            list.snapshot_id, list.exchange
        )));
    }
    if to_json_bytes(&list.chains) != to_json_bytes(&manifest.chains) {
        return Err(err("chains differ from manifest.json's chains".into()));
    }
    Ok(list)
}

/// The first snapshot links to nothing; every later one to its predecessor's exact
/// manifest bytes.
fn check_link(prev: Option<&Checked>, this: &Checked) -> Result<(), CheckError> {
    let snapshot = this.manifest.snapshot_id.to_string();
    let detail = match (prev, &this.manifest.previous) {
        (None, None) => return Ok(()),
        (None, Some(link)) => format!(
            "previous is {} but no earlier snapshot is published",
            link.snapshot_id
        ),
        (Some(p), None) => format!(
            "previous is null but {} was published before it",
            p.manifest.snapshot_id
        ),
        (Some(p), Some(link)) if link.snapshot_id != p.manifest.snapshot_id => format!(
            "previous is {} but the snapshot published before it is {}",
            link.snapshot_id, p.manifest.snapshot_id
        ),
        (Some(p), Some(link)) if link.manifest_sha256 != p.manifest_sha256 => format!(
            "previous.manifest_sha256 {} does not match {}'s manifest.json (sha256 {})",
            link.manifest_sha256, p.manifest.snapshot_id, p.manifest_sha256
        ),
        (Some(_), Some(_)) => return Ok(()),
    };
    Err(CheckError::Chain { snapshot, detail })
}

/// Symbol → decimals of a manifest's assets.
pub fn decimals(manifest: &Manifest) -> BTreeMap<&str, u8> {
    manifest
        .assets
        .iter()
        .map(|a| (a.symbol.as_str(), a.decimals))
        .collect()
}
