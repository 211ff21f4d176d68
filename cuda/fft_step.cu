// fft_step: templates only; src/backend/cuda/fft.rs appends, per (L, COLS, threads, type), a
// kernel fft_step_L_COLS_NT_c32|c64 naming the radix passes of L as template arguments, so
// that every loop bound, stride and shift is a constant.
//
// A length-n transform runs as a few big-radix Stockham steps (one step when n fits a block).
// Step (L, l) over [outer, n, inner] with t = n / L: column (o, j, i) reads x[j + s t]
// (s < L), multiplies input s by w_{lL}^{s k} (k = j mod l), transforms, and writes output m at
// (j - k) L + k + m l: the Stockham pass with radix L. The roots w_{lL}^e come from a two-level
// table, roots[e & mask] * roots[B + (e >> shift)] with B = 1 << shift, both halves made in f64.
// The COLS columns of one block differ in i (mode 1: inner % COLS == 0), in j (mode 2:
// inner == 1, t % COLS == 0) or in o (mode 0: inner == 1, t == 1), so loads and stores run
// along the contiguous index.

template <typename C> __device__ __forceinline__ C conj_if(C a, bool c) { if (c) a.y = -a.y; return a; }

struct FftStepDims {
    u64 outer;
    u64 groups;
    u64 inner;
    unsigned n, t, l, shift, mode, inverse, pad;
    double scale;
};

template <typename C, typename F> __device__ __forceinline__ C cscale(C a, F s) {
    a.x *= s;
    a.y *= s;
    return a;
}
// v times -i (forward) or +i (inverse).
template <bool INV, typename C> __device__ __forceinline__ C mul_mi(C v) {
    C r;
    r.x = INV ? -v.y : v.y;
    r.y = INV ? v.x : -v.x;
    return r;
}
template <typename C> __device__ __forceinline__ C csub(C a, C b) {
    a.x -= b.x;
    a.y -= b.y;
    return a;
}

// In-place R-point DFTs: 2, 4 and 8 with their constants written out, 3, 5 and 7 with the
// roots from the table (rt: forward roots of unity, conjugated for the inverse).
template <typename C, int R, bool INV> struct Dft {
    static __device__ __forceinline__ void run(C* u, const C* rt) {
        C y[R];
#pragma unroll
        for (int m = 0; m < R; ++m) {
            C acc = u[0];
#pragma unroll
            for (int s = 1; s < R; ++s) {
                int q = (m * s) % R;
                acc = cadd(acc, q == 0 ? u[s] : cmul(u[s], conj_if(rt[q], INV)));
            }
            y[m] = acc;
        }
#pragma unroll
        for (int m = 0; m < R; ++m) u[m] = y[m];
    }
};
template <typename C, bool INV> struct Dft<C, 2, INV> {
    static __device__ __forceinline__ void run(C* u, const C*) {
        C a = u[0];
        u[0] = cadd(a, u[1]);
        u[1] = csub(a, u[1]);
    }
};
template <typename C, bool INV> __device__ __forceinline__ void dft4(C& u0, C& u1, C& u2, C& u3) {
    C a0 = cadd(u0, u2), a1 = csub(u0, u2), a2 = cadd(u1, u3), a3 = mul_mi<INV>(csub(u1, u3));
    u0 = cadd(a0, a2);
    u1 = cadd(a1, a3);
    u2 = csub(a0, a2);
    u3 = csub(a1, a3);
}
template <typename C, bool INV> struct Dft<C, 4, INV> {
    static __device__ __forceinline__ void run(C* u, const C*) { dft4<C, INV>(u[0], u[1], u[2], u[3]); }
};
template <typename C, bool INV> struct Dft<C, 8, INV> {
    static __device__ __forceinline__ void run(C* u, const C*) {
        typedef decltype(u[0].x) F;
        const F h = (F)0.70710678118654752440;
        C e0 = u[0], e1 = u[2], e2 = u[4], e3 = u[6];
        C o0 = u[1], o1 = u[3], o2 = u[5], o3 = u[7];
        dft4<C, INV>(e0, e1, e2, e3);
        dft4<C, INV>(o0, o1, o2, o3);
        // o1 *= w8^1, o2 *= w8^2 = -i, o3 *= w8^3 (conjugates for the inverse).
        C t1, t3;
        if (INV) {
            t1.x = h * (o1.x - o1.y); t1.y = h * (o1.x + o1.y);
            t3.x = -h * (o3.x + o3.y); t3.y = h * (o3.x - o3.y);
        } else {
            t1.x = h * (o1.x + o1.y); t1.y = h * (o1.y - o1.x);
            t3.x = h * (o3.y - o3.x); t3.y = -h * (o3.x + o3.y);
        }
        C t2 = mul_mi<INV>(o2);
        u[0] = cadd(e0, o0); u[4] = csub(e0, o0);
        u[1] = cadd(e1, t1); u[5] = csub(e1, t1);
        u[2] = cadd(e2, t2); u[6] = csub(e2, t2);
        u[3] = cadd(e3, t3); u[7] = csub(e3, t3);
    }
};

// Element i of a column sits at pad(i): one gap every 8 elements, so that the strided side
// of each pass (stride R) spreads over the banks instead of hitting one.
__device__ __host__ constexpr unsigned pad(unsigned i) { return i + (i >> 3); }
// Columns sit LP = pad(L) rounded up to odd apart (the loads and stores that run along
// the columns then spread over the banks too).
__device__ __host__ constexpr unsigned col_stride(unsigned len) { return pad(len) | 1u; }

// One radix-R pass over sub-transforms of LI inside every column of the block (length L,
// columns LP apart); all butterflies go to registers, then after a barrier to their places.
template <typename C, int R, unsigned L, unsigned LI, unsigned COLS, unsigned LP, unsigned NT, bool INV>
__device__ __forceinline__ void sub_pass(C* sh, const C* tw, const C* rt) {
    constexpr unsigned T = L / R, B = COLS * T, NB = (B + NT - 1) / NT;
    C ys[NB][R];
#pragma unroll
    for (unsigned q = 0; q < NB; ++q) {
        unsigned b = threadIdx.x + q * NT;
        if (B % NT == 0 || b < B) {
            unsigned c = b / T, jj = b % T, k = jj % LI;
            const C* col = sh + c * LP;
            C u[R];
#pragma unroll
            for (int s = 0; s < R; ++s) u[s] = col[pad(jj + s * T)];
            if (LI > 1) {
#pragma unroll
                for (int s = 1; s < R; ++s) u[s] = cmul(u[s], conj_if(tw[k * (R - 1) + s - 1], INV));
            }
            Dft<C, R, INV>::run(u, rt);
#pragma unroll
            for (int m = 0; m < R; ++m) ys[q][m] = u[m];
        }
    }
    __syncthreads();
#pragma unroll
    for (unsigned q = 0; q < NB; ++q) {
        unsigned b = threadIdx.x + q * NT;
        if (B % NT == 0 || b < B) {
            unsigned c = b / T, jj = b % T, k = jj % LI;
            C* col = sh + c * LP;
            const unsigned at = (jj - k) * R + k;
#pragma unroll
            for (int m = 0; m < R; ++m) col[pad(at + m * LI)] = ys[q][m];
        }
    }
    __syncthreads();
}

// Element q of this thread's share of the block's COLS x L elements: its column c and its
// index s in the column, running along c (c_fast) or along s; false past the last column.
template <unsigned COLS, unsigned L, unsigned NT>
__device__ __forceinline__ bool slot(unsigned q, bool c_fast, unsigned ncols, unsigned& c,
                                     unsigned& s) {
    unsigned e = threadIdx.x + q * NT;
    c = c_fast ? e % COLS : e / L;
    s = c_fast ? e / COLS : e % L;
    return ((COLS * L) % NT == 0 || e < COLS * L) && c < ncols;
}

// Offsets inside one launch's arrays: 32-bit unless they hold 2^32 elements or more.
template <bool WIDE> struct Offset { typedef unsigned T; };
template <> struct Offset<true> { typedef u64 T; };

// One step of NT threads; SUB::run<INV>(sh, table) runs the radix passes of L (generated).
// The COLS padded columns live in dynamic shared memory (the launch gives COLS * LP
// elements; above 48 KiB the backend raises the kernel's limit first). WIDE: the arrays hold
// 2^32 elements or more, and offsets are 64-bit.
template <typename C, unsigned L, unsigned COLS, unsigned NT, bool WIDE, bool INV, typename SUB>
__device__ __forceinline__ void fft_step(const C* __restrict__ src, C* __restrict__ dst,
                                         const C* __restrict__ sub, const C* __restrict__ roots,
                                         const FftStepDims& d) {
    typedef typename Offset<WIDE>::T I;
    constexpr unsigned LP = col_stride(L);
    extern __shared__ __align__(16) unsigned char fft_shared[];
    C* sh = reinterpret_cast<C*>(fft_shared);
    u64 g = blockIdx.x + (u64)blockIdx.y * gridDim.x;
    if (g >= d.groups) return;
    const unsigned n = d.n, t = d.t, l = d.l;
    const I inner = (I)d.inner;
    u64 o;
    unsigned j0 = 0, ncols = COLS, jc = 0, ic = 0;  // jc, ic: 1 when j, i grow with c
    u64 i0 = 0;
    if (d.mode == 1) {
        u64 per = d.inner / COLS, rest = g / per;
        i0 = (g % per) * COLS;
        j0 = (unsigned)(rest % t);
        o = rest / t;
        ic = 1;
    } else if (d.mode == 2) {
        u64 per = t / COLS;
        j0 = (unsigned)(g % per) * COLS;
        o = g / per;
        jc = 1;
    } else {
        o = g * COLS;
        ncols = (unsigned)min((u64)COLS, d.outer - o);
    }
    // Everything below is an offset from this block's corner: column c's element s is at
    // c * n (mode 0: rows of length n, inner == 1) or (jc c + s t) inner + ic c.
    const u64 base = o * ((u64)n * d.inner) + i0;
    const C* in = src + base + (u64)j0 * d.inner;
    C* out = dst + base;
    const bool c_fast_in = d.mode != 0;
    const unsigned mask = (1u << d.shift) - 1u, hi = 1u << d.shift;
    // k = j mod l for column c's j = j0 + jc c, with one division per thread: the columns of a
    // block are consecutive j (or one j), COLS <= l or l == 1 covers every power-of-two plan.
    const unsigned k0 = j0 % l;
    auto kof = [&](unsigned c) -> unsigned {
        if (l == 1) return 0;
        if (l < COLS) return (j0 + jc * c) % l;
        unsigned k = k0 + jc * c;
        return k >= l ? k - l : k;
    };
    // All of a thread's loads are issued before any is used, so that enough bytes are in
    // flight to cover the memory's latency (a load-use loop left the H100 at 45% of copy).
    constexpr unsigned PER = (COLS * L + NT - 1) / NT;
    C v[PER];
    unsigned c, s;
#pragma unroll
    for (unsigned q = 0; q < PER; ++q) {
        if (slot<COLS, L, NT>(q, c_fast_in, ncols, c, s)) {
            I at = d.mode == 0 ? (I)c * n + s : ((I)(jc * c) + (I)s * t) * inner + ic * c;
            v[q] = in[at];
        }
    }
#pragma unroll
    for (unsigned q = 0; q < PER; ++q) {
        if (slot<COLS, L, NT>(q, c_fast_in, ncols, c, s)) {
            C x = v[q];
            if (l > 1) {
                unsigned ex = s * kof(c);
                x = cmul(x, conj_if(cmul(roots[ex & mask], roots[hi + (ex >> d.shift)]), INV));
            }
            sh[c * LP + pad(s)] = x;
        }
    }
    __syncthreads();
    SUB::template run<INV>(sh, sub);
    // Outputs run along m where l == 1 and the columns are j or o; else along the columns.
    const bool c_fast_out = d.mode == 1 || (d.mode == 2 && l > 1);
    const auto scale = (decltype(sh[0].x))d.scale;
#pragma unroll
    for (unsigned q = 0; q < PER; ++q) {
        if (slot<COLS, L, NT>(q, c_fast_out, ncols, c, s)) {
            unsigned j = j0 + jc * c, k = kof(c);
            I at = d.mode == 0 ? (I)c * n + s
                               : ((I)(j - k) * L + k + (I)s * l) * inner + ic * c;
            out[at] = cscale(sh[c * LP + pad(s)], scale);
        }
    }
}
