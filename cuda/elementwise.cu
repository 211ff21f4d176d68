// elementwise: out[i] = op(a, b) or op(a) with NumPy broadcasting. The CUDA twin of
// shaders/elementwise.wgsl, with the same semantics as the CPU backend: integers wrap, integer
// division truncates and gives 0 for a zero divisor, float min/max propagate NaN, f16 is
// computed in f32. Header-free: f16 conversions are PTX instructions, complex numbers are
// float2/double2. One kernel per op and dtype, named OP_DTYPE (add_f32, neg_i32, ...).

typedef unsigned long long u64;

// Output element g (row-major over shape) reads input k at sum(index_d(g) * stride_k[d]);
// bit k of `contiguous` says input k has the output's shape and is read at g itself, and bit
// 8 + k that input k is a single element (every stride 0), read at 0.
struct Layout {
    unsigned int rank;
    unsigned int contiguous;
    u64 shape[8];
    u64 stride0[8];
    u64 stride1[8];
};

__device__ __forceinline__ u64 offset(u64 g, const Layout& l, const u64* stride) {
    u64 off = 0;
    for (int d = (int)l.rank - 1; d >= 0; --d) {
        off += (g % l.shape[d]) * stride[d];
        g /= l.shape[d];
    }
    return off;
}

// ---- element types: storage S, computed as C
struct h16 { unsigned short bits; };
__device__ __forceinline__ float to_calc(h16 x) {
    float r;
    asm("cvt.f32.f16 %0, %1;" : "=f"(r) : "h"(x.bits));
    return r;
}
__device__ __forceinline__ h16 from_calc(float x, h16) {
    h16 r;
    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(r.bits) : "f"(x));
    return r;
}
template <typename T> __device__ __forceinline__ T to_calc(T x) { return x; }
template <typename T> __device__ __forceinline__ T from_calc(T x, T) { return x; }

// ---- arithmetic, overloaded per computation type
template <typename T> __device__ __forceinline__ T add(T a, T b) { return a + b; }
template <typename T> __device__ __forceinline__ T sub(T a, T b) { return a - b; }
template <typename T> __device__ __forceinline__ T mul(T a, T b) { return a * b; }
template <typename T> __device__ __forceinline__ T dvd(T a, T b) { return a / b; }
template <typename T> __device__ __forceinline__ T neg(T a) { return -a; }
template <typename T> __device__ __forceinline__ T mn(T a, T b) {
    return (a != a || b != b) ? a + b : (b < a ? b : a);
}
template <typename T> __device__ __forceinline__ T mx(T a, T b) {
    return (a != a || b != b) ? a + b : (a < b ? b : a);
}
template <typename T> __device__ __forceinline__ T ab(T a) { return a < (T)0 ? -a : a; }

// Integers: unsigned arithmetic wraps (signed overflow would be undefined in C++).
template <> __device__ __forceinline__ int add(int a, int b) { return (int)((unsigned)a + (unsigned)b); }
template <> __device__ __forceinline__ int sub(int a, int b) { return (int)((unsigned)a - (unsigned)b); }
template <> __device__ __forceinline__ int mul(int a, int b) { return (int)((unsigned)a * (unsigned)b); }
template <> __device__ __forceinline__ int neg(int a) { return (int)(0u - (unsigned)a); }
template <> __device__ __forceinline__ int ab(int a) { return a < 0 ? neg(a) : a; }
template <> __device__ __forceinline__ int dvd(int a, int b) {
    return b == 0 ? 0 : (b == -1 ? neg(a) : a / b);
}
template <> __device__ __forceinline__ int mn(int a, int b) { return b < a ? b : a; }
template <> __device__ __forceinline__ int mx(int a, int b) { return a < b ? b : a; }
template <> __device__ __forceinline__ unsigned neg(unsigned a) { return 0u - a; }
template <> __device__ __forceinline__ unsigned ab(unsigned a) { return a; }
template <> __device__ __forceinline__ unsigned dvd(unsigned a, unsigned b) { return b == 0u ? 0u : a / b; }
template <> __device__ __forceinline__ unsigned mn(unsigned a, unsigned b) { return b < a ? b : a; }
template <> __device__ __forceinline__ unsigned mx(unsigned a, unsigned b) { return a < b ? b : a; }

// Complex numbers: the textbook formulas, as on the CPU and in WGSL.
#define STREAMCORE_COMPLEX(V, R)                                                               \
    template <> __device__ __forceinline__ V add(V a, V b) { V r; r.x = a.x + b.x; r.y = a.y + b.y; return r; } \
    template <> __device__ __forceinline__ V sub(V a, V b) { V r; r.x = a.x - b.x; r.y = a.y - b.y; return r; } \
    template <> __device__ __forceinline__ V mul(V a, V b) {                                   \
        V r; r.x = a.x * b.x - a.y * b.y; r.y = a.x * b.y + a.y * b.x; return r;                \
    }                                                                                          \
    template <> __device__ __forceinline__ V dvd(V a, V b) {                                   \
        R d = b.x * b.x + b.y * b.y;                                                           \
        V r; r.x = (a.x * b.x + a.y * b.y) / d; r.y = (a.y * b.x - a.x * b.y) / d; return r;    \
    }                                                                                          \
    template <> __device__ __forceinline__ V neg(V a) { V r; r.x = -a.x; r.y = -a.y; return r; }
STREAMCORE_COMPLEX(float2, float)
STREAMCORE_COMPLEX(double2, double)

__device__ __forceinline__ float f_sqrt(float x) { return sqrtf(x); }
__device__ __forceinline__ double f_sqrt(double x) { return sqrt(x); }
__device__ __forceinline__ float f_exp(float x) { return expf(x); }
__device__ __forceinline__ double f_exp(double x) { return exp(x); }
__device__ __forceinline__ float f_log(float x) { return logf(x); }
__device__ __forceinline__ double f_log(double x) { return log(x); }
__device__ __forceinline__ float f_sin(float x) { return sinf(x); }
__device__ __forceinline__ double f_sin(double x) { return sin(x); }
__device__ __forceinline__ float f_cos(float x) { return cosf(x); }
__device__ __forceinline__ double f_cos(double x) { return cos(x); }
__device__ __forceinline__ float f_tanh(float x) { return tanhf(x); }
__device__ __forceinline__ double f_tanh(double x) { return tanh(x); }
__device__ __forceinline__ float f_exp2(float x) { return exp2f(x); }
__device__ __forceinline__ double f_exp2(double x) { return exp2(x); }
__device__ __forceinline__ float f_log2(float x) { return log2f(x); }
__device__ __forceinline__ double f_log2(double x) { return log2(x); }
__device__ __forceinline__ float f_tan(float x) { return tanf(x); }
__device__ __forceinline__ double f_tan(double x) { return tan(x); }
__device__ __forceinline__ float f_sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }
__device__ __forceinline__ double f_sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }
__device__ __forceinline__ float f_floor(float x) { return floorf(x); }
__device__ __forceinline__ double f_floor(double x) { return floor(x); }
__device__ __forceinline__ float f_ceil(float x) { return ceilf(x); }
__device__ __forceinline__ double f_ceil(double x) { return ceil(x); }
// rint rounds halves to even, as NumPy's round does.
__device__ __forceinline__ float f_round(float x) { return rintf(x); }
__device__ __forceinline__ double f_round(double x) { return rint(x); }
__device__ __forceinline__ float f_trunc(float x) { return truncf(x); }
__device__ __forceinline__ double f_trunc(double x) { return trunc(x); }
__device__ __forceinline__ float f_recip(float x) { return 1.0f / x; }
__device__ __forceinline__ double f_recip(double x) { return 1.0 / x; }
__device__ __forceinline__ float f_rsqrt(float x) { return rsqrtf(x); }
__device__ __forceinline__ double f_rsqrt(double x) { return rsqrt(x); }
__device__ __forceinline__ float f_pow(float x, float y) { return powf(x, y); }
__device__ __forceinline__ double f_pow(double x, double y) { return pow(x, y); }
__device__ __forceinline__ float f_atan2(float x, float y) { return atan2f(x, y); }
__device__ __forceinline__ double f_atan2(double x, double y) { return atan2(x, y); }
__device__ __forceinline__ float f_hypot(float x, float y) { return hypotf(x, y); }
__device__ __forceinline__ double f_hypot(double x, double y) { return hypot(x, y); }
// sign: -1, 0 or 1; NaN (and -0) pass through x * 0.
template <typename T> __device__ __forceinline__ T f_sign(T x) {
    return x > (T)0 ? (T)1 : (x < (T)0 ? (T)-1 : x * (T)0);
}
template <> __device__ __forceinline__ int f_sign(int x) { return (x > 0) - (x < 0); }
// Bits of the integer types; shift counts mod 32, as on every other backend.
template <typename T> __device__ __forceinline__ T b_and(T a, T b) { return a & b; }
template <typename T> __device__ __forceinline__ T b_or(T a, T b) { return a | b; }
template <typename T> __device__ __forceinline__ T b_xor(T a, T b) { return a ^ b; }
template <typename T> __device__ __forceinline__ T b_shl(T a, T b) {
    return (T)((unsigned)a << ((unsigned)b & 31u));
}
template <typename T> __device__ __forceinline__ T b_shr(T a, T b) { return a >> ((unsigned)b & 31u); }
template <typename T> __device__ __forceinline__ T b_not(T a) { return ~a; }
template <typename T> __device__ __forceinline__ T b_popcount(T a) { return (T)__popc((unsigned)a); }

#define STREAMCORE_GRID_LOOP(n) \
    for (u64 i = blockIdx.x * (u64)blockDim.x + threadIdx.x; i < (n); i += (u64)gridDim.x * blockDim.x)

#define STREAMCORE_BINARY(NAME, S, FN)                                                         \
    extern "C" __global__ void NAME(S* out, const S* a, const S* b, u64 n, Layout l) {         \
        STREAMCORE_GRID_LOOP(n) {                                                              \
            S x = a[(l.contiguous & 1u) ? i : (l.contiguous & 256u) ? 0 : offset(i, l, l.stride0)]; \
            S y = b[(l.contiguous & 2u) ? i : (l.contiguous & 512u) ? 0 : offset(i, l, l.stride1)]; \
            out[i] = from_calc(FN(to_calc(x), to_calc(y)), x);                                 \
        }                                                                                      \
    }

#define STREAMCORE_UNARY(NAME, S, FN)                                                          \
    extern "C" __global__ void NAME(S* out, const S* a, u64 n, Layout l) {                     \
        STREAMCORE_GRID_LOOP(n) {                                                              \
            S x = a[(l.contiguous & 1u) ? i : offset(i, l, l.stride0)];                        \
            out[i] = from_calc(FN(to_calc(x)), x);                                             \
        }                                                                                      \
    }

#define SQUARE(x) mul(x, x)

#define STREAMCORE_ALL_TYPES(M, OP, FN) \
    M(OP##_f16, h16, FN) M(OP##_f32, float, FN) M(OP##_f64, double, FN) M(OP##_i32, int, FN) \
    M(OP##_u32, unsigned, FN) M(OP##_c32, float2, FN) M(OP##_c64, double2, FN)
#define STREAMCORE_REAL_TYPES(M, OP, FN) \
    M(OP##_f16, h16, FN) M(OP##_f32, float, FN) M(OP##_f64, double, FN) M(OP##_i32, int, FN) \
    M(OP##_u32, unsigned, FN)
#define STREAMCORE_FLOAT_TYPES(M, OP, FN) \
    M(OP##_f16, h16, FN) M(OP##_f32, float, FN) M(OP##_f64, double, FN)
#define STREAMCORE_INT_TYPES(M, OP, FN) M(OP##_i32, int, FN) M(OP##_u32, unsigned, FN)
#define STREAMCORE_SIGNED_TYPES(M, OP, FN) \
    M(OP##_f16, h16, FN) M(OP##_f32, float, FN) M(OP##_f64, double, FN) M(OP##_i32, int, FN)

STREAMCORE_ALL_TYPES(STREAMCORE_BINARY, add, add)
STREAMCORE_ALL_TYPES(STREAMCORE_BINARY, sub, sub)
STREAMCORE_ALL_TYPES(STREAMCORE_BINARY, mul, mul)
STREAMCORE_ALL_TYPES(STREAMCORE_BINARY, div, dvd)
STREAMCORE_REAL_TYPES(STREAMCORE_BINARY, minimum, mn)
STREAMCORE_REAL_TYPES(STREAMCORE_BINARY, maximum, mx)
STREAMCORE_ALL_TYPES(STREAMCORE_UNARY, neg, neg)
STREAMCORE_ALL_TYPES(STREAMCORE_UNARY, square, SQUARE)
STREAMCORE_REAL_TYPES(STREAMCORE_UNARY, abs, ab)
STREAMCORE_FLOAT_TYPES(STREAMCORE_UNARY, sqrt, f_sqrt)
STREAMCORE_FLOAT_TYPES(STREAMCORE_UNARY, exp, f_exp)
STREAMCORE_FLOAT_TYPES(STREAMCORE_UNARY, log, f_log)
STREAMCORE_FLOAT_TYPES(STREAMCORE_UNARY, sin, f_sin)
STREAMCORE_FLOAT_TYPES(STREAMCORE_UNARY, cos, f_cos)
STREAMCORE_FLOAT_TYPES(STREAMCORE_UNARY, tanh, f_tanh)
STREAMCORE_FLOAT_TYPES(STREAMCORE_UNARY, exp2, f_exp2)
STREAMCORE_FLOAT_TYPES(STREAMCORE_UNARY, log2, f_log2)
STREAMCORE_FLOAT_TYPES(STREAMCORE_UNARY, tan, f_tan)
STREAMCORE_FLOAT_TYPES(STREAMCORE_UNARY, sigmoid, f_sigmoid)
STREAMCORE_FLOAT_TYPES(STREAMCORE_UNARY, floor, f_floor)
STREAMCORE_FLOAT_TYPES(STREAMCORE_UNARY, ceil, f_ceil)
STREAMCORE_FLOAT_TYPES(STREAMCORE_UNARY, round, f_round)
STREAMCORE_FLOAT_TYPES(STREAMCORE_UNARY, trunc, f_trunc)
STREAMCORE_SIGNED_TYPES(STREAMCORE_UNARY, sign, f_sign)
STREAMCORE_FLOAT_TYPES(STREAMCORE_UNARY, recip, f_recip)
STREAMCORE_FLOAT_TYPES(STREAMCORE_UNARY, rsqrt, f_rsqrt)
STREAMCORE_INT_TYPES(STREAMCORE_UNARY, not, b_not)
STREAMCORE_INT_TYPES(STREAMCORE_UNARY, popcount, b_popcount)
STREAMCORE_FLOAT_TYPES(STREAMCORE_BINARY, pow, f_pow)
STREAMCORE_FLOAT_TYPES(STREAMCORE_BINARY, atan2, f_atan2)
STREAMCORE_FLOAT_TYPES(STREAMCORE_BINARY, hypot, f_hypot)
STREAMCORE_INT_TYPES(STREAMCORE_BINARY, bitand, b_and)
STREAMCORE_INT_TYPES(STREAMCORE_BINARY, bitor, b_or)
STREAMCORE_INT_TYPES(STREAMCORE_BINARY, bitxor, b_xor)
STREAMCORE_INT_TYPES(STREAMCORE_BINARY, shl, b_shl)
STREAMCORE_INT_TYPES(STREAMCORE_BINARY, shr, b_shr)
