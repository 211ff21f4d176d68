//! Host-side layout work for transfers: gathering any ndarray view (strided, transposed,
//! negative steps) into row-major bytes, one chunk at a time, straight into device staging.

use ndarray::ArrayViewD;

use crate::element::Element;

/// Asks the kernel to back `[ptr, ptr + len)` with 2 MiB pages when it is first touched
/// (Linux, where transparent huge pages are in `madvise` mode on most distributions). A fresh
/// 64 MiB buffer then faults 32 times instead of 16384, which is what separates copying into
/// new memory (about 2 GB/s here) from copying into touched memory (about 10 GB/s). Only
/// whole 2 MiB-aligned pages inside the range are advised; a refusal changes nothing.
pub(crate) fn advise_huge_pages(ptr: *mut u8, len: usize) {
    const HUGE: usize = 2 << 20;
    if len < 2 * HUGE {
        return;
    }
    #[cfg(target_os = "linux")]
    {
        let start = (ptr as usize).next_multiple_of(HUGE);
        let end = (ptr as usize + len) / HUGE * HUGE;
        if end > start {
            // SAFETY: the range lies inside an allocation the caller owns; MADV_HUGEPAGE
            // changes only how pages are backed, never their contents or validity.
            unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE) };
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = ptr;
}

/// Reads the logical (row-major) elements of an arbitrary ndarray view by position.
pub(crate) struct Gather<'a, T> {
    view: ArrayViewD<'a, T>,
}

impl<'a, T: Element> Gather<'a, T> {
    pub(crate) fn new(view: ArrayViewD<'a, T>) -> Self {
        Gather { view }
    }

    /// Writes elements `start .. start + dst.len() / size_of::<T>()` in row-major order into
    /// `dst`, which need not be aligned for `T` (mapped GPU memory may not be).
    pub(crate) fn fill(&self, start: usize, dst: &mut [std::mem::MaybeUninit<u8>]) {
        let size = std::mem::size_of::<T>();
        let n = dst.len() / size;
        debug_assert_eq!(dst.len() % size, 0);
        let shape = self.view.shape();
        let strides = self.view.strides();
        let base = self.view.as_ptr();
        let out = dst.as_mut_ptr();
        let ndim = shape.len();
        if ndim == 0 {
            if n == 1 {
                // SAFETY: a 0-d view has exactly one element at `base`; dst holds one T.
                unsafe { std::ptr::write_unaligned(out as *mut T, *base) };
            }
            return;
        }
        // Odometer over the multi-index, starting at the position of element `start`.
        let mut idx = vec![0usize; ndim];
        let mut rem = start;
        for d in (0..ndim).rev() {
            idx[d] = rem % shape[d];
            rem /= shape[d];
        }
        let last = ndim - 1;
        let inner_stride = strides[last];
        let mut k = 0;
        while k < n {
            let offset: isize = idx.iter().zip(strides).map(|(&i, &s)| i as isize * s).sum();
            let run = (shape[last] - idx[last]).min(n - k);
            for j in 0..run {
                // SAFETY: idx stays inside `shape`, so every offset addresses an element of the
                // view; k + j < n keeps the write inside dst.
                unsafe {
                    let x = *base.offset(offset + j as isize * inner_stride);
                    std::ptr::write_unaligned((out as *mut T).add(k + j), x);
                }
            }
            k += run;
            idx[last] += run;
            for d in (1..ndim).rev() {
                if idx[d] < shape[d] {
                    break;
                }
                idx[d] = 0;
                idx[d - 1] += 1;
            }
        }
    }
}

// SAFETY: Gather only reads through a shared view of `T: Sync` data.
unsafe impl<T: Element> Sync for Gather<'_, T> {}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array3, s};

    #[test]
    fn gathers_any_window_of_any_layout() {
        let a = Array3::from_shape_fn((4, 5, 6), |(i, j, k)| (i * 100 + j * 10 + k) as i32);
        let views = [
            a.view().into_dyn(),
            a.t().into_dyn(),
            a.slice(s![..;-1, 1..;2, ..;3]).into_dyn(),
            a.view().permuted_axes([1, 2, 0]).into_dyn(),
        ];
        for v in views {
            let expect: Vec<i32> = v.iter().copied().collect();
            let g = Gather::new(v.clone());
            for start in [0, 1, 5, expect.len() / 2] {
                let n = expect.len() - start;
                let mut out = vec![0u8; n * 4];
                g.fill(start, crate::backend::as_uninit(&mut out));
                let got: Vec<i32> = bytemuck::pod_collect_to_vec(&out);
                assert_eq!(got, expect[start..], "view {:?} start {start}", v.shape());
            }
        }
    }
}
