// random: element i of a draw is a function of the Philox4x32-10 block at counter
// (position + i, 0) under the 64-bit key; the CUDA twin of shaders/random.wgsl and
// src/backend/cpu/random.rs with the same bit rules: uniforms from the top 11 (f16), 24
// (f32) or 53 (f64) bits, normals by Box-Muller. Names: DIST_DTYPE (bits_u32, uniform_f32...).

__device__ __forceinline__ uint4 philox(u64 c, u64 key) {
    unsigned c0 = (unsigned)c, c1 = (unsigned)(c >> 32), c2 = 0, c3 = 0;
    unsigned k0 = (unsigned)key, k1 = (unsigned)(key >> 32);
#pragma unroll
    for (int r = 0; r < 10; ++r) {
        if (r > 0) {
            k0 += 0x9E3779B9u;
            k1 += 0xBB67AE85u;
        }
        unsigned hi0 = __umulhi(0xD2511F53u, c0), lo0 = 0xD2511F53u * c0;
        unsigned hi1 = __umulhi(0xCD9E8D57u, c2), lo1 = 0xCD9E8D57u * c2;
        unsigned n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
        c0 = n0; c1 = lo1; c2 = n2; c3 = lo0;
    }
    return make_uint4(c0, c1, c2, c3);
}

#define U24 5.9604644775390625e-8f
__device__ __forceinline__ double unit53(unsigned hi, unsigned lo) {
    return (double)hi * 2.3283064365386962890625e-10 + (double)(lo >> 11) * 1.1102230246251565404236316680908203125e-16;
}
__device__ __forceinline__ float normal32(uint4 w) {
    float u = (float)((w.x >> 8) + 1u) * U24;
    float t = (float)(w.y >> 8) * U24;
    return sqrtf(-2.0f * logf(u)) * cosf(6.2831855f * t - 3.14159265f);
}

__device__ __forceinline__ unsigned bits_of(uint4 w) { return w.x; }
__device__ __forceinline__ h16 uniform_f16(uint4 w) { return to_h16((float)(w.x >> 21) * 0.00048828125f); }
__device__ __forceinline__ float uniform_f32(uint4 w) { return (float)(w.x >> 8) * U24; }
__device__ __forceinline__ double uniform_f64(uint4 w) { return unit53(w.x, w.y); }
__device__ __forceinline__ h16 normal_f16(uint4 w) { return to_h16(normal32(w)); }
__device__ __forceinline__ float normal_f32(uint4 w) { return normal32(w); }
__device__ __forceinline__ double normal_f64(uint4 w) {
    double u = 1.0 - unit53(w.x, w.y);
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * unit53(w.z, w.w) - 3.141592653589793);
}

#define STREAMCORE_RANDOM(NAME, T, VALUE)                                                        \
    extern "C" __global__ void NAME(T* out, u64 len, u64 position, u64 key) {                   \
        for (u64 i = blockIdx.x * (u64)blockDim.x + threadIdx.x; i < len; i += (u64)gridDim.x * blockDim.x) \
            out[i] = VALUE(philox(position + i, key));                                          \
    }
STREAMCORE_RANDOM(bits_u32, unsigned, bits_of)
STREAMCORE_RANDOM(uniform_f16, h16, uniform_f16)
STREAMCORE_RANDOM(uniform_f32, float, uniform_f32)
STREAMCORE_RANDOM(uniform_f64, double, uniform_f64)
STREAMCORE_RANDOM(normal_f16, h16, normal_f16)
STREAMCORE_RANDOM(normal_f32, float, normal_f32)
STREAMCORE_RANDOM(normal_f64, double, normal_f64)
