// fractal: one thread per pixel; the CUDA twin of shaders/fractal.wgsl with the CPU
// backend's arithmetic: separately rounded products and sums, through the _rn intrinsics so
// that the compiler cannot fuse them, or (the _fused kernels) fused multiply-adds, each
// rounded once. Names: escape_f32, escape_f64, escape_f32_fused, escape_f64_fused,
// lyapunov_f32.

__device__ __forceinline__ float mul_rn(float a, float b) { return __fmul_rn(a, b); }
__device__ __forceinline__ double mul_rn(double a, double b) { return __dmul_rn(a, b); }
__device__ __forceinline__ float add_rn(float a, float b) { return __fadd_rn(a, b); }
__device__ __forceinline__ double add_rn(double a, double b) { return __dadd_rn(a, b); }
__device__ __forceinline__ float fma_rn(float a, float b, float c) { return __fmaf_rn(a, b, c); }
__device__ __forceinline__ double fma_rn(double a, double b, double c) { return __fma_rn(a, b, c); }

// One step z' = z^2 + c, rounded as the CPU's Arithmetic::Separate or (FUSED) ::Fused.
template <typename T, bool FUSED>
__device__ __forceinline__ void step(T& x, T& y, T cx, T cy) {
    T nx, ny;
    if (FUSED) {
        nx = fma_rn(x, x, fma_rn(-y, y, cx));
        ny = fma_rn(add_rn(x, x), y, cy);
    } else {
        nx = add_rn(add_rn(mul_rn(x, x), -mul_rn(y, y)), cx);
        ny = add_rn(mul_rn(add_rn(x, x), y), cy);
    }
    x = nx;
    y = ny;
}

// |z|^2, rounded as `step` is.
template <typename T, bool FUSED>
__device__ __forceinline__ T norm(T x, T y) {
    return FUSED ? fma_rn(x, x, mul_rn(y, y)) : add_rn(mul_rn(x, x), mul_rn(y, y));
}

// chunked: every orbit keeps growing past the bailout (FractalJob::chunked on the host), so
// 8 steps may run with one test after them: if |z|^2 is still within the bailout, none of
// the 8 escaped; else they run again one by one.
template <typename T, bool FUSED>
__device__ void escape(float* values, unsigned* counts, unsigned width, unsigned height,
                       unsigned max_iter, T x0, T y1, T dx, T dy, int julia, T jx, T jy,
                       int chunked) {
    const T bail = (T)65536.0;
    u64 n_px = (u64)width * height;
    for (u64 id = blockIdx.x * (u64)blockDim.x + threadIdx.x; id < n_px; id += (u64)gridDim.x * blockDim.x) {
        unsigned row = (unsigned)(id / width), col = (unsigned)(id % width);
        T px = add_rn(mul_rn((T)col + (T)0.5, dx), x0);
        T py = add_rn(y1, -mul_rn((T)row + (T)0.5, dy));
        T x = 0, y = 0, cx = px, cy = py;
        if (julia) { x = px; y = py; cx = jx; cy = jy; }
        unsigned n = 0;
        if (chunked) {
            while (max_iter - n >= 8) {
                T sx = x, sy = y;
#pragma unroll
                for (int k = 0; k < 8; ++k) step<T, FUSED>(x, y, cx, cy);
                // Unordered: infinity and NaN count as escaped.
                if (!(norm<T, FUSED>(x, y) <= bail)) {
                    x = sx;
                    y = sy;
                    break;
                }
                n += 8;
            }
        }
        while (n < max_iter) {
            if (norm<T, FUSED>(x, y) > bail) break;
            step<T, FUSED>(x, y, cx, cy);
            ++n;
        }
        counts[id] = n;
        if (n == max_iter) {
            values[id] = -1.0f;
        } else {
            float r2 = (float)norm<T, FUSED>(x, y);
            values[id] = fmaxf((float)n + 1.0f - log2f(0.5f * logf(r2)), 0.0f);
        }
    }
}

#define ESCAPE_KERNEL(name, T, FUSED)                                                          \
    extern "C" __global__ void name(float* values, unsigned* counts, unsigned width,           \
                                    unsigned height, unsigned max_iter, double x0, double y1,  \
                                    double dx, double dy, int julia, double jx, double jy,     \
                                    int chunked) {                                             \
        escape<T, FUSED>(values, counts, width, height, max_iter, (T)x0, (T)y1, (T)dx, (T)dy, \
                         julia, (T)jx, (T)jy, chunked);                                        \
    }
ESCAPE_KERNEL(escape_f32, float, false)
ESCAPE_KERNEL(escape_f64, double, false)
ESCAPE_KERNEL(escape_f32_fused, float, true)
ESCAPE_KERNEL(escape_f64_fused, double, true)

// bit i of seq (i < len) is 1 for B.
extern "C" __global__ void lyapunov_f32(float* values, unsigned* counts, unsigned width, unsigned height,
                                        unsigned warmup, unsigned iters, unsigned len, u64 seq,
                                        float a0, float b1, float da, float db) {
    u64 n_px = (u64)width * height;
    for (u64 id = blockIdx.x * (u64)blockDim.x + threadIdx.x; id < n_px; id += (u64)gridDim.x * blockDim.x) {
        unsigned row = (unsigned)(id / width), col = (unsigned)(id % width);
        float a = add_rn(mul_rn((float)col + 0.5f, da), a0);
        float b = add_rn(b1, -mul_rn((float)row + 0.5f, db));
        float x = 0.5f;
        // k = i mod len, kept by a wrap: a division per iteration cost more than the map.
        unsigned k = 0;
        for (unsigned i = 0; i < warmup; ++i) {
            float r = ((seq >> k) & 1) ? b : a;
            k = k + 1 == len ? 0 : k + 1;
            x = mul_rn(mul_rn(r, x), 1.0f - x);
        }
        float prod = 1.0f, s = 0.0f;
        for (unsigned i = 0; i < iters; ++i) {
            float r = ((seq >> k) & 1) ? b : a;
            k = k + 1 == len ? 0 : k + 1;
            float d = mul_rn(r, add_rn(1.0f, -add_rn(x, x)));
            prod = mul_rn(prod, fabsf(d));
            x = mul_rn(mul_rn(r, x), 1.0f - x);
            if ((i + 1) % 8 == 0) {
                s += logf(fmaxf(prod, 1e-30f));
                prod = 1.0f;
            }
        }
        values[id] = (s + logf(fmaxf(prod, 1e-30f))) / (float)iters;
        counts[id] = iters;
    }
}
