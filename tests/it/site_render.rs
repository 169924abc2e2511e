//! The site renderer end to end on snapshots published by the library itself: three
//! snapshots (liabilities only, then with reserves and an address list, one asset
//! short), rendered into a site whose pages, copies, index and schemas are checked;
//! then every refusal (tampered file, broken chain, unlisted file, no snapshots)
//! leaves the previous site untouched.

use por::amount::Amount;
use por::config::Config;
use por::format::{
    ADDRESSES_FORMAT, AddressEntry, AddressList, BitcoinChain, ChainBlock, Chains, EthereumChain,
    Holding, Manifest, OwnershipJson, SnapshotId, SnapshotIndex, sha256_hex, to_json_bytes,
};
use por::publish::Output;
use por::snapshot::{self, ReserveFigures};
use por::time::Timestamp;
use por::tree::TreeParams;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const BTC_BLOCK: &str = "00000000000000000002a7c4c1e48d76c5a37902165a270156b7a8d72728a054";
const ETH_BLOCK: &str = "0x8b9d5e8a8c1f0e6f4e7a4f0f5c3c2b1a0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f50";
pub(crate) const BTC_COLD: &str = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq";
pub(crate) const BTC_BARE: &str = "bc1q9vza2e8x573nczrlzms0wvx3gsqjx7vavgkx0l";
pub(crate) const ETH_HOT: &str = "0x742d35Cc6634C0532925a3b844Bc454e4438f44e";
pub(crate) const ETH_BAD: &str = "0xAb5801a7D398351b8bE11C439e05C5B3259aeC9B";
pub(crate) const USDT: &str = "0xdAC17F958D2ee523a2206206994597C13D831ec7";

pub(crate) struct Case {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) config: Config,
}

pub(crate) fn ts(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s).unwrap()
}

pub(crate) fn id(s: &str) -> SnapshotId {
    SnapshotId::new(s).unwrap()
}

pub(crate) fn units(s: &str, decimals: u8) -> Amount {
    Amount::parse_decimal(s, decimals).unwrap()
}

fn ownership(scheme: &str, address: &str, sid: &str, verified: bool) -> OwnershipJson {
    let message =
        format!("Proof of reserves\nexchange: Site Exchange\nsnapshot: {sid}\naddress: {address}");
    OwnershipJson {
        scheme: scheme.into(),
        message,
        signature: Some(match scheme {
            "none" => Value::Null,
            "eip191" => Value::String(format!("0x{}", "ab".repeat(65))),
            _ => Value::String("AkcwRAIgZRfIY3p7/DoVTty6YZbWS71bc5Vct9p9Fia83eRmw2QCICK/ENGfwLtptFluMGs2KsqoNSk89pO7F29zJLUx9a/sASECx/EgAxlkQpQ9hYjgGu6EBCPMVPwVIVJqO4XCsMvViHI=".into()),
        }),
        wallet: None,
        script: None,
        verified,
    }
}

pub(crate) fn chains() -> Chains {
    Chains(
        [
            (
                "bitcoin".to_string(),
                ChainBlock::Bitcoin(BitcoinChain {
                    network: "mainnet".into(),
                    height: 870_000,
                    block_hash: BTC_BLOCK.into(),
                    block_time: "2026-11-20T23:58:31Z".into(),
                }),
            ),
            (
                "ethereum".to_string(),
                ChainBlock::Evm(EthereumChain {
                    kind: None,
                    chain_id: 1,
                    height: 21_000_000,
                    block_hash: ETH_BLOCK.into(),
                    block_time: "2026-11-20T23:59:47Z".into(),
                }),
            ),
        ]
        .into(),
    )
}

/// Reserves and address files for snapshot `sid`: ETH is short unless `eth_covered`.
fn figures(sid: &str, eth_covered: bool) -> ReserveFigures {
    let eth_hot = if eth_covered { "12.5" } else { "11.5" };
    let list = AddressList {
        format: ADDRESSES_FORMAT.into(),
        exchange: "Site Exchange".into(),
        snapshot_id: id(sid),
        chains: chains(),
        addresses: vec![
            AddressEntry {
                chain: "bitcoin".into(),
                address: BTC_COLD.into(),
                label: "cold <vault> & co".into(),
                holdings: vec![Holding {
                    asset: "BTC".into(),
                    contract: None,
                    amount: units("1.875", 8),
                }],
                ownership: ownership("bip322-simple", BTC_COLD, sid, true),
            },
            AddressEntry {
                chain: "bitcoin".into(),
                address: BTC_BARE.into(),
                label: "legacy".into(),
                holdings: vec![Holding {
                    asset: "BTC".into(),
                    contract: None,
                    amount: units("0.1", 8),
                }],
                ownership: ownership("none", BTC_BARE, sid, false),
            },
            AddressEntry {
                chain: "ethereum".into(),
                address: ETH_HOT.into(),
                label: "hot".into(),
                holdings: vec![
                    Holding {
                        asset: "ETH".into(),
                        contract: None,
                        amount: units(eth_hot, 18),
                    },
                    Holding {
                        asset: "USDT".into(),
                        contract: Some(USDT.into()),
                        amount: units("2600.5", 6),
                    },
                ],
                ownership: ownership("eip191", ETH_HOT, sid, true),
            },
            AddressEntry {
                chain: "ethereum".into(),
                address: ETH_BAD.into(),
                label: "claimed".into(),
                holdings: vec![Holding {
                    asset: "ETH".into(),
                    contract: None,
                    amount: units("1", 18),
                }],
                ownership: ownership("eip191", ETH_BAD, sid, false),
            },
        ],
    };
    let csv = "chain,address,label,asset,contract,amount,amount_display,height,scheme,verified,message,signature\n\
               bitcoin,bc1q,cold,BTC,,187500000,1.875,870000,bip322-simple,true,\"m\",s\n";
    let defillama = format!(
        "{{\"bitcoin\":{{\"owners\":[\"{BTC_COLD}\"]}},\"ethereum\":{{\"owners\":[\"{ETH_HOT}\"],\"tokens\":[\"{USDT}\"]}}}}\n"
    );
    ReserveFigures {
        chains: chains(),
        per_asset: vec![
            (units("1.875", 8), units("0.1", 8)),
            (units(eth_hot, 18), units("1", 18)),
            (units("2600.5", 6), Amount::from_base_units(0)),
        ],
        files: vec![
            ("addresses.json".into(), to_json_bytes(&list)),
            ("addresses.csv".into(), csv.as_bytes().to_vec()),
            ("defillama.json".into(), defillama.into_bytes()),
        ],
    }
}

impl Case {
    /// Three published snapshots: `s1` (no reserves), `s2` (ETH short), `s3` (covered);
    /// the first two por/1 (`[tree] version = 1`), the newest por/2 (the default), as
    /// on a site that has published since before por/2.
    pub(crate) fn new() -> Case {
        let dir = tempfile::tempdir().unwrap();
        let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/site");
        std::fs::copy(
            data.join("liabilities.csv"),
            dir.path().join("liabilities.csv"),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("por.toml"),
            r#"exchange = "Site Exchange"
[[assets]]
symbol = "BTC"
decimals = 8
[[assets]]
symbol = "ETH"
decimals = 18
[[assets]]
symbol = "USDT"
decimals = 6
[liabilities]
path = "liabilities.csv"
[output]
snapshots = "out/snapshots"
site = "out/public"
private = "secret"
[site]
ethereum_explorer = "https://etherscan.io/"
[tree]
version = 1
"#,
        )
        .unwrap();
        let config = Config::from_file(&dir.path().join("por.toml")).unwrap();
        assert_eq!(config.tree, TreeParams::V1);
        let out = Output::open(&por::job::output_dirs(&config)).unwrap();
        por::job::snapshot(
            &out,
            &config,
            &id("2026-09-21"),
            ts("2026-09-21T00:00:00Z"),
            false,
            &por::progress::Silent,
        )
        .unwrap();
        drop(out);
        let mut case = Case { dir, config };
        case.publish("2026-10-21", "2026-10-21T00:00:00Z", false);
        case.config.tree = TreeParams::default();
        case.publish("2026-11-21", "2026-11-21T00:00:00Z", true);
        case
    }

    fn publish(&self, sid: &str, as_of: &str, eth_covered: bool) {
        let out = Output::open(&por::job::output_dirs(&self.config)).unwrap();
        let previous = snapshot::plan(&out, &id(sid), ts(as_of), false).unwrap();
        let liabilities = por::liabilities::read(
            &self.config.liabilities,
            &self.config.asset_infos(),
            ts(as_of),
            &por::progress::Silent,
        )
        .unwrap();
        snapshot::publish(
            &out,
            &por::job::snapshot_settings(&self.config),
            &id(sid),
            ts(as_of),
            liabilities,
            figures(sid, eth_covered),
            previous,
            false,
        )
        .unwrap();
    }

    pub(crate) fn snapshots(&self) -> PathBuf {
        self.config.snapshots_dir.clone()
    }

    pub(crate) fn site(&self) -> PathBuf {
        self.config.site_dir.clone()
    }

    pub(crate) fn page(&self, name: &str) -> String {
        std::fs::read_to_string(self.site().join(name)).unwrap()
    }

    pub(crate) fn manifest(&self, sid: &str) -> (Vec<u8>, Manifest) {
        let bytes = std::fs::read(self.snapshots().join(sid).join("manifest.json")).unwrap();
        let m = serde_json::from_slice(&bytes).unwrap();
        (bytes, m)
    }
}

/// Every file under `dir` by relative path.
pub(crate) fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Leaves a copy of the rendered fixture site in `target/test-artifacts/<name>/`
/// for `tests/js/site-e2e.test.mjs` to screenshot (the CLI cannot publish address
/// lists without chains, so this is the site with every section filled).
pub(crate) fn keep_for_screenshots(site: &Path, name: &str) {
    let dest = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/test-artifacts")
        .join(name);
    let _ = std::fs::remove_dir_all(&dest);
    for (rel, bytes) in tree(site) {
        let p = dest.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
}

const IDS: [&str; 3] = ["2026-09-21", "2026-10-21", "2026-11-21"];
pub(crate) const PAGES: [&str; 5] = [
    "index.html",
    "history.html",
    "addresses.html",
    "verify.html",
    "methodology.html",
];

#[test]
fn renders_every_page_with_the_key_figures() {
    let c = Case::new();
    let summary = por::job::render(&c.config).unwrap();
    let files = tree(&c.site());

    // Exactly the promised outputs, nothing else.
    let mut expected: Vec<String> = [
        "index.html",
        "history.html",
        "addresses.html",
        "verify.html",
        "methodology.html",
        "static/style.css",
        "static/verify.js",
        "static/log.js",
        "static/lang.js",
        "static/verify-page.js",
        "static/addresses.js",
        "schema/por-manifest-1.json",
        "schema/por-inclusion-proof-1.json",
        "schema/por-addresses-1.json",
        "schema/por-inclusion-proof-2.json",
        "schema/por-snapshot-index-1.json",
        "schema/por-dispute-1.json",
        "snapshots/index.json",
        "snapshots/2026-09-21/manifest.json",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // Every page again in Simplified Chinese, under zh-CN/.
    for page in PAGES {
        expected.push(format!("zh-CN/{page}"));
    }
    for dir in ["snapshots/2026-10-21", "snapshots/2026-11-21", "latest"] {
        for f in [
            "manifest.json",
            "addresses.json",
            "addresses.csv",
            "defillama.json",
        ] {
            expected.push(format!("{dir}/{f}"));
        }
    }
    expected.sort();
    assert_eq!(files.keys().cloned().collect::<Vec<_>>(), expected);
    assert_eq!(summary.pages, 10);
    assert_eq!(summary.files, files.len());
    assert_eq!(
        summary.bytes,
        files.values().map(|b| b.len() as u64).sum::<u64>()
    );

    let (_, newest) = c.manifest("2026-11-21");
    let (prev_bytes, _) = c.manifest("2026-10-21");
    let newest_sha =
        sha256_hex(&std::fs::read(c.snapshots().join("2026-11-21/manifest.json")).unwrap());

    let index = c.page("index.html");
    for needle in [
        "Site Exchange proof of reserves",
        "2026-11-21T00:00:00Z",
        // Liabilities: BTC 1.75000001, ETH 12.000000000000000001, USDT 2600.5.
        // Each figure with its exact value in the title and its digits grouped in
        // threes by CSS gaps (spans), so the text itself stays the exact value.
        r#"title="1.75000001 BTC = 175000001 base units"><span class="amt">1.<span class="g">750</span><wbr><span class="g">000</span><wbr>01</span><"#,
        r#"title="12.000000000000000001 ETH = 12000000000000000001 base units"><span class="amt">12.<span class="g">000</span>"#,
        r#"<span class="amt">1.875</span>"#,
        r#"<span class="amt"><span class="g">2</span><wbr>600.5</span>"#,
        r#"<th scope="col" class="num">Liabilities</th>"#,
        ">1.0714<",
        ">1.0416<",
        ">1.0000<",
        "Verified reserves cover liabilities for every asset.",
        "https://mempool.space/block/00000000000000000002a7c4c1e48d76c5a37902165a270156b7a8d72728a054",
        "https://etherscan.io/block/21000000",
        "<dd>mainnet</dd>",
        "chain id 1",
        r#"href="snapshots/2026-11-21/manifest.json""#,
        r#"href="snapshots/2026-10-21/manifest.json""#,
        r#"href="snapshots/2026-11-21/addresses.json""#,
        r#"href="snapshots/2026-11-21/addresses.csv""#,
        r#"href="snapshots/2026-11-21/defillama.json""#,
        r#"aria-current="page">Overview<"#,
    ] {
        assert!(index.contains(needle), "index.html lacks {needle}");
    }
    assert!(index.contains(&newest_sha));
    assert!(index.contains(&sha256_hex(&prev_bytes)));
    assert!(index.contains(&newest.tree.root.to_string()));
    assert!(!index.contains("short by"));

    let history = c.page("history.html");
    for sid in IDS {
        assert!(
            history.contains(&format!("snapshots/{sid}/manifest.json")),
            "{sid}"
        );
    }
    // Newest first in the table.
    let pos = |s: &str| {
        history
            .find(&format!(r#"<th scope="row" class="mono">{s}<"#))
            .unwrap()
    };
    assert!(pos("2026-11-21") < pos("2026-10-21") && pos("2026-10-21") < pos("2026-09-21"));
    assert_eq!(history.matches("<svg class=\"chart\"").count(), 3);
    // One ratio chart and one liabilities-and-reserves chart per asset.
    assert_eq!(history.matches(r#"<svg class="chart amounts""#).count(), 3);
    assert_eq!(history.matches(r#"role="img""#).count(), 6);
    assert!(history.contains("ETH liabilities and verified reserves per snapshot</title>"));
    // The 2026-10-21 ETH reserves (11.5) are below liabilities (12.000000000000000001):
    // exact figures in the point's title, the point marked short.
    assert!(history.contains(
        "<title>2026-10-21: liabilities 12.000000000000000001 ETH, verified reserves 11.5 ETH</title>"
    ));
    assert!(history.contains(
        r#"<g class="pts short"><title>2026-10-21: liabilities 12.000000000000000001 ETH"#
    ));
    assert!(
        history
            .contains("latest liabilities 12.000000000000000001 ETH, verified reserves 12.5 ETH.")
    );
    assert!(history.contains("1.0 = fully backed"));
    assert!(history.contains("ETH reserve ratio per snapshot</title>"));
    assert!(history.contains("0.9583 <span class=\"status-bad\">short</span>"));
    assert!(history.contains("0.0000"));

    let addresses = c.page("addresses.html");
    for needle in [
        BTC_COLD,
        ETH_HOT,
        USDT,
        "https://mempool.space/address/bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
        "https://etherscan.io/address/0x742d35Cc6634C0532925a3b844Bc454e4438f44e",
        ">verified<",
        ">not verified<",
        ">unproven (no signature)<",
        r#"<span class="amt">1.875</span> BTC"#,
        r#"<span class="amt">12.5</span> ETH"#,
        r#"<span class="amt"><span class="g">2</span><wbr>600.5</span> USDT"#,
        r#"title="2600.5 USDT = 2600500000 base units""#,
        "bip322-simple",
        r#"id="chain-bitcoin""#,
        r##"href="#chain-ethereum""##,
        "cold &lt;vault&gt; &amp; co",
        "static/addresses.js",
    ] {
        assert!(addresses.contains(needle), "addresses.html lacks {needle}");
    }
    assert!(!addresses.contains("<vault>"), "labels are escaped");

    let verify = c.page("verify.html");
    assert!(verify.contains(r#"data-latest-id="2026-11-21""#));
    assert!(verify.contains("static/verify-page.js"));
    for sid in IDS {
        assert!(verify.contains(&format!("snapshots/{sid}/manifest.json")));
    }

    let methodology = c.page("methodology.html");
    for needle in [
        "por verify --proof proof.json --manifest manifest.json",
        "schema/por-manifest-1.json",
        "schema/por-inclusion-proof-1.json",
        "schema/por-inclusion-proof-2.json",
        "cut into the same number of parts",
        "What a sibling can reveal",
        "salt",
        "random",
        "snapshot block",
    ] {
        assert!(
            methodology.contains(needle),
            "methodology.html lacks {needle}"
        );
    }

    for page in PAGES {
        let html = c.page(page);
        assert!(
            html.starts_with("<!doctype html>\n<html lang=\"en\">"),
            "{page}"
        );
        assert!(
            html.contains(&format!(
                r#"<link rel="alternate" hreflang="zh-CN" href="zh-CN/{page}">"#
            )),
            "{page}"
        );
        assert!(html.contains(r#"<script src="static/lang.js"></script>"#));
    }

    keep_for_screenshots(&c.site(), "site-fixture");

    // No page pulls anything from another site.
    for page in [
        "index.html",
        "history.html",
        "addresses.html",
        "verify.html",
        "methodology.html",
    ] {
        let html = c.page(page);
        assert!(!html.contains("<script src=\"http"), "{page}");
        assert!(
            !html.contains("<link rel=\"stylesheet\" href=\"http"),
            "{page}"
        );
        assert!(!html.contains("{{") && !html.contains("{%"), "{page}");
    }
}

#[test]
fn a_shortfall_is_highlighted_and_stated() {
    let c = Case::new();
    // Make the newest snapshot the short one: drop 2026-11-21 (store and folder).
    std::fs::remove_dir_all(c.snapshots().join("2026-11-21")).unwrap();
    por::job::render(&c.config).unwrap();
    let index = c.page("index.html");
    assert!(index.contains(r#"<tr class="short">"#));
    assert!(index.contains(
        r#"short by <span title="0.500000000000000001 ETH = 500000000000000001 base units"><span class="amt">0.<span class="g">500</span><wbr>"#
    ));
    assert!(index.contains("Reserves are below liabilities for"));
    assert!(index.contains(">0.9583<"));
}

#[test]
fn index_latest_and_copies_are_exact() {
    let c = Case::new();
    por::job::render(&c.config).unwrap();
    let index: SnapshotIndex =
        serde_json::from_slice(&std::fs::read(c.site().join("snapshots/index.json")).unwrap())
            .unwrap();
    assert_eq!(index.format, "por-snapshot-index/1");
    assert_eq!(index.exchange, "Site Exchange");
    let ids: Vec<&str> = index
        .snapshots
        .iter()
        .map(|e| e.snapshot_id.as_str())
        .collect();
    assert_eq!(ids, IDS);
    for e in &index.snapshots {
        let (bytes, m) = c.manifest(e.snapshot_id.as_str());
        assert_eq!(e.manifest_sha256, sha256_hex(&bytes));
        assert_eq!(e.as_of, m.as_of);
    }
    let published = tree(&c.snapshots());
    let site = tree(&c.site());
    for (rel, bytes) in &published {
        assert_eq!(site.get(&format!("snapshots/{rel}")), Some(bytes), "{rel}");
    }
    let (newest, _) = c.manifest("2026-11-21");
    assert_eq!(site["latest/manifest.json"], newest);
    assert_eq!(
        site["latest/addresses.json"],
        published["2026-11-21/addresses.json"]
    );
}

#[test]
fn rendering_is_deterministic() {
    let c = Case::new();
    por::job::render(&c.config).unwrap();
    let first = tree(&c.site());
    por::job::render(&c.config).unwrap();
    let second = tree(&c.site());
    assert_eq!(
        first.keys().collect::<Vec<_>>(),
        second.keys().collect::<Vec<_>>()
    );
    for (k, v) in &first {
        assert!(second[k] == *v, "{k} differs between two renders");
    }
}

fn render_err(c: &Case) -> String {
    por::job::render(&c.config).unwrap_err().to_string()
}

#[test]
fn a_tampered_file_stops_the_render_and_keeps_the_site() {
    let c = Case::new();
    por::job::render(&c.config).unwrap();
    let before = tree(&c.site());
    let path = c.snapshots().join("2026-10-21/addresses.json");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replace("\"label\": \"hot\"", "\"label\": \"hoT\""),
    )
    .unwrap();
    let e = render_err(&c);
    assert!(
        e.starts_with("snapshot 2026-10-21: addresses.json: sha256 ")
            && e.contains("does not match"),
        "{e}"
    );
    assert_eq!(tree(&c.site()), before, "the previous site is untouched");
    // No temp folder is left beside the site.
    let leftovers: Vec<_> = std::fs::read_dir(c.site().parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_missing_or_unlisted_file_is_named() {
    let c = Case::new();
    let dir = c.snapshots().join("2026-11-21");
    std::fs::write(dir.join("notes.txt"), "hello").unwrap();
    assert_eq!(
        render_err(&c),
        "snapshot 2026-11-21: notes.txt is not listed in manifest.json's files"
    );
    std::fs::remove_file(dir.join("notes.txt")).unwrap();
    std::fs::remove_file(dir.join("addresses.csv")).unwrap();
    assert_eq!(
        render_err(&c),
        "snapshot 2026-11-21: addresses.csv is listed in manifest.json but missing"
    );
    assert!(!c.site().exists(), "nothing rendered");
}

#[test]
fn a_broken_hash_chain_stops_the_render() {
    let c = Case::new();
    por::job::render(&c.config).unwrap();
    let before = tree(&c.site());
    // Rewriting history: the first manifest's bytes change (one added space), so the
    // second one's link no longer matches.
    let first = c.snapshots().join("2026-09-21/manifest.json");
    let original = std::fs::read(&first).unwrap();
    let mut edited = original.clone();
    edited.insert(1, b' ');
    std::fs::write(&first, &edited).unwrap();
    let e = render_err(&c);
    assert!(
        e.starts_with(
            "snapshot 2026-10-21: manifest.json: broken hash chain: previous.manifest_sha256"
        ),
        "{e}"
    );
    assert_eq!(tree(&c.site()), before);
    std::fs::write(&first, &original).unwrap();

    // A snapshot removed from the middle of the chain.
    std::fs::rename(
        c.snapshots().join("2026-10-21"),
        c.dir.path().join("moved-away"),
    )
    .unwrap();
    let e = render_err(&c);
    assert_eq!(
        e,
        "snapshot 2026-11-21: manifest.json: broken hash chain: previous is 2026-10-21 but the snapshot published before it is 2026-09-21"
    );

    // The oldest snapshot pruned: the first remaining one links to nothing published.
    std::fs::rename(
        c.dir.path().join("moved-away"),
        c.snapshots().join("2026-10-21"),
    )
    .unwrap();
    std::fs::remove_dir_all(c.snapshots().join("2026-09-21")).unwrap();
    assert_eq!(
        render_err(&c),
        "snapshot 2026-10-21: manifest.json: broken hash chain: previous is 2026-09-21 but no earlier snapshot is published"
    );
}

#[test]
fn no_snapshots_is_a_clear_error() {
    let c = Case::new();
    std::fs::remove_dir_all(c.snapshots()).unwrap();
    let e = render_err(&c);
    assert!(
        e.starts_with("no published snapshot in ") && e.ends_with("run `por snapshot` first"),
        "{e}"
    );
    assert!(!c.site().exists());
}

#[test]
fn undefined_template_variables_are_errors() {
    let mut env = por::site::pages::environment().unwrap();
    env.add_template("probe.html", "<p>{{ not_in_context }}</p>")
        .unwrap();
    let e = env
        .get_template("probe.html")
        .unwrap()
        .render(minijinja::context! {})
        .unwrap_err();
    assert_eq!(e.kind(), minijinja::ErrorKind::UndefinedError, "{e}");
    // The real pages refuse a context that lacks what base.html uses.
    for page in [
        "index.html",
        "history.html",
        "addresses.html",
        "verify.html",
        "methodology.html",
    ] {
        let r = env
            .get_template(page)
            .unwrap()
            .render(minijinja::context! { root => "" });
        assert!(r.is_err(), "{page} rendered without its variables");
    }
}

// ---------------------------------------------------------------------------
// JSON Schemas against real output, with a small checker for exactly the keywords
// the schemas use (any other keyword fails the test, so none is silently ignored).

struct Schema<'a> {
    root: &'a Value,
}

impl Schema<'_> {
    fn check(&self, s: &Value, v: &Value, at: &str, errs: &mut Vec<String>) {
        let Some(obj) = s.as_object() else {
            panic!("schema at {at} is not an object")
        };
        for (k, kw) in obj {
            match k.as_str() {
                "$schema" | "title" | "description" | "$defs" => {}
                "$ref" => {
                    let path = kw.as_str().unwrap().strip_prefix("#/").unwrap();
                    let target = path.split('/').fold(self.root, |node, key| &node[key]);
                    assert!(!target.is_null(), "unresolved $ref {path}");
                    self.check(target, v, at, errs);
                }
                "type" => {
                    let ok = match kw.as_str().unwrap() {
                        "object" => v.is_object(),
                        "array" => v.is_array(),
                        "string" => v.is_string(),
                        "integer" => v.is_u64() || v.is_i64(),
                        "boolean" => v.is_boolean(),
                        "null" => v.is_null(),
                        t => panic!("type {t}"),
                    };
                    if !ok {
                        errs.push(format!("{at}: not {kw}"));
                    }
                }
                "const" if v != kw => errs.push(format!("{at}: not {kw}")),
                "enum" if !kw.as_array().unwrap().contains(v) => {
                    errs.push(format!("{at}: {v} not in {kw}"))
                }
                "const" | "enum" => {}
                "required" => {
                    for r in kw.as_array().unwrap() {
                        if v.is_object() && v.get(r.as_str().unwrap()).is_none() {
                            errs.push(format!("{at}: missing {r}"));
                        }
                    }
                }
                "properties" => {
                    if let Some(o) = v.as_object() {
                        for (name, sub) in kw.as_object().unwrap() {
                            if let Some(x) = o.get(name) {
                                self.check(sub, x, &format!("{at}.{name}"), errs);
                            }
                        }
                    }
                }
                "additionalProperties" => {
                    let declared = obj.get("properties").and_then(Value::as_object);
                    if let Some(o) = v.as_object() {
                        for (name, x) in o {
                            if declared.is_some_and(|d| d.contains_key(name)) {
                                continue;
                            }
                            match kw {
                                Value::Bool(false) => errs.push(format!("{at}: unknown {name}")),
                                Value::Bool(true) => {}
                                sub => self.check(sub, x, &format!("{at}.{name}"), errs),
                            }
                        }
                    }
                }
                "propertyNames" => {
                    if let Some(o) = v.as_object() {
                        for name in o.keys() {
                            self.check(
                                kw,
                                &Value::String(name.clone()),
                                &format!("{at} key {name}"),
                                errs,
                            );
                        }
                    }
                }
                "items" => {
                    if let Some(a) = v.as_array() {
                        for (i, x) in a.iter().enumerate() {
                            self.check(kw, x, &format!("{at}[{i}]"), errs);
                        }
                    }
                }
                "minItems" => {
                    if v.as_array()
                        .is_some_and(|a| (a.len() as u64) < kw.as_u64().unwrap())
                    {
                        errs.push(format!("{at}: fewer than {kw} items"));
                    }
                }
                "minLength" | "maxLength" => {
                    if let Some(t) = v.as_str() {
                        let n = t.chars().count() as u64;
                        let lim = kw.as_u64().unwrap();
                        if (k == "minLength" && n < lim) || (k == "maxLength" && n > lim) {
                            errs.push(format!("{at}: {k} {lim}"));
                        }
                    }
                }
                "pattern" => {
                    if let Some(t) = v.as_str() {
                        let re = regex::Regex::new(kw.as_str().unwrap()).unwrap();
                        if !re.is_match(t) {
                            errs.push(format!("{at}: {t:?} does not match {kw}"));
                        }
                    }
                }
                "minimum" | "maximum" => {
                    if let Some(n) = v.as_i64() {
                        let lim = kw.as_i64().unwrap();
                        if (k == "minimum" && n < lim) || (k == "maximum" && n > lim) {
                            errs.push(format!("{at}: {k} {lim}"));
                        }
                    }
                }
                "oneOf" => {
                    let passing = kw
                        .as_array()
                        .unwrap()
                        .iter()
                        .filter(|sub| {
                            let mut e = Vec::new();
                            self.check(sub, v, at, &mut e);
                            e.is_empty()
                        })
                        .count();
                    if passing != 1 {
                        errs.push(format!("{at}: {passing} of oneOf match"));
                    }
                }
                other => panic!("schema keyword {other} at {at} is not supported by this checker"),
            }
        }
    }
}

/// The errors of `doc` against the embedded schema `name` (empty: it validates).
pub(crate) fn schema_errors(name: &str, doc: &Value) -> Vec<String> {
    let text = por::site::SCHEMAS
        .iter()
        .chain(por::site::UPDATE_SCHEMAS)
        .find(|(n, _)| *n == name)
        .unwrap()
        .1;
    let root: Value = serde_json::from_str(text).unwrap();
    assert_eq!(
        root["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    let mut errs = Vec::new();
    Schema { root: &root }.check(&root, doc, "$", &mut errs);
    errs
}

pub(crate) fn json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn published_documents_validate_against_the_schemas() {
    let c = Case::new();
    por::job::render(&c.config).unwrap();
    let site = c.site();
    // The schemas served are the embedded ones.
    for (name, text) in por::site::SCHEMAS {
        assert_eq!(
            std::fs::read_to_string(site.join("schema").join(name)).unwrap(),
            *text
        );
    }
    for sid in IDS {
        let m = json(&site.join(format!("snapshots/{sid}/manifest.json")));
        assert_eq!(
            schema_errors("por-manifest-1.json", &m),
            Vec::<String>::new(),
            "{sid}"
        );
    }
    for sid in &IDS[1..] {
        let a = json(&site.join(format!("snapshots/{sid}/addresses.json")));
        assert_eq!(
            schema_errors("por-addresses-1.json", &a),
            Vec::<String>::new(),
            "{sid}"
        );
    }
    let index = json(&site.join("snapshots/index.json"));
    assert_eq!(
        schema_errors("por-snapshot-index-1.json", &index),
        Vec::<String>::new()
    );
    let store = por::tree::store::AnyStore::open(&c.config.private_dir.join("2026-10-21")).unwrap();
    let proof = serde_json::to_value(store.proof("carol").unwrap()).unwrap();
    assert_eq!(proof["format"], "por-inclusion-proof/1");
    assert_eq!(
        schema_errors("por-inclusion-proof-1.json", &proof),
        Vec::<String>::new()
    );
    let store2 =
        por::tree::store::AnyStore::open(&c.config.private_dir.join("2026-11-21")).unwrap();
    let proof2 = serde_json::to_value(store2.proof("carol").unwrap()).unwrap();
    assert_eq!(proof2["format"], "por-inclusion-proof/2");
    assert_eq!(
        schema_errors("por-inclusion-proof-2.json", &proof2),
        Vec::<String>::new()
    );
    assert!(!schema_errors("por-inclusion-proof-1.json", &proof2).is_empty());
    assert!(!schema_errors("por-inclusion-proof-2.json", &proof).is_empty());
    let mut p = proof2.clone();
    p["parts"][0]["index"] = 16.into();
    assert!(!schema_errors("por-inclusion-proof-2.json", &p).is_empty());
    let mut p = proof2;
    p["parts"][1]["salt"] = "ab".into();
    assert!(!schema_errors("por-inclusion-proof-2.json", &p).is_empty());
    // Both manifest versions validate, and a por/2 tree without its fields does not.
    for sid in IDS {
        let m = json(&site.join(format!("snapshots/{sid}/manifest.json")));
        assert_eq!(
            schema_errors("por-manifest-1.json", &m),
            Vec::<String>::new(),
            "{sid}"
        );
    }
    let mut m2 = json(&site.join("snapshots/2026-11-21/manifest.json"));
    assert_eq!(m2["tree"]["version"], 2);
    m2["tree"].as_object_mut().unwrap().remove("accounts");
    assert!(!schema_errors("por-manifest-1.json", &m2).is_empty());

    // And they reject what FORMAT.md forbids.
    let m = json(&site.join("latest/manifest.json"));
    type Change = Box<dyn Fn(&mut Value)>;
    let bad: Vec<(&str, Change)> = vec![
        (
            "leading zero",
            Box::new(|m| m["assets"][0]["liabilities"] = "0175000001".into()),
        ),
        (
            "signed amount",
            Box::new(|m| m["assets"][0]["reserves"] = "-1".into()),
        ),
        (
            "uppercase root",
            Box::new(|m| {
                m["tree"]["root"] = m["tree"]["root"].as_str().unwrap().to_uppercase().into()
            }),
        ),
        (
            "ratio with 2 decimals",
            Box::new(|m| m["assets"][0]["reserve_ratio"] = "1.07".into()),
        ),
        (
            "bad snapshot id",
            Box::new(|m| m["snapshot_id"] = "-x".into()),
        ),
        ("unknown field", Box::new(|m| m["extra"] = 1.into())),
        (
            "other format",
            Box::new(|m| m["format"] = "por-manifest/2".into()),
        ),
        (
            "path in files",
            Box::new(|m| m["files"]["../x"] = "00".repeat(32).into()),
        ),
    ];
    for (what, change) in bad {
        let mut doc = m.clone();
        change(&mut doc);
        assert!(
            !schema_errors("por-manifest-1.json", &doc).is_empty(),
            "{what} accepted"
        );
    }
    let mut p = proof.clone();
    p["path"][0]["side"] = "up".into();
    assert!(!schema_errors("por-inclusion-proof-1.json", &p).is_empty());
    let mut p = proof;
    p["salt"] = "ab".into();
    assert!(!schema_errors("por-inclusion-proof-1.json", &p).is_empty());
}

/// A dispute file as the Verify page writes it, for `proof` against the published
/// manifest with SHA-256 `manifest_sha256`.
fn dispute_file(proof: &str, manifest_sha256: &str, result: &str, check: Option<&str>) -> Value {
    serde_json::json!({
        "format": "por-dispute/1",
        "checked_at": "2026-12-01T21:30:00Z",
        "verifier": {"name": "por verify.js", "version": env!("CARGO_PKG_VERSION"), "script_sha256": "ab".repeat(32)},
        "proof": proof,
        "manifest": {
            "snapshot_id": "2026-11-21",
            "url": "https://example.test/snapshots/2026-11-21/manifest.json",
            "sha256": manifest_sha256,
            "source": "fetched",
            "file_name": null,
            "index_check": "fetched",
        },
        "verdict": {
            "result": result,
            "check": check,
            "step": check.map(|_| 4),
            "reason": check.map(|_| "recomputed root hash differs"),
            "error": null,
        },
    })
}

#[test]
fn a_dispute_file_validates_and_is_rechecked_against_the_published_manifest() {
    let c = Case::new();
    por::job::render(&c.config).unwrap();
    let manifest = std::fs::read(c.site().join("snapshots/2026-11-21/manifest.json")).unwrap();
    let sha = sha256_hex(&manifest);
    let store = por::tree::store::AnyStore::open(&c.config.private_dir.join("2026-11-21")).unwrap();
    let proof = serde_json::to_string_pretty(&store.proof("carol").unwrap()).unwrap();

    let valid = dispute_file(&proof, &sha, "valid", None);
    assert_eq!(
        schema_errors("por-dispute-1.json", &valid),
        Vec::<String>::new()
    );
    let r = por::dispute::recheck(&valid.to_string(), &manifest).unwrap();
    assert!(r.is_valid(), "{:?}", r.proof);
    assert!(r.agrees_with_bundle());

    // A raised balance: the re-check fails at the root, as the page said.
    let tampered = crate::support::proofs::raise_first_balance(&proof);
    let tampered = dispute_file(&tampered, &sha, "invalid", Some("root"));
    assert_eq!(
        schema_errors("por-dispute-1.json", &tampered),
        Vec::<String>::new()
    );
    let r = por::dispute::recheck(&tampered.to_string(), &manifest).unwrap();
    assert_eq!((r.result(), r.check()), ("invalid", Some("root")));
    assert!(r.agrees_with_bundle() && !r.is_valid());

    // Another snapshot's manifest: the hash check names both hashes.
    let older = std::fs::read(c.site().join("snapshots/2026-10-21/manifest.json")).unwrap();
    let r = por::dispute::recheck(&valid.to_string(), &older).unwrap();
    assert!(matches!(
        r.manifest_hash,
        por::dispute::ManifestHash::Differs { .. }
    ));
    // That older snapshot is por/1: a por/2 proof against it fails at step 1 (FORMAT.md
    // §6: the proof's format must match the manifest's tree version).
    assert_eq!(r.check(), Some("parse"));
    assert!(!r.is_valid() && !r.agrees_with_bundle());

    // The schema rejects what the format forbids.
    let mut bad = valid.clone();
    bad["verdict"]["result"] = "maybe".into();
    assert!(!schema_errors("por-dispute-1.json", &bad).is_empty());
    let mut bad = valid;
    bad["manifest"]["sha256"] = "AB".repeat(32).into();
    assert!(!schema_errors("por-dispute-1.json", &bad).is_empty());
}

/// The Chinese pages: the same figures, links back to the shared data at the root,
/// their own words, and the browser's catalogue as a JSON data block.
#[test]
fn every_page_is_also_in_simplified_chinese() {
    let c = Case::new();
    por::job::render(&c.config).unwrap();
    let zh = |page: &str| c.page(&format!("zh-CN/{page}"));
    for page in PAGES {
        let html = zh(page);
        assert!(
            html.starts_with("<!doctype html>\n<html lang=\"zh-CN\">"),
            "{page}"
        );
        // The CSP is the same; the language switch and alternates name both pages.
        assert!(html.contains(r#"<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'self'"#));
        assert!(html.contains(&format!(
            r#"<link rel="alternate" hreflang="en" href="../{page}">"#
        )));
        assert!(
            html.contains(&format!(
                r#"<a href="../{page}" hreflang="en" lang="en" data-lang="en">English</a>"#
            )),
            "{page}"
        );
        assert!(
            html.contains(&format!(
                r#"<a href="../zh-CN/{page}" hreflang="zh-CN" lang="zh-CN" data-lang="zh-CN" aria-current="true">简体中文</a>"#
            )),
            "{page}"
        );
        assert!(html.contains(r#"<script src="../static/lang.js"></script>"#));
        assert!(html.contains(r#"<link rel="stylesheet" href="../static/style.css">"#));
        // No link from a Chinese page reaches into zh-CN/ for data: data is at the root.
        assert!(
            !html.contains("href=\"snapshots/"),
            "{page}: data link not under ../"
        );
        assert!(!html.contains("href=\"schema/"), "{page}");
        assert!(!html.contains("{{") && !html.contains("{%"), "{page}");
        // No English sentence of the default pages is left (technical tokens may be).
        for english in [
            "Every figure on this site",
            "Skip to content",
            "latest snapshot",
        ] {
            assert!(!html.contains(english), "{page} still says {english:?}");
        }
    }
    let index = zh("index.html");
    for needle in [
        "Site Exchange 储备金证明",
        "<title>概览 · Site Exchange 储备金证明</title>",
        // The figures are grouped exactly as on the English page; their titles in Chinese.
        r#"title="1.75000001 BTC = 175000001 最小单位"><span class="amt">1.<span class="g">750</span><wbr><span class="g">000</span><wbr>01</span><"#,
        r#"<span class="amt"><span class="g">2</span><wbr>600.5</span>"#,
        "每种资产的已验证储备均足以覆盖负债。",
        r#"<th scope="col" class="num">负债</th>"#,
        "链 ID 1",
        r#"href="../snapshots/2026-11-21/manifest.json""#,
        r#"href="../latest/manifest.json""#,
        r#"aria-current="page">概览<"#,
        r#"href="methodology.html#splitting""#,
    ] {
        assert!(index.contains(needle), "zh-CN/index.html lacks {needle}");
    }
    let history = zh("history.html");
    assert!(history.contains("ETH 各快照的负债与已验证储备</title>"));
    assert!(history.contains(
        "<title>2026-10-21：负债 12.000000000000000001 ETH，已验证储备 11.5 ETH</title>"
    ));
    assert!(history.contains("1.0 = 完全覆盖"));
    assert!(history.contains(r#"<a href="../snapshots/2026-11-21/manifest.json">"#));
    let addresses = zh("addresses.html");
    for needle in [
        ">已验证<",
        ">验证未通过<",
        ">未经证明（无签名）<",
        "cold &lt;vault&gt; &amp; co",
    ] {
        assert!(
            addresses.contains(needle),
            "zh-CN/addresses.html lacks {needle}"
        );
    }
    // The browser's messages: a data block (not executed, so the CSP allows it) with
    // every js.* key and only those, in Chinese.
    let verify = zh("verify.html");
    let block = verify
        .split(r#"<script type="application/json" id="por-i18n">"#)
        .nth(1)
        .and_then(|rest| rest.split("</script>").next())
        .expect("verify.html has the messages block");
    let messages: BTreeMap<String, String> = serde_json::from_str(block).unwrap();
    let catalogue: BTreeMap<String, String> =
        serde_json::from_str(include_str!("../../site/i18n/zh-CN.json")).unwrap();
    let js: BTreeMap<String, String> = catalogue
        .into_iter()
        .filter(|(k, _)| k.starts_with("js."))
        .collect();
    assert_eq!(messages, js);
    assert_eq!(messages["js.valid.title"], "有效：您的账户已包含在内。");
    assert!(verify.contains(r#"<script type="module" src="../static/verify-page.js"></script>"#));
    // Only the pages that run scripts carry the block.
    assert!(!zh("index.html").contains("por-i18n"));
    // The published data files are one set, not translated.
    assert!(!c.site().join("zh-CN/snapshots").exists());
    assert!(!c.site().join("zh-CN/static").exists());
}
