//! The commands around a run that read the output or write only their own files:
//! one account's proof (refused when the store is not the published manifest's), the
//! ownership messages custody signs, and `por init`'s example files.

use super::{JobError, output_dirs};
use crate::config::Config;
use crate::format::{Manifest, SnapshotId};
use crate::reserves;
use crate::snapshot::SnapshotError;
use crate::tree::store::AnyStore;
use crate::tree::v2::AnyProof;
use std::path::{Path, PathBuf};

/// `por proof`: one account's proof from the private store of `id`, refused when
/// the store was not built for the published manifest's root.
pub fn proof(config: &Config, id: &SnapshotId, uid: &str) -> Result<AnyProof, JobError> {
    let dirs = output_dirs(config);
    let manifest_path = dirs.snapshot(id.as_str()).join("manifest.json");
    let bytes = std::fs::read(&manifest_path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => JobError::NotPublished {
            id: id.to_string(),
            path: manifest_path.clone(),
        },
        _ => JobError::Io {
            path: manifest_path.clone(),
            source: e,
        },
    })?;
    let manifest: Manifest = serde_json::from_slice(&bytes).map_err(|e| {
        JobError::Snapshot(SnapshotError::BadPublished {
            path: manifest_path.clone(),
            message: e.to_string(),
        })
    })?;
    let store_dir = dirs.store(id.as_str());
    if !store_dir.exists() {
        return Err(JobError::NotPublished {
            id: id.to_string(),
            path: store_dir,
        });
    }
    let store = AnyStore::open(&store_dir)?;
    let store_root = store.root()?;
    if store_root != manifest.tree.root {
        return Err(JobError::StoreMismatch {
            id: id.to_string(),
            store_root: store_root.to_hex(),
            manifest_root: manifest.tree.root.to_hex(),
        });
    }
    Ok(store.proof(uid)?)
}

/// One address's ownership message to sign for a snapshot (`por messages`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SigningMessage {
    /// The address as listed in the wallets file.
    pub address: String,
    /// The address's chain, `bitcoin` or `ethereum`.
    pub chain: String,
    /// The wallets file's label for the address.
    pub label: String,
    /// The exact text to sign (FORMAT.md §5).
    pub message: String,
    /// The proof scheme the address is listed with (e.g. `bip137`, `eip191`, `bip127`).
    pub scheme: String,
    /// For a `bip127` wallet (whose `address` is the wallet name): the outpoint its
    /// PSBT's first input must spend, `<SHA-256("Proof-of-Reserves: " ‖ message)>:0`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commitment: Option<String>,
}

/// `por messages`: the exact message per listed address for snapshot `id`, so that
/// custody can sign offline before the run.
pub fn messages(config: &Config, id: &SnapshotId) -> Result<Vec<SigningMessage>, JobError> {
    let path = config
        .wallets_for(id.as_str())
        .ok_or_else(|| JobError::NoWallets {
            file: config.file.clone(),
        })?;
    let wallets = reserves::wallets::parse_addresses(
        &path,
        &reserves::wallets::WalletChains::from_config(config),
    )?;
    let bip127 = config.bip127.iter().map(|w| {
        let message = crate::ownership::message(&config.exchange, id.as_str(), &w.name);
        let [txid, _] = crate::ownership::bip127::commitment_txids(&message);
        SigningMessage {
            address: w.name.clone(),
            chain: "bitcoin".into(),
            label: w.label.clone(),
            message,
            scheme: "bip127".into(),
            commitment: Some(format!("{txid}:0")),
        }
    });
    Ok(wallets
        .into_iter()
        .map(|w| {
            let address = w.address.to_string();
            SigningMessage {
                message: crate::ownership::message(&config.exchange, id.as_str(), &address),
                chain: w.address.chain().to_string(),
                address,
                label: w.label,
                scheme: w.scheme.to_string(),
                commitment: None,
            }
        })
        .chain(bip127)
        .collect())
}

/// The example files `por init` writes: a complete, commented config and inputs.
const INIT_FILES: &[(&str, &str)] = &[
    ("por.toml", include_str!("../../docs/example/por.toml")),
    (
        "liabilities.csv",
        include_str!("../../docs/example/liabilities.csv"),
    ),
    (
        "wallets.csv",
        include_str!("../../docs/example/wallets.csv"),
    ),
];

/// `por init`: writes the example config and inputs into `dir`, refusing (before
/// writing anything) when any of them exists. Returns the files written.
pub fn init(dir: &Path) -> Result<Vec<PathBuf>, JobError> {
    let io = |p: &Path| {
        let path = p.to_path_buf();
        move |source| JobError::Io { path, source }
    };
    let paths: Vec<PathBuf> = INIT_FILES.iter().map(|(n, _)| dir.join(n)).collect();
    if let Some(p) = paths.iter().find(|p| p.exists()) {
        return Err(JobError::WouldOverwrite { path: p.clone() });
    }
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    for (p, (_, text)) in paths.iter().zip(INIT_FILES) {
        std::fs::write(p, text).map_err(io(p))?;
    }
    Ok(paths)
}
