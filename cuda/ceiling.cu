// ceiling: kernels that measure the device's own limits for Device::ceilings; the CUDA twins
// of shaders/ceiling.wgsl. ceiling_copy: dst = src in 16-byte words (grid-stride).
// ceiling_fma: every thread runs 8 independent chains of `rounds` fused multiply-adds
// (x = x * a + b) and stores their sum, so that no chain is dead code.

extern "C" __global__ void ceiling_copy(uint4* dst, const uint4* src, u64 count) {
    for (u64 i = blockIdx.x * (u64)blockDim.x + threadIdx.x; i < count;
         i += (u64)gridDim.x * blockDim.x) {
        dst[i] = src[i];
    }
}

extern "C" __global__ void ceiling_fma(float* out, u64 count, unsigned rounds, float a, float b) {
    for (u64 i = blockIdx.x * (u64)blockDim.x + threadIdx.x; i < count;
         i += (u64)gridDim.x * blockDim.x) {
        float x = (float)(i & 1023u) * 1e-3f;
        float c[8];
#pragma unroll
        for (int k = 0; k < 8; ++k) c[k] = x + 0.125f * k;
        // rounds is a multiple of 4: four rounds per trip keep the loop's counter small
        // beside 32 fmas.
#pragma unroll 4
        for (unsigned r = 0; r < rounds; ++r) {
#pragma unroll
            for (int k = 0; k < 8; ++k) c[k] = __fmaf_rn(c[k], a, b);
        }
        out[i] = ((c[0] + c[1]) + (c[2] + c[3])) + ((c[4] + c[5]) + (c[6] + c[7]));
    }
}
