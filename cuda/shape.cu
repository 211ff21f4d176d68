// shape: the strided copy behind permute, slice, broadcast_to, concatenate and stack; the
// CUDA twin of shaders/shape.wgsl. For output-space element g (row-major over shape),
// dst[dst_offset + sum(i_d * dst_strides[d])] = src[src_offset + sum(i_d * src_strides[d])].
// One kernel per element size: copy_2, copy_4, copy_8, copy_16.

typedef long long i64;

struct CopyLayout {
    unsigned int rank;
    unsigned int _pad;
    u64 src_offset;
    u64 dst_offset;
    u64 shape[8];
    i64 src_strides[8];
    i64 dst_strides[8];
};

struct b16 { u64 lo, hi; };

template <typename T>
__device__ __forceinline__ void copy_strided(T* dst, const T* src, u64 n, const CopyLayout& l) {
    for (u64 g = blockIdx.x * (u64)blockDim.x + threadIdx.x; g < n; g += (u64)gridDim.x * blockDim.x) {
        u64 rem = g;
        i64 s = (i64)l.src_offset, d = (i64)l.dst_offset;
        for (int ax = (int)l.rank - 1; ax >= 0; --ax) {
            i64 i = (i64)(rem % l.shape[ax]);
            rem /= l.shape[ax];
            s += i * l.src_strides[ax];
            d += i * l.dst_strides[ax];
        }
        dst[d] = src[s];
    }
}

extern "C" __global__ void copy_2(unsigned short* dst, const unsigned short* src, u64 n, CopyLayout l) { copy_strided(dst, src, n, l); }
extern "C" __global__ void copy_4(unsigned int* dst, const unsigned int* src, u64 n, CopyLayout l) { copy_strided(dst, src, n, l); }
extern "C" __global__ void copy_8(u64* dst, const u64* src, u64 n, CopyLayout l) { copy_strided(dst, src, n, l); }
extern "C" __global__ void copy_16(b16* dst, const b16* src, u64 n, CopyLayout l) { copy_strided(dst, src, n, l); }
