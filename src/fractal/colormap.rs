//! Perceptual colormaps from `f32` values to RGBA8: viridis and magma (matplotlib's, as
//! degree-6 polynomial fits within about 1% of the published tables), and `okhue`, a cyclic
//! map of constant lightness and chroma around the OKLab hue circle (for escape counts).

use crate::array::Array;
use crate::error::{Error, Result};

/// A colormap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Colormap {
    /// Dark blue to yellow, perceptually uniform.
    Viridis,
    /// Black to cream through purple and orange, perceptually uniform.
    Magma,
    /// Cyclic: constant OKLab lightness 0.72 and chroma 0.13, hue going once around.
    OkHue,
}

impl std::str::FromStr for Colormap {
    type Err = Error;
    fn from_str(s: &str) -> Result<Colormap> {
        match s {
            "viridis" => Ok(Colormap::Viridis),
            "magma" => Ok(Colormap::Magma),
            "okhue" | "cyclic" => Ok(Colormap::OkHue),
            other => Err(Error::invalid(
                "colormap",
                format!("{other:?}: known maps are viridis, magma, okhue"),
            )),
        }
    }
}

const VIRIDIS: [[f64; 3]; 7] = [
    [
        0.277_727_327_223_417_7,
        0.005_407_344_544_966_578,
        0.334_099_805_335_306_1,
    ],
    [
        0.105_093_043_108_577_4,
        1.404_613_529_898_575,
        1.384_590_162_594_685,
    ],
    [
        -0.330_861_828_725_556_3,
        0.214_847_559_468_213,
        0.095_095_163_028_236_59,
    ],
    [
        -4.634_230_498_983_486,
        -5.799_100_973_351_585,
        -19.332_440_956_279_87,
    ],
    [
        6.228_269_936_347_081,
        14.179_933_366_805_09,
        56.690_552_600_681_05,
    ],
    [
        4.776_384_997_670_288,
        -13.745_145_377_746_01,
        -65.353_032_633_372_34,
    ],
    [
        -5.435_455_855_934_631,
        4.645_852_612_178_535,
        26.312_435_249_583_2,
    ],
];

const MAGMA: [[f64; 3]; 7] = [
    [
        -0.002_136_485_053_939_582,
        -0.000_749_655_052_795_221,
        -0.005_386_127_855_323_933,
    ],
    [
        0.251_660_540_737_164_2,
        0.677_523_243_683_766_8,
        2.494_026_599_312_351,
    ],
    [
        8.353_717_279_216_625,
        -3.577_719_514_958_484,
        0.314_467_903_013_257_3,
    ],
    [
        -27.668_733_085_768_66,
        14.264_730_780_965_33,
        -13.649_213_188_139_22,
    ],
    [
        52.176_139_812_340_68,
        -27.943_606_071_683_51,
        12.944_169_442_383_94,
    ],
    [
        -50.768_525_364_735_88,
        29.046_582_821_272_91,
        4.234_152_993_845_98,
    ],
    [
        18.655_705_065_918_83,
        -11.489_773_519_977_11,
        -5.601_961_508_734_096,
    ],
];

fn poly(c: &[[f64; 3]; 7], t: f64) -> [f64; 3] {
    let mut out = [0.0; 3];
    for (k, o) in out.iter_mut().enumerate() {
        *o = c.iter().rev().fold(0.0, |acc, row| acc * t + row[k]);
    }
    out
}

/// sRGB (0..1, gamma encoded) of an OKLab colour (Ottosson 2020).
fn oklab_to_srgb(l: f64, a: f64, b: f64) -> [f64; 3] {
    let l_ = l + 0.396_337_777_4 * a + 0.215_803_757_3 * b;
    let m_ = l - 0.105_561_345_8 * a - 0.063_854_172_8 * b;
    let s_ = l - 0.089_484_177_5 * a - 1.291_485_548 * b;
    let (l3, m3, s3) = (l_ * l_ * l_, m_ * m_ * m_, s_ * s_ * s_);
    let lin = [
        4.076_741_662_1 * l3 - 3.307_711_591_3 * m3 + 0.230_969_929_2 * s3,
        -1.268_438_004_6 * l3 + 2.609_757_401_1 * m3 - 0.341_319_396_5 * s3,
        -0.004_196_086_3 * l3 - 0.703_418_614_7 * m3 + 1.707_614_701 * s3,
    ];
    lin.map(|x| {
        let x = x.clamp(0.0, 1.0);
        if x <= 0.003_130_8 {
            12.92 * x
        } else {
            1.055 * x.powf(1.0 / 2.4) - 0.055
        }
    })
}

impl Colormap {
    /// The colour at `t` in [0, 1] (clamped; `OkHue` wraps instead) as RGBA8.
    pub fn rgba(self, t: f64) -> [u8; 4] {
        let rgb = match self {
            Colormap::Viridis => poly(&VIRIDIS, t.clamp(0.0, 1.0)),
            Colormap::Magma => poly(&MAGMA, t.clamp(0.0, 1.0)),
            Colormap::OkHue => {
                let h = std::f64::consts::TAU * t.rem_euclid(1.0);
                oklab_to_srgb(0.72, 0.13 * h.cos(), 0.13 * h.sin())
            }
        };
        let q = |v: f64| (v.clamp(0.0, 1.0) * 255.0).round() as u8;
        [q(rgb[0]), q(rgb[1]), q(rgb[2]), 255]
    }

    /// Colours a `[height, width]` image: `t = (v - lo) / (hi - lo)` per pixel (for `OkHue`,
    /// wrapping), and `inside` for values below `lo` (e.g. the -1 of points that never
    /// escape). NaN pixels get `inside` too. Reads the values back to the host.
    pub fn apply(self, values: &Array<f32>, lo: f32, hi: f32, inside: [u8; 4]) -> Result<Vec<u8>> {
        if !lo.is_finite() || !hi.is_finite() || hi <= lo {
            return Err(Error::invalid(
                "colormap",
                format!("range {lo}..{hi}: need finite lo < hi"),
            ));
        }
        let v = values.to_vec()?;
        let mut out = Vec::with_capacity(v.len() * 4);
        for x in v {
            let c = if x.is_nan() || x < lo {
                inside
            } else {
                self.rgba(((x - lo) / (hi - lo)) as f64)
            };
            out.extend_from_slice(&c);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_match_matplotlib_and_the_cycle_closes() {
        // matplotlib: viridis(0) = #440154, viridis(1) = #fde725; magma(1) = #fcfdbf.
        let close = |a: [u8; 4], b: [u8; 3]| {
            a.iter()
                .zip(b)
                .all(|(&x, y)| (x as i32 - y as i32).abs() <= 8)
        };
        assert!(
            close(Colormap::Viridis.rgba(0.0), [0x44, 0x01, 0x54]),
            "{:?}",
            Colormap::Viridis.rgba(0.0)
        );
        assert!(
            close(Colormap::Viridis.rgba(1.0), [0xfd, 0xe7, 0x25]),
            "{:?}",
            Colormap::Viridis.rgba(1.0)
        );
        assert!(
            close(Colormap::Magma.rgba(1.0), [0xfc, 0xfd, 0xbf]),
            "{:?}",
            Colormap::Magma.rgba(1.0)
        );
        assert!(close(Colormap::Magma.rgba(0.0), [0x00, 0x00, 0x04]));
        assert_eq!(Colormap::OkHue.rgba(0.0), Colormap::OkHue.rgba(1.0));
        assert_ne!(Colormap::OkHue.rgba(0.0), Colormap::OkHue.rgba(0.5));
    }
}
