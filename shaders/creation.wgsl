// creation: fill a buffer with a repeating pattern, and linear ramps (arange, linspace).
// Specialised by src/backend/wgpu/creation.rs: ENABLE (extensions), ELEM (the
// storage type), CALC (the type a ramp is computed in) and STORE (CALC -> ELEM).
// Each `// @kernel NAME` section is compiled on its own, after the lines above the first one.
// Every kernel covers one chunk of at most the device's binding size: `count` items, the
// first of which is item `first` of the whole array.
{{ENABLE}}

fn global_index(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
    return (wid.y * nwg.x + wid.x) * 256u + lid;
}

// @kernel fill
// Word i of the chunk gets pattern[i % period]. Elements of 2, 4, 8 and 16 bytes all tile a
// 16-byte pattern, and chunks start at multiples of 256 bytes, so one u32 kernel fills every
// dtype, f16 and f64 included, without needing either shader feature.
struct FillParams {
    count: u32,
    period: u32,
    _pad0: u32,
    _pad1: u32,
    pattern: vec4<u32>,
}

@group(0) @binding(0) var<storage, read_write> words: array<u32>;
@group(0) @binding(1) var<uniform> fp: FillParams;

@compute @workgroup_size(256)
fn fill(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = global_index(wid, nwg, lid);
    if (i < fp.count) {
        words[i] = fp.pattern[i % fp.period];
    }
}

// @kernel ramp
// out[first + i] = start + (first + i) * step, computed in CALC and stored as ELEM; with
// has_last set, the array's final element is exactly `last` (linspace's endpoint). Integer
// ramps wrap, as integer arithmetic does everywhere in streamcore.
struct RampParams {
    count: u32,
    first: u32,
    has_last: u32,
    total: u32,
    start: {{CALC}},
    step: {{CALC}},
    last: {{CALC}},
}

@group(0) @binding(0) var<storage, read_write> out: array<{{ELEM}}>;
@group(0) @binding(1) var<uniform> rp: RampParams;

@compute @workgroup_size(256)
fn ramp(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = global_index(wid, nwg, lid);
    if (i >= rp.count) {
        return;
    }
    let g = rp.first + i;
    var v: {{CALC}} = rp.start + {{CALC}}(g) * rp.step;
    if (rp.has_last != 0u && g + 1u == rp.total) {
        v = rp.last;
    }
    out[i] = {{STORE}};
}
