// fft_real: the split between a real transform of even length n = 2m and the complex
// transform of length m that runs it (src/backend/cuda/fft.rs: real); the CUDA twin of
// shaders/fft_real.wgsl. The n reals of a row, read as m complex numbers z, have the spectrum
// Z; the bins of the real signal are X[k] = E[k] - i W^k O[k] with E = (Z[k] + conj Z[m-k]) / 2,
// O = (Z[k] - conj Z[m-k]) / 2 and W = exp(-2 pi i / n); X[0] and X[m] are real. The inverse
// builds Z[k] = (X[k] + conj X[m-k]) + i (X[k] - conj X[m-k]) conj(W^k) (the imaginary parts
// of X[0] and X[m] ignored), whose inverse transform of length m is the real signal.
// One thread per pair (k, m - k), k <= m / 2, of a row. `table` holds W^k for k < m made in
// f64 on the host, then the scales [1, 1/n, 1/sqrt(n)] (fft::plan::real_table); `scale_at`
// indexes the scale this call applies.

__device__ __forceinline__ float2 cconj(float2 a) { return make_float2(a.x, -a.y); }
__device__ __forceinline__ double2 cconj(double2 a) { return make_double2(a.x, -a.y); }
__device__ __forceinline__ float2 csub(float2 a, float2 b) { return make_float2(a.x - b.x, a.y - b.y); }
__device__ __forceinline__ double2 csub(double2 a, double2 b) { return make_double2(a.x - b.x, a.y - b.y); }
__device__ __forceinline__ float2 cscale(float2 a, float s) { return make_float2(a.x * s, a.y * s); }
__device__ __forceinline__ double2 cscale(double2 a, double s) { return make_double2(a.x * s, a.y * s); }
// v times -i.
__device__ __forceinline__ float2 mul_neg_i(float2 v) { return make_float2(v.y, -v.x); }
__device__ __forceinline__ double2 mul_neg_i(double2 v) { return make_double2(v.y, -v.x); }
template <typename C> __device__ __forceinline__ C cpair(double re, double im);
template <> __device__ __forceinline__ float2 cpair(double re, double im) { return make_float2((float)re, (float)im); }
template <> __device__ __forceinline__ double2 cpair(double re, double im) { return make_double2(re, im); }

// `half` holds rows x m complex numbers (the half-length spectra); `bins` rows x (m + 1).
template <typename C>
__device__ __forceinline__ void real_forward(const C* __restrict__ half, C* __restrict__ bins,
                                             const C* __restrict__ table, u64 rows,
                                             unsigned int m, unsigned int scale_at) {
    const unsigned int pairs = m / 2 + 1;
    const auto sc = table[m + scale_at].x;
    for (u64 id = blockIdx.x * (u64)blockDim.x + threadIdx.x; id < rows * pairs;
         id += (u64)gridDim.x * blockDim.x) {
        const u64 row = id / pairs;
        const unsigned int k = (unsigned int)(id - row * pairs);
        const C* z = half + row * m;
        C* x = bins + row * (m + 1);
        if (k == 0) {
            const C z0 = z[0];
            x[0] = cscale(cpair<C>(z0.x + z0.y, 0.0), sc);
            x[m] = cscale(cpair<C>(z0.x - z0.y, 0.0), sc);
            continue;
        }
        const unsigned int j = m - k;
        const C a = z[k], b = z[j];
        const C even = cscale(cadd(a, cconj(b)), 0.5f);
        const C odd = cscale(csub(a, cconj(b)), 0.5f);
        x[k] = cscale(cadd(even, mul_neg_i(cmul(table[k], odd))), sc);
        if (j != k) x[j] = cscale(csub(cconj(even), mul_neg_i(cmul(table[j], cconj(odd)))), sc);
    }
}

template <typename C>
__device__ __forceinline__ void real_inverse(const C* __restrict__ bins, C* __restrict__ half,
                                             const C* __restrict__ table, u64 rows,
                                             unsigned int m, unsigned int scale_at) {
    const unsigned int pairs = m / 2 + 1;
    const auto sc = table[m + scale_at].x;
    for (u64 id = blockIdx.x * (u64)blockDim.x + threadIdx.x; id < rows * pairs;
         id += (u64)gridDim.x * blockDim.x) {
        const u64 row = id / pairs;
        const unsigned int k = (unsigned int)(id - row * pairs);
        const C* x = bins + row * (m + 1);
        C* z = half + row * m;
        if (k == 0) {
            const auto x0 = x[0].x, xm = x[m].x;
            z[0] = cscale(cpair<C>(x0 + xm, x0 - xm), sc);
            continue;
        }
        const unsigned int j = m - k;
        const C a = x[k], b = x[j];
        z[k] = cscale(csub(cadd(a, cconj(b)), mul_neg_i(cmul(csub(a, cconj(b)), cconj(table[k])))), sc);
        if (j != k)
            z[j] = cscale(csub(cadd(b, cconj(a)), mul_neg_i(cmul(csub(b, cconj(a)), cconj(table[j])))), sc);
    }
}

#define STREAMCORE_REAL_SPLIT(SHORT, C)                                                        \
    extern "C" __global__ void fft_real_forward_##SHORT(const C* half, C* bins, const C* table, \
                                                        u64 rows, unsigned int m,              \
                                                        unsigned int scale_at) {               \
        real_forward<C>(half, bins, table, rows, m, scale_at);                                 \
    }                                                                                          \
    extern "C" __global__ void fft_real_inverse_##SHORT(const C* bins, C* half, const C* table, \
                                                        u64 rows, unsigned int m,              \
                                                        unsigned int scale_at) {               \
        real_inverse<C>(bins, half, table, rows, m, scale_at);                                 \
    }

STREAMCORE_REAL_SPLIT(c32, float2)
STREAMCORE_REAL_SPLIT(c64, double2)
