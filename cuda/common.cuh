// common: what every kernel file in cuda/ shares, prepended to each by
// src/backend/cuda/nvrtc.rs before NVRTC compiles it (header-free: no #include).
// f16 storage as raw bits converted by PTX instructions; complex numbers as float2/double2;
// integer sums and products that wrap (signed overflow is undefined in C++).

typedef unsigned long long u64;

// ---- f16 storage, computed in f32
struct h16 { unsigned short bits; };
__device__ __forceinline__ float lift(h16 x) {
    float r;
    asm("cvt.f32.f16 %0, %1;" : "=f"(r) : "h"(x.bits));
    return r;
}
template <typename T> __device__ __forceinline__ T lift(T x) { return x; }
__device__ __forceinline__ h16 to_h16(float x) {
    h16 r;
    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(r.bits) : "f"(x));
    return r;
}
__device__ __forceinline__ void store(h16* p, float x) { *p = to_h16(x); }
template <typename T> __device__ __forceinline__ void store(T* p, T x) { *p = x; }

// ---- complex arithmetic
__device__ __forceinline__ float2 cadd(float2 a, float2 b) { return make_float2(a.x + b.x, a.y + b.y); }
__device__ __forceinline__ double2 cadd(double2 a, double2 b) { return make_double2(a.x + b.x, a.y + b.y); }
__device__ __forceinline__ float2 cmul(float2 a, float2 b) { return make_float2(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x); }
__device__ __forceinline__ double2 cmul(double2 a, double2 b) { return make_double2(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x); }

// ---- sums and products of every accumulation type (ints wrap), with their identities
template <typename A> __device__ __forceinline__ A radd(A a, A b) { return a + b; }
template <> __device__ __forceinline__ int radd(int a, int b) { return (int)((unsigned)a + (unsigned)b); }
__device__ __forceinline__ float2 radd(float2 a, float2 b) { return cadd(a, b); }
__device__ __forceinline__ double2 radd(double2 a, double2 b) { return cadd(a, b); }
template <typename A> __device__ __forceinline__ A rmul(A a, A b) { return a * b; }
template <> __device__ __forceinline__ int rmul(int a, int b) { return (int)((unsigned)a * (unsigned)b); }
__device__ __forceinline__ float2 rmul(float2 a, float2 b) { return cmul(a, b); }
__device__ __forceinline__ double2 rmul(double2 a, double2 b) { return cmul(a, b); }
template <typename A> __device__ __forceinline__ A zero_of() { return (A)0; }
template <> __device__ __forceinline__ float2 zero_of() { return make_float2(0.0f, 0.0f); }
template <> __device__ __forceinline__ double2 zero_of() { return make_double2(0.0, 0.0); }
template <typename A> __device__ __forceinline__ A one_of() { return (A)1; }
template <> __device__ __forceinline__ float2 one_of() { return make_float2(1.0f, 0.0f); }
template <> __device__ __forceinline__ double2 one_of() { return make_double2(1.0, 0.0); }
