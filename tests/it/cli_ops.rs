//! Operator commands: `por init` writes a complete example that loads and parses,
//! `por messages` prints exactly the FORMAT.md §5 message per address, and `por bench`
//! deletes nothing but the folder it made.

fn por(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    crate::support::cli::command(args)
        .current_dir(dir)
        .env("POR_LOG", "warn")
        .output()
        .unwrap()
}

#[test]
fn init_writes_an_example_that_loads_and_never_overwrites() {
    let d = tempfile::tempdir().unwrap();
    let o = por(d.path(), &["init", "ex"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let config = por::config::Config::from_file(&d.path().join("ex/por.toml")).unwrap();
    assert_eq!(config.exchange, "Example Exchange");
    assert_eq!(config.assets.len(), 3);
    let chains = config.chains.as_ref().unwrap();
    assert_eq!(chains.bitcoin().unwrap().endpoints.len(), 1);
    // The example is written with [[chains]] entries: names, kinds, natives, a contract.
    let names: Vec<(&str, Option<u64>)> = chains
        .list
        .iter()
        .map(|c| (c.name.as_str(), c.chain_id()))
        .collect();
    assert_eq!(names, [("bitcoin", None), ("ethereum", Some(1))]);
    assert!(chains.list.iter().all(|c| c.listed));
    let sources: Vec<Vec<(&str, bool)>> = config
        .assets
        .iter()
        .map(|a| {
            a.sources
                .iter()
                .map(|s| (s.chain.as_str(), s.contract.is_some()))
                .collect()
        })
        .collect();
    assert_eq!(
        sources,
        [
            vec![("bitcoin", false)],
            vec![("ethereum", false)],
            vec![("ethereum", true)]
        ]
    );
    assert!(config.custodians.is_empty());
    assert_eq!(
        por::job::site_settings(&config)
            .explorers
            .block_url("ethereum", 5, "0x00")
            .as_deref(),
        Some("https://etherscan.io/block/5")
    );
    por::liabilities::read(
        &config.liabilities_for("x"),
        &config.asset_infos(),
        por::time::Timestamp(0),
        &por::progress::Silent,
    )
    .unwrap();
    let wallets = por::reserves::wallets::parse_file(
        &config.wallets_for("x").unwrap(),
        &por::reserves::wallets::WalletChains::from_config(&config),
    )
    .unwrap();
    assert_eq!(wallets.len(), 2);
    // The committed example is the one `init` writes.
    let committed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/example/por.toml"
    ))
    .unwrap();
    assert_eq!(
        std::fs::read_to_string(d.path().join("ex/por.toml")).unwrap(),
        committed
    );

    let before = std::fs::read(d.path().join("ex/liabilities.csv")).unwrap();
    let o = por(d.path(), &["init", "ex"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("already exists; not overwritten"));
    assert_eq!(
        std::fs::read(d.path().join("ex/liabilities.csv")).unwrap(),
        before
    );
}

#[test]
fn messages_are_the_exact_text_to_sign() {
    let d = tempfile::tempdir().unwrap();
    por(d.path(), &["init", "."]);
    let o = por(
        d.path(),
        &[
            "messages",
            "--config",
            "por.toml",
            "--id",
            "2026-11-22",
            "--json",
        ],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(
        lines[1]["message"],
        "Proof of reserves\nexchange: Example Exchange\nsnapshot: 2026-11-22\naddress: 0x742d35Cc6634C0532925a3b844Bc454e4438f44e"
    );
    let text = por(
        d.path(),
        &["messages", "--config", "por.toml", "--id", "2026-11-22"],
    );
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.starts_with(
        "# bitcoin bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq (cold, none)\nProof of reserves\nexchange: Example Exchange\nsnapshot: 2026-11-22\naddress: bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq\n"
    ), "{text}");
    // A bad snapshot id is refused before anything is printed.
    let o = por(
        d.path(),
        &["messages", "--config", "por.toml", "--id", "../x"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
}

/// Everything in `dir`, by name.
fn entries(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// `--dir` under the temp folder used to be deleted whole (`--dir /tmp` deleted /tmp):
/// the bench works in a fresh subfolder and removes only that.
#[test]
fn bench_keeps_the_given_dir_and_removes_only_its_own_folder() {
    let d = tempfile::tempdir().unwrap();
    let work = d.path().join("work");
    std::fs::create_dir(&work).unwrap();
    std::fs::write(work.join("marker.txt"), "keep me").unwrap();
    let args = [
        "bench",
        "--accounts",
        "20",
        "--assets",
        "2",
        "--lookups",
        "5",
    ];
    let mut with_dir = args.to_vec();
    with_dir.extend(["--dir", work.to_str().unwrap()]);
    let o = por(d.path(), &with_dir);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("proof lookup (warm cache): median"));
    assert_eq!(entries(&work), ["marker.txt"]);
    assert_eq!(
        std::fs::read_to_string(work.join("marker.txt")).unwrap(),
        "keep me"
    );

    // Without --dir: a fresh folder in the system temp folder ($TMPDIR), removed too.
    let tmp = d.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    std::fs::write(tmp.join("marker.txt"), "keep me").unwrap();
    let o = crate::support::cli::command(&args)
        .env("TMPDIR", &tmp)
        .env("POR_LOG", "warn")
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(entries(&tmp), ["marker.txt"]);
}

/// Uncomments the lines of `text` from the one starting with `first` to the one
/// starting with `last` (both commented out with `# `).
fn uncomment(text: &str, first: &str, last: &str) -> String {
    let mut inside = false;
    let mut out = String::new();
    for line in text.lines() {
        if line.starts_with(first) {
            inside = true;
        }
        if inside {
            out.push_str(
                line.strip_prefix("# ")
                    .unwrap_or(line.trim_start_matches('#')),
            );
        } else {
            out.push_str(line);
        }
        out.push('\n');
        if inside && line.starts_with(last) {
            inside = false;
        }
    }
    out
}

/// The example's commented-out extras (a second EVM chain, USDT on it, a custodian)
/// load when uncommented, and give what their comments say.
#[test]
fn the_example_with_its_second_chain_and_custodian_loads() {
    let text = include_str!("../../docs/example/por.toml");
    let text = text.replace(
        "contracts = { ethereum = \"0xdAC17F958D2ee523a2206206994597C13D831ec7\" }\n",
        "",
    );
    let text = uncomment(&text, "# contracts = {", "# contracts = {");
    let text = uncomment(&text, "# [[custodians]]", "# attestation_sha256");
    let text = uncomment(&text, "# [[chains]]", "# url = \"https://arb1");
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("por.toml"), &text).unwrap();
    let c = por::config::Config::from_file(&d.path().join("por.toml"))
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
    let chains = c.chains.as_ref().unwrap();
    let arbitrum = chains.get("arbitrum").expect("the arbitrum entry");
    assert_eq!(arbitrum.chain_id(), Some(42161));
    let eth = c.assets.iter().find(|a| a.symbol == "ETH").unwrap();
    let usdt = c.assets.iter().find(|a| a.symbol == "USDT").unwrap();
    let on = |a: &por::config::AssetConfig| -> Vec<String> {
        a.sources.iter().map(|s| s.chain.clone()).collect()
    };
    assert_eq!(on(eth), ["ethereum", "arbitrum"]);
    assert_eq!(on(usdt), ["arbitrum", "ethereum"]);
    assert_eq!(c.custodians.len(), 1);
    assert_eq!(c.custodians[0].name, "Example Trust Co.");
    assert_eq!(
        por::job::site_settings(&c)
            .explorers
            .address_url("arbitrum", "0xab")
            .as_deref(),
        Some("https://arbiscan.io/address/0xab")
    );
}
