//! The `random` op family: counter-based Philox4x32-10 streams. Element `i` of a draw is a
//! pure function of (seed, offset + i), so every device produces the same bits.

use crate::array::Array;
use crate::device::Device;
use crate::element::{DType, Element};
use crate::error::{Error, Result};

/// What a draw turns each Philox block into.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Distribution {
    /// The block's first 32-bit word (u32 arrays).
    Bits,
    /// Uniform on [0, 1): the top 11 (f16), 24 (f32) or 53 (f64) bits of the block, scaled.
    Uniform,
    /// Standard normal by Box-Muller from the block's first two (f16, f32) or four (f64)
    /// words, computed in the dtype's precision (f32 for f16).
    Normal,
}

impl Distribution {
    /// The kernel name stem.
    #[cfg_attr(not(any(feature = "wgpu", feature = "cuda")), allow(dead_code))]
    pub(crate) fn name(self) -> &'static str {
        match self {
            Distribution::Bits => "bits",
            Distribution::Uniform => "uniform",
            Distribution::Normal => "normal",
        }
    }
}

/// One Philox4x32-10 block: 4 random words from a 128-bit counter and a 64-bit key
/// (Salmon et al., SC'11; the constants of Random123).
pub fn philox4x32_10(counter: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    const M0: u64 = 0xD251_1F53;
    const M1: u64 = 0xCD9E_8D57;
    const W0: u32 = 0x9E37_79B9;
    const W1: u32 = 0xBB67_AE85;
    let (mut c, mut k) = (counter, key);
    for r in 0..10 {
        if r > 0 {
            k = [k[0].wrapping_add(W0), k[1].wrapping_add(W1)];
        }
        let p0 = M0 * c[0] as u64;
        let p1 = M1 * c[2] as u64;
        c = [
            (p1 >> 32) as u32 ^ c[1] ^ k[0],
            p1 as u32,
            (p0 >> 32) as u32 ^ c[3] ^ k[1],
            p0 as u32,
        ];
    }
    c
}

/// A counter-based random generator: a 64-bit seed (the Philox key) and the position of
/// the next draw in its stream. Draw `n` elements and the position advances by `n`, so
/// successive draws never overlap. Element `i` of a draw uses the block at counter
/// `(position + i, 0)`; the result depends only on the seed and the position, never on the
/// device or the thread count.
///
/// ```
/// use streamcore::{Device, random::Generator};
/// let mut g = Generator::new(42);
/// let u = g.uniform::<f32>(&Device::cpu(), &[1000])?;
/// let m = u.mean()?.item()?;
/// assert!((m - 0.5).abs() < 0.05);
/// // The same seed and position give the same bits, here or on any other device.
/// let again = Generator::new(42).uniform::<f32>(&Device::cpu(), &[1000])?;
/// assert_eq!(u.to_vec()?, again.to_vec()?);
/// # Ok::<(), streamcore::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Generator {
    seed: u64,
    position: u64,
}

impl Generator {
    /// A generator at the start of the stream of `seed`.
    pub fn new(seed: u64) -> Generator {
        Generator { seed, position: 0 }
    }

    /// The generator's seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The position of the next draw (elements drawn so far, unless set).
    pub fn position(&self) -> u64 {
        self.position
    }

    /// Moves to `position` in the stream (to replay or skip draws).
    pub fn set_position(&mut self, position: u64) {
        self.position = position;
    }

    fn draw<T: Element>(
        &mut self,
        device: &Device,
        shape: &[usize],
        dist: Distribution,
    ) -> Result<Array<T>> {
        let op = match dist {
            Distribution::Bits => "random bits",
            Distribution::Uniform => "uniform",
            Distribution::Normal => "normal",
        };
        let allowed = match dist {
            Distribution::Bits => T::DTYPE == DType::U32,
            _ => T::DTYPE.is_float() && !T::DTYPE.is_complex(),
        };
        if !allowed {
            return Err(Error::DtypeUnsupported {
                dtype: T::DTYPE,
                device: format!("any device (op {op})"),
                reason: match dist {
                    Distribution::Bits => "random bits are u32 words".into(),
                    _ => "draws are f16, f32 or f64; use bits() for integers".into(),
                },
            });
        }
        device.backend().check_dtype(T::DTYPE)?;
        let mut out = Array::<T>::uninit(device, shape, op)?;
        let len = out.len() as u64;
        let end = self.position.checked_add(len).ok_or_else(|| {
            Error::invalid(op, "the draw runs past the end of the 2^64-element stream")
        })?;
        if len > 0 {
            device.backend().random(
                dist,
                T::DTYPE,
                self.seed,
                self.position,
                out.buffer_mut()?,
                len as usize,
            )?;
        }
        self.position = end;
        Ok(out)
    }

    /// Uniform values on [0, 1) (f16, f32, f64) with 11, 24 or 53 random bits each.
    pub fn uniform<T: Element>(&mut self, device: &Device, shape: &[usize]) -> Result<Array<T>> {
        self.draw(device, shape, Distribution::Uniform)
    }

    /// Standard normal values (f16, f32, f64) by the Box-Muller transform. The uniforms under
    /// them are the same bits on every device; the transform uses each device's own log,
    /// sqrt and cos, so devices agree to a few units in the last place, not bit for bit.
    /// On wgpu devices f64 normals use our own f64 log and cos, which need 64-bit integers in
    /// shaders (SHADER_INT64; a typed error without).
    pub fn normal<T: Element>(&mut self, device: &Device, shape: &[usize]) -> Result<Array<T>> {
        self.draw(device, shape, Distribution::Normal)
    }

    /// Raw 32-bit words, one per element: the first word of each Philox block.
    pub fn bits(&mut self, device: &Device, shape: &[usize]) -> Result<Array<u32>> {
        self.draw(device, shape, Distribution::Bits)
    }
}
