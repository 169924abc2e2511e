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
    after_help = "Exit codes: 0 done, every check passed; 1 published, but an asset is short, an \
address's ownership proof failed or too few witnesses cosigned (verify, log check: a check failed); 2 nothing published (bad config \
or input, chain or I/O error, another por command holds the lock, internal error); 3 the snapshot \
was published but the site was not rendered (run the same `por run --id ID` again)."
)]
struct Cli {
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value = "text")]
    log_format: LogFormat,
    /// No progress bars or spinners on stderr (they show only on a terminal anyway).
    #[arg(long, global = true)]
    quiet: bool,
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
    /// Publish a reserves update between snapshots (docs/reserves-update.md): every
    /// listed address read again at each chain's block with `[watch] confirmations`,
    /// against the latest snapshot's liabilities, hash-chained to the previous update;
    /// old updates pruned ([watch] keep), the site rendered again. Exit 0 solvent, 1
    /// published but an asset is short or an address drained, 2 nothing published (the
    /// failure is recorded in <updates>/failures.json), 3 published but the site not
    /// rendered. Without --every: one update, and another por command holding the lock
    /// is refused (exit 2, its pid named). With --every: an update every DURATION,
    /// forever, each waiting for the lock until the next is due.
    Watch {
        #[arg(long)]
        config: PathBuf,
        /// Repeat every DURATION (`90s`, `30m`, `1h`, `1d`) instead of once.
        #[arg(long)]
        every: Option<String>,
        /// Print a machine-readable summary on stdout (one JSON line per update).
        #[arg(long)]
        json: bool,
        /// The update's time instead of the clock (RFC 3339; for tests).
        #[arg(long, hide = true, conflicts_with = "every")]
        now: Option<String>,
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
    /// Benchmark the core on synthetic liabilities (build with --release); with
    /// --addresses, the reserves read of many addresses against local chain servers.
    Bench {
        /// Measure the reserves read instead: Bitcoin and EVM addresses against local
        /// Esplora and JSON-RPC servers that add --latency-ms to every HTTP request.
        #[arg(long)]
        addresses: bool,
        /// With --addresses: Bitcoin addresses read.
        #[arg(long, default_value_t = 10_000, requires = "addresses")]
        bitcoin: u64,
        /// With --addresses: EVM addresses, each listed on both EVM chains.
        #[arg(long, default_value_t = 5_000, requires = "addresses")]
        evm: u64,
        /// With --addresses: milliseconds added to every HTTP request.
        #[arg(long, default_value_t = 20, requires = "addresses")]
        latency_ms: u64,
        /// With --addresses: `[reads] in_flight`.
        #[arg(long, default_value_t = 32, requires = "addresses", value_parser = clap::value_parser!(u64).range(1..=256))]
        in_flight: u64,
        /// With --addresses: `[reads] batch`.
        #[arg(long, default_value_t = 100, requires = "addresses", value_parser = clap::value_parser!(u64).range(1..=1000))]
        batch: u64,
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
    /// Make the snapshot log's Ed25519 signed-note key (FORMAT.md §7): the private key
    /// into the private folder (or `[log] key`), mode 0600, never over an existing one;
    /// the verifier key printed and written to the log folder's key.txt.
    Keygen {
        #[arg(long)]
        config: PathBuf,
        /// The log's origin, e.g. proof-of-reserves.example.com/por (the key's name).
        #[arg(long)]
        name: String,
    },
    /// Run or set up a witness (c2sp.org/tlog-witness) that cosigns snapshot logs.
    Witness {
        #[command(subcommand)]
        command: WitnessCommand,
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
        /// With pinned keys: also check that MANIFEST is in the site's cosigned log.
        #[command(flatten)]
        pins: PinArgs,
        /// The site (URL or folder) to read log/checkpoint and snapshots/index.json
        /// from; default: the folder MANIFEST sits in (<site>/snapshots/<id>/).
        #[arg(long)]
        site: Option<String>,
    },
    /// The snapshot log, for auditors.
    Log {
        #[command(subcommand)]
        command: LogCommand,
    },
}

#[derive(Subcommand)]
enum LogCommand {
    /// The whole history: every manifest and its files, the hash chain, the log tree
    /// (snapshots/index.json), every consistency file, the checkpoint and its
    /// cosignatures, with pinned keys. Exit 0 all good, 1 a check failed, 2 unreadable.
    Check {
        /// The site: an http(s) URL or a folder.
        #[arg(long)]
        site: String,
        #[command(flatten)]
        pins: PinArgs,
    },
}

/// Keys a verifier pins (never the site's own): the log's, the witnesses', and how
/// many witnesses must cosign.
#[derive(clap::Args, Clone, Default)]
struct PinArgs {
    /// The log's verifier key (type 0x01; its name is the origin).
    #[arg(long)]
    log_key: Option<String>,
    /// A witness's verifier key (type 0x04); repeatable.
    #[arg(long = "witness")]
    witnesses: Vec<String>,
    /// Cosignatures required (k); default: every pinned witness.
    #[arg(long)]
    witnesses_required: Option<usize>,
    /// A file of pinned keys, one a line (# comments): the type-0x01 one is the log's,
    /// type-0x04 ones are witnesses.
    #[arg(long)]
    keys: Option<PathBuf>,
    /// The oldest a cosignature may be, in hours.
    #[arg(long, default_value_t = 72)]
    max_cosignature_age_hours: u64,
}

impl PinArgs {
    fn given(&self) -> bool {
        self.log_key.is_some() || !self.witnesses.is_empty() || self.keys.is_some()
    }

    fn pins(&self) -> Result<por::log::audit::Pins, Failure> {
        use por::log::{KeyType, VerifierKey};
        let (mut log_key, mut witnesses) = (None, Vec::new());
        if let Some(f) = &self.keys {
            let text = std::fs::read_to_string(f)
                .map_err(|e| operational(format!("{}: {e}", f.display())))?;
            let (l, w) = por::log::audit::Pins::parse_keys(&text)
                .map_err(|e| operational(format!("{}: {e}", f.display())))?;
            log_key = l;
            witnesses = w;
        }
        if let Some(k) = &self.log_key {
            log_key = Some(
                VerifierKey::parse_as(k, KeyType::Note)
                    .map_err(|e| operational(format!("--log-key: {e}")))?,
            );
        }
        for w in &self.witnesses {
            witnesses.push(
                VerifierKey::parse_as(w, KeyType::Cosignature)
                    .map_err(|e| operational(format!("--witness: {e}")))?,
            );
        }
        let Some(log_key) = log_key else {
            return Err(operational(
                "--log-key (or a --keys file with a type-0x01 key) is needed to check the log",
            ));
        };
        let required = self.witnesses_required.unwrap_or(witnesses.len());
        if required > witnesses.len() {
            return Err(operational(format!(
                "--witnesses-required {required}: only {} witness key(s) pinned",
                witnesses.len()
            )));
        }
        Ok(por::log::audit::Pins {
            log_key,
            witnesses,
            required,
            max_age_secs: self.max_cosignature_age_hours.saturating_mul(3600),
        })
    }
}

#[derive(Subcommand)]
enum WitnessCommand {
    /// Serve add-checkpoint: cosign each configured log's checkpoints only when they
    /// extend the last one cosigned (state kept in --state, flushed before answering).
    Serve {
        /// The witness's private key (`por witness keygen` writes it).
        #[arg(long)]
        key: PathBuf,
        /// The state folder: the latest cosigned size and root per log.
        #[arg(long)]
        state: PathBuf,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:7380")]
        listen: String,
        /// A log to follow, `<origin>=<verifier key>` (repeatable).
        #[arg(long = "log", required = true)]
        logs: Vec<String>,
    },
    /// Make a witness key (Ed25519 cosignature/v1, type 0x04): the private key into
    /// --key (mode 0600, never over an existing file), the verifier key printed.
    Keygen {
        /// The witness's name, e.g. witness.example.com/w1.
        #[arg(long)]
        name: String,
        /// The private key file to create.
        #[arg(long)]
        key: PathBuf,
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
    QUIET.store(cli.quiet, std::sync::atomic::Ordering::Relaxed);
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
        Command::Watch { .. } => "watch",
        Command::Messages { .. } => "messages",
        Command::Demo { .. } => "demo",
        Command::Init { .. } => "init",
        Command::Proof { .. } => "proof",
        Command::Bench { .. } => "bench",
        Command::Verify { .. } => "verify",
        Command::Keygen { .. } => "keygen",
        Command::Log { .. } => "log",
        Command::Witness { .. } => "witness",
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

/// `por watch`: one update (exit code by its outcome), or the `--every` loop (which
/// only a signal ends; each round prints its line or its error).
fn watch(
    config: &Path,
    every: Option<&str>,
    json: bool,
    now: Option<&str>,
) -> Result<ExitCode, Failure> {
    use por::job::watch::{self, WatchAt, WatchOutcome};
    let config = load_config(config)?;
    let print = |o: &WatchOutcome| {
        if json {
            println!(
                "{}",
                serde_json::to_string(&o.summary()).expect("serializes")
            );
        } else {
            println!("{}", o.summary_line());
        }
    };
    if config.watch.is_none() {
        return Err(operational(watch::WatchError::NoWatch {
            file: config.file.clone(),
        }));
    }
    match every {
        None => {
            let time = match now {
                Some(s) => {
                    Timestamp::parse_rfc3339(s).map_err(|e| operational(format!("--now: {e}")))?
                }
                None => Timestamp::now(),
            };
            let o = watch::update(&config, WatchAt { time, tip_at: None }).map_err(operational)?;
            print(&o);
            Ok(o.exit_code())
        }
        Some(text) => {
            let every = por::config::parse_duration(text)
                .map_err(|e| operational(format!("--every: {e}")))?;
            watch::every(&config, every, Timestamp::now, |round| match round {
                Ok(o) => print(&o),
                Err(e) => eprintln!("error: {e}"),
            })
        }
    }
}

fn run(command: Command) -> Result<ExitCode, Failure> {
    match command {
        Command::Snapshot { config, id, as_of } => {
            let config = load_config(&config)?;
            let id = snapshot_id(&id)?;
            let as_of = as_of_arg(as_of.as_deref())?;
            let bars = Bars::new("snapshot: starting");
            let outcome = por::job::snapshot_only(&config, &id, as_of, &bars);
            bars.finish();
            let outcome = outcome.map_err(operational)?;
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
            pins,
            site,
        } => match (proof, bundle) {
            (_, Some(bundle)) => verify_bundle(&bundle, &manifest),
            (Some(proof), None) => {
                let log = if pins.given() {
                    Some((pins.pins()?, site))
                } else {
                    None
                };
                verify(&proof, &manifest, log)
            }
            (None, None) => unreachable!("clap requires --proof or --bundle"),
        },
        Command::Log {
            command: LogCommand::Check { site, pins },
        } => log_check(&site, &pins),
        Command::Run {
            config,
            id,
            as_of,
            replace,
            json,
        } => run_job(&config, id, as_of, replace, json),
        Command::Watch {
            config,
            every,
            json,
            now,
        } => watch(&config, every.as_deref(), json, now.as_deref()),
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
                    let commitment = m
                        .commitment
                        .as_ref()
                        .map(|c| format!(", commitment input {c}"))
                        .unwrap_or_default();
                    println!(
                        "# {} {} ({}, {}{commitment})\n{}\n",
                        m.chain, m.address, m.label, m.scheme, m.message
                    );
                }
            }
            Ok(ExitCode::Ok)
        }
        Command::Demo { out } => demo(&out),
        Command::Keygen { config, name } => {
            let config = load_config(&config)?;
            let k = por::job::log::keygen(&config, &name).map_err(operational)?;
            println!("{}", k.vkey);
            eprintln!(
                "wrote the private key to {} (mode 0600; keep it secret, back it up) and the verifier key to {}",
                k.key_file.display(),
                k.public_file.display()
            );
            if k.needs_config {
                let base = config.file.parent().unwrap_or(Path::new(""));
                let rel = k.key_file.strip_prefix(base).unwrap_or(&k.key_file);
                eprintln!(
                    "add to {}:\n[log]\norigin = \"{name}\"\nkey = \"{}\"",
                    config.file.display(),
                    rel.display()
                );
            }
            Ok(ExitCode::Ok)
        }
        Command::Witness { command } => witness(command),
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
            addresses,
            bitcoin,
            evm,
            latency_ms,
            in_flight,
            batch,
        } => {
            if addresses {
                let bench = por::bench::addresses::AddressBench {
                    bitcoin,
                    evm,
                    latency: std::time::Duration::from_millis(latency_ms),
                    in_flight: in_flight as usize,
                    batch: batch as usize,
                };
                let report = por::bench::run_addresses(&bench, dir).map_err(operational)?;
                for line in report.lines {
                    println!("{line}");
                }
                return Ok(ExitCode::Ok);
            }
            let tree = match tree {
                1 => por::tree::TreeParams::V1,
                _ => por::tree::TreeParams::V2 {
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
            let bars = Bars::new("bench: starting");
            let report = por::bench::run(accounts, assets, tree, dir, lookups, &source, &bars);
            bars.finish();
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
    let bars = if json {
        Bars::off()
    } else {
        Bars::new("snapshot: starting")
    };
    let outcome = por::job::run(&config, id, as_of, replace, &bars);
    bars.finish();
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
    println!(
        "DEMO: two demo witnesses run inside this process on loopback while it runs (NOT independent; demo keys derived from public strings, NOT SECRET)"
    );
    let d = por::job::demo(out).map_err(operational)?;
    for s in &d.snapshots {
        println!("{}", s.summary_line());
    }
    for u in &d.updates {
        println!("{}", u.summary_line());
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

fn witness(command: WitnessCommand) -> Result<ExitCode, Failure> {
    match command {
        WitnessCommand::Keygen { name, key } => {
            let v = por::job::log::witness_keygen(&name, &key).map_err(operational)?;
            println!("{v}");
            eprintln!(
                "wrote the private key to {} (mode 0600); give the verifier key above to the logs and users that rely on this witness",
                key.display()
            );
            Ok(ExitCode::Ok)
        }
        WitnessCommand::Serve {
            key,
            state,
            listen,
            logs,
        } => {
            let key = por::job::log::read_witness_key(&key).map_err(operational)?;
            let logs = logs
                .iter()
                .map(|l| por::job::log::parse_log_arg(l))
                .collect::<Result<Vec<_>, _>>()
                .map_err(operational)?;
            let names: Vec<String> = logs.iter().map(|l| l.name().to_string()).collect();
            let w = por::witness::Witness::open(key, logs, &state).map_err(operational)?;
            let vkey = w.verifier();
            por::witness::server::serve(std::sync::Arc::new(w), &listen, |addr| {
                // One line on stdout once it accepts connections (scripts wait for it).
                println!(
                    "witness {vkey} listening on http://{addr} for {}",
                    names.join(", ")
                );
            })
            .map_err(operational)?;
            Ok(ExitCode::Ok)
        }
    }
}

/// `--quiet`: no spinners or progress bars.
static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether progress may be drawn: stderr is a terminal and `--quiet` is not given.
fn show_progress() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal() && !QUIET.load(std::sync::atomic::Ordering::Relaxed)
}

/// A bar (or a spinner, when the phase's size is unknown) on stderr for each phase
/// the library reports, and one bar per chain while reserves are read (addresses done
/// / total), when progress is shown ([`show_progress`]); nothing otherwise (cron,
/// pipes, `--quiet`, `--json`).
struct Bars {
    on: bool,
    multi: indicatif::MultiProgress,
    bar: std::sync::Mutex<Option<indicatif::ProgressBar>>,
    chains: std::sync::Mutex<std::collections::HashMap<String, indicatif::ProgressBar>>,
}

impl Bars {
    /// Bars for a command; `first` is shown until the first phase starts.
    fn new(first: &str) -> Bars {
        let mut bars = Bars::off();
        bars.on = show_progress();
        if bars.on {
            *bars.lock() = Some(bars.multi.add(spinner(first)));
        }
        bars
    }

    /// No bars at all.
    fn off() -> Bars {
        Bars {
            on: false,
            multi: indicatif::MultiProgress::new(),
            bar: std::sync::Mutex::new(None),
            chains: Default::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<indicatif::ProgressBar>> {
        self.bar.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn chain_bars(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, indicatif::ProgressBar>> {
        self.chains.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Clears every bar.
    fn finish(&self) {
        if let Some(b) = self.lock().take() {
            b.finish_and_clear();
        }
        for b in self.chain_bars().values() {
            b.finish_and_clear();
        }
        let _ = self.multi.clear();
    }
}

fn spinner(message: &str) -> indicatif::ProgressBar {
    let pb = indicatif::ProgressBar::new_spinner();
    pb.set_message(message.to_string());
    pb.enable_steady_tick(std::time::Duration::from_millis(120));
    pb
}

impl por::progress::Progress for Bars {
    fn start(&self, phase: por::progress::Phase, total: Option<u64>) {
        if !self.on {
            return;
        }
        let mut bar = self.lock();
        if let Some(b) = bar.take() {
            b.finish_and_clear();
        }
        let label = phase.label();
        *bar = Some(self.multi.add(match total {
            None => spinner(label),
            Some(total) => {
                let units = if phase == por::progress::Phase::Liabilities {
                    "{bytes}/{total_bytes}"
                } else {
                    "{human_pos}/{human_len}"
                };
                let style = indicatif::ProgressStyle::with_template(&format!(
                    "{{msg:12}} [{{bar:40}}] {units} {{elapsed}} (eta {{eta}})"
                ))
                .expect("a valid template")
                .progress_chars("=> ");
                let pb = indicatif::ProgressBar::new(total).with_style(style);
                pb.set_message(label);
                pb.enable_steady_tick(std::time::Duration::from_millis(120));
                pb
            }
        }));
    }

    fn advance(&self, n: u64) {
        if let Some(b) = self.lock().as_ref() {
            b.inc(n);
        }
    }

    fn chain_start(&self, chain: &str, total: u64) {
        if !self.on {
            return;
        }
        let style = indicatif::ProgressStyle::with_template(
            "{prefix:>12} {bar:30} {pos}/{len} addresses ({per_sec}, {eta} left)",
        )
        .expect("a valid template");
        let bar = self.multi.add(
            indicatif::ProgressBar::new(total)
                .with_style(style)
                .with_prefix(chain.to_string()),
        );
        self.chain_bars().insert(chain.to_string(), bar);
    }

    fn chain_advance(&self, chain: &str, n: u64) {
        if let Some(b) = self.chain_bars().get(chain) {
            b.inc(n);
        }
    }
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

fn log_check(site: &str, pins: &PinArgs) -> Result<ExitCode, Failure> {
    let pins = pins.pins()?;
    let site = por::job::audit::Site::parse(site);
    let now = Timestamp::now().0;
    match por::job::audit::log_check(&site, &pins, now).map_err(operational)? {
        Ok(r) => {
            let cp = &r.checkpoint;
            println!(
                "valid: log {} of {} snapshots ({} to {}), root {}; every manifest, file, link and consistency proof checks; {}",
                cp.origin,
                cp.size,
                r.snapshots.first().map(String::as_str).unwrap_or("-"),
                r.snapshots.last().map(String::as_str).unwrap_or("-"),
                cp.root,
                seen_by(cp),
            );
            Ok(ExitCode::Ok)
        }
        Err(e) => {
            println!("invalid: {e}");
            Ok(ExitCode::CheckFailed)
        }
    }
}

fn seen_by(cp: &por::log::VerifiedCheckpoint) -> String {
    let names: Vec<String> = cp
        .cosignatures
        .iter()
        .map(|c| format!("{} at {}", c.witness, Timestamp(c.timestamp)))
        .collect();
    if names.is_empty() {
        "seen by no witness".into()
    } else {
        format!(
            "seen by {} independent witness(es): {}",
            names.len(),
            names.join(", ")
        )
    }
}

/// The log check of `por verify`: the checkpoint and index from `--site` (or the site
/// folder MANIFEST sits in). `Ok(Err(line))` is a refusal.
fn verify_log(
    manifest_path: &Path,
    manifest: &[u8],
    pins: &por::log::audit::Pins,
    site: Option<String>,
) -> Result<Result<String, String>, Failure> {
    let site = match site {
        Some(s) => por::job::audit::Site::parse(&s),
        None => {
            let dir = manifest_path
                .parent()
                .and_then(Path::parent)
                .and_then(Path::parent)
                .filter(|d| d.join("log/checkpoint").is_file())
                .ok_or_else(|| {
                    operational(format!(
                        "{}: no log/checkpoint in the site folder it sits in; give --site URL_OR_DIR",
                        manifest_path.display()
                    ))
                })?;
            por::job::audit::Site::Dir(dir.to_path_buf())
        }
    };
    let checkpoint = site.get("log/checkpoint").map_err(operational)?;
    let index = site.get("snapshots/index.json").map_err(operational)?;
    Ok(
        match por::job::audit::verify_in_log(
            manifest,
            &checkpoint,
            &index,
            pins,
            Timestamp::now().0,
        ) {
            Ok(inc) => Ok(format!(
                "; in log {} as entry {} of {}, {}",
                inc.checkpoint.origin,
                inc.index,
                inc.checkpoint.size,
                seen_by(&inc.checkpoint)
            )),
            Err(e) => Err(format!("log: {e}")),
        },
    )
}

fn verify(
    proof_path: &Path,
    manifest_path: &Path,
    log: Option<(por::log::audit::Pins, Option<String>)>,
) -> Result<ExitCode, Failure> {
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
            let in_log = match &log {
                None => String::new(),
                Some((pins, site)) => {
                    match verify_log(manifest_path, manifest_text.as_bytes(), pins, site.clone())? {
                        Ok(line) => line,
                        Err(e) => {
                            println!(
                                "invalid: the proof is valid for this manifest, but the manifest fails the log check: {e}"
                            );
                            return Ok(ExitCode::CheckFailed);
                        }
                    }
                }
            };
            println!(
                "valid: uid {uid:?} is included in snapshot {snapshot} of {exchange} with balances {}; root {root} (height {height}){parts}{in_log}",
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
