// shape: the strided copy behind permute, slice, broadcast_to, concatenate and stack.
// For output-space element g (row-major over `shape`), dst[dst_offset + sum(i_d * dst_stride_d)]
// = src[src_offset + sum(i_d * src_stride_d)]; strides may be negative or 0.
// Specialised by src/backend/wgpu/shape.rs: ENABLE and ELEM (a type of the element's size).
{{ENABLE}}

struct Params {
    count: u32,
    rank: u32,
    src_offset: u32,
    dst_offset: u32,
    shape: array<vec4<u32>, 2>,
    src_strides: array<vec4<i32>, 2>,
    dst_strides: array<vec4<i32>, 2>,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<{{ELEM}}>;
@group(0) @binding(2) var<storage, read_write> dst: array<{{ELEM}}>;

@compute @workgroup_size(256)
fn main(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let g = (wid.y * nwg.x + wid.x) * 256u + lid;
    if (g >= p.count) {
        return;
    }
    var rem = g;
    var s = i32(p.src_offset);
    var d = i32(p.dst_offset);
    for (var k = 0u; k < p.rank; k++) {
        let ax = p.rank - 1u - k;
        let n = p.shape[ax / 4u][ax % 4u];
        let i = i32(rem % n);
        rem = rem / n;
        s += i * p.src_strides[ax / 4u][ax % 4u];
        d += i * p.dst_strides[ax / 4u][ax % 4u];
    }
    dst[u32(d)] = src[u32(s)];
}
