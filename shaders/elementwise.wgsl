// elementwise: out[i] = EXPR(x, y, z) with NumPy broadcasting, for unary, binary and ternary
// ops, comparisons (u32 masks), casts and complex parts.
// Specialised by src/backend/wgpu/elementwise.rs: ENABLE, OUT (storage type of the output),
// INPUTS (bindings 2, 3, 4 with their storage types), HELPERS, LOADS (x, y, z in their
// computation types: f32 for f16) and EXPR.
// Each dispatch covers `count` output elements starting at element `first` of the whole
// array. An input with the output's shape is bound at the same offset and read at `i`; a
// broadcast input is bound whole and read at its offset for global element `g`, computed from
// the merged shape and its strides (0 along broadcast axes).
{{ENABLE}}

struct Params {
    count: u32,
    first: u32,
    rank: u32,
    _pad: u32,
    shape: array<vec4<u32>, 2>,
    stride0: array<vec4<u32>, 2>,
    stride1: array<vec4<u32>, 2>,
    stride2: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<storage, read_write> out: array<{{OUT}}>;
@group(0) @binding(1) var<uniform> p: Params;
{{INPUTS}}

fn at(v: array<vec4<u32>, 2>, d: u32) -> u32 {
    return v[d / 4u][d % 4u];
}

// The offset of global output element g in an input with these strides.
fn offset(g: u32, strides: array<vec4<u32>, 2>) -> u32 {
    var rem = g;
    var off = 0u;
    for (var k = 0u; k < p.rank; k++) {
        let d = p.rank - 1u - k;
        let e = at(p.shape, d);
        off += (rem % e) * at(strides, d);
        rem = rem / e;
    }
    return off;
}

{{HELPERS}}

@compute @workgroup_size(256)
fn main(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = (wid.y * nwg.x + wid.x) * 256u + lid;
    if (i >= p.count) {
        return;
    }
    let g = p.first + i;
    {{LOADS}}
    out[i] = {{OUT}}({{EXPR}});
}
