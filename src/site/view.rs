//! The pages' data, computed from the checked snapshots: human amounts (with their
//! base units kept for `title`s), shortfalls, explorer links, history rows and the
//! address list. Plain serializable values, so that templates only lay them out.
//! Pure: no file system, no clock.

use super::chart::{self, AmountPoint, Point};
use super::check::{self, Checked};
use crate::amount::Amount;
use crate::config::SiteConfig;
use crate::format::{AddressEntry, Chains, Manifest, ManifestAsset};
use serde::Serialize;
use std::collections::BTreeSet;

/// An amount as pages show it: `display` in units (`"1.5"`), `base` in base units,
/// and `html`, the display with its digits grouped for reading (see [`grouped`]).
#[derive(Clone, Debug, Serialize)]
pub struct Money {
    pub display: String,
    pub base: String,
    pub html: String,
}

impl Money {
    fn new(a: Amount, decimals: u8) -> Money {
        let display = a.display_units(decimals);
        Money {
            html: grouped(&display),
            base: a.to_string(),
            display,
        }
    }
}

/// A decimal string (`"153595548.461234"`) as HTML with its digits in groups of
/// three, counted from the decimal point both ways. The gaps are drawn by CSS
/// (`.amt .g` has a right margin), not written as characters, so selecting and
/// copying the figure gives the exact value back; a `<wbr>` after each gap is the
/// only place a long figure may wrap, so it never breaks inside a group.
/// Anything but ASCII digits with at most one inner `.` is returned escaped and
/// ungrouped.
pub fn grouped(decimal: &str) -> String {
    let (int, frac) = decimal.split_once('.').unwrap_or((decimal, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || !digits(int) || !digits(frac) || (decimal.contains('.') && frac.is_empty())
    {
        return decimal
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
    }
    let head = match int.len() % 3 {
        0 => 3,
        n => n,
    };
    let mut int_groups = vec![&int[..head]];
    int_groups.extend(int.as_bytes()[head..].chunks(3).map(ascii));
    let mut out = String::from(r#"<span class="amt">"#);
    push_groups(&mut out, &int_groups);
    if !frac.is_empty() {
        out.push('.');
        let frac_groups: Vec<&str> = frac.as_bytes().chunks(3).map(ascii).collect();
        push_groups(&mut out, &frac_groups);
    }
    out.push_str("</span>");
    out
}

fn ascii(b: &[u8]) -> &str {
    std::str::from_utf8(b).unwrap_or_default()
}

/// Every group but the last carries the gap after it, then the wrap point.
fn push_groups(out: &mut String, groups: &[&str]) {
    if let Some((last, rest)) = groups.split_last() {
        for g in rest {
            out.push_str(r#"<span class="g">"#);
            out.push_str(g);
            out.push_str("</span><wbr>");
        }
        out.push_str(last);
    }
}

#[derive(Debug, Serialize)]
pub struct AssetRow {
    pub symbol: String,
    pub liabilities: Money,
    pub reserves: Money,
    pub unproven: Money,
    pub ratio: Option<String>,
    pub short: bool,
    /// Liabilities minus reserves, when short.
    pub shortfall: Option<Money>,
}

fn asset_row(a: &ManifestAsset) -> AssetRow {
    let short = a.is_short();
    AssetRow {
        symbol: a.symbol.clone(),
        liabilities: Money::new(a.liabilities, a.decimals),
        reserves: Money::new(a.reserves, a.decimals),
        unproven: Money::new(a.unproven_reserves, a.decimals),
        ratio: a.reserve_ratio.clone(),
        short,
        shortfall: short
            .then(|| a.liabilities.checked_sub(a.reserves))
            .flatten()
            .map(|gap| Money::new(gap, a.decimals)),
    }
}

#[derive(Debug, Serialize)]
pub struct ChainRow {
    pub name: String,
    /// `network mainnet` or `chain id 1`.
    pub network: String,
    pub height: u64,
    pub block_hash: String,
    pub block_time: String,
    pub block_url: String,
}

fn base_url(s: &str) -> &str {
    s.trim_end_matches('/')
}

fn chain_rows(chains: &Chains, site: &SiteConfig) -> Vec<ChainRow> {
    let mut rows = Vec::new();
    if let Some(b) = &chains.bitcoin {
        rows.push(ChainRow {
            name: "Bitcoin".into(),
            network: b.network.clone(),
            height: b.height,
            block_hash: b.block_hash.clone(),
            block_time: b.block_time.clone(),
            block_url: format!(
                "{}/block/{}",
                base_url(&site.bitcoin_explorer),
                b.block_hash
            ),
        });
    }
    if let Some(e) = &chains.ethereum {
        rows.push(ChainRow {
            name: "Ethereum".into(),
            network: format!("chain id {}", e.chain_id),
            height: e.height,
            block_hash: e.block_hash.clone(),
            block_time: e.block_time.clone(),
            block_url: format!("{}/block/{}", base_url(&site.ethereum_explorer), e.height),
        });
    }
    rows
}

#[derive(Debug, Serialize)]
pub struct FileLink {
    pub name: String,
    pub href: String,
    pub sha256: String,
}

#[derive(Debug, Serialize)]
pub struct Link {
    pub id: String,
    pub href: String,
    pub sha256: String,
}

/// The overview of the newest snapshot.
#[derive(Debug, Serialize)]
pub struct Overview {
    pub id: String,
    pub as_of: String,
    pub assets: Vec<AssetRow>,
    pub any_short: bool,
    pub chains: Vec<ChainRow>,
    pub leaves: u64,
    pub height: u32,
    pub root: String,
    pub manifest: Link,
    pub previous: Option<Link>,
    pub files: Vec<FileLink>,
    pub count: usize,
}

fn manifest_href(id: &str) -> String {
    format!("snapshots/{id}/manifest.json")
}

pub fn overview(snapshots: &[Checked], site: &SiteConfig) -> Overview {
    let s = snapshots.last().expect("at least one snapshot");
    let m = &s.manifest;
    let id = m.snapshot_id.to_string();
    let assets: Vec<AssetRow> = m.assets.iter().map(asset_row).collect();
    Overview {
        as_of: m.as_of.clone(),
        any_short: assets.iter().any(|a| a.short),
        assets,
        chains: chain_rows(&m.chains, site),
        leaves: m.tree.leaves,
        height: m.tree.height,
        root: m.tree.root.to_string(),
        manifest: Link {
            href: manifest_href(&id),
            id: id.clone(),
            sha256: s.manifest_sha256.clone(),
        },
        previous: m.previous.as_ref().map(|p| Link {
            id: p.snapshot_id.to_string(),
            href: manifest_href(p.snapshot_id.as_str()),
            sha256: p.manifest_sha256.clone(),
        }),
        files: m
            .files
            .iter()
            .map(|(name, sha)| FileLink {
                name: name.clone(),
                href: format!("snapshots/{id}/{name}"),
                sha256: sha.clone(),
            })
            .collect(),
        count: snapshots.len(),
        id,
    }
}

#[derive(Debug, Serialize)]
pub struct HistoryRatio {
    pub symbol: String,
    pub ratio: Option<String>,
    pub short: bool,
}

#[derive(Debug, Serialize)]
pub struct HistoryRow {
    pub id: String,
    pub as_of: String,
    pub ratios: Vec<HistoryRatio>,
    pub manifest: Link,
    pub leaves: u64,
}

#[derive(Debug, Serialize)]
pub struct Chart {
    pub symbol: String,
    /// Inline SVG, escaped by the chart module.
    pub svg: String,
}

#[derive(Debug, Serialize)]
pub struct History {
    /// Newest first.
    pub rows: Vec<HistoryRow>,
    pub charts: Vec<Chart>,
    /// Liabilities and verified reserves per asset over time.
    pub amount_charts: Vec<Chart>,
    /// Every asset symbol that appears in any snapshot, in first-seen order.
    pub symbols: Vec<String>,
}

fn ratio_of<'a>(m: &'a Manifest, symbol: &str) -> Option<&'a ManifestAsset> {
    m.assets.iter().find(|a| a.symbol == symbol)
}

pub fn history(snapshots: &[Checked]) -> History {
    let mut symbols: Vec<String> = Vec::new();
    for s in snapshots {
        for a in &s.manifest.assets {
            if !symbols.contains(&a.symbol) {
                symbols.push(a.symbol.clone());
            }
        }
    }
    let rows = snapshots
        .iter()
        .rev()
        .map(|s| {
            let m = &s.manifest;
            HistoryRow {
                id: m.snapshot_id.to_string(),
                as_of: m.as_of.clone(),
                ratios: symbols
                    .iter()
                    .map(|sym| {
                        let a = ratio_of(m, sym);
                        HistoryRatio {
                            symbol: sym.clone(),
                            ratio: a.and_then(|a| a.reserve_ratio.clone()),
                            short: a.is_some_and(ManifestAsset::is_short),
                        }
                    })
                    .collect(),
                manifest: Link {
                    id: m.snapshot_id.to_string(),
                    href: manifest_href(m.snapshot_id.as_str()),
                    sha256: s.manifest_sha256.clone(),
                },
                leaves: m.tree.leaves,
            }
        })
        .collect();
    let charts = symbols
        .iter()
        .enumerate()
        .map(|(i, sym)| {
            let points: Vec<Point<'_>> = snapshots
                .iter()
                .map(|s| Point {
                    snapshot_id: s.manifest.snapshot_id.as_str(),
                    ratio: ratio_of(&s.manifest, sym).and_then(|a| a.reserve_ratio.as_deref()),
                })
                .collect();
            Chart {
                symbol: sym.clone(),
                svg: chart::ratio_chart(&format!("chart-{i}"), sym, &points),
            }
        })
        .collect();
    let amount_charts = symbols
        .iter()
        .enumerate()
        .map(|(i, sym)| {
            let decimals = snapshots
                .iter()
                .rev()
                .find_map(|s| ratio_of(&s.manifest, sym))
                .map_or(0, |a| a.decimals);
            let points: Vec<AmountPoint<'_>> = snapshots
                .iter()
                .map(|s| AmountPoint {
                    snapshot_id: s.manifest.snapshot_id.as_str(),
                    figures: ratio_of(&s.manifest, sym).map(|a| (a.liabilities, a.reserves)),
                })
                .collect();
            Chart {
                symbol: sym.clone(),
                svg: chart::amounts_chart(&format!("amounts-{i}"), sym, decimals, &points),
            }
        })
        .collect();
    History {
        rows,
        charts,
        amount_charts,
        symbols,
    }
}

#[derive(Debug, Serialize)]
pub struct HoldingRow {
    pub asset: String,
    pub contract: Option<String>,
    pub amount: Money,
}

#[derive(Debug, Serialize)]
pub struct AddressRow {
    pub address: String,
    pub label: String,
    pub url: Option<String>,
    pub holdings: Vec<HoldingRow>,
    /// Space-separated symbols, for the filter script.
    pub assets: String,
    pub scheme: String,
    /// `verified`, `not-verified` or `unproven`.
    pub status: String,
    pub status_text: String,
}

#[derive(Debug, Serialize)]
pub struct ChainSection {
    pub key: String,
    pub name: String,
    pub addresses: Vec<AddressRow>,
}

#[derive(Debug, Serialize)]
pub struct Addresses {
    pub id: String,
    pub as_of: String,
    pub published: bool,
    pub sections: Vec<ChainSection>,
    pub assets: Vec<String>,
    pub downloads: Vec<FileLink>,
    pub count: usize,
}

fn status(e: &AddressEntry) -> (&'static str, &'static str) {
    if e.ownership.scheme == "none" {
        ("unproven", "unproven (no signature)")
    } else if e.ownership.verified {
        ("verified", "verified")
    } else {
        ("not-verified", "not verified")
    }
}

fn chain_name(key: &str) -> String {
    match key {
        "bitcoin" => "Bitcoin".into(),
        "ethereum" => "Ethereum".into(),
        other => other.to_string(),
    }
}

pub fn addresses(snapshots: &[Checked], site: &SiteConfig) -> Addresses {
    let s = snapshots.last().expect("at least one snapshot");
    let m = &s.manifest;
    let id = m.snapshot_id.to_string();
    let decimals = check::decimals(m);
    let mut sections: Vec<ChainSection> = Vec::new();
    let mut assets = BTreeSet::new();
    let entries = s
        .addresses
        .as_ref()
        .map(|l| &l.addresses[..])
        .unwrap_or(&[]);
    for e in entries {
        let explorer = match e.chain.as_str() {
            "bitcoin" => Some(&site.bitcoin_explorer),
            "ethereum" => Some(&site.ethereum_explorer),
            _ => None,
        };
        let holdings: Vec<HoldingRow> = e
            .holdings
            .iter()
            .map(|h| HoldingRow {
                asset: h.asset.clone(),
                contract: h.contract.clone(),
                amount: match decimals.get(h.asset.as_str()) {
                    Some(&d) => Money::new(h.amount, d),
                    None => Money {
                        display: format!("{} (base units)", h.amount),
                        html: format!("{} (base units)", grouped(&h.amount.to_string())),
                        base: h.amount.to_string(),
                    },
                },
            })
            .collect();
        for h in &holdings {
            assets.insert(h.asset.clone());
        }
        let (status, status_text) = status(e);
        let row = AddressRow {
            address: e.address.clone(),
            label: e.label.clone(),
            url: explorer.map(|x| format!("{}/address/{}", base_url(x), e.address)),
            assets: holdings
                .iter()
                .map(|h| h.asset.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            holdings,
            scheme: e.ownership.scheme.clone(),
            status: status.into(),
            status_text: status_text.into(),
        };
        match sections.iter_mut().find(|c| c.key == e.chain) {
            Some(c) => c.addresses.push(row),
            None => sections.push(ChainSection {
                key: e.chain.clone(),
                name: chain_name(&e.chain),
                addresses: vec![row],
            }),
        }
    }
    let downloads = ["addresses.json", "addresses.csv", "defillama.json"]
        .iter()
        .filter_map(|name| {
            m.files.get(*name).map(|sha| FileLink {
                name: name.to_string(),
                href: format!("snapshots/{id}/{name}"),
                sha256: sha.clone(),
            })
        })
        .collect();
    Addresses {
        as_of: m.as_of.clone(),
        published: s.addresses.is_some(),
        count: entries.len(),
        sections,
        assets: assets.into_iter().collect(),
        downloads,
        id,
    }
}

/// `{id, as_of}` of every snapshot, newest first (the Verify page's list).
#[derive(Debug, Serialize)]
pub struct SnapshotRef {
    pub id: String,
    pub as_of: String,
}

pub fn snapshot_refs(snapshots: &[Checked]) -> Vec<SnapshotRef> {
    snapshots
        .iter()
        .rev()
        .map(|s| SnapshotRef {
            id: s.manifest.snapshot_id.to_string(),
            as_of: s.manifest.as_of.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::grouped;

    #[test]
    fn digits_are_grouped_by_three_from_the_point() {
        assert_eq!(grouped("0"), r#"<span class="amt">0</span>"#);
        assert_eq!(
            grouped("2600.5"),
            r#"<span class="amt"><span class="g">2</span><wbr>600.5</span>"#
        );
        assert_eq!(
            grouped("153595548.4612345"),
            concat!(
                r#"<span class="amt"><span class="g">153</span><wbr><span class="g">595</span><wbr>548"#,
                r#".<span class="g">461</span><wbr><span class="g">234</span><wbr>5</span>"#
            )
        );
    }

    #[test]
    fn grouping_keeps_the_exact_digits() {
        for s in [
            "1",
            "12.000000000000000001",
            "340282366920938463463.374607431768211455",
        ] {
            let html = grouped(s);
            let text: String = html
                .split('<')
                .map(|piece| piece.split_once('>').map_or(piece, |(_, t)| t))
                .collect();
            assert_eq!(text, s);
        }
    }

    #[test]
    fn anything_else_is_escaped_not_grouped() {
        assert_eq!(grouped("1.2.3"), "1.2.3");
        assert_eq!(grouped("<b>"), "&lt;b&gt;");
        assert_eq!(grouped("1."), "1.");
    }
}
