//! The reserve-ratio history chart, drawn at build time as inline SVG so that it needs
//! no JavaScript. Ratios are read from the manifests' strings as integers in units of
//! 10^-4 (`"1.0712"` → 10712): the chart never touches a float.

use std::fmt::Write;

/// One snapshot's ratio of one asset; `None` when liabilities were zero.
pub struct Point<'a> {
    pub snapshot_id: &'a str,
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

/// The chart of one asset's ratio over `points` (oldest first). `key` makes element
/// ids unique on the page.
pub fn ratio_chart(key: &str, symbol: &str, points: &[Point<'_>]) -> String {
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
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let y = |v: u64| TOP + ((y_max - v) as i64 * plot_h) / (y_max - y_min) as i64;
    let n = points.len() as i64;
    let x = |i: usize| {
        if n <= 1 {
            LEFT + plot_w / 2
        } else {
            LEFT + i as i64 * plot_w / (n - 1)
        }
    };

    let first = points.first().map(|p| p.snapshot_id).unwrap_or("");
    let last = points.last().map(|p| p.snapshot_id).unwrap_or("");
    let latest = values.last().copied().flatten();
    let desc = match latest {
        Some(v) => format!(
            "{} snapshots from {first} to {last}; latest ratio {}{}.",
            points.len(),
            ratio_label(v),
            if v < ONE { ", below 1.0" } else { "" }
        ),
        None => format!(
            "{} snapshots from {first} to {last}; no ratio for the latest (no liabilities).",
            points.len()
        ),
    };

    let mut s = String::new();
    let id = esc(key);
    let _ = write!(
        s,
        r#"<svg class="chart" viewBox="0 0 {W} {H}" role="img" aria-labelledby="{id}-title {id}-desc" xmlns="http://www.w3.org/2000/svg">"#
    );
    let _ = write!(
        s,
        r#"<title id="{id}-title">{} reserve ratio per snapshot</title><desc id="{id}-desc">{}</desc>"#,
        esc(symbol),
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
        r#"<line class="ref" x1="{LEFT}" y1="{y1}" x2="{r}" y2="{y1}"><title>1.0 = fully backed</title></line>"#,
        r = W - RIGHT,
    );
    // X labels: every snapshot when few, else the first and the last.
    let label_all = points.len() <= 4;
    for (i, p) in points.iter().enumerate() {
        if label_all || i == 0 || i + 1 == points.len() {
            let anchor = match (points.len(), i) {
                (1, _) => "middle",
                (_, 0) => "start",
                (n, i) if i + 1 == n => "end",
                _ => "middle",
            };
            let _ = write!(
                s,
                r#"<text class="tick" x="{}" y="{}" text-anchor="{anchor}">{}</text>"#,
                x(i),
                H - BOTTOM + 20,
                esc(p.snapshot_id)
            );
        }
    }
    let _ = write!(
        s,
        r#"<text class="axis-label" x="{}" y="{}" text-anchor="middle">snapshot (oldest to newest)</text>"#,
        LEFT + plot_w / 2,
        H - 8
    );
    let _ = write!(
        s,
        r#"<text class="axis-label" x="16" y="{cy}" text-anchor="middle" transform="rotate(-90 16 {cy})">reserve ratio</text>"#,
        cy = TOP + plot_h / 2
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
    s
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let svg = ratio_chart("chart-BTC", "BTC", &pts);
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
}
