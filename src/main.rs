//! The `por` binary: parses the command line, calls the library, turns the outcome
//! into an exit code. 0: all good. 1: a check failed (an asset short, an address not
//! verified, a proof rejected). 2: nothing done (bad input, chain or I/O error).

use anyhow::Context;
use clap::{Parser, Subcommand};
use por::config::Config;
use por::format::{Manifest, SnapshotId};
use por::time::Timestamp;
use por::tree::proof::InclusionProof;
use por::tree::store::ProofStore;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "por",
    version,
    about = "Proof of reserves: liabilities tree, on-chain reserves, published site"
)]
struct Cli {
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value = "text")]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Snapshot liabilities (and reserves, when chains are configured) and publish
    /// `<snapshots>/<id>/manifest.json` plus the private proof store.
    Snapshot {
        #[arg(long)]
        config: PathBuf,
        #[arg(long)]
        id: String,
        /// The snapshot time (RFC 3339); default: now.
        #[arg(long)]
        as_of: Option<String>,
    },
    /// Print one account's inclusion proof (por-inclusion-proof/1) on stdout.
    Proof {
        #[arg(long)]
        config: PathBuf,
        #[arg(long)]
        id: String,
        #[arg(long)]
        uid: String,
    },
    /// Benchmark the core on synthetic liabilities (build with --release).
    Bench {
        #[arg(long, default_value_t = 1_000_000)]
        accounts: u64,
        #[arg(long, default_value_t = 4)]
        assets: usize,
        /// Work folder (default: a fresh temp folder, removed afterwards).
        #[arg(long)]
        dir: Option<PathBuf>,
        #[arg(long, default_value_t = 1000)]
        lookups: usize,
    },
    /// Verify an inclusion proof against a snapshot's manifest (all five steps).
    Verify {
        #[arg(long)]
        proof: PathBuf,
        #[arg(long)]
        manifest: PathBuf,
    },
}

/// An error that decides its own exit code.
struct Failure {
    code: u8,
    message: String,
}

fn operational(e: impl std::fmt::Display) -> Failure {
    Failure {
        code: 2,
        message: e.to_string(),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logs(cli.log_format);
    match run(cli.command) {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            eprintln!("error: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("POR_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.with_target(false).init(),
        LogFormat::Json => builder.json().init(),
    }
}

fn load_config(path: &PathBuf) -> Result<Config, Failure> {
    Config::from_file(path).map_err(operational)
}

fn snapshot_id(id: &str) -> Result<SnapshotId, Failure> {
    SnapshotId::new(id).map_err(operational)
}

fn run(command: Command) -> Result<u8, Failure> {
    match command {
        Command::Snapshot { config, id, as_of } => {
            let config = load_config(&config)?;
            let id = snapshot_id(&id)?;
            let as_of = match as_of {
                Some(s) => Timestamp::parse_rfc3339(&s).map_err(operational)?,
                None => Timestamp::now(),
            };
            let outcome = por::job::snapshot(&config, &id, as_of, false).map_err(operational)?;
            println!("{}", outcome.summary_line());
            Ok(outcome.exit_code())
        }
        Command::Proof { config, id, uid } => {
            let config = load_config(&config)?;
            let id = snapshot_id(&id)?;
            let dir = config.private_dir.join(id.as_str());
            if !dir.exists() {
                return Err(operational(format!(
                    "no proof store for snapshot {id} at {}",
                    dir.display()
                )));
            }
            let store = ProofStore::open(&dir).map_err(operational)?;
            let proof = store.proof(&uid).map_err(operational)?;
            println!(
                "{}",
                serde_json::to_string_pretty(&proof).expect("serializes")
            );
            Ok(0)
        }
        Command::Verify { proof, manifest } => verify(&proof, &manifest),
        Command::Bench {
            accounts,
            assets,
            dir,
            lookups,
        } => {
            let tmp;
            let dir = match dir {
                Some(d) => {
                    std::fs::create_dir_all(&d).map_err(operational)?;
                    d
                }
                None => {
                    tmp = std::env::temp_dir().join(format!("por-bench-{}", std::process::id()));
                    std::fs::create_dir_all(&tmp).map_err(operational)?;
                    tmp.clone()
                }
            };
            let report = por::bench::run(accounts, assets, &dir, lookups);
            if dir.starts_with(std::env::temp_dir()) {
                let _ = std::fs::remove_dir_all(&dir);
            }
            for line in report.map_err(operational)?.lines {
                println!("{line}");
            }
            Ok(0)
        }
    }
}

fn verify(proof_path: &PathBuf, manifest_path: &PathBuf) -> Result<u8, Failure> {
    let read = |p: &PathBuf| {
        std::fs::read_to_string(p)
            .with_context(|| p.display().to_string())
            .map_err(|e| operational(format!("{e:#}")))
    };
    let proof_text = read(proof_path)?;
    let manifest_text = read(manifest_path)?;
    let manifest: Manifest = serde_json::from_str(&manifest_text).map_err(|e| {
        operational(format!(
            "{}: not a por-manifest/1: {e}",
            manifest_path.display()
        ))
    })?;
    if let Err(e) = serde_json::from_str::<serde_json::Value>(&proof_text) {
        return Err(operational(format!(
            "{}: not JSON: {e}",
            proof_path.display()
        )));
    }
    let verified = InclusionProof::from_json(&proof_text).and_then(|p| p.verify(&manifest));
    match verified {
        Ok(v) => {
            let p = &v.proof;
            let balances: Vec<String> = p
                .assets
                .iter()
                .zip(&p.balances)
                .map(|(a, b)| format!("{} {}", b.display_units(a.decimals), a.symbol))
                .collect();
            println!(
                "valid: uid {:?} is included in snapshot {} of {} with balances {}; root {} (height {})",
                p.uid,
                p.snapshot_id,
                p.exchange,
                balances.join(", "),
                p.root.hash,
                p.path.len()
            );
            Ok(0)
        }
        Err(e) => {
            println!("invalid: {e}");
            Ok(1)
        }
    }
}
