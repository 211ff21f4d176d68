//! Branch-free f32 `exp` and `sin` that compilers vectorise (inside the AVX2 multiversion of
//! the elementwise loops), in place of scalar libm calls. Cephes-style: range reduction, then
//! a short polynomial; tested against f64 over dense sweeps.

/// Largest |x| the sine reduction keeps accurate (three-part pi/4); beyond it, use libm.
pub(crate) const SIN_MAX_ARG: f32 = 8192.0;

/// e^x with at most 2 ulp error; NaN, infinities and subnormal results handled.
#[inline(always)]
pub(crate) fn exp_f32(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    // ln 2 split so that n * LN2_HI is exact for the |n| that occur.
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    let xc = x.clamp(-104.0, 89.0);
    let n = (xc * LOG2E + 0.5).floor();
    let r = n.mul_add(-LN2_LO, n.mul_add(-LN2_HI, xc));
    let r2 = r * r;
    let p = 1.987_569_1e-4f32
        .mul_add(r, 1.398_199_9e-3)
        .mul_add(r, 8.333_452e-3)
        .mul_add(r, 4.166_579_6e-2)
        .mul_add(r, 1.666_666_5e-1)
        .mul_add(r, 0.5);
    let e = p.mul_add(r2, r) + 1.0;
    // 2^n in two normal factors, so that results down to the subnormals are right.
    let ni = n as i32;
    let n1 = ni >> 1;
    let n2 = ni - n1;
    let s1 = f32::from_bits(((n1 + 127) as u32) << 23);
    let s2 = f32::from_bits(((n2 + 127) as u32) << 23);
    let v = e * s1 * s2;
    if x > 88.722_84 {
        f32::INFINITY
    } else if x < -103.972_08 {
        0.0
    } else {
        v // NaN in, NaN out (clamp keeps NaN)
    }
}

/// sin(x) for |x| <= SIN_MAX_ARG with at most 2 ulp error (absolute 2^-24 near zeros).
#[inline(always)]
pub(crate) fn sin_f32(x: f32) -> f32 {
    const FOPI: f32 = 1.273_239_5; // 4 / pi
    const DP1: f32 = 0.785_156_25;
    const DP2: f32 = 2.418_756_5e-4;
    const DP3: f32 = 3.774_895e-8;
    let a = x.abs();
    let mut j = (a * FOPI) as i32;
    j += j & 1; // to an even octant
    let y = j as f32;
    let j = j & 7;
    let flip = (j > 3) != (x < 0.0);
    let j = if j > 3 { j - 4 } else { j };
    let r = y.mul_add(-DP3, y.mul_add(-DP2, y.mul_add(-DP1, a)));
    let z = r * r;
    let cos_p = 2.443_315_7e-5f32
        .mul_add(z, -1.388_731_6e-3)
        .mul_add(z, 4.166_664_6e-2)
        .mul_add(z * z, (-0.5f32).mul_add(z, 1.0));
    let sin_p = (-1.951_529_6e-4f32)
        .mul_add(z, 8.332_161e-3)
        .mul_add(z, -1.666_665_5e-1)
        .mul_add(z * r, r);
    let v = if j == 1 || j == 2 { cos_p } else { sin_p };
    if flip { -v } else { v }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Error in units of the f32 spacing at the exact value.
    fn ulps(got: f32, exact: f64) -> f64 {
        let spacing = if exact == 0.0 {
            f32::from_bits(1) as f64
        } else {
            let e = exact as f32;
            ((f32::from_bits(e.abs().to_bits() + 1) - e.abs()) as f64).max(f32::from_bits(1) as f64)
        };
        (got as f64 - exact).abs() / spacing
    }

    #[test]
    fn exp_is_within_2_ulp_everywhere() {
        let mut worst = 0f64;
        let mut x = -104.0f32;
        while x < 89.0 {
            let exact = (x as f64).exp();
            if (exact as f32).is_infinite() {
                assert_eq!(exp_f32(x), f32::INFINITY, "exp({x}) overflows f32");
                x += 0.000_37;
                continue;
            }
            let u = ulps(exp_f32(x), exact);
            assert!(u <= 2.0, "exp({x}) = {} vs {exact}: {u} ulp", exp_f32(x));
            worst = worst.max(u);
            x += 0.000_37;
        }
        assert_eq!(exp_f32(f32::INFINITY), f32::INFINITY);
        assert_eq!(exp_f32(f32::NEG_INFINITY), 0.0);
        assert!(exp_f32(f32::NAN).is_nan());
        assert_eq!(exp_f32(0.0), 1.0);
        eprintln!("exp worst {worst} ulp");
    }

    #[test]
    fn sin_is_within_2_ulp_or_2_pow_minus_24() {
        let mut x = -SIN_MAX_ARG;
        while x < SIN_MAX_ARG {
            let exact = (x as f64).sin();
            let got = sin_f32(x);
            let ok = ulps(got, exact) <= 2.0 || (got as f64 - exact).abs() <= 2f64.powi(-24);
            assert!(ok, "sin({x}) = {got} vs {exact}");
            x += 0.003_1;
        }
        for x in [0.0f32, 1e-30, -1e-7, 0.5, std::f32::consts::PI] {
            assert!(
                (sin_f32(x) as f64 - (x as f64).sin()).abs() <= 2f64.powi(-24),
                "{x}"
            );
        }
        assert!(sin_f32(f32::NAN).is_nan());
    }
}
