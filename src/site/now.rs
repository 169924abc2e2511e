//! The pages' data between snapshots, from the checked reserves updates: the
//! overview's "reserves now" (the newest update of the newest snapshot beside the
//! snapshot's figures, its blocks, its age at the render's `now`, the current alerts
//! and one reserves-over-time chart per asset) and each address's holdings now with
//! the change since the snapshot. Amounts stay base-unit integers; changes are exact
//! signed decimals. Pure: no file system, no clock (`now` is passed in).

use super::alerts::Event;
use super::chart::{self, TimePoint};
use super::check::Checked;
use super::i18n::{Catalogue, I18nError};
use super::updates::{CheckedUpdate, Updates};
use super::view::{self, ChainRow, Chart, Money};
use super::{Explorers, UpdatesSettings};
use crate::amount::Amount;
use crate::format::{AddressEntry, AddressList, Holding, OwnershipJson, UpdateAddress};
use crate::time::Timestamp;
use serde::Serialize;

/// A signed change as pages show it: `sign` is `+`, `-` or empty (no change), `money`
/// the size of the change.
#[derive(Clone, Debug, Serialize)]
pub struct Signed {
    /// `+`, `-`, or empty when nothing changed.
    pub sign: String,
    /// The size of the change.
    pub money: Money,
}

/// `now − then` in units of an asset with `decimals` places, exactly.
pub fn change(now: Amount, then: Amount, decimals: u8) -> Signed {
    let (sign, size) = if now > then {
        ("+", now.checked_sub(then))
    } else if now < then {
        ("-", then.checked_sub(now))
    } else {
        ("", Some(Amount::from_base_units(0)))
    };
    Signed {
        sign: sign.into(),
        money: Money::new(size.unwrap_or(Amount::from_base_units(0)), decimals),
    }
}

/// `seconds` in words of `c`'s language: `3 d 4 h`, `2 h 5 min`, `12 min`, `40 s`.
pub fn age(seconds: u64, c: &Catalogue) -> Result<String, I18nError> {
    let (d, h, m) = (
        seconds / 86_400,
        seconds % 86_400 / 3_600,
        seconds % 3_600 / 60,
    );
    let (d, h, m, s) = (
        d.to_string(),
        h.to_string(),
        m.to_string(),
        (seconds % 60).to_string(),
    );
    if seconds >= 86_400 {
        c.text("age.days", &[("d", &d), ("h", &h)])
    } else if seconds >= 3_600 {
        c.text("age.hours", &[("h", &h), ("m", &m)])
    } else if seconds >= 60 {
        c.text("age.minutes", &[("m", &m)])
    } else {
        c.text("age.seconds", &[("s", &s)])
    }
}

/// One asset in "reserves now": the snapshot's figures beside the newest update's.
#[derive(Debug, Serialize)]
pub struct NowAsset {
    /// Asset symbol.
    pub symbol: String,
    /// The snapshot's liabilities (an update judges against them).
    pub liabilities: Money,
    /// Verified reserves at the snapshot.
    pub reserves_snapshot: Money,
    /// The snapshot's ratio.
    pub ratio_snapshot: Option<String>,
    /// Short at the snapshot.
    pub short_snapshot: bool,
    /// Verified reserves now.
    pub reserves: Money,
    /// Unproven holdings now (unproven addresses and those listed since).
    pub unproven: Money,
    /// The ratio now.
    pub ratio: Option<String>,
    /// Reserves now below liabilities.
    pub short: bool,
    /// Liabilities minus reserves now, when short.
    pub shortfall: Option<Money>,
    /// Verified reserves now minus at the snapshot.
    pub change: Signed,
}

/// The newest update of the newest snapshot.
#[derive(Debug, Serialize)]
pub struct LatestUpdate {
    /// Its `time`.
    pub time: String,
    /// Site-relative URL of its file.
    pub href: String,
    /// SHA-256 of its bytes.
    pub sha256: String,
    /// Its age at the render's `now`, in words.
    pub age: String,
    /// Its age at the render's `now`, in seconds.
    pub age_seconds: u64,
    /// The blocks it read, one per chain, with explorer links.
    pub chains: Vec<ChainRow>,
    /// How many updates of this snapshot are kept.
    pub count: usize,
}

/// The overview's "reserves now" section.
#[derive(Debug, Serialize)]
pub struct ReservesNow {
    /// The newest snapshot's id.
    pub id: String,
    /// The render's `now`, RFC 3339.
    pub now: String,
    /// The newest update of the newest snapshot; `None` when it has none yet.
    pub latest: Option<LatestUpdate>,
    /// Per asset, in manifest order (empty without an update).
    pub assets: Vec<NowAsset>,
    /// Some asset is short now.
    pub any_short: bool,
    /// The current alerts, worded (see [`super::feed::title`]), as escaped HTML
    /// ([`breakable`]).
    pub alerts: Vec<String>,
    /// One reserves-over-time chart per asset of the newest snapshot.
    pub charts: Vec<Chart>,
}

/// `text` escaped for HTML, each word longer than 24 characters (an address, a hash)
/// in a `<span class="hash">` that may wrap anywhere, so that a phone's width holds it.
pub fn breakable(text: &str) -> String {
    let esc = |w: &str| {
        w.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\'', "&#39;")
    };
    text.split(' ')
        .map(|w| {
            if w.chars().count() > 24 {
                format!(r#"<span class="hash">{}</span>"#, esc(w))
            } else {
                esc(w)
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn find<T>(list: &[T], f: impl Fn(&T) -> bool) -> Option<&T> {
    list.iter().find(|x| f(x))
}

/// The overview's "reserves now" from the checked `snapshots` and `updates`, with the
/// current `events` worded in `c`'s language.
pub fn reserves_now(
    snapshots: &[Checked],
    updates: &Updates,
    events: &[Event],
    settings: &UpdatesSettings,
    explorers: &Explorers,
    c: &Catalogue,
) -> Result<ReservesNow, I18nError> {
    let newest = snapshots.last().expect("at least one snapshot");
    let m = &newest.manifest;
    let list = updates.of(&m.snapshot_id);
    let latest = list.last();
    let mut assets = Vec::new();
    if let Some(u) = latest {
        for a in &m.assets {
            let Some(n) = find(&u.update.assets, |x| x.symbol == a.symbol) else {
                continue;
            };
            let short = n.is_short();
            assets.push(NowAsset {
                symbol: a.symbol.clone(),
                liabilities: Money::new(a.liabilities, a.decimals),
                reserves_snapshot: Money::new(a.reserves, a.decimals),
                ratio_snapshot: a.reserve_ratio.clone(),
                short_snapshot: a.is_short(),
                reserves: Money::new(n.reserves, a.decimals),
                unproven: Money::new(n.unproven_reserves, a.decimals),
                ratio: n.reserve_ratio.clone(),
                short,
                shortfall: short
                    .then(|| n.liabilities.checked_sub(n.reserves))
                    .flatten()
                    .map(|gap| Money::new(gap, a.decimals)),
                change: change(n.reserves, a.reserves, a.decimals),
            });
        }
    }
    let latest = latest
        .map(|u| {
            let secs = settings.now.0.saturating_sub(u.time.0);
            Ok::<_, I18nError>(LatestUpdate {
                time: u.update.time.clone(),
                href: u.href(),
                sha256: u.sha256.clone(),
                age: age(secs, c)?,
                age_seconds: secs,
                chains: view::chain_rows(&u.update.chains, explorers),
                count: list.len(),
            })
        })
        .transpose()?;
    let alerts = events
        .iter()
        .filter(|e| e.current)
        .map(|e| {
            let title = super::feed::title(e, c)?;
            let line = c.text("now.alert_line", &[("title", &title), ("since", &e.time)])?;
            Ok(breakable(&line))
        })
        .collect::<Result<_, _>>()?;
    let charts = m
        .assets
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let points = time_points(snapshots, updates, &a.symbol);
            Ok(Chart {
                symbol: a.symbol.clone(),
                svg: chart::reserves_chart(&format!("now-{i}"), &a.symbol, a.decimals, &points, c)?,
            })
        })
        .collect::<Result<_, I18nError>>()?;
    Ok(ReservesNow {
        id: m.snapshot_id.to_string(),
        now: settings.now.to_rfc3339(),
        any_short: assets.iter().any(|a| a.short),
        latest,
        assets,
        alerts,
        charts,
    })
}

/// Every snapshot's and every kept update's verified reserves of `symbol`, oldest
/// first, each with the liabilities of its snapshot.
fn time_points<'a>(
    snapshots: &'a [Checked],
    updates: &'a Updates,
    symbol: &str,
) -> Vec<TimePoint<'a>> {
    let mut out = Vec::new();
    for s in snapshots {
        let m = &s.manifest;
        let Some(a) = find(&m.assets, |a| a.symbol == symbol) else {
            continue;
        };
        out.push(TimePoint {
            time: Timestamp::parse_rfc3339(&m.as_of).map_or(0, |t| t.0),
            label: &m.as_of,
            snapshot: Some(m.snapshot_id.as_str()),
            reserves: a.reserves,
            liabilities: a.liabilities,
        });
        for u in updates.of(&m.snapshot_id) {
            if let Some(n) = find(&u.update.assets, |x| x.symbol == symbol) {
                out.push(TimePoint {
                    time: u.time.0,
                    label: &u.update.time,
                    snapshot: None,
                    reserves: n.reserves,
                    liabilities: n.liabilities,
                });
            }
        }
    }
    out
}

/// One asset held at an address now, with the change since the snapshot block.
#[derive(Clone, Debug, Serialize)]
pub struct NowHolding {
    /// Asset symbol.
    pub asset: String,
    /// Token contract, when the asset is a token.
    pub contract: Option<String>,
    /// Held now (at the update's block).
    pub amount: Money,
    /// Now minus at the snapshot block (zero for an address listed since: it counts
    /// from nothing).
    pub change: Signed,
    /// The asset's decimals are known, so the amounts are in its units.
    pub known: bool,
}

fn amount_of(list: &[Holding], h: &Holding) -> Amount {
    list.iter()
        .find(|x| x.asset == h.asset && x.contract == h.contract)
        .map_or(Amount::from_base_units(0), |x| x.amount)
}

/// The holdings now of one address of the snapshot's list (`then`, its holdings at
/// the snapshot block) from update address `now`: every asset of either, the
/// snapshot's first, with the change.
pub fn holdings_now(
    then: &[Holding],
    now: &UpdateAddress,
    decimals: &std::collections::BTreeMap<&str, u8>,
) -> Vec<NowHolding> {
    let mut assets: Vec<&Holding> = then.iter().collect();
    for h in &now.holdings {
        if !assets
            .iter()
            .any(|x| x.asset == h.asset && x.contract == h.contract)
        {
            assets.push(h);
        }
    }
    assets
        .into_iter()
        .map(|h| {
            let d = decimals.get(h.asset.as_str()).copied();
            let (n, t) = (amount_of(&now.holdings, h), amount_of(then, h));
            NowHolding {
                asset: h.asset.clone(),
                contract: h.contract.clone(),
                amount: Money::new(n, d.unwrap_or(0)),
                change: change(n, if now.in_snapshot { t } else { n }, d.unwrap_or(0)),
                known: d.is_some(),
            }
        })
        .collect()
}

/// The newest update of the newest snapshot, if any.
pub fn latest<'a>(snapshots: &[Checked], updates: &'a Updates) -> Option<&'a CheckedUpdate> {
    let newest = snapshots.last()?;
    updates.of(&newest.manifest.snapshot_id).last()
}

/// `/latest/addresses.json` between snapshots (docs/site-feeds.md): the newest
/// snapshot's address list (`por-addresses/1`, same `snapshot_id` and ownership proofs,
/// which stay valid) with `chains` set to the blocks `latest` read and each address's
/// `holdings` to what it holds there; every address listed since the snapshot follows,
/// as `none` with the ownership message it would sign and `verified: false`. An
/// address of the snapshot that the update did not read keeps its snapshot holdings.
/// `None` when the snapshot published no address list.
pub fn live_addresses(newest: &Checked, latest: &CheckedUpdate) -> Option<AddressList> {
    let list = newest.addresses.as_ref()?;
    let mut out = list.clone();
    out.chains = latest.update.chains.clone();
    for e in &mut out.addresses {
        if let Some(n) = latest
            .update
            .addresses
            .iter()
            .find(|n| n.in_snapshot && n.chain == e.chain && n.address == e.address)
        {
            e.holdings = n.holdings.clone();
        }
    }
    for n in latest.update.addresses.iter().filter(|n| !n.in_snapshot) {
        out.addresses.push(AddressEntry {
            chain: n.chain.clone(),
            address: n.address.clone(),
            label: n.label.clone(),
            holdings: n.holdings.clone(),
            ownership: OwnershipJson {
                scheme: "none".into(),
                message: crate::ownership::message(
                    &list.exchange,
                    list.snapshot_id.as_str(),
                    &n.address,
                ),
                signature: Some(serde_json::Value::Null),
                wallet: None,
                script: None,
                verified: false,
            },
        });
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn english() -> std::sync::Arc<Catalogue> {
        super::super::i18n::catalogues().unwrap().remove(0)
    }

    #[test]
    fn changes_are_exact_and_signed() {
        let a = Amount::from_base_units;
        let up = change(a(150_000_001), a(100_000_000), 8);
        assert_eq!(
            (up.sign.as_str(), up.money.display.as_str()),
            ("+", "0.50000001")
        );
        let down = change(a(1), a(u128::MAX), 0);
        assert_eq!(down.sign, "-");
        assert_eq!(down.money.base, (u128::MAX - 1).to_string());
        let same = change(a(7), a(7), 2);
        assert_eq!((same.sign.as_str(), same.money.display.as_str()), ("", "0"));
    }

    #[test]
    fn long_words_may_wrap_and_all_is_escaped() {
        assert_eq!(
            breakable("a <b> bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq & co"),
            r#"a &lt;b&gt; <span class="hash">bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq</span> &amp; co"#
        );
    }

    #[test]
    fn ages_are_worded() {
        let c = english();
        assert_eq!(age(40, &c).unwrap(), "40 s");
        assert_eq!(age(12 * 60 + 5, &c).unwrap(), "12 min");
        assert_eq!(age(2 * 3600 + 5 * 60, &c).unwrap(), "2 h 5 min");
        assert_eq!(age(3 * 86_400 + 4 * 3600 + 59, &c).unwrap(), "3 d 4 h");
    }

    #[test]
    fn holdings_now_cover_both_sides_with_the_change() {
        let h = |asset: &str, contract: Option<&str>, v: u128| Holding {
            asset: asset.into(),
            contract: contract.map(str::to_string),
            amount: Amount::from_base_units(v),
        };
        let then = [h("ETH", None, 5), h("USDT", Some("0xa"), 10)];
        let now = UpdateAddress {
            chain: "ethereum".into(),
            address: "0x1".into(),
            label: "hot".into(),
            holdings: vec![h("ETH", None, 8), h("DAI", Some("0xd"), 3)],
            scheme: "eip191".into(),
            verified: true,
            in_snapshot: true,
        };
        let decimals = [("ETH", 0u8), ("USDT", 0), ("DAI", 0)]
            .into_iter()
            .collect();
        let rows = holdings_now(&then, &now, &decimals);
        let got: Vec<(String, String, String)> = rows
            .iter()
            .map(|r| {
                (
                    r.asset.clone(),
                    r.amount.display.clone(),
                    format!("{}{}", r.change.sign, r.change.money.display),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("ETH".to_string(), "8".to_string(), "+3".to_string()),
                ("USDT".into(), "0".into(), "-10".into()),
                ("DAI".into(), "3".into(), "+3".into()),
            ]
        );
        // Listed since the snapshot: no change is claimed.
        let since = UpdateAddress {
            in_snapshot: false,
            ..now
        };
        let rows = holdings_now(&[], &since, &decimals);
        assert!(rows.iter().all(|r| r.change.sign.is_empty()));
    }
}
