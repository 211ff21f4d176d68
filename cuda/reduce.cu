// reduce: one pass of a reduction over the middle axis of [outer, k, inner]; the CUDA twin
// of shaders/reduce.wgsl, with the same pairwise order, NaN rules and first-occurrence
// tie-breaking. `tile` kernels (inner == 1) give each block 2048 positions of a row, 8 per
// thread then a tree in shared memory; `column` kernels give each thread 8 positions of one
// (outer, inner) pair. Names: reduce_OP_DTYPE_tile|column_IO, where I and O say whether the
// pass reads / writes the storage type (s) or the accumulation type (a): only f16 (computed
// in f32) has s variants.

#define INVALID 0xffffffffu

template <typename A> struct Pair { A v; unsigned int i; };

template <typename A> __device__ __forceinline__ bool is_nan(A v) { return v != v; }
__device__ __forceinline__ bool is_nan(int) { return false; }
__device__ __forceinline__ bool is_nan(unsigned) { return false; }

struct SumOp {
    template <typename A> static __device__ __forceinline__ A pad() { return zero_of<A>(); }
    template <typename A> static __device__ __forceinline__ Pair<A> comb(Pair<A> a, Pair<A> b) {
        Pair<A> r; r.v = radd(a.v, b.v); r.i = 0; return r;
    }
};
struct ProdOp {
    template <typename A> static __device__ __forceinline__ A pad() { return one_of<A>(); }
    template <typename A> static __device__ __forceinline__ Pair<A> comb(Pair<A> a, Pair<A> b) {
        Pair<A> r; r.v = rmul(a.v, b.v); r.i = 0; return r;
    }
};
template <bool MIN> struct ExtremeOp {
    template <typename A> static __device__ __forceinline__ A pad() { return zero_of<A>(); }
    template <typename A> static __device__ __forceinline__ Pair<A> comb(Pair<A> a, Pair<A> b) {
        if (a.i == INVALID) return b;
        if (b.i == INVALID) return a;
        Pair<A> r; r.i = 0;
        if (is_nan(a.v) || is_nan(b.v)) r.v = a.v + b.v;
        else r.v = MIN ? (b.v < a.v ? b.v : a.v) : (a.v < b.v ? b.v : a.v);
        return r;
    }
};
template <bool MIN> struct ArgOp {
    template <typename A> static __device__ __forceinline__ A pad() { return zero_of<A>(); }
    template <typename A> static __device__ __forceinline__ Pair<A> comb(Pair<A> a, Pair<A> b) {
        if (a.i == INVALID) return b;
        if (b.i == INVALID) return a;
        bool na = is_nan(a.v), nb = is_nan(b.v), take_b;
        if (na || nb) take_b = nb && (!na || b.i < a.i);
        else take_b = (MIN ? b.v < a.v : b.v > a.v) || (b.v == a.v && b.i < a.i);
        return take_b ? b : a;
    }
};

// Eight positions k0, k0 + step, ... of the row at `base` (consecutive positions `stride`
// apart), combined pairwise. `idx_in` holds the previous pass's indices (arg ops), or null.
template <typename Op, typename A, typename I>
__device__ __forceinline__ Pair<A> eight(const I* src, const unsigned* idx_in, u64 base, u64 k0,
                                         u64 step, u64 stride, u64 k, bool track) {
    Pair<A> v[8];
#pragma unroll
    for (int j = 0; j < 8; ++j) {
        u64 kk = k0 + j * step;
        if (kk < k) {
            u64 at = base + kk * stride;
            v[j].v = (A)lift(src[at]);
            v[j].i = track ? (idx_in ? idx_in[at] : (unsigned)kk) : 0u;
        } else {
            v[j].v = Op::template pad<A>();
            v[j].i = INVALID;
        }
    }
    Pair<A> a = Op::comb(Op::comb(v[0], v[1]), Op::comb(v[2], v[3]));
    Pair<A> b = Op::comb(Op::comb(v[4], v[5]), Op::comb(v[6], v[7]));
    return Op::comb(a, b);
}

template <typename Op, typename A, typename I, typename O>
__device__ void tile(const I* src, O* out, unsigned* out_idx, const unsigned* idx_in, u64 outer,
                     u64 k, u64 tiles, bool track) {
    __shared__ Pair<A> sh[256];
    u64 w = blockIdx.x + (u64)blockIdx.y * gridDim.x;
    if (w >= outer * tiles) return;
    u64 row = w / tiles, t = w % tiles;
    unsigned lid = threadIdx.x;
    sh[lid] = eight<Op, A>(src, idx_in, row * k, t * 2048 + lid, 256, 1, k, track);
    __syncthreads();
    for (unsigned s = 128; s > 0; s >>= 1) {
        if (lid < s) sh[lid] = Op::comb(sh[lid], sh[lid + s]);
        __syncthreads();
    }
    if (lid == 0) {
        store(&out[w], sh[0].v);
        if (out_idx) out_idx[w] = sh[0].i;
    }
}

template <typename Op, typename A, typename I, typename O>
__device__ void column(const I* src, O* out, unsigned* out_idx, const unsigned* idx_in, u64 outer,
                       u64 k, u64 inner, u64 tiles, bool track) {
    u64 n = outer * tiles * inner;
    for (u64 id = blockIdx.x * (u64)blockDim.x + threadIdx.x; id < n; id += (u64)gridDim.x * blockDim.x) {
        u64 i = id % inner, t = (id / inner) % tiles, o = id / (inner * tiles);
        Pair<A> r = eight<Op, A>(src, idx_in, o * k * inner + i, t * 8, 1, inner, k, track);
        u64 w = (o * tiles + t) * inner + i;
        store(&out[w], r.v);
        if (out_idx) out_idx[w] = r.i;
    }
}

#define STREAMCORE_REDUCE(NAME, OP, A, I, O, TRACK)                                              \
    extern "C" __global__ void NAME##_tile(const I* src, O* out, unsigned* out_idx,             \
                                           const unsigned* idx_in, u64 outer, u64 k, u64 inner, \
                                           u64 tiles) {                                         \
        tile<OP, A, I, O>(src, out, out_idx, idx_in, outer, k, tiles, TRACK);                   \
    }                                                                                           \
    extern "C" __global__ void NAME##_column(const I* src, O* out, unsigned* out_idx,           \
                                             const unsigned* idx_in, u64 outer, u64 k,          \
                                             u64 inner, u64 tiles) {                            \
        column<OP, A, I, O>(src, out, out_idx, idx_in, outer, k, inner, tiles, TRACK);          \
    }

// Every dtype but f16 reads and writes its own type (the "aa" variant).
#define STREAMCORE_REDUCE_OP(OPN, OP, TRACK)                                                     \
    STREAMCORE_REDUCE(reduce_##OPN##_f32_aa, OP, float, float, float, TRACK)                     \
    STREAMCORE_REDUCE(reduce_##OPN##_f64_aa, OP, double, double, double, TRACK)                  \
    STREAMCORE_REDUCE(reduce_##OPN##_i32_aa, OP, int, int, int, TRACK)                           \
    STREAMCORE_REDUCE(reduce_##OPN##_u32_aa, OP, unsigned, unsigned, unsigned, TRACK)            \
    STREAMCORE_REDUCE(reduce_##OPN##_f16_sa, OP, float, h16, float, TRACK)                       \
    STREAMCORE_REDUCE(reduce_##OPN##_f16_aa, OP, float, float, float, TRACK)                     \
    STREAMCORE_REDUCE(reduce_##OPN##_f16_as, OP, float, float, h16, TRACK)                       \
    STREAMCORE_REDUCE(reduce_##OPN##_f16_ss, OP, float, h16, h16, TRACK)
#define STREAMCORE_REDUCE_COMPLEX(OPN, OP)                                                       \
    STREAMCORE_REDUCE(reduce_##OPN##_c32_aa, OP, float2, float2, float2, false)                  \
    STREAMCORE_REDUCE(reduce_##OPN##_c64_aa, OP, double2, double2, double2, false)

STREAMCORE_REDUCE_OP(sum, SumOp, false)
STREAMCORE_REDUCE_OP(prod, ProdOp, false)
STREAMCORE_REDUCE_OP(min, ExtremeOp<true>, true)
STREAMCORE_REDUCE_OP(max, ExtremeOp<false>, true)
STREAMCORE_REDUCE_OP(argmin, ArgOp<true>, true)
STREAMCORE_REDUCE_OP(argmax, ArgOp<false>, true)
STREAMCORE_REDUCE_COMPLEX(sum, SumOp)
STREAMCORE_REDUCE_COMPLEX(prod, ProdOp)
