// fft: one radix-R pass of a Stockham autosort FFT along the middle axis of [outer, n, inner]
// complex elements, out of place; the CUDA twin of shaders/fft.wgsl on the same host plan.
// Thread (o, j, i) takes the R inputs j + s t (t = n / R), multiplies input s by the twiddle
// table[tw + k (R - 1) + s - 1] (k = j mod l), runs an R-point DFT with the roots of unity at
// table[roots ..], scales by table[scale_at].x and stores output m at (j - k) R + k + m l.
// The inverse conjugates every table value. Names: fft_rR_c32 | fft_rR_c64.
// fft_shared_c32 | fft_shared_c64: a whole row (n <= 4096) per block in dynamic shared
// memory, every pass of the plan (given by value in FftPasses) between barriers.

template <typename C> __device__ __forceinline__ C conj_if(C a, bool c) { if (c) a.y = -a.y; return a; }

template <typename C, int R>
__device__ void pass(const C* src, C* dst, const C* table, u64 outer, u64 n, u64 inner, u64 l,
                     u64 tw, u64 roots, u64 scale_at, int inverse) {
    u64 t = n / R;
    u64 total = outer * inner * t;
    bool inv = inverse != 0;
    for (u64 id = blockIdx.x * (u64)blockDim.x + threadIdx.x; id < total; id += (u64)gridDim.x * blockDim.x) {
        u64 i = id % inner, rest = id / inner, j = rest % t, o = rest / t, k = j % l;
        u64 base = o * n * inner + i;
        C u[R];
#pragma unroll
        for (int s = 0; s < R; ++s) u[s] = src[base + (j + s * t) * inner];
#pragma unroll
        for (int s = 1; s < R; ++s) u[s] = cmul(u[s], conj_if(table[tw + k * (R - 1) + s - 1], inv));
        C y[R];
#pragma unroll
        for (int m = 0; m < R; ++m) {
            C acc = u[0];
#pragma unroll
            for (int s = 1; s < R; ++s) {
                int q = (m * s) % R;
                acc = cadd(acc, q == 0 ? u[s] : cmul(u[s], conj_if(table[roots + q], inv)));
            }
            y[m] = acc;
        }
        auto sc = table[scale_at].x;
        u64 at = (j - k) * R + k;
#pragma unroll
        for (int m = 0; m < R; ++m) {
            C v = y[m];
            v.x *= sc;
            v.y *= sc;
            dst[base + (at + m * l) * inner] = v;
        }
    }
}

// The passes of a plan, by value: radix, sub-transform length, and where its twiddles and
// roots of unity start in the table.
struct FftPasses {
    unsigned count;
    unsigned n;
    unsigned r[16];
    unsigned l[16];
    unsigned tw[16];
    unsigned rt[16];
};

// One pass in shared memory: every butterfly's outputs are computed into registers, then,
// after a barrier, written to their Stockham places.
template <typename C, int R>
__device__ __forceinline__ void shared_pass(C* sh, unsigned n, unsigned l, const C* tw,
                                            const C* rt, bool inv) {
    constexpr int NB = (16 + R - 1) / R;  // ceil(4096 / R / 256)
    unsigned t = n / R;
    C ys[NB][R];
#pragma unroll
    for (int q = 0; q < NB; ++q) {
        unsigned j = threadIdx.x + q * 256;
        if (j < t) {
            unsigned k = j % l;
            C u[R];
#pragma unroll
            for (int s = 0; s < R; ++s) u[s] = sh[j + s * t];
#pragma unroll
            for (int s = 1; s < R; ++s) u[s] = cmul(u[s], conj_if(tw[k * (R - 1) + s - 1], inv));
#pragma unroll
            for (int m = 0; m < R; ++m) {
                C acc = u[0];
#pragma unroll
                for (int s = 1; s < R; ++s) {
                    int qq = (m * s) % R;
                    acc = cadd(acc, qq == 0 ? u[s] : cmul(u[s], conj_if(rt[qq], inv)));
                }
                ys[q][m] = acc;
            }
        }
    }
    __syncthreads();
#pragma unroll
    for (int q = 0; q < NB; ++q) {
        unsigned j = threadIdx.x + q * 256;
        if (j < t) {
            unsigned k = j % l, at = (j - k) * R + k;
#pragma unroll
            for (int m = 0; m < R; ++m) sh[at + m * l] = ys[q][m];
        }
    }
    __syncthreads();
}

template <typename C>
__device__ void shared_fft(const C* src, C* dst, const C* table, u64 outer, FftPasses ps,
                           u64 scale_at, int inverse) {
    extern __shared__ __align__(16) unsigned char smem[];
    C* sh = reinterpret_cast<C*>(smem);
    u64 row = blockIdx.x + (u64)blockIdx.y * gridDim.x;
    if (row >= outer) return;
    unsigned n = ps.n;
    bool inv = inverse != 0;
    for (unsigned e = threadIdx.x; e < n; e += blockDim.x) sh[e] = src[row * n + e];
    __syncthreads();
    for (unsigned p = 0; p < ps.count; ++p) {
        const C* tw = table + ps.tw[p];
        const C* rt = table + ps.rt[p];
        switch (ps.r[p]) {
            case 2: shared_pass<C, 2>(sh, n, ps.l[p], tw, rt, inv); break;
            case 3: shared_pass<C, 3>(sh, n, ps.l[p], tw, rt, inv); break;
            case 4: shared_pass<C, 4>(sh, n, ps.l[p], tw, rt, inv); break;
            case 5: shared_pass<C, 5>(sh, n, ps.l[p], tw, rt, inv); break;
            case 7: shared_pass<C, 7>(sh, n, ps.l[p], tw, rt, inv); break;
            default: shared_pass<C, 8>(sh, n, ps.l[p], tw, rt, inv); break;
        }
    }
    auto sc = table[scale_at].x;
    for (unsigned e = threadIdx.x; e < n; e += blockDim.x) {
        C v = sh[e];
        v.x *= sc;
        v.y *= sc;
        dst[row * n + e] = v;
    }
}

extern "C" __global__ void fft_shared_c32(const float2* src, float2* dst, const float2* table,
                                          u64 outer, FftPasses ps, u64 scale_at, int inverse) {
    shared_fft<float2>(src, dst, table, outer, ps, scale_at, inverse);
}
extern "C" __global__ void fft_shared_c64(const double2* src, double2* dst, const double2* table,
                                          u64 outer, FftPasses ps, u64 scale_at, int inverse) {
    shared_fft<double2>(src, dst, table, outer, ps, scale_at, inverse);
}

#define STREAMCORE_FFT(R, DT, C)                                                                 \
    extern "C" __global__ void fft_r##R##_##DT(const C* src, C* dst, const C* table, u64 outer, \
                                               u64 n, u64 inner, u64 l, u64 tw, u64 roots,      \
                                               u64 scale_at, int inverse) {                     \
        pass<C, R>(src, dst, table, outer, n, inner, l, tw, roots, scale_at, inverse);          \
    }
#define STREAMCORE_FFT_RADICES(DT, C) \
    STREAMCORE_FFT(2, DT, C) STREAMCORE_FFT(3, DT, C) STREAMCORE_FFT(4, DT, C) \
    STREAMCORE_FFT(5, DT, C) STREAMCORE_FFT(7, DT, C) STREAMCORE_FFT(8, DT, C)
STREAMCORE_FFT_RADICES(c32, float2)
STREAMCORE_FFT_RADICES(c64, double2)
