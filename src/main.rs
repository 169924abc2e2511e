//! The `por` binary: parses the command line, calls the library, prints, and turns
//! the outcome into an exit code ([`por::exit::ExitCode`]: 0 all good; 1 published
//! but a check failed; 2 nothing published; 3 published, site not rendered). A panic
//! is caught and reported as one line with exit 2.

use anyhow::Context;
use clap::{Parser, Subcommand};
use por::config::Config;
use por::exit::ExitCode;
use por::format::SnapshotId;
use por::time::Timestamp;
use por::tree::proof::ManifestRef;
use por::tree::v2::{AnyProof, AnyVerified};
use std::path::{Path, PathBuf};

#[derive(Parser)]
#[command(
    name = "por",
    version,
    about = "Proof of reserves: liabilities tree, on-chain reserves, published site",
    after_help = "Exit codes: 0 done, every check passed; 1 published, but an asset is short or an \
address's ownership proof failed (verify: the proof is rejected); 2 nothing published (bad config \
or input, chain or I/O error, another por command holds the lock, internal error); 3 the snapshot \
was published but the site was not rendered (run the same `por run --id ID` again)."
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
    /// published but an asset is short or an address failed, 2 nothing published, 3
    /// published but the site not rendered. An id that is already published is not
    /// touched: the run checks it, renders the site and exits with its status.
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
    /// Print one account's inclusion proof on stdout (por-inclusion-proof/2 for a por/2
    /// snapshot, por-inclusion-proof/1 for a por/1 one).
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
        /// The tree version: 2 (por/2, the default: split 4, padding_bits 6) or 1.
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(1..=2))]
        tree: u8,
        /// Parts per account (por/2).
        #[arg(long, default_value_t = por::tree::v2::DEFAULT_SPLIT, value_parser = clap::value_parser!(u8).range(1..=16))]
        split: u8,
        /// Padding granularity (por/2).
        #[arg(long, default_value_t = por::tree::v2::DEFAULT_PADDING_BITS, value_parser = clap::value_parser!(u8).range(0..=8))]
        padding_bits: u8,
        /// Where the bench makes its own fresh work folder (removed afterwards; DIR
        /// itself is kept). Default: the system temp folder.
        #[arg(long)]
        dir: Option<PathBuf>,
        #[arg(long, default_value_t = 1000)]
        lookups: usize,
        /// The liabilities source the synthetic accounts are read from.
        #[arg(long, value_enum, default_value_t = BenchInput::Csv)]
        source: BenchInput,
        /// For --source postgres: the server (a table is created there and dropped).
        #[arg(long)]
        postgres_url: Option<String>,
        /// For --source postgres: the environment variable holding the password.
        #[arg(long)]
        postgres_password_env: Option<String>,
    },
    /// Verify an inclusion proof against a snapshot's manifest (all five steps).
    Verify {
        #[arg(long, required_unless_present = "bundle")]
        proof: Option<PathBuf>,
        #[arg(long)]
        manifest: PathBuf,
        /// Re-check a dispute file (por-dispute/1, from the Verify page) instead of a
        /// proof: its proof against MANIFEST, and MANIFEST against the hash it names.
        #[arg(long, conflicts_with = "proof")]
        bundle: Option<PathBuf>,
    },
}

/// `por bench --source`: where the synthetic liabilities are read from.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum BenchInput {
    /// A CSV file.
    Csv,
    /// A gzip-compressed CSV file.
    Gz,
    /// A zstd-compressed CSV file.
    Zst,
    /// A Parquet file.
    Parquet,
    /// A table on the server of --postgres-url.
    Postgres,
}

/// An error that decides its own exit code.
struct Failure {
    code: ExitCode,
    message: String,
}

fn operational(e: impl std::fmt::Display) -> Failure {
    Failure {
        code: ExitCode::NothingPublished,
        message: e.to_string(),
    }
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    init_logs(cli.log_format);
    let name = command_name(&cli.command);
    // Last line of defence: no input may panic, but if something does, the operator
    // gets one line naming the command and exit 2. Every write goes through the
    // staging area, so a panic leaves nothing half-published, and the lock is
    // released on unwind.
    std::panic::set_hook(Box::new(move |info| {
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("error: internal error in `por {name}`{at}: {what}; please report it");
    }));
    match std::panic::catch_unwind(move || run(cli.command)) {
        Ok(Ok(code)) => code.into(),
        Ok(Err(f)) => {
            eprintln!("error: {}", f.message);
            f.code.into()
        }
        Err(_) => ExitCode::NothingPublished.into(),
    }
}

fn command_name(c: &Command) -> &'static str {
    match c {
        Command::Snapshot { .. } => "snapshot",
        Command::Run { .. } => "run",
        Command::Render { .. } => "render",
        Command::Messages { .. } => "messages",
        Command::Demo { .. } => "demo",
        Command::Init { .. } => "init",
        Command::Proof { .. } => "proof",
        Command::Bench { .. } => "bench",
        Command::Verify { .. } => "verify",
    }
}

fn init_logs(format: LogFormat) {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_env("POR_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colour only for a person at a terminal: never in a file or a pipe, never with
    // NO_COLOR set (no-color.org: present and not empty).
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let ansi = std::io::stderr().is_terminal() && !no_color;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
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

/// A time from `--as-of` (default: now); the message names the option.
fn as_of_arg(s: Option<&str>) -> Result<Timestamp, Failure> {
    match s {
        Some(s) => Timestamp::parse_rfc3339(s).map_err(|e| operational(format!("--as-of: {e}"))),
        None => Ok(Timestamp::now()),
    }
}

fn run(command: Command) -> Result<ExitCode, Failure> {
    match command {
        Command::Snapshot { config, id, as_of } => {
            let config = load_config(&config)?;
            let id = snapshot_id(&id)?;
            let as_of = as_of_arg(as_of.as_deref())?;
            let outcome = por::job::snapshot_only(&config, &id, as_of).map_err(operational)?;
            println!("{}", outcome.summary_line());
            Ok(outcome.exit_code())
        }
        Command::Proof { config, id, uid } => {
            let config = load_config(&config)?;
            let id = snapshot_id(&id)?;
            let proof = por::job::proof(&config, &id, &uid).map_err(operational)?;
            println!(
                "{}",
                serde_json::to_string_pretty(&proof).expect("serializes")
            );
            Ok(ExitCode::Ok)
        }
        Command::Verify {
            proof,
            manifest,
            bundle,
        } => match (proof, bundle) {
            (_, Some(bundle)) => verify_bundle(&bundle, &manifest),
            (Some(proof), None) => verify(&proof, &manifest),
            (None, None) => unreachable!("clap requires --proof or --bundle"),
        },
        Command::Run {
            config,
            id,
            as_of,
            replace,
            json,
        } => run_job(&config, id, as_of, replace, json),
        Command::Render { config } => {
            let config = load_config(&config)?;
            let s = por::job::render(&config).map_err(operational)?;
            println!(
                "site rendered at {}: {} pages, {} files, {} bytes",
                config.site_dir.display(),
                s.pages,
                s.files,
                s.bytes
            );
            Ok(ExitCode::Ok)
        }
        Command::Messages { config, id, json } => {
            let config = load_config(&config)?;
            let id = snapshot_id(&id)?;
            for m in por::job::messages(&config, &id).map_err(operational)? {
                if json {
                    println!("{}", serde_json::to_string(&m).expect("serializes"));
                } else {
                    println!(
                        "# {} {} ({}, {})\n{}\n",
                        m.chain, m.address, m.label, m.scheme, m.message
                    );
                }
            }
            Ok(ExitCode::Ok)
        }
        Command::Demo { out } => demo(&out),
        Command::Init { dir } => {
            for p in por::job::init(&dir).map_err(operational)? {
                println!("wrote {}", p.display());
            }
            Ok(ExitCode::Ok)
        }
        Command::Bench {
            accounts,
            assets,
            tree,
            split,
            padding_bits,
            dir,
            lookups,
            source,
            postgres_url,
            postgres_password_env,
        } => {
            let tree = match tree {
                1 => por::config::TreeConfig::V1,
                _ => por::config::TreeConfig::V2 {
                    split,
                    padding_bits,
                    publish_account_count: false,
                },
            };
            use por::bench::BenchSource;
            let source = match (source, postgres_url) {
                (BenchInput::Csv, None) => BenchSource::Csv,
                (BenchInput::Gz, None) => BenchSource::Gzip,
                (BenchInput::Zst, None) => BenchSource::Zstd,
                (BenchInput::Parquet, None) => BenchSource::Parquet,
                (BenchInput::Postgres, Some(url)) => BenchSource::Postgres {
                    url,
                    password_env: postgres_password_env,
                },
                (BenchInput::Postgres, None) => {
                    return Err(operational("--source postgres needs --postgres-url"));
                }
                (_, Some(_)) => {
                    return Err(operational("--postgres-url is only for --source postgres"));
                }
            };
            let report = por::bench::run(accounts, assets, tree, dir, lookups, &source);
            for line in report.map_err(operational)?.lines {
                println!("{line}");
            }
            Ok(ExitCode::Ok)
        }
    }
}

fn run_job(
    config: &Path,
    id: Option<String>,
    as_of: Option<String>,
    replace: bool,
    json: bool,
) -> Result<ExitCode, Failure> {
    let config = load_config(config)?;
    let as_of = as_of_arg(as_of.as_deref())?;
    let id = id.as_deref().map(snapshot_id).transpose()?;
    let spinner = progress("snapshot: liabilities, reserves, proof store, site");
    let outcome = por::job::run(&config, id, as_of, replace);
    spinner.finish_and_clear();
    let outcome = outcome.map_err(operational)?;
    let snap = &outcome.snapshot;
    let id = snap.manifest.snapshot_id.clone();
    for f in &snap.failed_addresses {
        tracing::error!(address = %f.address, scheme = %f.scheme, reason = %f.reason, "ownership proof failed");
    }
    let code = outcome.exit_code();
    let site_error = outcome.site.as_ref().err().map(|e| {
        format!(
            "snapshot {id} was published, but the site was not rendered: {e}; run `por run --config {} --id {id}` again to render it",
            config.file.display()
        )
    });
    let site = outcome.site.as_ref().ok().copied().unwrap_or_default();
    let files_published = snap.manifest.files.len() + 1;
    if json {
        println!(
            "{}",
            serde_json::to_string(&outcome.summary()).expect("serializes")
        );
    } else if snap.already_published {
        println!("{}; {} site files written", snap.summary_line(), site.files);
    } else {
        println!(
            "{}; {} snapshot files and {} site files written; {:.1}s in all",
            snap.summary_line(),
            files_published,
            site.files,
            outcome.total_time.as_secs_f64()
        );
    }
    if let Some(e) = site_error {
        eprintln!("error: {e}");
    }
    Ok(code)
}

fn demo(out: &Path) -> Result<ExitCode, Failure> {
    println!(
        "DEMO: fictitious exchange, synthetic chain fixture (not live data); inputs in {}",
        out.display()
    );
    let d = por::job::demo(out).map_err(operational)?;
    for s in &d.snapshots {
        println!("{}", s.summary_line());
    }
    let site_dir = d.config.site_dir.display();
    println!(
        "site: {site_dir} ({} pages, {} files). View it with: python3 -m http.server -d {site_dir} 8000  (then http://localhost:8000/)",
        d.site.pages, d.site.files,
    );
    println!(
        "a proof: cargo run -- proof --config {} --id 2026-11-21 --uid acct-000001 > proof.json",
        out.join("por.toml").display()
    );
    Ok(d.exit_code())
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

/// `por verify --bundle`: re-checks a dispute file; exit 0 when its proof verifies
/// against the manifest it names, 1 otherwise.
fn verify_bundle(bundle_path: &Path, manifest_path: &Path) -> Result<ExitCode, Failure> {
    use por::dispute::ManifestHash;
    let read =
        |p: &Path| std::fs::read(p).map_err(|e| operational(format!("{}: {e}", p.display())));
    let bundle = read(bundle_path)?;
    let bundle = String::from_utf8(bundle)
        .map_err(|e| operational(format!("{}: {e}", bundle_path.display())))?;
    let manifest = read(manifest_path)?;
    let r = por::dispute::recheck(&bundle, &manifest)
        .map_err(|e| operational(format!("{}: {e}", bundle_path.display())))?;
    let proof = match &r.proof {
        Ok(()) => "the proof is valid".to_string(),
        Err(e) => format!("the proof is invalid: {e}"),
    };
    let manifest_line = match &r.manifest_hash {
        ManifestHash::Matches => "the manifest is the one the dispute file names".to_string(),
        ManifestHash::Differs { bundle, given } => format!(
            "the manifest is NOT the one the dispute file names (sha256 {given}, the file names {bundle})"
        ),
        ManifestHash::NotInBundle { given } => {
            format!("the dispute file names no manifest hash (this one is sha256 {given})")
        }
    };
    let page = format!(
        "the page said {}{}",
        r.bundle.verdict.result,
        r.bundle
            .verdict
            .check
            .as_deref()
            .map(|c| format!(" ({c})"))
            .unwrap_or_default()
    );
    let agrees = if r.agrees_with_bundle() {
        "this re-check agrees"
    } else {
        "this re-check DISAGREES"
    };
    println!(
        "{}: {proof}; {manifest_line}; {page}, {agrees}",
        if r.is_valid() { "valid" } else { "invalid" }
    );
    Ok(if r.is_valid() {
        ExitCode::Ok
    } else {
        ExitCode::CheckFailed
    })
}

fn verify(proof_path: &Path, manifest_path: &Path) -> Result<ExitCode, Failure> {
    let read = |p: &Path| {
        std::fs::read_to_string(p)
            .with_context(|| p.display().to_string())
            .map_err(|e| operational(format!("{e:#}")))
    };
    let proof_text = read(proof_path)?;
    let manifest_text = read(manifest_path)?;
    let manifest = ManifestRef::from_json(&manifest_text).map_err(|e| {
        operational(format!(
            "{}: not a por manifest: {e}",
            manifest_path.display()
        ))
    })?;
    if let Err(e) = serde_json::from_str::<serde_json::Value>(&proof_text) {
        return Err(operational(format!(
            "{}: not JSON: {e}",
            proof_path.display()
        )));
    }
    let verified = AnyProof::verify_json(&proof_text, &manifest);
    match verified {
        Ok(v) => {
            // (uid, snapshot, exchange, assets, balances, root, height, parts)
            let (uid, snapshot, exchange, assets, balances, root, height, parts) = match &v {
                AnyVerified::V1(v) => {
                    let p = &v.proof;
                    (
                        &p.uid,
                        &p.snapshot_id,
                        &p.exchange,
                        &p.assets,
                        &p.balances,
                        p.root.hash,
                        p.path.len(),
                        1,
                    )
                }
                AnyVerified::V2(v) => {
                    let p = &v.proof;
                    let height = p.parts.first().map(|x| x.path.len()).unwrap_or(0);
                    (
                        &p.uid,
                        &p.snapshot_id,
                        &p.exchange,
                        &p.assets,
                        &p.balances,
                        p.root.hash,
                        height,
                        p.parts.len(),
                    )
                }
            };
            let balances: Vec<String> = assets
                .iter()
                .zip(balances)
                .map(|(a, b)| format!("{} {}", b.display_units(a.decimals), a.symbol))
                .collect();
            let parts = if matches!(v, AnyVerified::V2(_)) {
                format!("; {parts} parts, each folding to the root")
            } else {
                String::new()
            };
            println!(
                "valid: uid {uid:?} is included in snapshot {snapshot} of {exchange} with balances {}; root {root} (height {height}){parts}",
                balances.join(", "),
            );
            Ok(ExitCode::Ok)
        }
        Err(e) => {
            println!("invalid: {e}");
            Ok(ExitCode::CheckFailed)
        }
    }
}
