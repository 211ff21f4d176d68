//! CPU side of the `shape` family: strided copies, row by row along the last merged axis,
//! parallel over chunks of the destination's index space.

use rayon::prelude::*;

use super::Disjoint;
use crate::backend::StridedCopy;

/// Elements per parallel task.
const CHUNK: usize = 1 << 15;

/// Copies `c` over elements of `size` bytes. Distinct index tuples write distinct
/// destination elements (the op layer only builds such copies).
pub(crate) fn copy(size: usize, src: &[u8], dst: &mut [u8], c: &StridedCopy) {
    macro_rules! go {
        ($t:ty) => {
            typed::<$t>(bytemuck::cast_slice(src), bytemuck::cast_slice_mut(dst), c)
        };
    }
    match size {
        2 => go!(u16),
        4 => go!(u32),
        8 => go!(u64),
        _ => go!(u128),
    }
}

fn typed<T: Copy + Send + Sync + bytemuck::Pod>(src: &[T], dst: &mut [T], c: &StridedCopy) {
    let n = c.len();
    let last = c.shape.last().copied().unwrap_or(1);
    let (ss, ds) = (
        c.src_strides.last().copied().unwrap_or(0),
        c.dst_strides.last().copied().unwrap_or(0),
    );
    let dlen = dst.len();
    // The tasks write disjoint elements (distinct index tuples map to distinct offsets).
    let out = Disjoint::new(dst);
    let work = |start: usize| {
        let end = (start + CHUNK).min(n);
        let mut g = start;
        while g < end {
            let m = (last - g % last).min(end - g);
            let (s0, d0) = c.offsets(g);
            // The row's destinations run from d0 to its last one: check both ends once.
            let d_last = d0 as isize + (m as isize - 1) * ds;
            assert!(
                d0 < dlen && (0..dlen as isize).contains(&d_last),
                "strided copy out of bounds"
            );
            if ss == 1 && ds == 1 {
                // SAFETY: d0..d0 + m is in bounds (checked) and written by this task only.
                let row = unsafe { out.slice(d0, m) };
                row.copy_from_slice(&src[s0..s0 + m]);
            } else {
                for j in 0..m as isize {
                    let (s, d) = (
                        (s0 as isize + j * ss) as usize,
                        (d0 as isize + j * ds) as usize,
                    );
                    // SAFETY: d lies between the row's checked ends; this task alone writes it.
                    unsafe { *out.at(d) = src[s] };
                }
            }
            g += m;
        }
    };
    if n <= CHUNK {
        work(0);
    } else {
        (0..n.div_ceil(CHUNK))
            .into_par_iter()
            .for_each(|t| work(t * CHUNK));
    }
}
