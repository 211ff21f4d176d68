// matmul: out[b] = a[b] @ rhs[b] for row-major [m, k] and [k, n] matrices, the right one shared
// by every product when b_stride is 0; the CUDA twin of shaders/matmul.wgsl. A block of 16 x 16
// threads computes a 64 x 64 tile of one product, each thread 4 x 4 outputs spaced 16 apart;
// k advances TK at a time through shared tiles (A stored transposed), positions past the
// edges load as 0. f16 is summed in f32, integers wrap. Names: matmul_DTYPE.

template <typename A> __device__ __forceinline__ A mad(A acc, A x, A y) { return acc + x * y; }
template <> __device__ __forceinline__ float mad(float acc, float x, float y) { return fmaf(x, y, acc); }
template <> __device__ __forceinline__ double mad(double acc, double x, double y) { return fma(x, y, acc); }
template <> __device__ __forceinline__ int mad(int acc, int x, int y) {
    return (int)((unsigned)acc + (unsigned)x * (unsigned)y);
}
template <> __device__ __forceinline__ float2 mad(float2 acc, float2 x, float2 y) {
    return make_float2(fmaf(-x.y, y.y, fmaf(x.x, y.x, acc.x)), fmaf(x.y, y.x, fmaf(x.x, y.y, acc.y)));
}
template <> __device__ __forceinline__ double2 mad(double2 acc, double2 x, double2 y) {
    return make_double2(fma(-x.y, y.y, fma(x.x, y.x, acc.x)), fma(x.y, y.x, fma(x.x, y.y, acc.y)));
}

template <typename A, typename S, int TK>
__device__ void matmul(const S* a, const S* b, S* out, unsigned batch, unsigned m, unsigned k,
                       unsigned n, unsigned tiles_m, unsigned tiles_n, u64 b_stride) {
    __shared__ A sa[TK * 64];
    __shared__ A sb[TK * 64];
    u64 w = blockIdx.x + (u64)blockIdx.y * gridDim.x;
    u64 per = (u64)tiles_m * tiles_n;
    if (w >= batch * per) return;
    u64 bi = w / per;
    unsigned row0 = (unsigned)((w % per) / tiles_n) * 64, col0 = (unsigned)((w % per) % tiles_n) * 64;
    unsigned lid = threadIdx.x, tx = lid % 16, ty = lid / 16;
    const S* ab = a + bi * m * (u64)k;
    const S* bb = b + bi * b_stride;
    A acc[16];
#pragma unroll
    for (int i = 0; i < 16; ++i) acc[i] = zero_of<A>();
    for (unsigned k0 = 0; k0 < k; k0 += TK) {
        for (unsigned e = lid; e < 64 * TK; e += 256) {
            unsigned r = row0 + e / TK, c = k0 + e % TK;
            sa[(e % TK) * 64 + e / TK] = (r < m && c < k) ? (A)lift(ab[(u64)r * k + c]) : zero_of<A>();
        }
        for (unsigned e = lid; e < 64 * TK; e += 256) {
            unsigned r = k0 + e / 64, c = col0 + e % 64;
            sb[e] = (r < k && c < n) ? (A)lift(bb[(u64)r * n + c]) : zero_of<A>();
        }
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < TK; ++kk) {
            A av[4], bv[4];
#pragma unroll
            for (int i = 0; i < 4; ++i) {
                av[i] = sa[kk * 64 + ty + 16 * i];
                bv[i] = sb[kk * 64 + tx + 16 * i];
            }
#pragma unroll
            for (int i = 0; i < 4; ++i)
#pragma unroll
                for (int j = 0; j < 4; ++j) acc[i * 4 + j] = mad(acc[i * 4 + j], av[i], bv[j]);
        }
        __syncthreads();
    }
    S* ob = out + bi * m * (u64)n;
#pragma unroll
    for (int i = 0; i < 4; ++i) {
        unsigned r = row0 + ty + 16 * i;
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            unsigned c = col0 + tx + 16 * j;
            if (r < m && c < n) store(&ob[(u64)r * n + c], acc[i * 4 + j]);
        }
    }
}

#define STREAMCORE_MATMUL(DT, A, S, TK)                                                          \
    extern "C" __global__ void matmul_##DT(const S* a, const S* b, S* out, unsigned batch,      \
                                           unsigned m, unsigned k, unsigned n, unsigned tiles_m, \
                                           unsigned tiles_n, u64 b_stride) {                    \
        matmul<A, S, TK>(a, b, out, batch, m, k, n, tiles_m, tiles_n, b_stride);                \
    }
STREAMCORE_MATMUL(f32, float, float, 16)
STREAMCORE_MATMUL(f64, double, double, 16)
STREAMCORE_MATMUL(f16, float, h16, 16)
STREAMCORE_MATMUL(i32, int, int, 16)
STREAMCORE_MATMUL(u32, unsigned, unsigned, 16)
STREAMCORE_MATMUL(c32, float2, float2, 16)
STREAMCORE_MATMUL(c64, double2, double2, 8)
