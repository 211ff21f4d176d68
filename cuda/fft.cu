// fft: one radix-R pass of a Stockham autosort FFT along the middle axis of [outer, n, inner]
// complex elements, out of place; the CUDA twin of shaders/fft.wgsl on the same host plan.
// Thread (o, j, i) takes the R inputs j + s t (t = n / R), multiplies input s by the twiddle
// table[tw + k (R - 1) + s - 1] (k = j mod l), runs an R-point DFT with the roots of unity at
// table[roots ..], scales by table[scale_at].x and stores output m at (j - k) R + k + m l.
// The inverse conjugates every table value. Names: fft_rR_c32 | fft_rR_c64.

typedef unsigned long long u64;

__device__ __forceinline__ float2 cmul(float2 a, float2 b) {
    return make_float2(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x);
}
__device__ __forceinline__ double2 cmul(double2 a, double2 b) {
    return make_double2(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x);
}
template <typename C> __device__ __forceinline__ C cadd(C a, C b) { C r; r.x = a.x + b.x; r.y = a.y + b.y; return r; }
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
