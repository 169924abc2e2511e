//! The history charts, drawn at build time as inline SVG so that they need no
//! JavaScript: the reserve ratio per asset, and liabilities and reserves per asset.
//! Ratios are read from the manifests' strings as integers in units of 10^-4
//! (`"1.0712"` → 10712); amounts stay base-unit `u128`s, scaled with integer
//! division: the charts never touch a float.

use super::i18n::{Catalogue, I18nError};
use crate::amount::Amount;
use std::fmt::Write;

/// One snapshot's ratio of one asset; `None` when liabilities were zero.
pub struct Point<'a> {
    /// The snapshot the point is for, labelling it.
    pub snapshot_id: &'a str,
    /// The manifest's `reserve_ratio` string (`"1.0712"`); `None` when liabilities were zero.
    pub ratio: Option<&'a str>,
}

/// `"1.0712"` → `Some(10712)`; anything but `digits "." 4 digits` → `None`.
pub fn parse_ratio(s: &str) -> Option<u64> {
    let (int, frac) = s.split_once('.')?;
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || frac.len() != 4 || !digits(frac) || int.len() > 12 {
        return None;
    }
    Some(int.parse::<u64>().ok()? * 10_000 + frac.parse::<u64>().ok()?)
}

/// `10712` → `"1.07"` (two decimals, truncated: tick labels only).
fn tick_label(v: u64) -> String {
    format!("{}.{:02}", v / 10_000, (v % 10_000) / 100)
}

fn ratio_label(v: u64) -> String {
    format!("{}.{:04}", v / 10_000, v % 10_000)
}

/// Escapes text for SVG content and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const W: i64 = 480;
const H: i64 = 240;
const LEFT: i64 = 60;
const RIGHT: i64 = 16;
const TOP: i64 = 16;
const BOTTOM: i64 = 52;
const ONE: u64 = 10_000;

/// A tick step (in 10^-4) giving at most six intervals over `span`.
fn tick_step(span: u64) -> u64 {
    let mut base = 1u64;
    loop {
        for m in [1, 2, 5] {
            let step = base * m * 100;
            if span / step <= 6 {
                return step;
            }
        }
        base *= 10;
    }
}
/// The x position of point `i` of `n`: spread over the plot, centred when alone.
fn x_at(i: usize, n: usize) -> i64 {
    let plot_w = W - LEFT - RIGHT;
    if n <= 1 {
        LEFT + plot_w / 2
    } else {
        LEFT + i as i64 * plot_w / (n as i64 - 1)
    }
}

/// The x tick labels (every snapshot when few, else the first and the last) and both
/// axis labels, shared by the charts.
fn axis_labels(s: &mut String, ids: &[&str], x_label: &str, y_label: &str) {
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let label_all = ids.len() <= 4;
    for (i, id) in ids.iter().enumerate() {
        if label_all || i == 0 || i + 1 == ids.len() {
            let anchor = match (ids.len(), i) {
                (1, _) => "middle",
                (_, 0) => "start",
                (n, i) if i + 1 == n => "end",
                _ => "middle",
            };
            let _ = write!(
                s,
                r#"<text class="tick" x="{}" y="{}" text-anchor="{anchor}">{}</text>"#,
                x_at(i, ids.len()),
                H - BOTTOM + 20,
                esc(id)
            );
        }
    }
    let _ = write!(
        s,
        r#"<text class="axis-label" x="{}" y="{}" text-anchor="middle">{}</text>"#,
        LEFT + plot_w / 2,
        H - 8,
        esc(x_label)
    );
    let _ = write!(
        s,
        r#"<text class="axis-label" x="16" y="{cy}" text-anchor="middle" transform="rotate(-90 16 {cy})">{}</text>"#,
        esc(y_label),
        cy = TOP + plot_h / 2
    );
}

/// The chart of one asset's ratio over `points` (oldest first), its words from `c`.
/// `key` makes element ids unique on the page.
pub fn ratio_chart(
    key: &str,
    symbol: &str,
    points: &[Point<'_>],
    c: &Catalogue,
) -> Result<String, I18nError> {
    let values: Vec<Option<u64>> = points
        .iter()
        .map(|p| p.ratio.and_then(parse_ratio))
        .collect();
    let known: Vec<u64> = values.iter().flatten().copied().collect();
    let lo = known.iter().copied().min().unwrap_or(ONE).min(ONE);
    let hi = known.iter().copied().max().unwrap_or(ONE).max(ONE);
    let step = tick_step((hi - lo).max(2_000));
    let y_min = lo / step * step;
    let mut y_max = hi.div_ceil(step) * step;
    if y_max == y_min {
        y_max += step;
    }
    let plot_h = H - TOP - BOTTOM;
    let y = |v: u64| TOP + ((y_max - v) as i64 * plot_h) / (y_max - y_min) as i64;
    let x = |i: usize| x_at(i, points.len());

    let first = points.first().map(|p| p.snapshot_id).unwrap_or("");
    let last = points.last().map(|p| p.snapshot_id).unwrap_or("");
    let latest = values.last().copied().flatten();
    let n = points.len().to_string();
    let span = [("n", n.as_str()), ("first", first), ("last", last)];
    let desc = match latest {
        Some(v) => {
            let key = if v < ONE {
                "chart.ratio_desc_below"
            } else {
                "chart.ratio_desc"
            };
            c.text(key, &[&span[..], &[("ratio", &ratio_label(v))]].concat())?
        }
        None => c.text("chart.ratio_desc_none", &span)?,
    };

    let mut s = String::new();
    let id = esc(key);
    let _ = write!(
        s,
        r#"<svg class="chart" viewBox="0 0 {W} {H}" role="img" aria-labelledby="{id}-title {id}-desc" xmlns="http://www.w3.org/2000/svg">"#
    );
    let _ = write!(
        s,
        r#"<title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        esc(&c.text("chart.ratio_title", &[("symbol", symbol)])?),
        esc(&desc)
    );
    // Grid and y ticks.
    let mut v = y_min;
    while v <= y_max {
        let yy = y(v);
        let _ = write!(
            s,
            r#"<line class="grid" x1="{LEFT}" y1="{yy}" x2="{}" y2="{yy}"/><text class="tick" x="{}" y="{}" text-anchor="end">{}</text>"#,
            W - RIGHT,
            LEFT - 6,
            yy + 5,
            tick_label(v)
        );
        v += step;
    }
    // Axes.
    let _ = write!(
        s,
        r#"<line class="axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{b}"/><line class="axis" x1="{LEFT}" y1="{b}" x2="{r}" y2="{b}"/>"#,
        b = H - BOTTOM,
        r = W - RIGHT
    );
    // The 1.0 line: reserves equal liabilities (its legend is beside the chart, where
    // it cannot cover the data).
    let y1 = y(ONE);
    let _ = write!(
        s,
        r#"<line class="ref" x1="{LEFT}" y1="{y1}" x2="{r}" y2="{y1}"><title>{}</title></line>"#,
        esc(c.raw("chart.fully_backed")?),
        r = W - RIGHT,
    );
    let ids: Vec<&str> = points.iter().map(|p| p.snapshot_id).collect();
    axis_labels(
        &mut s,
        &ids,
        c.raw("chart.axis_x")?,
        c.raw("chart.ratio_axis")?,
    );
    // The line, broken where a ratio is missing.
    let mut run: Vec<String> = Vec::new();
    let flush = |run: &mut Vec<String>, s: &mut String| {
        if run.len() > 1 {
            let _ = write!(s, r#"<polyline class="line" points="{}"/>"#, run.join(" "));
        }
        run.clear();
    };
    for (i, v) in values.iter().enumerate() {
        match v {
            Some(v) => run.push(format!("{},{}", x(i), y(*v))),
            None => flush(&mut run, &mut s),
        }
    }
    flush(&mut run, &mut s);
    for (i, (p, v)) in points.iter().zip(&values).enumerate() {
        if let Some(v) = v {
            let class = if *v < ONE { "pt short" } else { "pt" };
            let _ = write!(
                s,
                r#"<circle class="{class}" cx="{}" cy="{}" r="4"><title>{}: {}</title></circle>"#,
                x(i),
                y(*v),
                esc(p.snapshot_id),
                ratio_label(*v)
            );
        }
    }
    s.push_str("</svg>");
    Ok(s)
}

/// One snapshot's liabilities and verified reserves of one asset, in base units;
/// `None` where the snapshot does not list the asset.
pub struct AmountPoint<'a> {
    /// The snapshot the point is for, labelling it.
    pub snapshot_id: &'a str,
    /// `(liabilities, reserves)` in base units.
    pub figures: Option<(Amount, Amount)>,
}

/// A "nice" tick step (1, 2 or 5 times a power of ten, in base units) giving at most
/// five intervals up to `max`.
fn amount_step(max: u128) -> u128 {
    let mut base = 1u128;
    loop {
        for m in [1u128, 2, 5] {
            let step = base.saturating_mul(m);
            if max / step <= 5 || step == u128::MAX {
                return step;
            }
        }
        base = base.saturating_mul(10);
    }
}

/// A tick label in the asset's units, short: `150000000` units is `150M`, `2500` is
/// `2500`, `0.25` stays `0.25` (exact; ticks are round numbers).
fn amount_label(v: u128, decimals: u8) -> String {
    let units = Amount::from_base_units(v).display_units(decimals);
    let int = units.split('.').next().unwrap_or("");
    if int.len() <= 4 {
        return units;
    }
    let (k, suffix) = match int.len() {
        5..=6 => (3, "k"),
        7..=9 => (6, "M"),
        10..=12 => (9, "B"),
        _ => (12, "T"),
    };
    let (head, tail) = int.split_at(int.len() - k);
    let tail = tail.trim_end_matches('0');
    let tail = &tail[..tail.len().min(2)];
    if tail.is_empty() {
        format!("{head}{suffix}")
    } else {
        format!("{head}.{tail}{suffix}")
    }
}

/// The y axis of an amounts chart: round ticks from 0 to the first tick at or above
/// the largest figure.
struct AmountScale {
    step: u128,
    y_max: u128,
    shift: u32,
}

impl AmountScale {
    /// The scale for figures up to `max` (at least 1).
    fn new(max: u128) -> AmountScale {
        let step = amount_step(max);
        let y_max = max.div_ceil(step).saturating_mul(step).max(step);
        // (y_max - v) / y_max of the plot height, in integers. Both are first shifted
        // right until y_max fits in 64 bits, so `d * h` cannot overflow (the error is
        // far below a pixel).
        let shift = (128 - y_max.leading_zeros()).saturating_sub(64);
        AmountScale { step, y_max, shift }
    }

    /// The y position of `v` in the plot.
    fn y(&self, v: u128) -> i64 {
        let plot_h = H - TOP - BOTTOM;
        let d = (self.y_max - v.min(self.y_max)) >> self.shift;
        let h = plot_h as u128;
        let off = d * h / (self.y_max >> self.shift).max(1);
        TOP + off.min(h) as i64
    }

    /// The grid lines and their tick labels, in the asset's units.
    fn grid(&self, s: &mut String, decimals: u8) {
        let mut v = 0u128;
        while v <= self.y_max {
            let yy = self.y(v);
            let _ = write!(
                s,
                r#"<line class="grid" x1="{LEFT}" y1="{yy}" x2="{}" y2="{yy}"/><text class="tick" x="{}" y="{}" text-anchor="end">{}</text>"#,
                W - RIGHT,
                LEFT - 6,
                yy + 5,
                esc(&amount_label(v, decimals))
            );
            match v.checked_add(self.step) {
                Some(next) => v = next,
                None => break,
            }
        }
    }
}

/// Liabilities and verified reserves of one asset over `points` (oldest first): two
/// lines told apart by shape as well as colour (liabilities solid with circles,
/// reserves dashed with squares), every point titled with its exact figures. `key`
/// makes element ids unique on the page; the words are `c`'s.
pub fn amounts_chart(
    key: &str,
    symbol: &str,
    decimals: u8,
    points: &[AmountPoint<'_>],
    c: &Catalogue,
) -> Result<String, I18nError> {
    let max = points
        .iter()
        .filter_map(|p| p.figures)
        .map(|(l, r)| l.base_units().max(r.base_units()))
        .max()
        .unwrap_or(0)
        .max(1);
    let scale = AmountScale::new(max);
    let y = |v: u128| scale.y(v);
    let x = |i: usize| x_at(i, points.len());
    let units = |a: Amount| format!("{} {symbol}", a.display_units(decimals));
    let first = points.first().map(|p| p.snapshot_id).unwrap_or("");
    let last = points.last().map(|p| p.snapshot_id).unwrap_or("");
    let n = points.len().to_string();
    let span = [("n", n.as_str()), ("first", first), ("last", last)];
    let desc = match points.last().and_then(|p| p.figures) {
        Some((l, r)) => {
            let key = if r < l {
                "chart.amounts_desc_below"
            } else {
                "chart.amounts_desc"
            };
            let (l, r) = (units(l), units(r));
            c.text(
                key,
                &[&span[..], &[("liabilities", &l), ("reserves", &r)]].concat(),
            )?
        }
        None => c.text(
            "chart.amounts_desc_none",
            &[&span[..], &[("symbol", symbol)]].concat(),
        )?,
    };

    let mut s = String::new();
    let id = esc(key);
    let title = c.text("chart.amounts_title", &[("symbol", symbol)])?;
    amounts_frame(
        &mut s,
        "chart amounts",
        &id,
        &title,
        &desc,
        &scale,
        decimals,
    );
    let ids: Vec<&str> = points.iter().map(|p| p.snapshot_id).collect();
    axis_labels(&mut s, &ids, c.raw("chart.axis_x")?, symbol);
    // Two lines, each broken where the asset is missing.
    for (class, pick) in [("line liab", 0usize), ("line res", 1usize)] {
        let mut run: Vec<String> = Vec::new();
        let flush = |run: &mut Vec<String>, s: &mut String| {
            if run.len() > 1 {
                let _ = write!(
                    s,
                    r#"<polyline class="{class}" points="{}"/>"#,
                    run.join(" ")
                );
            }
            run.clear();
        };
        for (i, p) in points.iter().enumerate() {
            match p.figures {
                Some((l, r)) => run.push(format!(
                    "{},{}",
                    x(i),
                    y(if pick == 0 {
                        l.base_units()
                    } else {
                        r.base_units()
                    })
                )),
                None => flush(&mut run, &mut s),
            }
        }
        flush(&mut run, &mut s);
    }
    for (i, p) in points.iter().enumerate() {
        if let Some((l, r)) = p.figures {
            let title = c.text(
                "chart.amounts_point",
                &[
                    ("id", p.snapshot_id),
                    ("liabilities", &units(l)),
                    ("reserves", &units(r)),
                ],
            )?;
            let (cx, yl, yr) = (x(i), y(l.base_units()), y(r.base_units()));
            let _ = write!(
                s,
                r#"<g class="pts{}"><title>{}</title><circle class="pt liab" cx="{cx}" cy="{yl}" r="4"/><rect class="pt res" x="{}" y="{}" width="8" height="8"/></g>"#,
                if r < l { " short" } else { "" },
                esc(&title),
                cx - 4,
                yr - 4
            );
        }
    }
    s.push_str("</svg>");
    Ok(s)
}

/// One point of a reserves-over-time chart: a snapshot's or an update's verified
/// reserves of one asset, with the liabilities it was judged against.
pub struct TimePoint<'a> {
    /// Seconds since the Unix epoch (the snapshot's `as_of`, the update's `time`).
    pub time: u64,
    /// That time as published, RFC 3339.
    pub label: &'a str,
    /// The snapshot's id for a snapshot's point; `None` for an update's.
    pub snapshot: Option<&'a str>,
    /// Verified reserves, in base units.
    pub reserves: Amount,
    /// The liabilities of the snapshot in force, in base units.
    pub liabilities: Amount,
}

/// `2026-11-21T00:00:00Z` → `2026-11-21` (the date of an x tick).
fn date_of(label: &str) -> &str {
    label.get(..10).unwrap_or(label)
}

/// One asset's verified reserves over time, from every snapshot and every kept update
/// (`points`, oldest first), with the liabilities of each snapshot drawn as steps
/// (each holds from its snapshot's time until the next snapshot's). The x axis is
/// time, to scale; snapshots are squares, updates dots, every point titled with its
/// exact figures. `key` makes element ids unique on the page; the words are `c`'s.
pub fn reserves_chart(
    key: &str,
    symbol: &str,
    decimals: u8,
    points: &[TimePoint<'_>],
    c: &Catalogue,
) -> Result<String, I18nError> {
    let max = points
        .iter()
        .map(|p| p.liabilities.base_units().max(p.reserves.base_units()))
        .max()
        .unwrap_or(0)
        .max(1);
    let scale = AmountScale::new(max);
    let t0 = points.first().map_or(0, |p| p.time);
    let t1 = points.last().map_or(0, |p| p.time).max(t0 + 1);
    let plot_w = W - LEFT - RIGHT;
    let x = |t: u64| {
        LEFT + ((t.clamp(t0, t1) - t0) as u128 * plot_w as u128 / (t1 - t0) as u128) as i64
    };
    let units = |a: Amount| format!("{} {symbol}", a.display_units(decimals));
    let first = points.first().map_or("", |p| p.label);
    let last = points.last().map_or("", |p| p.label);
    let snapshots = points.iter().filter(|p| p.snapshot.is_some()).count();
    let (n, snaps, upds) = (
        points.len().to_string(),
        snapshots.to_string(),
        (points.len() - snapshots).to_string(),
    );
    let span = [
        ("n", n.as_str()),
        ("first", first),
        ("last", last),
        ("snapshots", snaps.as_str()),
        ("updates", upds.as_str()),
    ];
    let desc = match points.last() {
        Some(p) => {
            let key = if p.reserves < p.liabilities {
                "chart.now_desc_below"
            } else {
                "chart.now_desc"
            };
            let (l, r) = (units(p.liabilities), units(p.reserves));
            c.text(
                key,
                &[&span[..], &[("liabilities", &l), ("reserves", &r)]].concat(),
            )?
        }
        None => c.text("chart.now_desc_none", &[("symbol", symbol)])?,
    };

    let mut s = String::new();
    let id = esc(key);
    let title = c.text("chart.now_title", &[("symbol", symbol)])?;
    amounts_frame(
        &mut s,
        "chart amounts over-time",
        &id,
        &title,
        &desc,
        &scale,
        decimals,
    );
    // x ticks: the first and the last day, and each snapshot between them.
    let mut ticks: Vec<(u64, &str, &str)> = Vec::new();
    for (i, p) in points.iter().enumerate() {
        let edge = i == 0 || i + 1 == points.len();
        if edge || p.snapshot.is_some() {
            let anchor = match (i, points.len()) {
                (0, 1) => "middle",
                (0, _) => "start",
                (i, n) if i + 1 == n => "end",
                _ => "middle",
            };
            ticks.push((p.time, date_of(p.label), anchor));
        }
    }
    let mut last_x: Option<i64> = None;
    for (t, label, anchor) in ticks {
        let xx = x(t);
        // Labels closer than 70 units would overlap: keep the first and the last.
        let crowded = last_x.is_some_and(|l| xx - l < 70) || x(t1) - xx < 70;
        if anchor == "middle" && crowded {
            continue;
        }
        last_x = Some(xx);
        let _ = write!(
            s,
            r#"<line class="grid" x1="{xx}" y1="{b}" x2="{xx}" y2="{b6}"/><text class="tick" x="{xx}" y="{y}" text-anchor="{anchor}">{}</text>"#,
            esc(label),
            b = H - BOTTOM,
            b6 = H - BOTTOM + 6,
            y = H - BOTTOM + 20,
        );
    }
    let plot_h = H - TOP - BOTTOM;
    let _ = write!(
        s,
        r#"<text class="axis-label" x="{}" y="{}" text-anchor="middle">{}</text>"#,
        LEFT + plot_w / 2,
        H - 8,
        esc(c.raw("chart.time_axis")?)
    );
    let _ = write!(
        s,
        r#"<text class="axis-label" x="16" y="{cy}" text-anchor="middle" transform="rotate(-90 16 {cy})">{}</text>"#,
        esc(symbol),
        cy = TOP + plot_h / 2
    );
    // Liabilities as steps: each snapshot's level until the next snapshot.
    let mut steps: Vec<String> = Vec::new();
    let mut level: Option<i64> = None;
    for p in points {
        let (xx, yy) = (x(p.time), scale.y(p.liabilities.base_units()));
        match level {
            None => steps.push(format!("{xx},{yy}")),
            Some(prev) if prev != yy => {
                steps.push(format!("{xx},{prev}"));
                steps.push(format!("{xx},{yy}"));
            }
            Some(_) => {}
        }
        level = Some(yy);
    }
    if let Some(prev) = level {
        steps.push(format!("{},{prev}", x(t1)));
    }
    if steps.len() > 1 {
        let _ = write!(
            s,
            r#"<polyline class="line liab step" points="{}"><title>{}</title></polyline>"#,
            steps.join(" "),
            esc(c.raw("chart.liabilities_steps")?)
        );
    }
    let line: Vec<String> = points
        .iter()
        .map(|p| format!("{},{}", x(p.time), scale.y(p.reserves.base_units())))
        .collect();
    if line.len() > 1 {
        let _ = write!(
            s,
            r#"<polyline class="line res" points="{}"/>"#,
            line.join(" ")
        );
    }
    for p in points {
        let (cx, cy) = (x(p.time), scale.y(p.reserves.base_units()));
        let short = if p.reserves < p.liabilities {
            " short"
        } else {
            ""
        };
        let (r, l) = (units(p.reserves), units(p.liabilities));
        match p.snapshot {
            Some(sid) => {
                let title = c.text(
                    "chart.now_point_snapshot",
                    &[
                        ("time", p.label),
                        ("id", sid),
                        ("reserves", &r),
                        ("liabilities", &l),
                    ],
                )?;
                let _ = write!(
                    s,
                    r#"<g class="pts{short}"><title>{}</title><rect class="pt res snap" x="{}" y="{}" width="8" height="8"/></g>"#,
                    esc(&title),
                    cx - 4,
                    cy - 4,
                );
            }
            None => {
                let title = c.text(
                    "chart.now_point_update",
                    &[("time", p.label), ("reserves", &r), ("liabilities", &l)],
                )?;
                let _ = write!(
                    s,
                    r#"<g class="pts{short}"><title>{}</title><circle class="pt res upd" cx="{cx}" cy="{cy}" r="3"/></g>"#,
                    esc(&title)
                );
            }
        }
    }
    s.push_str("</svg>");
    Ok(s)
}

/// The opening of an amounts chart: the `<svg>` element with its accessible title and
/// description, the amount grid and the two axes.
fn amounts_frame(
    s: &mut String,
    class: &str,
    id: &str,
    title: &str,
    desc: &str,
    scale: &AmountScale,
    decimals: u8,
) {
    let _ = write!(
        s,
        r#"<svg class="{class}" viewBox="0 0 {W} {H}" role="img" aria-labelledby="{id}-title {id}-desc" xmlns="http://www.w3.org/2000/svg">"#
    );
    let _ = write!(
        s,
        r#"<title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        esc(title),
        esc(desc)
    );
    scale.grid(s, decimals);
    let _ = write!(
        s,
        r#"<line class="axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{b}"/><line class="axis" x1="{LEFT}" y1="{b}" x2="{r}" y2="{b}"/>"#,
        b = H - BOTTOM,
        r = W - RIGHT
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn english() -> std::sync::Arc<Catalogue> {
        super::super::i18n::catalogues().unwrap().remove(0)
    }

    #[test]
    fn ratios_parse_as_integers() {
        assert_eq!(parse_ratio("1.0712"), Some(10712));
        assert_eq!(parse_ratio("0.0000"), Some(0));
        assert_eq!(parse_ratio("12.5000"), Some(125_000));
        for bad in [
            "1", "1.07", "1.07120", "-1.0000", ".0712", "1.07a2", "1,0712",
        ] {
            assert_eq!(parse_ratio(bad), None, "{bad}");
        }
    }

    #[test]
    fn chart_has_axes_reference_line_and_points() {
        let pts = [
            Point {
                snapshot_id: "a",
                ratio: Some("1.0712"),
            },
            Point {
                snapshot_id: "b<",
                ratio: None,
            },
            Point {
                snapshot_id: "c",
                ratio: Some("0.9500"),
            },
        ];
        let svg = ratio_chart("chart-BTC", "BTC", &pts, &english()).unwrap();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains(r#"role="img""#));
        assert!(svg.contains("1.0 = fully backed"));
        assert!(svg.contains("reserve ratio</text>"));
        assert!(svg.contains("b&lt;") && !svg.contains("b<"));
        assert_eq!(svg.matches("<circle").count(), 2);
        assert!(svg.contains(r#"class="pt short""#));
        // The gap at "b" leaves no polyline of two points.
        assert!(!svg.contains("<polyline"));
        assert!(svg.contains("latest ratio 0.9500, below 1.0"));
    }

    #[test]
    fn tick_steps_stay_few() {
        for span in [0, 1, 2_000, 10_000, 55_555, 1_000_000, u64::MAX / 1000] {
            let step = tick_step(span);
            assert!(span / step <= 6, "{span} {step}");
        }
    }

    #[test]
    fn amount_ticks_are_round_and_short() {
        assert_eq!(amount_step(1), 1);
        assert_eq!(amount_step(153_595_548_461_234), 50_000_000_000_000);
        assert_eq!(amount_label(150_000_000_000_000, 6), "150M");
        assert_eq!(amount_label(2_500_000_000, 6), "2500");
        assert_eq!(amount_label(25_000_000, 8), "0.25");
        assert_eq!(amount_label(12_500_000_000_000_000_000_000, 18), "12.5k");
        assert_eq!(
            amount_label(u128::MAX, 0),
            "340282366920938463463374607.43T"
        );
    }

    #[test]
    fn amounts_chart_draws_both_lines_within_the_plot() {
        let pts = [
            AmountPoint {
                snapshot_id: "a",
                figures: Some((Amount::from_base_units(100), Amount::from_base_units(120))),
            },
            AmountPoint {
                snapshot_id: "b",
                figures: None,
            },
            AmountPoint {
                snapshot_id: "c",
                figures: Some((
                    Amount::from_base_units(u128::MAX),
                    Amount::from_base_units(0),
                )),
            },
            AmountPoint {
                snapshot_id: "d<",
                figures: Some((Amount::from_base_units(300), Amount::from_base_units(250))),
            },
        ];
        let svg = amounts_chart("amt-0", "BTC", 8, &pts, &english()).unwrap();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("BTC liabilities and verified reserves per snapshot"));
        assert!(svg.contains(
            "latest liabilities 0.000003 BTC, verified reserves 0.0000025 BTC, below liabilities."
        ));
        assert_eq!(svg.matches("<circle").count(), 3);
        assert_eq!(svg.matches("<rect").count(), 3);
        assert_eq!(svg.matches(r#"class="pts short""#).count(), 2);
        assert!(svg.contains("d&lt;") && !svg.contains("d<"));
        // every y inside the plot, even at u128::MAX
        for part in svg.split(" cy=\"").skip(1) {
            let y: i64 = part.split('"').next().unwrap().parse().unwrap();
            assert!((TOP..=H - BOTTOM).contains(&y), "{y}");
        }
        assert!(svg.contains("a: liabilities 0.000001 BTC, verified reserves 0.0000012 BTC"));
    }

    #[test]
    fn reserves_over_time_steps_the_liabilities_and_scales_time() {
        let a = |v: u128| Amount::from_base_units(v);
        let pts = [
            TimePoint {
                time: 0,
                label: "1970-01-01T00:00:00Z",
                snapshot: Some("s1"),
                reserves: a(120),
                liabilities: a(100),
            },
            TimePoint {
                time: 50,
                label: "1970-01-01T00:00:50Z",
                snapshot: None,
                reserves: a(90),
                liabilities: a(100),
            },
            TimePoint {
                time: 100,
                label: "1970-01-01T00:01:40Z",
                snapshot: Some("s2<"),
                reserves: a(200),
                liabilities: a(150),
            },
            TimePoint {
                time: 200,
                label: "1970-01-01T00:03:20Z",
                snapshot: None,
                reserves: a(210),
                liabilities: a(150),
            },
        ];
        let svg = reserves_chart("now-0", "BTC", 2, &pts, &english()).unwrap();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains(r#"<title id="now-0-title">BTC reserves over time</title>"#));
        assert!(svg.contains("4 points from 1970-01-01T00:00:00Z to 1970-01-01T00:03:20Z: 2 snapshots and 2 updates; latest verified reserves 2.1 BTC against liabilities 1.5 BTC."));
        assert_eq!(svg.matches("<rect").count(), 2);
        assert_eq!(svg.matches("<circle").count(), 2);
        assert_eq!(svg.matches(r#"class="pts short""#).count(), 1);
        assert!(svg.contains("s2&lt;") && !svg.contains("s2<"));
        assert!(svg.contains("time (UTC)</text>"));
        // x to scale: t=50 of 0..200 is a quarter of the plot; the step rises at t=100.
        let plot_w = W - LEFT - RIGHT;
        assert!(svg.contains(&format!(r#"cx="{}""#, LEFT + plot_w / 4)));
        let scale = AmountScale::new(210);
        let (y100, y150) = (scale.y(100), scale.y(150));
        let mid = LEFT + plot_w / 2;
        assert!(
            svg.contains(&format!(
                r#"points="{LEFT},{y100} {mid},{y100} {mid},{y150} {},{y150}""#,
                W - RIGHT
            )),
            "{svg}"
        );
        // One point alone is centred on nothing: it sits at the left and still draws.
        let one = reserves_chart("x", "BTC", 2, &pts[..1], &english()).unwrap();
        assert_eq!(one.matches("<rect").count(), 1);
        assert!(!one.contains(r#"class="line res""#));
    }
}
