//! The pages' data, computed from the checked snapshots: human amounts (with their
//! base units kept for `title`s), shortfalls, explorer links, history rows and the
//! address list. Plain serializable values, so that templates only lay them out
//! (their words come from the page's language's catalogue, [`super::i18n`]).
//! Pure: no file system, no clock.

use super::Explorers;
use super::chart::{self, AmountPoint, Point};
use super::check::{self, Checked};
use super::i18n::{Catalogue, I18nError};
use crate::amount::Amount;
use crate::format::{AddressEntry, ChainBlock, Chains, Manifest, ManifestAsset};
use serde::Serialize;
use std::collections::BTreeSet;

/// An amount as pages show it: `display` in units (`"1.5"`), `base` in base units,
/// and `html`, the display with its digits grouped for reading (see [`grouped`]).
#[derive(Clone, Debug, Serialize)]
pub struct Money {
    /// The amount in display units, a plain decimal (`"1.5"`).
    pub display: String,
    /// The amount in base units (`"150000000"`), for the `title` attribute.
    pub base: String,
    /// `display` as HTML with its digits grouped (see [`grouped`]); already escaped.
    pub html: String,
}

impl Money {
    /// `a` in units of an asset with `decimals` places.
    pub fn new(a: Amount, decimals: u8) -> Money {
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

/// One asset's line in the overview table, from the newest manifest.
#[derive(Debug, Serialize)]
pub struct AssetRow {
    /// Asset symbol, e.g. `BTC`.
    pub symbol: String,
    /// Total owed to accounts.
    pub liabilities: Money,
    /// Holdings of addresses whose ownership proof verified.
    pub reserves: Money,
    /// Holdings listed without a valid ownership proof, not counted in `reserves`.
    pub unproven: Money,
    /// The manifest's `reserve_ratio` (4 decimals); `None` when liabilities are zero.
    pub ratio: Option<String>,
    /// Reserves below liabilities.
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

/// One chain's line in the overview: the block its amounts were read at.
#[derive(Debug, Serialize)]
pub struct ChainRow {
    /// Display name: `Bitcoin`, `Ethereum`, or the configured chain name.
    pub name: String,
    /// `mainnet` or `chain id 1` (the page says the latter from `chain_id`).
    pub network: String,
    /// An EVM chain's chain id; `None` for Bitcoin.
    pub chain_id: Option<u64>,
    /// Block height the snapshot read.
    pub height: u64,
    /// Block hash, as in the manifest.
    pub block_hash: String,
    /// Block time, RFC 3339 UTC.
    pub block_time: String,
    /// The block on the configured explorer; empty when no explorer is known for the chain.
    pub block_url: String,
}

pub(super) fn chain_rows(chains: &Chains, site: &Explorers) -> Vec<ChainRow> {
    chains
        .0
        .iter()
        .map(|(key, c)| ChainRow {
            name: chain_name(key),
            network: match c {
                ChainBlock::Bitcoin(b) => b.network.clone(),
                ChainBlock::Evm(e) => format!("chain id {}", e.chain_id),
            },
            chain_id: match c {
                ChainBlock::Bitcoin(_) => None,
                ChainBlock::Evm(e) => Some(e.chain_id),
            },
            height: c.height(),
            block_hash: c.block_hash().to_string(),
            block_time: c.block_time().to_string(),
            block_url: site
                .block_url(key, c.height(), c.block_hash())
                .unwrap_or_default(),
        })
        .collect()
}

/// Assets held at a named custodian, shown apart from the reserves (FORMAT.md §4).
#[derive(Debug, Serialize)]
pub struct CustodialRow {
    /// The custodian's name.
    pub custodian: String,
    /// Asset symbol.
    pub symbol: String,
    /// The attested amount.
    pub amount: Money,
    /// SHA-256 of the attestation document.
    pub attestation_sha256: String,
}

fn custodial_rows(m: &Manifest) -> Vec<CustodialRow> {
    m.assets
        .iter()
        .flat_map(|a| {
            a.custodians.iter().map(|c| CustodialRow {
                custodian: c.name.clone(),
                symbol: a.symbol.clone(),
                amount: Money::new(c.amount, a.decimals),
                attestation_sha256: c.attestation_sha256.clone(),
            })
        })
        .collect()
}

/// A published file of the snapshot with its hash, for the download list.
#[derive(Debug, Serialize)]
pub struct FileLink {
    /// File name within the snapshot folder, e.g. `addresses.json`.
    pub name: String,
    /// Site-relative URL, `snapshots/<id>/<name>`.
    pub href: String,
    /// Lowercase hex SHA-256 of the file's bytes, as in the manifest's `files`.
    pub sha256: String,
}

/// A link to a snapshot's manifest, with the hash that pins it.
#[derive(Debug, Serialize)]
pub struct Link {
    /// The snapshot id.
    pub id: String,
    /// Site-relative URL of its `manifest.json`.
    pub href: String,
    /// Lowercase hex SHA-256 of the manifest's bytes.
    pub sha256: String,
}

/// The overview of the newest snapshot.
#[derive(Debug, Serialize)]
pub struct Overview {
    /// The newest snapshot's id.
    pub id: String,
    /// Its `as_of`, RFC 3339 UTC.
    pub as_of: String,
    /// One row per asset, in manifest order.
    pub assets: Vec<AssetRow>,
    /// Some asset has reserves below liabilities.
    pub any_short: bool,
    /// One row per chain the snapshot read.
    pub chains: Vec<ChainRow>,
    /// Assets held at named custodians, never in the reserves or the ratio.
    pub custodial: Vec<CustodialRow>,
    /// Number of leaves in the liabilities tree (por/2: parts and dummies).
    pub leaves: u64,
    /// The account count, when the manifest states it (por/1 always; por/2 only if
    /// the operator publishes it).
    pub accounts: Option<u64>,
    /// por/2: parts per account; `None` for a por/1 tree.
    pub split: Option<u64>,
    /// por/2: the padding granularity.
    pub padding_bits: Option<u64>,
    /// Height of the liabilities tree.
    pub height: u32,
    /// The tree's root hash, hex.
    pub root: String,
    /// This snapshot's manifest.
    pub manifest: Link,
    /// The predecessor's manifest, from the manifest's `previous`; `None` for the first.
    pub previous: Option<Link>,
    /// Every other published file of the snapshot.
    pub files: Vec<FileLink>,
    /// How many snapshots the site holds.
    pub count: usize,
}

fn manifest_href(id: &str) -> String {
    format!("snapshots/{id}/manifest.json")
}

/// The overview page's data, from the newest of `snapshots` (oldest first).
/// Panics if `snapshots` is empty.
pub fn overview(snapshots: &[Checked], site: &Explorers) -> Overview {
    let s = snapshots.last().expect("at least one snapshot");
    let m = &s.manifest;
    let id = m.snapshot_id.to_string();
    let assets: Vec<AssetRow> = m.assets.iter().map(asset_row).collect();
    Overview {
        as_of: m.as_of.clone(),
        any_short: assets.iter().any(|a| a.short),
        assets,
        chains: chain_rows(&m.chains, site),
        custodial: custodial_rows(m),
        leaves: m.tree.leaves,
        accounts: m.tree.account_count(),
        split: m.tree.split,
        padding_bits: m.tree.padding_bits,
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

/// One asset's ratio in one history row.
#[derive(Debug, Serialize)]
pub struct HistoryRatio {
    /// Asset symbol.
    pub symbol: String,
    /// The reserve ratio; `None` when liabilities are zero or the asset is absent.
    pub ratio: Option<String>,
    /// Reserves below liabilities in that snapshot.
    pub short: bool,
}

/// One snapshot's line in the history table.
#[derive(Debug, Serialize)]
pub struct HistoryRow {
    /// Snapshot id.
    pub id: String,
    /// Its `as_of`, RFC 3339 UTC.
    pub as_of: String,
    /// One entry per symbol of [`History::symbols`], in the same order.
    pub ratios: Vec<HistoryRatio>,
    /// The snapshot's manifest.
    pub manifest: Link,
    /// That snapshot's account count, when its manifest states it.
    pub accounts: Option<u64>,
}

/// One asset's chart on the history page.
#[derive(Debug, Serialize)]
pub struct Chart {
    /// Asset symbol the chart is for.
    pub symbol: String,
    /// Inline SVG, escaped by the chart module.
    pub svg: String,
}

/// The history page's data over every snapshot.
#[derive(Debug, Serialize)]
pub struct History {
    /// Newest first.
    pub rows: Vec<HistoryRow>,
    /// Reserve ratio per asset over time, one chart per symbol.
    pub charts: Vec<Chart>,
    /// Liabilities and verified reserves per asset over time.
    pub amount_charts: Vec<Chart>,
    /// Every asset symbol that appears in any snapshot, in first-seen order.
    pub symbols: Vec<String>,
}

fn ratio_of<'a>(m: &'a Manifest, symbol: &str) -> Option<&'a ManifestAsset> {
    m.assets.iter().find(|a| a.symbol == symbol)
}

/// The history page's data from `snapshots`, oldest first: rows and charts per asset,
/// the charts' words in `c`'s language.
pub fn history(snapshots: &[Checked], c: &Catalogue) -> Result<History, I18nError> {
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
                accounts: m.tree.account_count(),
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
            Ok(Chart {
                symbol: sym.clone(),
                svg: chart::ratio_chart(&format!("chart-{i}"), sym, &points, c)?,
            })
        })
        .collect::<Result<_, I18nError>>()?;
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
            Ok(Chart {
                symbol: sym.clone(),
                svg: chart::amounts_chart(&format!("amounts-{i}"), sym, decimals, &points, c)?,
            })
        })
        .collect::<Result<_, I18nError>>()?;
    Ok(History {
        rows,
        charts,
        amount_charts,
        symbols,
    })
}

/// One asset held at an address, as the address page shows it.
#[derive(Debug, Serialize)]
pub struct HoldingRow {
    /// Asset symbol.
    pub asset: String,
    /// Token contract, when the asset is a token.
    pub contract: Option<String>,
    /// The amount; in base units only when the asset's decimals are unknown.
    pub amount: Money,
    /// The asset's decimals are known, so `amount` is in its units.
    pub known: bool,
}

/// One claimed address on the address page.
#[derive(Debug, Serialize)]
pub struct AddressRow {
    /// The address as published.
    pub address: String,
    /// The exchange's label for it.
    pub label: String,
    /// The address on the chain's configured explorer; `None` for an unknown chain.
    pub url: Option<String>,
    /// Its holdings at the snapshot block.
    pub holdings: Vec<HoldingRow>,
    /// Space-separated symbols, for the filter script.
    pub assets: String,
    /// The ownership scheme (`bip322-simple`, `eip191`, `none`, …).
    pub scheme: String,
    /// `verified`, `not-verified` or `unproven` (the page words it from its catalogue).
    pub status: String,
    /// Its holdings now, with the change since the snapshot block, when the page shows
    /// a reserves update and that update read it.
    pub now: Option<Vec<super::now::NowHolding>>,
    /// Listed since the snapshot (only in a reserves update; unproven until the next).
    pub since: bool,
}

/// The addresses of one chain.
#[derive(Debug, Serialize)]
pub struct ChainSection {
    /// Chain key as in the address list (`bitcoin`, `ethereum`).
    pub key: String,
    /// Display name of the chain.
    pub name: String,
    /// The chain's addresses, in address-list order.
    pub addresses: Vec<AddressRow>,
}

/// The address page's data, from the newest snapshot.
#[derive(Debug, Serialize)]
pub struct Addresses {
    /// The snapshot id.
    pub id: String,
    /// Its `as_of`, RFC 3339 UTC.
    pub as_of: String,
    /// Whether the snapshot published an address list at all.
    pub published: bool,
    /// One section per chain, in first-seen order.
    pub sections: Vec<ChainSection>,
    /// Every asset symbol held by some address, sorted (the filter's choices).
    pub assets: Vec<String>,
    /// The address files that were published (`addresses.json`, `.csv`, `defillama.json`).
    pub downloads: Vec<FileLink>,
    /// Number of addresses listed.
    pub count: usize,
    /// The reserves update whose holdings the page shows beside the snapshot's.
    pub update: Option<UpdateRef>,
}

/// A reserves update a page shows.
#[derive(Debug, Serialize)]
pub struct UpdateRef {
    /// Its `time`.
    pub time: String,
    /// Site-relative URL of its file.
    pub href: String,
}

fn status(e: &AddressEntry) -> &'static str {
    if e.ownership.scheme == "none" {
        "unproven"
    } else if e.ownership.verified {
        "verified"
    } else {
        "not-verified"
    }
}

pub(super) fn chain_name(key: &str) -> String {
    match key {
        "bitcoin" => "Bitcoin".into(),
        "ethereum" => "Ethereum".into(),
        other => other.to_string(),
    }
}

/// The address page's data, from the newest of `snapshots` with explorer links from
/// `site`, and each address's holdings now from `latest` (the newest snapshot's newest
/// reserves update), when given. Panics if `snapshots` is empty.
pub fn addresses(
    snapshots: &[Checked],
    site: &Explorers,
    latest: Option<&super::updates::CheckedUpdate>,
) -> Addresses {
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
        let holdings: Vec<HoldingRow> = e
            .holdings
            .iter()
            .map(|h| HoldingRow {
                asset: h.asset.clone(),
                contract: h.contract.clone(),
                known: decimals.contains_key(h.asset.as_str()),
                amount: match decimals.get(h.asset.as_str()) {
                    Some(&d) => Money::new(h.amount, d),
                    None => Money::new(h.amount, 0),
                },
            })
            .collect();
        for h in &holdings {
            assets.insert(h.asset.clone());
        }
        let status = status(e);
        let row = AddressRow {
            address: e.address.clone(),
            label: e.label.clone(),
            url: site.address_url(&e.chain, &e.address),
            assets: holdings
                .iter()
                .map(|h| h.asset.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            holdings,
            // A bip127 address names the wallet whose PSBT (`bip127/<wallet>.psbt`) proves it.
            scheme: match &e.ownership.wallet {
                Some(w) => format!("{} · {w}", e.ownership.scheme),
                None => e.ownership.scheme.clone(),
            },
            status: status.into(),
            now: latest.and_then(|u| {
                u.update
                    .addresses
                    .iter()
                    .find(|n| n.in_snapshot && n.chain == e.chain && n.address == e.address)
                    .map(|n| super::now::holdings_now(&e.holdings, n, &decimals))
            }),
            since: false,
        };
        push_row(&mut sections, &e.chain, row);
    }
    let since = latest
        .iter()
        .flat_map(|u| &u.update.addresses)
        .filter(|n| !n.in_snapshot);
    let mut count = entries.len();
    for n in since {
        let now = super::now::holdings_now(&[], n, &decimals);
        for h in &now {
            assets.insert(h.asset.clone());
        }
        count += 1;
        let row = AddressRow {
            address: n.address.clone(),
            label: n.label.clone(),
            url: site.address_url(&n.chain, &n.address),
            holdings: Vec::new(),
            assets: now
                .iter()
                .map(|h| h.asset.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            scheme: n.scheme.clone(),
            status: "unproven".into(),
            now: Some(now),
            since: true,
        };
        push_row(&mut sections, &n.chain, row);
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
        count,
        sections,
        assets: assets.into_iter().collect(),
        downloads,
        update: latest.map(|u| UpdateRef {
            time: u.update.time.clone(),
            href: u.href(),
        }),
        id,
    }
}

fn push_row(sections: &mut Vec<ChainSection>, chain: &str, row: AddressRow) {
    match sections.iter_mut().find(|c| c.key == chain) {
        Some(c) => c.addresses.push(row),
        None => sections.push(ChainSection {
            key: chain.to_string(),
            name: chain_name(chain),
            addresses: vec![row],
        }),
    }
}

/// `{id, as_of}` of every snapshot, newest first (the Verify page's list).
#[derive(Debug, Serialize)]
pub struct SnapshotRef {
    /// Snapshot id.
    pub id: String,
    /// Its `as_of`, RFC 3339 UTC.
    pub as_of: String,
}

/// Every snapshot's id and `as_of`, newest first.
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
