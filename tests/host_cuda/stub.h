// stub.h: just enough of CUDA's device environment for a kernel file of cuda/ to compile as
// host C++ (tests/cuda_kernels.rs), so that its arithmetic runs and is checked on a machine
// with no GPU. A kernel "launch" is a loop over threadIdx.x with one block; the complex
// helpers are those of cuda/common.cuh (which itself holds PTX and cannot compile here).
#include <cmath>

#define __device__
#define __global__
#define __forceinline__ inline
#define __restrict__

typedef unsigned long long u64;
struct float2 { float x, y; };
struct double2 { double x, y; };
inline float2 make_float2(float a, float b) { return {a, b}; }
inline double2 make_double2(double a, double b) { return {a, b}; }
struct Dim3 { unsigned int x, y, z; };
static Dim3 blockIdx{0, 0, 0}, threadIdx{0, 0, 0}, blockDim{1, 1, 1}, gridDim{1, 1, 1};

inline float2 cadd(float2 a, float2 b) { return make_float2(a.x + b.x, a.y + b.y); }
inline double2 cadd(double2 a, double2 b) { return make_double2(a.x + b.x, a.y + b.y); }
inline float2 cmul(float2 a, float2 b) { return make_float2(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x); }
inline double2 cmul(double2 a, double2 b) { return make_double2(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x); }

// Runs `kernel` as one block of `threads` threads, one after another.
template <typename F> void launch(unsigned int threads, F kernel) {
    blockDim.x = threads;
    for (threadIdx.x = 0; threadIdx.x < threads; threadIdx.x++) kernel();
}
