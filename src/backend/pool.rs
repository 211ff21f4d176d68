//! A size-class buffer pool shared by every backend: dropped buffers wait here for reuse.
//! Allocation on a GPU (and first touch of fresh host pages) costs far more than a lookup.

use std::collections::BTreeMap;
use std::sync::Mutex;

/// Memory accounting of one device's buffer pool, as returned by
/// [`Device::memory_stats`](crate::Device::memory_stats).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct MemoryStats {
    /// Bytes held by live arrays (rounded up to the pool's size classes).
    pub in_use_bytes: u64,
    /// Bytes held by the pool for reuse, not by any array.
    pub pooled_bytes: u64,
    /// The largest `in_use_bytes` seen.
    pub peak_in_use_bytes: u64,
    /// Buffers newly allocated from the driver or the host allocator.
    pub allocations: u64,
    /// Buffers handed out again from the pool.
    pub reuses: u64,
}

/// Rounds a request up to its size class: powers of two up to 1 MiB, then steps of one
/// sixteenth of the enclosing power of two, never below 256 bytes. A request above 1 MiB is
/// more than half its power of two, so the waste stays under one step: at most 12.5%.
pub(crate) fn size_class(bytes: u64) -> u64 {
    const MIN: u64 = 256;
    const SMALL: u64 = 1 << 20;
    if bytes <= MIN {
        return MIN;
    }
    let pow = bytes.checked_next_power_of_two().unwrap_or(u64::MAX);
    if pow <= SMALL {
        return pow;
    }
    let step = pow / 16;
    bytes.div_ceil(step).saturating_mul(step)
}

struct Inner<B> {
    free: BTreeMap<u64, Vec<B>>,
    stats: MemoryStats,
}

/// Free buffers by exact size class, with a cap on the bytes it keeps.
pub(crate) struct Pool<B> {
    inner: Mutex<Inner<B>>,
    keep_limit: u64,
}

impl<B> Pool<B> {
    /// A pool that keeps at most `keep_limit` bytes of free buffers.
    pub(crate) fn new(keep_limit: u64) -> Self {
        Pool {
            inner: Mutex::new(Inner {
                free: BTreeMap::new(),
                stats: MemoryStats::default(),
            }),
            keep_limit,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner<B>> {
        super::lock(&self.inner)
    }

    /// Takes a free buffer of exactly this class, counting it as in use.
    pub(crate) fn take(&self, class: u64) -> Option<B> {
        let mut g = self.lock();
        let b = g.free.get_mut(&class).and_then(Vec::pop)?;
        g.stats.pooled_bytes -= class;
        g.stats.reuses += 1;
        add_in_use(&mut g.stats, class);
        Some(b)
    }

    /// Records a fresh allocation of this class as in use.
    pub(crate) fn note_alloc(&self, class: u64) {
        let mut g = self.lock();
        g.stats.allocations += 1;
        add_in_use(&mut g.stats, class);
    }

    /// Returns a buffer that is no longer used. Gives it back (to be freed) when the pool is full.
    pub(crate) fn put(&self, class: u64, b: B) -> Option<B> {
        let mut g = self.lock();
        g.stats.in_use_bytes = g.stats.in_use_bytes.saturating_sub(class);
        if g.stats.pooled_bytes + class > self.keep_limit {
            return Some(b);
        }
        g.stats.pooled_bytes += class;
        g.free.entry(class).or_default().push(b);
        None
    }

    /// Removes every free buffer (the caller drops them, which frees them).
    pub(crate) fn drain(&self) -> Vec<B> {
        let mut g = self.lock();
        g.stats.pooled_bytes = 0;
        std::mem::take(&mut g.free)
            .into_values()
            .flatten()
            .collect()
    }

    /// Current accounting.
    pub(crate) fn stats(&self) -> MemoryStats {
        self.lock().stats
    }
}

fn add_in_use(s: &mut MemoryStats, class: u64) {
    s.in_use_bytes += class;
    s.peak_in_use_bytes = s.peak_in_use_bytes.max(s.in_use_bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_bound_the_waste() {
        assert_eq!(size_class(1), 256);
        assert_eq!(size_class(257), 512);
        assert_eq!(size_class(1 << 20), 1 << 20);
        assert_eq!(size_class(64 << 20), 64 << 20);
        for bytes in [(1 << 20) + 1, 65 << 20, 1_000_000_007] {
            let c = size_class(bytes);
            assert!(c >= bytes && (c - bytes) * 8 <= c, "{bytes} -> {c}");
        }
    }

    #[test]
    fn reuse_and_limit() {
        let pool: Pool<u32> = Pool::new(1024);
        assert!(pool.take(512).is_none());
        pool.note_alloc(512);
        assert!(pool.put(512, 7).is_none());
        assert_eq!(pool.take(512), Some(7));
        pool.note_alloc(2048);
        assert_eq!(
            pool.put(2048, 9),
            Some(9),
            "over the keep limit: handed back to free"
        );
        let s = pool.stats();
        assert_eq!((s.allocations, s.reuses, s.pooled_bytes), (2, 1, 0));
        assert_eq!(s.in_use_bytes, 512);
        assert_eq!(s.peak_in_use_bytes, 2560);
    }
}
