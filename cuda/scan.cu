// scan: inclusive running sums and products along the middle axis of [outer, k, inner]; the
// CUDA twin of shaders/scan.wgsl with the same order of operations. `rows` kernels (inner ==
// 1) give each block a tile of 2048 positions, 8 consecutive per thread: serial within the
// thread, a Hillis-Steele scan of the 256 thread totals in shared memory, then the thread's
// prefix added. Longer rows run `totals` (one total per tile), a recursive scan of those,
// then `rows` with `carry` pointing at the scanned totals. `column` kernels (inner > 1) walk
// k serially, one thread per (outer, inner) pair. Integers wrap; f16 is computed in f32.
// Names: scan_OP_DTYPE_rows|totals|column.

// Sum and product as scans use them: the common wrapping operations and their identities.
template <typename A> struct Sum {
    static __device__ __forceinline__ A ident() { return zero_of<A>(); }
    static __device__ __forceinline__ A comb(A a, A b) { return radd(a, b); }
};
template <typename A> struct Prod {
    static __device__ __forceinline__ A ident() { return one_of<A>(); }
    static __device__ __forceinline__ A comb(A a, A b) { return rmul(a, b); }
};

// The block's tile: each thread's 8 running values in v, and the inclusive scan of the 256
// thread totals in sh. Returns false for blocks past the end (the whole block returns).
template <typename Op, typename A, typename I>
__device__ __forceinline__ bool tile_scan(const I* src, u64 outer, u64 k, u64 tiles, A (&v)[8],
                                          A* sh, u64& w, u64& base, u64& start) {
    w = blockIdx.x + (u64)blockIdx.y * gridDim.x;
    if (w >= outer * tiles) return false;
    unsigned lid = threadIdx.x;
    base = (w / tiles) * k;
    start = (w % tiles) * 2048 + lid * 8;
    A run = Op::ident();
#pragma unroll
    for (int j = 0; j < 8; ++j) {
        if (start + j < k) run = Op::comb(run, (A)lift(src[base + start + j]));
        v[j] = run;
    }
    sh[lid] = run;
    __syncthreads();
    for (unsigned off = 1; off < 256; off <<= 1) {
        A t = Op::ident();
        if (lid >= off) t = sh[lid - off];
        __syncthreads();
        if (lid >= off) sh[lid] = Op::comb(t, sh[lid]);
        __syncthreads();
    }
    return true;
}

template <typename Op, typename A, typename I>
__device__ void totals(const I* src, A* sums, u64 outer, u64 k, u64 tiles) {
    __shared__ A sh[256];
    A v[8];
    u64 w, base, start;
    if (!tile_scan<Op>(src, outer, k, tiles, v, sh, w, base, start)) return;
    if (threadIdx.x == 255) sums[w] = sh[255];
}

template <typename Op, typename A, typename I, typename O>
__device__ void rows(const I* src, O* out, const A* carry, u64 outer, u64 k, u64 tiles) {
    __shared__ A sh[256];
    A v[8];
    u64 w, base, start;
    if (!tile_scan<Op>(src, outer, k, tiles, v, sh, w, base, start)) return;
    A c = Op::ident();
    if (carry && w % tiles > 0) c = carry[w - 1];
    if (threadIdx.x > 0) c = Op::comb(c, sh[threadIdx.x - 1]);
#pragma unroll
    for (int j = 0; j < 8; ++j) {
        if (start + j < k) store(&out[base + start + j], Op::comb(c, v[j]));
    }
}

template <typename Op, typename A, typename I, typename O>
__device__ void column(const I* src, O* out, u64 outer, u64 k, u64 inner) {
    u64 n = outer * inner;
    for (u64 id = blockIdx.x * (u64)blockDim.x + threadIdx.x; id < n; id += (u64)gridDim.x * blockDim.x) {
        u64 i = id % inner, o = id / inner;
        A run = Op::ident();
        for (u64 kk = 0; kk < k; ++kk) {
            u64 at = (o * k + kk) * inner + i;
            run = Op::comb(run, (A)lift(src[at]));
            store(&out[at], run);
        }
    }
}

#define STREAMCORE_SCAN(OPN, OP, DT, A, S)                                                       \
    extern "C" __global__ void scan_##OPN##_##DT##_totals(const S* src, A* sums, u64 outer,     \
                                                          u64 k, u64 tiles) {                   \
        totals<OP<A>, A, S>(src, sums, outer, k, tiles);                                        \
    }                                                                                           \
    extern "C" __global__ void scan_##OPN##_##DT##_rows(const S* src, S* out, const A* carry,   \
                                                        u64 outer, u64 k, u64 tiles) {          \
        rows<OP<A>, A, S, S>(src, out, carry, outer, k, tiles);                                 \
    }                                                                                           \
    extern "C" __global__ void scan_##OPN##_##DT##_column(const S* src, S* out, u64 outer,      \
                                                          u64 k, u64 inner) {                   \
        column<OP<A>, A, S, S>(src, out, outer, k, inner);                                      \
    }
#define STREAMCORE_SCAN_OP(OPN, OP)                                                              \
    STREAMCORE_SCAN(OPN, OP, f32, float, float)                                                  \
    STREAMCORE_SCAN(OPN, OP, f64, double, double)                                                \
    STREAMCORE_SCAN(OPN, OP, f16, float, h16)                                                    \
    STREAMCORE_SCAN(OPN, OP, i32, int, int)                                                      \
    STREAMCORE_SCAN(OPN, OP, u32, unsigned, unsigned)                                            \
    STREAMCORE_SCAN(OPN, OP, c32, float2, float2)                                                \
    STREAMCORE_SCAN(OPN, OP, c64, double2, double2)

STREAMCORE_SCAN_OP(sum, Sum)
STREAMCORE_SCAN_OP(prod, Prod)
