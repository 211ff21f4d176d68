// creation: fill a buffer with a repeating pattern, and linear ramps (arange, linspace).
// The CUDA twin of shaders/creation.wgsl. Header-free on purpose (no cuda_fp16.h), so NVRTC
// compiles it with nothing but its own built-ins; f16 conversion is one PTX instruction.

// Word i gets pattern[i % period]: elements of 2, 4, 8 and 16 bytes all tile 16 bytes.
extern "C" __global__ void fill_words(unsigned int* words, u64 count, unsigned int period,
                                      unsigned int p0, unsigned int p1, unsigned int p2,
                                      unsigned int p3) {
    const unsigned int pattern[4] = {p0, p1, p2, p3};
    for (u64 i = blockIdx.x * (u64)blockDim.x + threadIdx.x; i < count;
         i += (u64)gridDim.x * blockDim.x) {
        words[i] = pattern[i % period];
    }
}

__device__ __forceinline__ unsigned short f32_to_f16_bits(float x) {
    unsigned short r;
    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(r) : "f"(x));
    return r;
}

// out[i] = start + i * step computed in CALC and stored as ELEM; the final element is `last`
// when has_last is set (linspace's exact endpoint). Integer ramps use unsigned arithmetic,
// which wraps (signed overflow would be undefined in C++); i32 shares the u32 kernel.
#define STREAMCORE_RAMP(NAME, ELEM, CALC, STORE)                                            \
    extern "C" __global__ void NAME(ELEM* out, u64 n, CALC start, CALC step, CALC last,    \
                                    int has_last) {                                        \
        for (u64 i = blockIdx.x * (u64)blockDim.x + threadIdx.x; i < n;                    \
             i += (u64)gridDim.x * blockDim.x) {                                           \
            CALC v = start + (CALC)i * step;                                               \
            if (has_last && i + 1 == n) v = last;                                          \
            out[i] = STORE;                                                                \
        }                                                                                  \
    }

STREAMCORE_RAMP(ramp_f16, unsigned short, float, f32_to_f16_bits(v))
STREAMCORE_RAMP(ramp_f32, float, float, v)
STREAMCORE_RAMP(ramp_f64, double, double, v)
STREAMCORE_RAMP(ramp_u32, unsigned int, unsigned int, v)
STREAMCORE_RAMP(ramp_c32, float2, float, make_float2(v, 0.0f))
STREAMCORE_RAMP(ramp_c64, double2, double, make_double2(v, 0.0))
