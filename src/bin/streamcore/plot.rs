//! `streamcore bench --plot out.svg`: throughput against size, one panel per op, one line per
//! device and anchor, on log-log axes; written as SVG by hand (no plotting dependency).

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::report::{Kind, Record};

const PANEL_W: f64 = 460.0;
const PANEL_H: f64 = 300.0;
const MARGIN: (f64, f64, f64, f64) = (64.0, 16.0, 36.0, 46.0); // left, right, top, bottom
const COLS: usize = 2;
/// Okabe-Ito: distinguishable with every common colour-vision deficiency.
const COLOURS: [&str; 8] = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442",
];

/// A panel's lines: (x, y) points by series name.
type Series = BTreeMap<String, Vec<(f64, f64)>>;

/// The throughput plotted for a record: GFLOP/s for compute-bound ops, else GB/s.
fn y_of(r: &Record) -> Option<(f64, &'static str)> {
    match (r.op.as_str(), r.gflop_per_s, r.gb_per_s) {
        ("matmul" | "mandelbrot", Some(g), _) => Some((g, "GFLOP/s")),
        (_, _, Some(g)) => Some((g, "GB/s")),
        (_, Some(g), None) => Some((g, "GFLOP/s")),
        _ => None,
    }
    .filter(|(v, _)| v.is_finite() && *v > 0.0)
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Powers of ten (and 2, 5 between them when few) inside [lo, hi].
fn ticks(lo: f64, hi: f64) -> Vec<f64> {
    let (a, b) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    let mults: &[f64] = if b - a <= 2 { &[1.0, 2.0, 5.0] } else { &[1.0] };
    (a..=b)
        .flat_map(|e| mults.iter().map(move |m| m * 10f64.powi(e)))
        .filter(|v| *v >= lo * 0.999 && *v <= hi * 1.001)
        .collect()
}

fn label(v: f64) -> String {
    if v >= 1e9 {
        format!("{}G", v / 1e9)
    } else if v >= 1e6 {
        format!("{}M", v / 1e6)
    } else if v >= 1e3 {
        format!("{}k", v / 1e3)
    } else if v >= 1.0 {
        format!("{v}")
    } else {
        let decimals = (-v.log10().floor()) as usize;
        format!("{v:.decimals$}")
    }
}

/// The SVG document for `records` (ceilings and failures are left out).
pub fn svg(records: &[Record], title: &str) -> String {
    // op -> series (device or [anchor]) -> points
    let mut panels: BTreeMap<&str, (Series, &str)> = BTreeMap::new();
    // Panels in the suite's order.
    let order = |op: &str| crate::OPS.iter().position(|o| *o == op).unwrap_or(99);
    for r in records
        .iter()
        .filter(|r| r.kind != Kind::Ceiling && r.note.is_none())
    {
        let Some((y, unit)) = y_of(r) else { continue };
        let mut name = if r.kind == Kind::Anchor {
            format!("[{}]", r.device)
        } else {
            r.device.clone()
        };
        // Fused Mandelbrot cases are lines of their own beside the separate ones.
        if r.size.ends_with("-fused") {
            name.push_str(" fused");
        }
        let p = panels
            .entry(r.op.as_str())
            .or_insert((BTreeMap::new(), unit));
        p.0.entry(name)
            .or_default()
            .push((r.elements.max(1) as f64, y));
    }
    let mut ops: Vec<&str> = panels.keys().copied().collect();
    ops.sort_by_key(|o| order(o));
    // One colour per series name across panels.
    let mut names: Vec<String> = panels
        .values()
        .flat_map(|(s, _)| s.keys().cloned())
        .collect();
    names.sort();
    names.dedup();
    let colour = |n: &str| COLOURS[names.iter().position(|x| x == n).unwrap_or(0) % COLOURS.len()];
    let rows = ops.len().div_ceil(COLS).max(1);
    let legend_h = 22.0 * names.len().div_ceil(4) as f64 + 10.0;
    let (w, h) = (
        PANEL_W * COLS as f64,
        40.0 + PANEL_H * rows as f64 + legend_h,
    );
    let mut s = String::new();
    let _ = writeln!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="11">"##
    );
    let _ = writeln!(s, r##"<rect width="{w}" height="{h}" fill="white"/>"##);
    let _ = writeln!(
        s,
        r##"<text x="{}" y="24" font-size="15" text-anchor="middle">{}</text>"##,
        w / 2.0,
        esc(title)
    );
    for (i, op) in ops.iter().enumerate() {
        let (series, unit) = &panels[op];
        let (ox, oy) = (
            PANEL_W * (i % COLS) as f64,
            40.0 + PANEL_H * (i / COLS) as f64,
        );
        let (l, r, t, b) = MARGIN;
        let (pw, ph) = (PANEL_W - l - r, PANEL_H - t - b);
        let pts = series.values().flatten();
        let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for &(x, y) in pts {
            (x0, x1, y0, y1) = (x0.min(x), x1.max(x), y0.min(y), y1.max(y));
        }
        // Whole decades around the data, at least one wide.
        let (x0, x1) = (
            10f64.powf(x0.log10().floor()),
            10f64.powf(x1.log10().ceil().max(x0.log10().floor() + 1.0)),
        );
        let (y0, y1) = (
            10f64.powf(y0.log10().floor()),
            10f64.powf(y1.log10().ceil().max(y0.log10().floor() + 1.0)),
        );
        let px = |x: f64| ox + l + pw * (x.log10() - x0.log10()) / (x1.log10() - x0.log10());
        let py =
            |y: f64| oy + t + ph * (1.0 - (y.log10() - y0.log10()) / (y1.log10() - y0.log10()));
        let _ = writeln!(
            s,
            r##"<rect x="{}" y="{}" width="{pw}" height="{ph}" fill="none" stroke="#888"/>"##,
            ox + l,
            oy + t
        );
        let _ = writeln!(
            s,
            r##"<text x="{}" y="{}" font-size="13" text-anchor="middle">{}</text>"##,
            ox + l + pw / 2.0,
            oy + t - 8.0,
            esc(op)
        );
        for v in ticks(x0, x1) {
            let x = px(v);
            let _ = writeln!(
                s,
                r##"<line x1="{x:.1}" y1="{}" x2="{x:.1}" y2="{}" stroke="#ddd"/><text x="{x:.1}" y="{}" text-anchor="middle">{}</text>"##,
                oy + t,
                oy + t + ph,
                oy + t + ph + 14.0,
                label(v)
            );
        }
        for v in ticks(y0, y1) {
            let y = py(v);
            let _ = writeln!(
                s,
                r##"<line x1="{}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" text-anchor="end">{}</text>"##,
                ox + l,
                ox + l + pw,
                ox + l - 4.0,
                y + 4.0,
                label(v)
            );
        }
        let xname = match *op {
            "matmul" => "n",
            "fft" => "transform length",
            _ => "elements",
        };
        let _ = writeln!(
            s,
            r##"<text x="{}" y="{}" text-anchor="middle">{xname}</text>"##,
            ox + l + pw / 2.0,
            oy + t + ph + 30.0
        );
        let _ = writeln!(
            s,
            r##"<text transform="translate({},{}) rotate(-90)" text-anchor="middle">{unit}</text>"##,
            ox + 14.0,
            oy + t + ph / 2.0
        );
        for (name, pts) in series {
            let mut pts = pts.clone();
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
            let c = colour(name);
            let path: Vec<String> = pts
                .iter()
                .map(|&(x, y)| format!("{:.1},{:.1}", px(x), py(y)))
                .collect();
            let dash = if name.starts_with('[') {
                r##" stroke-dasharray="5,3""##
            } else {
                ""
            };
            let _ = writeln!(
                s,
                r##"<polyline points="{}" fill="none" stroke="{c}" stroke-width="2"{dash}/>"##,
                path.join(" ")
            );
            for &(x, y) in &pts {
                let _ = writeln!(
                    s,
                    r##"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{c}"><title>{} {}: {:.3} {unit}</title></circle>"##,
                    px(x),
                    py(y),
                    esc(name),
                    label(x),
                    y
                );
            }
        }
    }
    let ly = 40.0 + PANEL_H * rows as f64 + 8.0;
    for (i, n) in names.iter().enumerate() {
        let (x, y) = (20.0 + 220.0 * (i % 4) as f64, ly + 22.0 * (i / 4) as f64);
        let dash = if n.starts_with('[') {
            r##" stroke-dasharray="5,3""##
        } else {
            ""
        };
        let _ = writeln!(
            s,
            r##"<line x1="{x}" y1="{y}" x2="{}" y2="{y}" stroke="{}" stroke-width="2"{dash}/><text x="{}" y="{}">{}</text>"##,
            x + 24.0,
            colour(n),
            x + 30.0,
            y + 4.0,
            esc(n)
        );
    }
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Record;

    fn rec(op: &str, device: &str, kind: Kind, elements: u64, gb: f64) -> Record {
        Record {
            kind,
            op: op.into(),
            device: device.into(),
            dtype: "f32".into(),
            size: elements.to_string(),
            elements,
            x: elements,
            repeats: 5,
            median_s: 1.0,
            min_s: 1.0,
            max_s: 1.0,
            gb_per_s: Some(gb),
            gflop_per_s: None,
            pct_of_ceiling: None,
            anchor: None,
            vs_anchor: None,
            vs_cpu: None,
            max_rel_err: None,
            compile_s: None,
            upload_s: None,
            kernel_s: None,
            download_s: None,
            note: None,
        }
    }

    #[test]
    fn one_panel_per_op_and_one_line_per_series() {
        let rs = vec![
            rec("add", "cpu", Kind::Device, 1 << 16, 10.0),
            rec("add", "cpu", Kind::Device, 1 << 20, 20.0),
            rec("add", "ndarray-rayon", Kind::Anchor, 1 << 16, 8.0),
            rec("sum", "cpu", Kind::Device, 1 << 16, 30.0),
            rec("ceiling-copy", "cpu", Kind::Ceiling, 1 << 16, 40.0),
        ];
        let s = svg(&rs, "test <&>");
        assert!(s.starts_with("<svg") && s.trim_end().ends_with("</svg>"));
        assert_eq!(s.matches("<polyline").count(), 3);
        assert_eq!(s.matches("font-size=\"13\"").count(), 2, "two panels");
        assert!(s.contains("test &lt;&amp;&gt;"));
        assert!(!s.contains("ceiling-copy"));
        assert!(s.contains("[ndarray-rayon]"));
    }

    #[test]
    fn ticks_cover_the_decades() {
        assert_eq!(ticks(1.0, 1000.0), vec![1.0, 10.0, 100.0, 1000.0]);
        assert_eq!(ticks(1.0, 10.0), vec![1.0, 2.0, 5.0, 10.0]);
        assert_eq!(label(0.2), "0.2");
        assert_eq!(label(0.01), "0.01");
        assert_eq!(label(2e6), "2M");
    }
}
