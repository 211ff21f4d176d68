//! The records of `streamcore bench` and their forms: a readable table, JSON lines and CSV,
//! with the ratios to the anchors and to the CPU backend filled in after the run.

use serde::Serialize;

/// What a record measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A streamcore op on a device.
    Device,
    /// The same work done by a reference library (ndarray, rustfft, gemm, cuFFT, cuBLAS).
    Anchor,
    /// A device's own limit (copy bandwidth, FMA rate).
    Ceiling,
}

/// One case on one device or anchor: a table row, a JSON record, a CSV line.
#[derive(Clone, Debug, Serialize)]
pub struct Record {
    pub kind: Kind,
    pub op: String,
    /// A device selector (cpu, wgpu-software, cuda:0, ...), an anchor's name, or `host`.
    pub device: String,
    pub dtype: String,
    /// The shape of the work: n, `m x k x n`, `n x batch`, `w x h x iters`.
    pub size: String,
    /// Elements of the input (matmul: n * n; fft: length * batch).
    pub elements: u64,
    /// The x axis of the plots: elements, but n for matmul and the length for fft.
    pub x: u64,
    pub repeats: usize,
    /// Wall seconds per call, device drained: median, fastest and slowest repeat.
    pub median_s: f64,
    pub min_s: f64,
    pub max_s: f64,
    pub gb_per_s: Option<f64>,
    pub gflop_per_s: Option<f64>,
    /// Of the ceiling on the same device (copy bandwidth for memory-bound ops, FMA rate for
    /// compute-bound ones), a fraction 0..1.
    pub pct_of_ceiling: Option<f64>,
    /// The anchor `vs_anchor` compares with.
    pub anchor: Option<String>,
    /// The anchor's median over this one's: above 1 is faster than the anchor.
    pub vs_anchor: Option<f64>,
    /// The CPU backend's median over this one's.
    pub vs_cpu: Option<f64>,
    /// max |x - ref| / max |ref| against the f64 reference (fractals: the fraction of pixels
    /// whose iteration count differs from the scalar loop's).
    pub max_rel_err: Option<f64>,
    /// The first call's extra time over the median (kernel compilation, plans, tables).
    pub compile_s: Option<f64>,
    /// Moving the inputs to the device, per input set.
    pub upload_s: Option<f64>,
    /// Median device time in kernels (timestamps, CUDA events; the wall time on the CPU).
    pub kernel_s: Option<f64>,
    /// Moving the result back to the host.
    pub download_s: Option<f64>,
    /// Why the case failed, where it did.
    pub note: Option<String>,
}

/// Fills `vs_cpu` and `vs_anchor`. GPU devices compare with a GPU anchor (cuFFT, cuBLAS)
/// of the same op where one ran, else with the host anchor.
pub fn ratios(records: &mut [Record]) {
    let find = |rs: &[Record], op: &str, size: &str, pred: &dyn Fn(&Record) -> bool| {
        rs.iter()
            .find(|r| r.op == op && r.size == size && r.repeats > 0 && pred(r))
            .map(|r| (r.device.clone(), r.median_s))
    };
    for i in 0..records.len() {
        let r = &records[i];
        if r.kind == Kind::Ceiling || r.repeats == 0 {
            continue;
        }
        let (op, size) = (r.op.clone(), r.size.clone());
        let cpu = find(records, &op, &size, &|x| {
            x.kind == Kind::Device && x.device == "cpu"
        });
        let gpu_anchor = find(records, &op, &size, &|x| {
            x.kind == Kind::Anchor && (x.device == "cufft" || x.device == "cublas")
        });
        let host_anchor = find(records, &op, &size, &|x| {
            x.kind == Kind::Anchor && x.device != "cufft" && x.device != "cublas"
        });
        let r = &mut records[i];
        r.vs_cpu = cpu.map(|(_, t)| t / r.median_s);
        if r.kind == Kind::Device {
            let on_gpu = r.device != "cpu";
            let anchor = if on_gpu {
                gpu_anchor.or(host_anchor)
            } else {
                host_anchor
            };
            if let Some((name, t)) = anchor {
                r.anchor = Some(name);
                r.vs_anchor = Some(t / r.median_s);
            }
        }
    }
}

fn secs(s: Option<f64>) -> String {
    match s {
        None => "-".into(),
        Some(s) if !s.is_finite() => "-".into(),
        Some(s) if s < 1e-6 => format!("{:.0}ns", s * 1e9),
        Some(s) if s < 1e-3 => format!("{:.1}µs", s * 1e6),
        Some(s) if s < 1.0 => format!("{:.2}ms", s * 1e3),
        Some(s) => format!("{s:.2}s"),
    }
}

fn num(v: Option<f64>, digits: usize) -> String {
    v.filter(|v| v.is_finite())
        .map_or("-".into(), |v| format!("{v:.digits$}"))
}

fn sci(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| {
        if v == 0.0 {
            "0".into()
        } else {
            format!("{v:.1e}")
        }
    })
}

/// The readable table, one row per record, failures with their reason.
pub fn table(records: &[Record]) -> String {
    let header = [
        "OP",
        "DEVICE",
        "DTYPE",
        "SIZE",
        "MEDIAN",
        "SPREAD",
        "GB/S",
        "GFLOP/S",
        "%CEIL",
        "VS ANCHOR",
        "VS CPU",
        "MAX ERR",
        "COMPILE",
        "UPLOAD",
        "KERNEL",
        "DOWNLOAD",
    ];
    let rows: Vec<Vec<String>> = records
        .iter()
        .map(|r| {
            if let Some(note) = &r.note {
                return vec![
                    r.op.clone(),
                    r.device.clone(),
                    r.dtype.clone(),
                    r.size.clone(),
                    format!("failed: {note}"),
                ];
            }
            let ceiling = r.kind == Kind::Ceiling;
            let spread = (!ceiling && r.median_s > 0.0)
                .then(|| format!("±{:.0}%", 50.0 * (r.max_s - r.min_s) / r.median_s));
            vec![
                r.op.clone(),
                if r.kind == Kind::Anchor {
                    format!("[{}]", r.device)
                } else {
                    r.device.clone()
                },
                r.dtype.clone(),
                r.size.clone(),
                secs((!ceiling).then_some(r.median_s)),
                spread.unwrap_or("-".into()),
                num(r.gb_per_s, 1),
                num(r.gflop_per_s, 1),
                r.pct_of_ceiling
                    .filter(|_| !ceiling)
                    .map_or("-".into(), |p| format!("{:.0}%", 100.0 * p)),
                match (&r.anchor, r.vs_anchor) {
                    (Some(a), Some(v)) => format!("{v:.2}x {a}"),
                    _ => "-".into(),
                },
                r.vs_cpu.map_or("-".into(), |v| format!("{v:.2}x")),
                sci(r.max_rel_err),
                secs(r.compile_s),
                secs(r.upload_s),
                secs(r.kernel_s),
                secs(r.download_s),
            ]
        })
        .collect();
    let mut width: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in &rows {
        if r.len() == header.len() {
            for (w, c) in width.iter_mut().zip(r) {
                *w = (*w).max(c.chars().count());
            }
        }
    }
    let line = |cells: &[String]| {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let pad = width
                    .get(i)
                    .copied()
                    .unwrap_or(0)
                    .saturating_sub(c.chars().count());
                if i >= 4 && cells.len() == header.len() {
                    format!("{}{c}", " ".repeat(pad))
                } else {
                    format!("{c}{}", " ".repeat(pad))
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut out = vec![line(&header.map(String::from))];
    out.extend(rows.iter().map(|r| line(r)));
    out.join("\n")
}

/// One JSON object per line.
pub fn json_lines(records: &[Record]) -> serde_json::Result<String> {
    let lines: serde_json::Result<Vec<String>> =
        records.iter().map(serde_json::to_string).collect();
    Ok(lines?.join("\n"))
}

/// CSV with a header line; empty cells where a field does not apply.
pub fn csv(records: &[Record]) -> serde_json::Result<String> {
    let mut out = Vec::new();
    let mut header: Option<Vec<String>> = None;
    for r in records {
        let v = serde_json::to_value(r)?;
        let obj = v.as_object().expect("a record serialises to an object");
        if header.is_none() {
            let h: Vec<String> = obj.keys().cloned().collect();
            out.push(h.join(","));
            header = Some(h);
        }
        let cells: Vec<String> = header
            .as_ref()
            .expect("set above")
            .iter()
            .map(|k| match &obj[k] {
                serde_json::Value::Null => String::new(),
                serde_json::Value::String(s) if s.contains([',', '"', '\n']) => {
                    format!("\"{}\"", s.replace('"', "\"\""))
                }
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect();
        out.push(cells.join(","));
    }
    Ok(out.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(kind: Kind, device: &str, median_s: f64) -> Record {
        Record {
            kind,
            op: "fft".into(),
            device: device.into(),
            dtype: "c64".into(),
            size: "1024x256".into(),
            elements: 1 << 18,
            x: 1024,
            repeats: 5,
            median_s,
            min_s: median_s,
            max_s: median_s,
            gb_per_s: Some(1.0),
            gflop_per_s: None,
            pct_of_ceiling: None,
            anchor: None,
            vs_anchor: None,
            vs_cpu: None,
            max_rel_err: Some(1e-7),
            compile_s: None,
            upload_s: None,
            kernel_s: None,
            download_s: None,
            note: Some("a, \"quoted\" note".into()).filter(|_| device == "bad"),
        }
    }

    #[test]
    fn ratios_prefer_the_gpu_anchor_on_gpus_and_the_host_anchor_on_the_cpu() {
        let mut rs = vec![
            rec(Kind::Device, "cpu", 2.0),
            rec(Kind::Device, "cuda:0", 0.5),
            rec(Kind::Anchor, "rustfft-1thread", 4.0),
            rec(Kind::Anchor, "cufft", 0.25),
        ];
        ratios(&mut rs);
        assert_eq!(rs[0].vs_anchor, Some(2.0));
        assert_eq!(rs[0].anchor.as_deref(), Some("rustfft-1thread"));
        assert_eq!(rs[1].vs_anchor, Some(0.5));
        assert_eq!(rs[1].anchor.as_deref(), Some("cufft"));
        assert_eq!(rs[1].vs_cpu, Some(4.0));
        assert_eq!(rs[2].vs_cpu, Some(0.5));
        assert_eq!(rs[2].vs_anchor, None);
    }

    #[test]
    fn json_has_every_field_and_nulls_where_none_applies() {
        let j = json_lines(&[rec(Kind::Device, "cpu", 1.0)]).unwrap();
        let v: serde_json::Value = serde_json::from_str(&j).unwrap();
        for k in [
            "op",
            "device",
            "dtype",
            "size",
            "median_s",
            "min_s",
            "max_s",
            "gb_per_s",
            "gflop_per_s",
            "pct_of_ceiling",
            "vs_anchor",
            "vs_cpu",
            "max_rel_err",
            "compile_s",
            "upload_s",
            "kernel_s",
            "download_s",
        ] {
            assert!(v.get(k).is_some(), "field {k} missing");
        }
        assert!(v["gflop_per_s"].is_null());
        assert_eq!(v["kind"], "device");
    }

    #[test]
    fn csv_quotes_commas_and_quotes() {
        let c = csv(&[rec(Kind::Device, "bad", 1.0)]).unwrap();
        let lines: Vec<&str> = c.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with("kind,op,device,"));
        assert!(
            lines[1].ends_with("\"a, \"\"quoted\"\" note\""),
            "{}",
            lines[1]
        );
    }

    #[test]
    fn the_table_shows_failures_and_units() {
        let t = table(&[
            rec(Kind::Device, "cpu", 2.5e-4),
            rec(Kind::Device, "bad", 1.0),
        ]);
        assert!(t.contains("250.0µs"), "{t}");
        assert!(t.contains("failed: a, \"quoted\" note"), "{t}");
    }
}
