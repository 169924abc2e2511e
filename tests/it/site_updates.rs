//! The site with reserves updates (issue 12), on the three snapshots of
//! [`super::site_render`] plus hash-chained `por-reserves-update/1` files of the newest
//! one and a `failures.json`: the overview's "reserves now" and chart, the addresses
//! page's holdings now, byte copies under `updates/`, `/status.json` and
//! `/latest/addresses.json` against their schemas, `/feed.xml` read back by an
//! independent Atom parser (feed-rs) with stable entry ids, determinism, and every
//! broken update file stopping the render with its name while the previous site stays.

use super::site_render::{
    BTC_BARE, BTC_COLD, Case, ETH_BAD, ETH_HOT, PAGES, USDT, id, json, keep_for_screenshots,
    schema_errors, tree, ts, units,
};
use por::amount::{Amount, reserve_ratio};
use por::format::{
    Alert, BitcoinChain, ChainBlock, Chains, EthereumChain, Holding, ReservesUpdate, UPDATE_FORMAT,
    UpdateAddress, UpdateAsset, UpdateLink, WATCH_FAILURES_FORMAT, WatchFailure, WatchFailures,
    sha256_hex, to_json_bytes, update_file_name,
};
use por::publish::Output;
use por::site::{SiteSettings, UpdatesSettings};
use std::path::PathBuf;
use std::time::Duration;

const SID: &str = "2026-11-21";
const ETH_NEW: &str = "0x1111111111111111111111111111111111111111";
const HOUR: Duration = Duration::from_secs(3600);

fn updates_dir(c: &Case) -> PathBuf {
    c.dir.path().join("out/updates")
}

fn settings(c: &Case, now: &str) -> SiteSettings {
    let mut s = por::job::site_settings(&c.config);
    s.updates = Some(UpdatesSettings {
        dir: updates_dir(c),
        every: Some(HOUR),
        snapshot_every: Some(Duration::from_secs(31 * 86_400)),
        now: ts(now),
    });
    s
}

fn render(c: &Case, s: &SiteSettings) -> Result<por::site::RenderSummary, String> {
    let out = Output::open(&por::job::output_dirs(&c.config)).unwrap();
    por::site::render(&out, s).map_err(|e| e.to_string())
}

fn chains_at(btc: u64, eth: u64) -> Chains {
    Chains(
        [
            (
                "bitcoin".to_string(),
                ChainBlock::Bitcoin(BitcoinChain {
                    network: "mainnet".into(),
                    height: btc,
                    block_hash: format!("{:064x}", btc),
                    block_time: "2026-11-22T00:58:00Z".into(),
                }),
            ),
            (
                "ethereum".to_string(),
                ChainBlock::Evm(EthereumChain {
                    kind: None,
                    chain_id: 1,
                    height: eth,
                    block_hash: format!("0x{:064x}", eth),
                    block_time: "2026-11-22T00:59:47Z".into(),
                }),
            ),
        ]
        .into(),
    )
}

fn holding(asset: &str, contract: Option<&str>, amount: Amount) -> Holding {
    Holding {
        asset: asset.into(),
        contract: contract.map(str::to_string),
        amount,
    }
}

/// An update of the newest snapshot at `time`: the cold wallet holds `cold` BTC, the
/// hot one `eth_hot` ETH, and an address listed since holds 0.5 ETH.
fn update(c: &Case, time: &str, cold: &str, eth_hot: &str, previous: Option<&[u8]>) -> Vec<u8> {
    let (manifest_bytes, m) = c.manifest(SID);
    let addr = |chain: &str, a: &str, label: &str, h: Vec<Holding>, scheme: &str, ok: bool| {
        UpdateAddress {
            chain: chain.into(),
            address: a.into(),
            label: label.into(),
            holdings: h,
            scheme: scheme.into(),
            verified: ok,
            in_snapshot: a != ETH_NEW,
        }
    };
    let addresses = vec![
        addr(
            "bitcoin",
            BTC_COLD,
            "cold <vault> & co",
            vec![holding("BTC", None, units(cold, 8))],
            "bip322-simple",
            true,
        ),
        addr(
            "bitcoin",
            BTC_BARE,
            "legacy",
            vec![holding("BTC", None, units("0.1", 8))],
            "none",
            false,
        ),
        addr(
            "ethereum",
            ETH_HOT,
            "hot",
            vec![
                holding("ETH", None, units(eth_hot, 18)),
                holding("USDT", Some(USDT), units("2600.5", 6)),
            ],
            "eip191",
            true,
        ),
        addr(
            "ethereum",
            ETH_BAD,
            "claimed",
            vec![holding("ETH", None, units("1", 18))],
            "eip191",
            false,
        ),
        addr(
            "ethereum",
            ETH_NEW,
            "new hot",
            vec![holding("ETH", None, units("0.5", 18))],
            "none",
            false,
        ),
    ];
    let figures = [
        (units(cold, 8), units("0.1", 8)),
        (units(eth_hot, 18), units("1.5", 18)),
        (units("2600.5", 6), Amount::from_base_units(0)),
    ];
    let assets: Vec<UpdateAsset> = m
        .assets
        .iter()
        .zip(figures)
        .map(|(a, (r, u))| UpdateAsset {
            symbol: a.symbol.clone(),
            decimals: a.decimals,
            liabilities: a.liabilities,
            reserves: r,
            unproven_reserves: u,
            reserve_ratio: reserve_ratio(r, a.liabilities),
        })
        .collect();
    let mut alerts: Vec<Alert> = assets
        .iter()
        .filter(|a| a.is_short())
        .map(|a| Alert::Short {
            asset: a.symbol.clone(),
            reserve_ratio: a.reserve_ratio.clone().unwrap(),
        })
        .collect();
    if units(cold, 8) == Amount::from_base_units(0) {
        alerts.push(Alert::Drained {
            chain: "bitcoin".into(),
            address: BTC_COLD.into(),
            at_snapshot: vec![holding("BTC", None, units("1.875", 8))],
        });
    }
    let previous = previous.map(|bytes| {
        let p: ReservesUpdate = serde_json::from_slice(bytes).unwrap();
        UpdateLink {
            time: p.time,
            sha256: sha256_hex(bytes),
        }
    });
    to_json_bytes(&ReservesUpdate {
        format: UPDATE_FORMAT.into(),
        exchange: "Site Exchange".into(),
        snapshot_id: id(SID),
        manifest_sha256: sha256_hex(&manifest_bytes),
        time: time.into(),
        chains: chains_at(870_006, 21_000_030),
        confirmations: [("bitcoin".to_string(), 6), ("ethereum".to_string(), 12)].into(),
        assets,
        addresses,
        alerts,
        previous,
    })
}

const T1: &str = "2026-11-22T01:00:00Z";
const T2: &str = "2026-11-22T02:00:00Z";
const T3: &str = "2026-11-22T03:00:00Z";

/// Three updates of the newest snapshot: covered, then ETH short and the cold wallet
/// drained, then still so; and one failed attempt after them.
fn publish_updates(c: &Case) -> [(PathBuf, Vec<u8>); 3] {
    let dir = updates_dir(c).join(SID);
    std::fs::create_dir_all(&dir).unwrap();
    let u1 = update(c, T1, "1.875", "12.5", None);
    let u2 = update(c, T2, "0", "11", Some(&u1));
    let u3 = update(c, T3, "0", "10.75", Some(&u2));
    let files = [(T1, u1), (T2, u2), (T3, u3)].map(|(t, b)| (dir.join(update_file_name(t)), b));
    for (p, b) in &files {
        std::fs::write(p, b).unwrap();
    }
    let failures = WatchFailures {
        format: WATCH_FAILURES_FORMAT.into(),
        failures: vec![WatchFailure {
            time: "2026-11-22T04:00:00Z".into(),
            snapshot_id: id(SID),
            error: "ethereum: endpoints disagree at block 21000040".into(),
        }],
    };
    std::fs::write(
        updates_dir(c).join("failures.json"),
        to_json_bytes(&failures),
    )
    .unwrap();
    files
}

#[test]
fn updates_are_checked_copied_and_shown() {
    let c = Case::new();
    let files = publish_updates(&c);
    render(&c, &settings(&c, "2026-11-22T06:30:00Z")).unwrap();
    // For tests/js/site-e2e.test.mjs: the overview and addresses with updates.
    keep_for_screenshots(&c.site(), "site-updates-fixture");
    let site = tree(&c.site());

    // Every update and the failure record, byte for byte.
    for (p, b) in &files {
        let rel = format!("updates/{SID}/{}", p.file_name().unwrap().to_string_lossy());
        assert_eq!(site.get(&rel), Some(b), "{rel}");
    }
    assert_eq!(
        site["updates/failures.json"],
        std::fs::read(updates_dir(&c).join("failures.json")).unwrap()
    );
    // The snapshot copies stay exact; latest/manifest.json is still the snapshot's.
    let (newest, _) = c.manifest(SID);
    assert_eq!(site["latest/manifest.json"], newest);

    let index = c.page("index.html");
    for needle in [
        r#"<h2 id="now-title">Reserves now</h2>"#,
        "The latest reserves update, <a href=\"updates/2026-11-21/20261122T030000Z.json\" class=\"mono\">2026-11-22T03:00:00Z</a>",
        "3 h 30 min before this page was built",
        r#"(<span class="amt">3</span> updates kept)"#,
        // ETH short now, with its shortfall and change; BTC drained to zero.
        "ETH reserves below liabilities (ratio 0.9166), since 2026-11-22T02:00:00Z",
        // The address may wrap on a phone.
        r#"Bitcoin address <span class="hash">bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq</span> drained"#,
        "Reserves updates overdue: no reserves update since 2026-11-22T03:00:00Z",
        "Reserves update failed: ethereum: endpoints disagree at block 21000040",
        r#"title="-1.75 ETH = -1750000000000000000 base units">-<span class="amt">1.75</span>"#,
        // The blocks of the update, linked to the explorer.
        r#"<a href="https://etherscan.io/block/21000030" rel="noopener noreferrer external">21000030</a>"#,
        // The chart: inline SVG with its title and description, snapshots and updates.
        r#"<title id="now-1-title">ETH reserves over time</title>"#,
        "3 snapshots and 3 updates; latest verified reserves 10.75 ETH against liabilities 12.000000000000000001 ETH, below liabilities.",
        r#"<link rel="alternate" type="application/atom+xml" href="feed.xml" title="Site Exchange proof of reserves: snapshots and alerts (Atom)">"#,
        r#"<a href="status.json">status.json</a>"#,
    ] {
        assert!(index.contains(needle), "index.html lacks {needle}");
    }
    // The snapshot's own verdict and figures are still there, unchanged.
    assert!(index.contains("Verified reserves cover liabilities for every asset."));

    let addresses = c.page("addresses.html");
    for needle in [
        r#"<th scope="col">Now (change)</th>"#,
        "listed since the snapshot",
        ETH_NEW,
        // The cold wallet: 0 now, -1.875 since the snapshot.
        r#"(-<span class="amt">1.875</span>)"#,
    ] {
        assert!(addresses.contains(needle), "addresses.html lacks {needle}");
    }
    let zh = c.page("zh-CN/index.html");
    assert!(zh.contains(r#"<h2 id="now-title">当前储备</h2>"#));
    assert!(zh.contains("ETH 储备低于负债（储备率 0.9166），自 2026-11-22T02:00:00Z 起"));
    assert!(zh.contains(r#"href="../status.json""#));
    for page in PAGES {
        let html = c.page(page);
        assert!(
            html.contains(r#"type="application/atom+xml" href="feed.xml""#),
            "{page}"
        );
        assert!(!html.contains("{{") && !html.contains("{%"), "{page}");
    }
}

#[test]
fn status_and_latest_addresses_follow_their_schemas() {
    let c = Case::new();
    publish_updates(&c);
    render(&c, &settings(&c, "2026-11-22T06:30:00Z")).unwrap();
    let site = c.site();
    let status = json(&site.join("status.json"));
    assert_eq!(
        schema_errors("por-status-1.json", &status),
        Vec::<String>::new()
    );
    assert_eq!(status["format"], "por-status/1");
    assert_eq!(status["generated_at"], "2026-11-22T06:30:00Z");
    assert_eq!(status["snapshot"]["snapshot_id"], SID);
    assert_eq!(status["snapshot"]["overdue"], false);
    assert_eq!(status["snapshot"]["next_due"], "2026-12-22T00:00:00Z");
    assert_eq!(status["update"]["time"], T3);
    assert_eq!(status["update"]["age_seconds"], 3 * 3600 + 1800);
    assert_eq!(status["update"]["blocks"]["ethereum"]["height"], 21_000_030);
    assert_eq!(status["update_overdue_at"], "2026-11-22T05:00:00Z");
    assert_eq!(status["update_overdue"], true);
    assert_eq!(status["assets"][1]["symbol"], "ETH");
    assert_eq!(status["assets"][1]["ratio_snapshot"], "1.0416");
    assert_eq!(status["assets"][1]["ratio_now"], "0.8958");
    assert_eq!(status["assets"][1]["short"], true);
    let kinds: Vec<&str> = status["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    // Draining the cold wallet also leaves BTC short.
    assert_eq!(
        kinds,
        [
            "drained",
            "short",
            "short",
            "update-failed",
            "update-overdue"
        ]
    );
    assert_eq!(status["alerts"][1]["asset"], "BTC");
    // The ETH short alert began at the second update and keeps that update's id.
    let u2 = std::fs::read(updates_dir(&c).join(SID).join(update_file_name(T2))).unwrap();
    assert_eq!(
        status["alerts"][2]["id"],
        format!("urn:por:short:ETH:{}", sha256_hex(&u2))
    );
    assert_eq!(status["alerts"][2]["since"], T2);
    assert_eq!(status["alerts"][2]["reserve_ratio"], "0.9166");
    // A status without the fields it must have is refused by its schema.
    let mut bad = status.clone();
    bad.as_object_mut().unwrap().remove("update_overdue");
    assert!(!schema_errors("por-status-1.json", &bad).is_empty());
    bad = status.clone();
    bad["assets"][0]["liabilities"] = "1.5".into();
    assert!(!schema_errors("por-status-1.json", &bad).is_empty());

    // latest/addresses.json: por-addresses/1 with the update's blocks and holdings.
    let live = json(&site.join("latest/addresses.json"));
    assert_eq!(
        schema_errors("por-addresses-1.json", &live),
        Vec::<String>::new()
    );
    assert_eq!(live["snapshot_id"], SID);
    assert_eq!(live["chains"]["bitcoin"]["height"], 870_006);
    assert_eq!(live["addresses"][0]["address"], BTC_COLD);
    assert_eq!(live["addresses"][0]["holdings"][0]["amount"], "0");
    // The snapshot's ownership proof is kept as signed.
    let snap = json(&site.join(format!("snapshots/{SID}/addresses.json")));
    assert_eq!(
        live["addresses"][0]["ownership"],
        snap["addresses"][0]["ownership"]
    );
    let last = &live["addresses"][4];
    assert_eq!(last["address"], ETH_NEW);
    assert_eq!(last["ownership"]["scheme"], "none");
    assert_eq!(last["ownership"]["verified"], false);
    assert_eq!(
        last["ownership"]["message"],
        format!("Proof of reserves\nexchange: Site Exchange\nsnapshot: {SID}\naddress: {ETH_NEW}")
    );
    assert_eq!(last["holdings"][0]["amount"], "500000000000000000");
}

/// The feed as an independent Atom reader sees it.
fn parse_feed(path: &std::path::Path) -> feed_rs::model::Feed {
    let bytes = std::fs::read(path).unwrap();
    feed_rs::parser::parse(&bytes[..]).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_feed_parses_with_a_real_atom_reader_and_keeps_its_ids() {
    let c = Case::new();
    publish_updates(&c);
    render(&c, &settings(&c, "2026-11-22T06:30:00Z")).unwrap();
    let feed = parse_feed(&c.site().join("feed.xml"));
    assert_eq!(feed.feed_type, feed_rs::model::FeedType::Atom);
    assert_eq!(
        feed.title.as_ref().unwrap().content,
        "Site Exchange proof of reserves: snapshots and alerts"
    );
    let (m1, _) = c.manifest("2026-09-21");
    assert_eq!(feed.id, format!("urn:por:feed:{}", sha256_hex(&m1)));
    let titles: Vec<String> = feed
        .entries
        .iter()
        .map(|e| e.title.as_ref().unwrap().content.clone())
        .collect();
    assert_eq!(
        titles,
        [
            "Reserves updates overdue: no reserves update since 2026-11-22T03:00:00Z",
            "Reserves update failed: ethereum: endpoints disagree at block 21000040",
            "ETH reserves below liabilities (ratio 0.9166)",
            "BTC reserves below liabilities (ratio 0.0000)",
            "Bitcoin address bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq drained",
            "Snapshot 2026-11-21 published",
            "Snapshot 2026-10-21 published",
            "Snapshot 2026-09-21 published",
        ]
    );
    // Newest first, each dated when it happened; the feed as new as its newest entry.
    let updated: Vec<String> = feed
        .entries
        .iter()
        .map(|e| e.updated.unwrap().to_rfc3339())
        .collect();
    assert_eq!(updated[0], "2026-11-22T05:00:00+00:00");
    assert_eq!(updated[3], "2026-11-22T02:00:00+00:00");
    assert_eq!(updated[7], "2026-09-21T00:00:00+00:00");
    assert_eq!(feed.updated.unwrap().to_rfc3339(), updated[0]);
    assert_eq!(
        feed.entries[3].links[0].href,
        "updates/2026-11-21/20261122T020000Z.json"
    );
    assert!(feed.entries.iter().all(|e| e.summary.is_some()));
    let ids: Vec<String> = feed.entries.iter().map(|e| e.id.clone()).collect();

    // An hour later and one update more: the same events keep their ids (the overdue
    // one is gone, the update came), and the new update starts no new alert.
    let dir = updates_dir(&c).join(SID);
    let u3 = std::fs::read(dir.join(update_file_name(T3))).unwrap();
    let t4 = "2026-11-22T07:00:00Z";
    std::fs::write(
        dir.join(update_file_name(t4)),
        update(&c, t4, "0", "10.5", Some(&u3)),
    )
    .unwrap();
    render(&c, &settings(&c, "2026-11-22T07:30:00Z")).unwrap();
    let later = parse_feed(&c.site().join("feed.xml"));
    let later_ids: Vec<String> = later.entries.iter().map(|e| e.id.clone()).collect();
    assert_eq!(later_ids, ids[1..].to_vec());

    // The Chinese feed parses too, in its language, linking back to the root's files.
    let zh = parse_feed(&c.site().join("zh-CN/feed.xml"));
    assert_eq!(zh.entries.len(), later.entries.len());
    assert!(
        zh.entries[1]
            .title
            .as_ref()
            .unwrap()
            .content
            .contains("储备低于负债")
    );
    assert_eq!(
        zh.entries[1].links[0].href,
        "../updates/2026-11-21/20261122T020000Z.json"
    );
}

#[test]
fn rendering_with_updates_is_deterministic() {
    let c = Case::new();
    publish_updates(&c);
    let s = settings(&c, "2026-11-22T06:30:00Z");
    render(&c, &s).unwrap();
    let first = tree(&c.site());
    render(&c, &s).unwrap();
    assert!(first == tree(&c.site()), "two renders differ");
}

#[test]
fn without_updates_settings_nothing_of_them_is_published() {
    let c = Case::new();
    publish_updates(&c);
    // `updates: None` (no `[watch]`): the files lie there, the site ignores them.
    por::job::render(&c.config).unwrap();
    let site = tree(&c.site());
    assert!(site.keys().all(|k| !k.starts_with("updates/")
        && k != "feed.xml"
        && k != "status.json"
        && k != "schema/por-status-1.json"));
    assert_eq!(
        site["latest/addresses.json"],
        std::fs::read(c.snapshots().join(SID).join("addresses.json")).unwrap()
    );
    for (name, html) in &site {
        if name.ends_with(".html") {
            let html = String::from_utf8_lossy(html);
            assert!(
                !html.contains("atom+xml") && !html.contains("now-title"),
                "{name}"
            );
        }
    }
}

#[test]
fn a_snapshot_without_updates_yet_says_so() {
    let c = Case::new();
    render(&c, &settings(&c, "2026-11-21T02:30:00Z")).unwrap();
    let index = c.page("index.html");
    assert!(index.contains("No reserves update has been published since snapshot 2026-11-21."));
    // Overdue from the snapshot's as_of: 2 × 1 h.
    assert!(index.contains("no reserves update since 2026-11-21T00:00:00Z"));
    let status = json(&c.site().join("status.json"));
    assert_eq!(
        schema_errors("por-status-1.json", &status),
        Vec::<String>::new()
    );
    assert_eq!(status["update"], serde_json::Value::Null);
    // No update: latest/addresses.json is the snapshot's own.
    assert_eq!(
        std::fs::read(c.site().join("latest/addresses.json")).unwrap(),
        std::fs::read(c.snapshots().join(SID).join("addresses.json")).unwrap()
    );
    // Late snapshot: 31 days after as_of.
    render(&c, &settings(&c, "2026-12-23T00:00:00Z")).unwrap();
    assert!(
        c.page("index.html")
            .contains("Snapshot overdue: 2026-11-21 is older than 31 d 0 h")
    );
}

#[test]
fn the_oldest_kept_update_may_link_to_a_pruned_one() {
    let c = Case::new();
    let files = publish_updates(&c);
    std::fs::remove_file(&files[0].0).unwrap();
    render(&c, &settings(&c, "2026-11-22T03:30:00Z")).unwrap();
    assert!(
        c.site()
            .join(format!("updates/{SID}/20261122T020000Z.json"))
            .is_file()
    );
    assert!(
        !c.site()
            .join(format!("updates/{SID}/20261122T010000Z.json"))
            .exists()
    );
}

#[test]
fn a_broken_update_stops_the_render_naming_the_file() {
    let c = Case::new();
    let files = publish_updates(&c);
    let s = settings(&c, "2026-11-22T06:30:00Z");
    render(&c, &s).unwrap();
    let before = tree(&c.site());
    let dir = updates_dir(&c).join(SID);
    let u1 = &files[0];
    let restore = || {
        for (p, b) in &files {
            std::fs::write(p, b).unwrap();
        }
    };
    type Break<'a> = (&'a str, Box<dyn Fn() + 'a>, String);
    let (manifest_bytes, _) = c.manifest(SID);
    let p2 = files[1].0.clone();
    let cases: Vec<Break> = vec![
        (
            "a changed byte breaks the next update's link",
            Box::new(|| {
                let t = String::from_utf8(u1.1.clone()).unwrap();
                std::fs::write(&u1.0, t.replace("\"hot\"", "\"hoT\"")).unwrap();
            }),
            format!(
                "{}: broken hash chain: previous.sha256",
                files[1].0.display()
            ),
        ),
        (
            "not JSON of the format",
            Box::new(|| std::fs::write(&files[2].0, b"{\"format\": 1}").unwrap()),
            format!("{}: invalid type", files[2].0.display()),
        ),
        (
            "another snapshot's manifest",
            Box::new(|| {
                let t = String::from_utf8(files[2].1.clone()).unwrap();
                std::fs::write(
                    &files[2].0,
                    t.replace(&sha256_hex(&manifest_bytes), &"0".repeat(64)),
                )
                .unwrap();
            }),
            format!(
                "{}: manifest_sha256 {} does not match",
                files[2].0.display(),
                "0".repeat(64)
            ),
        ),
        (
            "a file named after another time",
            Box::new(move || {
                std::fs::rename(&p2, p2.with_file_name("20261122T023000Z.json")).unwrap();
            }),
            format!(
                "{}: is named \"20261122T023000Z.json\" but its time {T2} names \"20261122T020000Z.json\"",
                dir.join("20261122T023000Z.json").display()
            ),
        ),
    ];
    for (what, breaks, message) in cases {
        breaks();
        let e = render(&c, &s).unwrap_err();
        assert!(e.starts_with(&message), "{what}: {e}");
        assert!(!e.contains('\n'), "{what}: one line: {e}");
        assert!(
            before == tree(&c.site()),
            "{what}: the previous site changed"
        );
        let _ = std::fs::remove_file(dir.join("20261122T023000Z.json"));
        restore();
    }
    // An update folder of no published snapshot, and a broken failure record.
    let stray = updates_dir(&c).join("2027-01-01");
    std::fs::create_dir_all(&stray).unwrap();
    let e = render(&c, &s).unwrap_err();
    assert_eq!(
        e,
        format!(
            "{}: no published snapshot \"2027-01-01\" for these updates",
            stray.display()
        )
    );
    std::fs::remove_dir(&stray).unwrap();
    let failures = updates_dir(&c).join("failures.json");
    std::fs::write(
        &failures,
        br#"{"format": "por-watch-failures/2", "failures": []}"#,
    )
    .unwrap();
    let e = render(&c, &s).unwrap_err();
    assert_eq!(
        e,
        format!(
            "{}: format \"por-watch-failures/2\" is not \"por-watch-failures/1\"",
            failures.display()
        )
    );
    assert!(before == tree(&c.site()));
}
