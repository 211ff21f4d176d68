// elementwise: out[i] = op(a, b) or op(a) with NumPy broadcasting. The CUDA twin of
// shaders/elementwise.wgsl, with the same semantics as the CPU backend: integers wrap, integer
// division truncates and gives 0 for a zero divisor, float min/max propagate NaN, f16 is
// computed in f32 (the f16 conversions and complex types come from cuda/common.cuh). One kernel per op and dtype, named OP_DTYPE (add_f32, neg_i32, ...).

// Output element g (row-major over shape) reads input k at sum(index_d(g) * stride_k[d]);
// bit k of `contiguous` says input k has the output's shape and is read at g itself, and bit
// 8 + k that input k is a single element (every stride 0), read at 0.
struct Layout {
    unsigned int rank;
    unsigned int contiguous;
    u64 shape[8];
    u64 stride0[8];
    u64 stride1[8];
    u64 stride2[8];
};

// Input k of output element i: at i itself, at 0 (a single element), or at its offset.
#define STREAMCORE_AT(K, STRIDE) \
    ((l.contiguous & (1u << K)) ? i : (l.contiguous & (256u << K)) ? 0 : offset(i, l, l.STRIDE))

__device__ __forceinline__ u64 offset(u64 g, const Layout& l, const u64* stride) {
    u64 off = 0;
    for (int d = (int)l.rank - 1; d >= 0; --d) {
        off += (g % l.shape[d]) * stride[d];
        g /= l.shape[d];
    }
    return off;
}

// ---- element types: storage S, computed as C
__device__ __forceinline__ float to_calc(h16 x) { return lift(x); }
__device__ __forceinline__ h16 from_calc(float x, h16) { return to_h16(x); }
template <typename T> __device__ __forceinline__ T to_calc(T x) { return x; }
template <typename T> __device__ __forceinline__ T from_calc(T x, T) { return x; }
// The computation type of a storage type.
template <typename S> struct Calc { typedef S T; };
template <> struct Calc<h16> { typedef float T; };

// ---- arithmetic, overloaded per computation type
template <typename T> __device__ __forceinline__ T add(T a, T b) { return a + b; }
template <typename T> __device__ __forceinline__ T sub(T a, T b) { return a - b; }
template <typename T> __device__ __forceinline__ T mul(T a, T b) { return a * b; }
template <typename T> __device__ __forceinline__ T dvd(T a, T b) { return a / b; }
template <typename T> __device__ __forceinline__ T neg(T a) { return -a; }
// NaN wins; ties (-0 against 0) give the second operand, as in NumPy.
template <typename T> __device__ __forceinline__ T mn(T a, T b) {
    return (a != a || b != b) ? a + b : (a < b ? a : b);
}
template <typename T> __device__ __forceinline__ T mx(T a, T b) {
    return (a != a || b != b) ? a + b : (a > b ? a : b);
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
            S x = a[STREAMCORE_AT(0, stride0)];                                                \
            S y = b[STREAMCORE_AT(1, stride1)];                                                \
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

// ---- remainder with the divisor's sign (NumPy), log1p, expm1, conjugate
__device__ __forceinline__ float f_rem(float x, float y) {
    float r = fmodf(x, y);
    return r == 0.0f ? copysignf(0.0f, y) : ((r < 0.0f) != (y < 0.0f) ? r + y : r);
}
__device__ __forceinline__ double f_rem(double x, double y) {
    double r = fmod(x, y);
    return r == 0.0 ? copysign(0.0, y) : ((r < 0.0) != (y < 0.0) ? r + y : r);
}
__device__ __forceinline__ int f_rem(int x, int y) {
    if (y == 0) return 0;
    int r = (y == -1) ? 0 : x % y;
    return (r != 0 && ((r < 0) != (y < 0))) ? r + y : r;
}
__device__ __forceinline__ unsigned f_rem(unsigned x, unsigned y) { return y == 0u ? 0u : x % y; }
__device__ __forceinline__ float f_log1p(float x) { return log1pf(x); }
__device__ __forceinline__ double f_log1p(double x) { return log1p(x); }
__device__ __forceinline__ float f_expm1(float x) { return expm1f(x); }
__device__ __forceinline__ double f_expm1(double x) { return expm1(x); }
template <typename V> __device__ __forceinline__ V f_conj(V a) { V r; r.x = a.x; r.y = -a.y; return r; }

STREAMCORE_REAL_TYPES(STREAMCORE_BINARY, rem, f_rem)
STREAMCORE_FLOAT_TYPES(STREAMCORE_UNARY, log1p, f_log1p)
STREAMCORE_FLOAT_TYPES(STREAMCORE_UNARY, expm1, f_expm1)
STREAMCORE_UNARY(conj_c32, float2, f_conj)
STREAMCORE_UNARY(conj_c64, double2, f_conj)

// ---- comparisons: a u32 mask. C++ comparisons are IEEE: false with NaN, except !=.
#define STREAMCORE_COMPARE(NAME, S, OP)                                                       \
    extern "C" __global__ void NAME(unsigned* out, const S* a, const S* b, u64 n, Layout l) { \
        STREAMCORE_GRID_LOOP(n) {                                                             \
            out[i] = (to_calc(a[STREAMCORE_AT(0, stride0)]) OP to_calc(b[STREAMCORE_AT(1, stride1)])) ? 1u : 0u; \
        }                                                                                     \
    }
#define STREAMCORE_COMPARE_ALL(NAME, OP)                                                       \
    STREAMCORE_REAL_TYPES(STREAMCORE_COMPARE, NAME, OP)
STREAMCORE_COMPARE_ALL(eq, ==)
STREAMCORE_COMPARE_ALL(ne, !=)
STREAMCORE_COMPARE_ALL(lt, <)
STREAMCORE_COMPARE_ALL(le, <=)
STREAMCORE_COMPARE_ALL(gt, >)
STREAMCORE_COMPARE_ALL(ge, >=)
#define STREAMCORE_COMPARE_COMPLEX(NAME, S, EXPR)                                             \
    extern "C" __global__ void NAME(unsigned* out, const S* a, const S* b, u64 n, Layout l) { \
        STREAMCORE_GRID_LOOP(n) {                                                             \
            S x = a[STREAMCORE_AT(0, stride0)];                                               \
            S y = b[STREAMCORE_AT(1, stride1)];                                               \
            out[i] = (EXPR) ? 1u : 0u;                                                        \
        }                                                                                     \
    }
STREAMCORE_COMPARE_COMPLEX(eq_c32, float2, x.x == y.x && x.y == y.y)
STREAMCORE_COMPARE_COMPLEX(eq_c64, double2, x.x == y.x && x.y == y.y)
STREAMCORE_COMPARE_COMPLEX(ne_c32, float2, x.x != y.x || x.y != y.y)
STREAMCORE_COMPARE_COMPLEX(ne_c64, double2, x.x != y.x || x.y != y.y)

// ---- where, fma, clip: three operands
#define STREAMCORE_TERNARY(NAME, S, M, EXPR)                                                  \
    extern "C" __global__ void NAME(S* out, const M* a, const S* b, const S* c, u64 n, Layout l) { \
        STREAMCORE_GRID_LOOP(n) {                                                             \
            M xm = a[STREAMCORE_AT(0, stride0)];                                              \
            S ys = b[STREAMCORE_AT(1, stride1)];                                              \
            S zs = c[STREAMCORE_AT(2, stride2)];                                              \
            out[i] = EXPR;                                                                    \
        }                                                                                     \
    }
#define WHERE_EXPR (xm != 0u ? ys : zs)
#define STREAMCORE_WHERE(NAME, S, _) STREAMCORE_TERNARY(NAME, S, unsigned, WHERE_EXPR)
STREAMCORE_ALL_TYPES(STREAMCORE_WHERE, where, _)

__device__ __forceinline__ float f_fma(float a, float b, float c) { return fmaf(a, b, c); }
__device__ __forceinline__ double f_fma(double a, double b, double c) { return fma(a, b, c); }
__device__ __forceinline__ int f_fma(int a, int b, int c) { return add(mul(a, b), c); }
__device__ __forceinline__ unsigned f_fma(unsigned a, unsigned b, unsigned c) { return a * b + c; }
__device__ __forceinline__ float2 f_fma(float2 a, float2 b, float2 c) { return add(mul(a, b), c); }
__device__ __forceinline__ double2 f_fma(double2 a, double2 b, double2 c) { return add(mul(a, b), c); }
#define FMA_EXPR from_calc(f_fma(to_calc(xm), to_calc(ys), to_calc(zs)), ys)
#define STREAMCORE_FMA(NAME, S, _) STREAMCORE_TERNARY(NAME, S, S, FMA_EXPR)
STREAMCORE_ALL_TYPES(STREAMCORE_FMA, fma, _)
#define CLIP_EXPR from_calc(mn(mx(to_calc(xm), to_calc(ys)), to_calc(zs)), ys)
#define STREAMCORE_CLIP(NAME, S, _) STREAMCORE_TERNARY(NAME, S, S, CLIP_EXPR)
STREAMCORE_REAL_TYPES(STREAMCORE_CLIP, clip, _)

// ---- complex parts
#define STREAMCORE_PART(NAME, S, R, EXPR)                                                     \
    extern "C" __global__ void NAME(R* out, const S* a, u64 n, Layout l) {                    \
        STREAMCORE_GRID_LOOP(n) {                                                             \
            S x = a[STREAMCORE_AT(0, stride0)];                                               \
            out[i] = EXPR;                                                                    \
        }                                                                                     \
    }
STREAMCORE_PART(real_c32, float2, float, x.x)
STREAMCORE_PART(real_c64, double2, double, x.x)
STREAMCORE_PART(imag_c32, float2, float, x.y)
STREAMCORE_PART(imag_c64, double2, double, x.y)
STREAMCORE_PART(cabs_c32, float2, float, hypotf(x.x, x.y))
STREAMCORE_PART(cabs_c64, double2, double, hypot(x.x, x.y))
STREAMCORE_PART(arg_c32, float2, float, atan2f(x.y, x.x))
STREAMCORE_PART(arg_c64, double2, double, atan2(x.y, x.x))

// ---- casts, with Array::cast's rules: float -> int truncates and saturates, NaN gives 0;
// i32 <-> u32 keep the bits; complex -> real keeps the real part; real -> complex has
// imaginary part 0. The cvt.rzi instructions saturate, but on an H100 f64 NaN -> s32 gave
// INT_MIN, not 0: NaN is caught explicitly for every pair.
template <typename I, typename O> __device__ __forceinline__ void cv(I x, O& o) { o = (O)x; }
__device__ __forceinline__ void cv(float x, int& o) { o = x != x ? 0 : __float2int_rz(x); }
__device__ __forceinline__ void cv(float x, unsigned& o) { o = x != x ? 0u : __float2uint_rz(x); }
__device__ __forceinline__ void cv(double x, int& o) { o = x != x ? 0 : __double2int_rz(x); }
__device__ __forceinline__ void cv(double x, unsigned& o) {
    o = x != x ? 0u : __double2uint_rz(x);
}
#define STREAMCORE_CV_COMPLEX(V, R)                                                            \
    __device__ __forceinline__ void cv(V x, float& o) { o = (float)x.x; }                     \
    __device__ __forceinline__ void cv(V x, double& o) { o = (double)x.x; }                   \
    __device__ __forceinline__ void cv(V x, int& o) { cv(x.x, o); }                           \
    __device__ __forceinline__ void cv(V x, unsigned& o) { cv(x.x, o); }                      \
    __device__ __forceinline__ void cv(V x, float2& o) { o.x = (float)x.x; o.y = (float)x.y; } \
    __device__ __forceinline__ void cv(V x, double2& o) { o.x = (double)x.x; o.y = (double)x.y; }
STREAMCORE_CV_COMPLEX(float2, float)
STREAMCORE_CV_COMPLEX(double2, double)
#define STREAMCORE_CV_TO_COMPLEX(T)                                                            \
    __device__ __forceinline__ void cv(T x, float2& o) { o.x = (float)x; o.y = 0.0f; }        \
    __device__ __forceinline__ void cv(T x, double2& o) { o.x = (double)x; o.y = 0.0; }
STREAMCORE_CV_TO_COMPLEX(float)
STREAMCORE_CV_TO_COMPLEX(double)
STREAMCORE_CV_TO_COMPLEX(int)
STREAMCORE_CV_TO_COMPLEX(unsigned)
// f64 -> f16 in one rounding (through f32 it would round twice).
__device__ __forceinline__ h16 store_as(double x, h16) {
    h16 r;
    asm("cvt.rn.f16.f64 %0, %1;" : "=h"(r.bits) : "d"(x));
    return r;
}
template <typename C> __device__ __forceinline__ h16 store_as(C x, h16) {
    float f; cv(x, f); return from_calc(f, h16());
}
template <typename C, typename O> __device__ __forceinline__ O store_as(C x, O) {
    O o; cv(x, o); return o;
}

#define STREAMCORE_CAST(NAME, S, O)                                                           \
    extern "C" __global__ void NAME(O* out, const S* a, u64 n, Layout l) {                    \
        STREAMCORE_GRID_LOOP(n) {                                                             \
            out[i] = store_as(to_calc(a[STREAMCORE_AT(0, stride0)]), O());                    \
        }                                                                                     \
    }
#define STREAMCORE_CAST_FROM(S, SN)                                                            \
    STREAMCORE_CAST(cast_f16_##SN, S, h16) STREAMCORE_CAST(cast_f32_##SN, S, float)           \
    STREAMCORE_CAST(cast_f64_##SN, S, double) STREAMCORE_CAST(cast_i32_##SN, S, int)          \
    STREAMCORE_CAST(cast_u32_##SN, S, unsigned) STREAMCORE_CAST(cast_c32_##SN, S, float2)     \
    STREAMCORE_CAST(cast_c64_##SN, S, double2)
STREAMCORE_CAST_FROM(h16, f16)
STREAMCORE_CAST_FROM(float, f32)
STREAMCORE_CAST_FROM(double, f64)
STREAMCORE_CAST_FROM(int, i32)
STREAMCORE_CAST_FROM(unsigned, u32)
STREAMCORE_CAST_FROM(float2, c32)
STREAMCORE_CAST_FROM(double2, c64)
