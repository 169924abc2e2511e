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
use std::path::{Path, PathBuf};
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
    /// The whole job, for cron: snapshot (liabilities, reserves at the snapshot block,
    /// ownership, hash-chained manifest) then the site. Exit 0 solvent and published, 1
    /// published but an asset is short or an address failed, 2 nothing published.
    Run {
        #[arg(long)]
        config: PathBuf,
        /// Snapshot id; default: the as_of date (YYYY-MM-DD).
        #[arg(long)]
        id: Option<String>,
        /// The snapshot time (RFC 3339); default: now.
        #[arg(long)]
        as_of: Option<String>,
        /// Re-publish the newest snapshot (only the newest may be replaced).
        #[arg(long)]
        replace: bool,
        /// Print a machine-readable summary on stdout instead of one line.
        #[arg(long)]
        json: bool,
    },
    /// Render the static site from the published snapshots alone.
    Render {
        #[arg(long)]
        config: PathBuf,
    },
    /// Print, per listed address, the exact message to sign for snapshot `id`.
    Messages {
        #[arg(long)]
        config: PathBuf,
        #[arg(long)]
        id: String,
        /// JSON lines instead of text blocks.
        #[arg(long)]
        json: bool,
    },
    /// Run the whole job on the bundled demo (fictitious exchange, synthetic chain
    /// fixture; see demo/README.md): three monthly snapshots, then the site.
    Demo {
        /// Folder to write the demo inputs and outputs into (recreated on each run).
        #[arg(long, default_value = "demo-out")]
        out: PathBuf,
    },
    /// Write a commented example config, liabilities and wallets file into a folder.
    Init {
        #[arg(default_value = ".")]
        dir: PathBuf,
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

fn load_config(path: &Path) -> Result<Config, Failure> {
    Config::from_file(path).map_err(operational)
}

/// A snapshot id from `--id`; the message names the option.
fn snapshot_id(id: &str) -> Result<SnapshotId, Failure> {
    SnapshotId::new(id).map_err(|e| operational(format!("--id: {e}")))
}

/// A time from `--as-of`; the message names the option.
fn as_of_arg(s: &str) -> Result<Timestamp, Failure> {
    Timestamp::parse_rfc3339(s).map_err(|e| operational(format!("--as-of: {e}")))
}

fn run(command: Command) -> Result<u8, Failure> {
    match command {
        Command::Snapshot { config, id, as_of } => {
            let config = load_config(&config)?;
            let id = snapshot_id(&id)?;
            let as_of = match as_of {
                Some(s) => as_of_arg(&s)?,
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
        Command::Run {
            config,
            id,
            as_of,
            replace,
            json,
        } => run_job(&config, id, as_of, replace, json),
        Command::Render { config } => {
            let config = load_config(&config)?;
            let _lock = por::lock::RunLock::acquire(&config.lock_path()).map_err(operational)?;
            let s = por::site::render(&config).map_err(operational)?;
            println!(
                "site rendered at {}: {} pages, {} files, {} bytes",
                config.site_dir.display(),
                s.pages,
                s.files,
                s.bytes
            );
            Ok(0)
        }
        Command::Messages { config, id, json } => {
            let config = load_config(&config)?;
            let id = snapshot_id(&id)?;
            let path = config.wallets_for(id.as_str()).ok_or_else(|| {
                operational(format!(
                    "{}: no [wallets] file configured",
                    config.file.display()
                ))
            })?;
            let network = config
                .chains
                .as_ref()
                .and_then(|c| c.bitcoin.as_ref())
                .map(|b| b.network)
                .unwrap_or(bitcoin::Network::Bitcoin);
            let wallets =
                por::reserves::wallets::parse_addresses(&path, network).map_err(operational)?;
            for w in wallets {
                let address = w.address.to_string();
                let message = por::ownership::message(&config.exchange, id.as_str(), &address);
                if json {
                    let line = serde_json::json!({
                        "chain": w.address.chain().to_string(),
                        "address": address,
                        "label": w.label,
                        "scheme": w.scheme.to_string(),
                        "message": message,
                    });
                    println!("{line}");
                } else {
                    println!(
                        "# {} {} ({}, {})\n{message}\n",
                        w.address.chain(),
                        address,
                        w.label,
                        w.scheme
                    );
                }
            }
            Ok(0)
        }
        Command::Demo { out } => demo(&out),
        Command::Init { dir } => {
            std::fs::create_dir_all(&dir).map_err(operational)?;
            for (name, text) in [
                ("por.toml", include_str!("../docs/example/por.toml")),
                (
                    "liabilities.csv",
                    include_str!("../docs/example/liabilities.csv"),
                ),
                ("wallets.csv", include_str!("../docs/example/wallets.csv")),
            ] {
                let p = dir.join(name);
                if p.exists() {
                    return Err(operational(format!(
                        "{}: already exists; not overwritten",
                        p.display()
                    )));
                }
                std::fs::write(&p, text)
                    .map_err(|e| operational(format!("{}: {e}", p.display())))?;
                println!("wrote {}", p.display());
            }
            Ok(0)
        }
        Command::Bench {
            accounts,
            assets,
            dir,
            lookups,
        } => {
            let report = por::bench::run(accounts, assets, dir, lookups);
            for line in report.map_err(operational)?.lines {
                println!("{line}");
            }
            Ok(0)
        }
    }
}

fn run_job(
    config: &Path,
    id: Option<String>,
    as_of: Option<String>,
    replace: bool,
    json: bool,
) -> Result<u8, Failure> {
    let start = std::time::Instant::now();
    let config = load_config(config)?;
    let _lock = por::lock::RunLock::acquire(&config.lock_path()).map_err(operational)?;
    let as_of = match as_of {
        Some(s) => as_of_arg(&s)?,
        None => Timestamp::now(),
    };
    let id = snapshot_id(&id.unwrap_or_else(|| as_of.date()))?;
    let spinner = progress(&format!(
        "snapshot {id}: liabilities, reserves, proof store"
    ));
    let outcome = por::job::snapshot(&config, &id, as_of, replace);
    spinner.finish_and_clear();
    let outcome = outcome.map_err(operational)?;
    let spinner = progress("rendering the site");
    let site = por::site::render(&config);
    spinner.finish_and_clear();
    let site = site.map_err(|e| {
        operational(format!(
            "snapshot {id} was published, but the site was not rendered: {e}"
        ))
    })?;
    for (address, scheme, why) in &outcome.failed_addresses {
        tracing::error!(%address, %scheme, reason = %why, "ownership proof failed");
    }
    let code = outcome.exit_code();
    if json {
        let assets: Vec<_> = outcome
            .manifest
            .assets
            .iter()
            .map(|a| {
                serde_json::json!({
                    "symbol": a.symbol,
                    "liabilities": a.liabilities,
                    "reserves": a.reserves,
                    "unproven_reserves": a.unproven_reserves,
                    "reserve_ratio": a.reserve_ratio,
                    "short": a.is_short(),
                })
            })
            .collect();
        let failed: Vec<_> = outcome
            .failed_addresses
            .iter()
            .map(|(a, s, w)| serde_json::json!({"address": a, "scheme": s, "reason": w}))
            .collect();
        let summary = serde_json::json!({
            "snapshot_id": id.as_str(),
            "as_of": outcome.manifest.as_of,
            "accounts": outcome.accounts,
            "manifest_sha256": outcome.manifest_sha256,
            "assets": assets,
            "failed_addresses": failed,
            "files_published": outcome.manifest.files.len() + 1,
            "site": {"pages": site.pages, "files": site.files, "bytes": site.bytes},
            "duration_secs": start.elapsed().as_secs_f64(),
            "exit_code": code,
        });
        println!("{summary}");
    } else {
        println!(
            "{}; {} snapshot files and {} site files written; {:.1}s in all",
            outcome.summary_line(),
            outcome.manifest.files.len() + 1,
            site.files,
            start.elapsed().as_secs_f64()
        );
    }
    Ok(code)
}

/// The bundled demo inputs, by path relative to the demo folder.
const DEMO_FILES: &[(&str, &str)] = &[
    ("README.md", include_str!("../demo/README.md")),
    ("por.toml", include_str!("../demo/por.toml")),
    (
        "chain-fixture.json",
        include_str!("../demo/chain-fixture.json"),
    ),
    (
        "liabilities/2026-09-21.csv",
        include_str!("../demo/liabilities/2026-09-21.csv"),
    ),
    (
        "liabilities/2026-10-21.csv",
        include_str!("../demo/liabilities/2026-10-21.csv"),
    ),
    (
        "liabilities/2026-11-21.csv",
        include_str!("../demo/liabilities/2026-11-21.csv"),
    ),
    (
        "wallets/2026-09-21.csv",
        include_str!("../demo/wallets/2026-09-21.csv"),
    ),
    (
        "wallets/2026-10-21.csv",
        include_str!("../demo/wallets/2026-10-21.csv"),
    ),
    (
        "wallets/2026-11-21.csv",
        include_str!("../demo/wallets/2026-11-21.csv"),
    ),
];
const DEMO_SNAPSHOTS: [&str; 3] = ["2026-09-21", "2026-10-21", "2026-11-21"];
const DEMO_MARKER: &str = ".por-demo";

fn demo(out: &Path) -> Result<u8, Failure> {
    let io = |p: &Path, e: std::io::Error| operational(format!("{}: {e}", p.display()));
    if out.exists() {
        if !out.join(DEMO_MARKER).exists() {
            return Err(operational(format!(
                "{}: exists and is not a por demo folder; choose another --out",
                out.display()
            )));
        }
        std::fs::remove_dir_all(out).map_err(|e| io(out, e))?;
    }
    for (name, text) in DEMO_FILES {
        let p = out.join(name);
        std::fs::create_dir_all(p.parent().expect("has a parent")).map_err(|e| io(&p, e))?;
        std::fs::write(&p, text).map_err(|e| io(&p, e))?;
    }
    std::fs::write(
        out.join(DEMO_MARKER),
        "written by `por demo`; removed by the next `por demo`\n",
    )
    .map_err(|e| io(out, e))?;
    println!(
        "DEMO: fictitious exchange, synthetic chain fixture (not live data); inputs in {}",
        out.display()
    );
    let config = load_config(&out.join("por.toml"))?;
    let mut code = 0;
    for id in DEMO_SNAPSHOTS {
        let as_of = Timestamp::parse_rfc3339(&format!("{id}T00:00:00Z")).map_err(operational)?;
        let outcome =
            por::job::snapshot(&config, &snapshot_id(id)?, as_of, false).map_err(operational)?;
        println!("{}", outcome.summary_line());
        code = code.max(outcome.exit_code());
    }
    let site = por::site::render(&config).map_err(operational)?;
    println!(
        "site: {} ({} pages, {} files). View it with: python3 -m http.server -d {} 8000  (then http://localhost:8000/)",
        config.site_dir.display(),
        site.pages,
        site.files,
        config.site_dir.display()
    );
    println!(
        "a proof: cargo run -- proof --config {} --id 2026-11-21 --uid acct-000001 > proof.json",
        out.join("por.toml").display()
    );
    Ok(code)
}

/// A spinner on stderr when it is a terminal; nothing otherwise (cron, pipes).
fn progress(message: &str) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let pb = indicatif::ProgressBar::new_spinner();
    pb.set_message(message.to_string());
    pb.enable_steady_tick(std::time::Duration::from_millis(120));
    pb
}

fn verify(proof_path: &Path, manifest_path: &Path) -> Result<u8, Failure> {
    let read = |p: &Path| {
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
