// matmul: out[b] = a[b] @ rhs[b] for row-major [m, k] and [k, n] matrices, the right one shared
// by every product when b_stride is 0. One workgroup of 16 x 16 threads computes a 64 x 64
// tile of one product; each thread owns 4 x 4 outputs spaced 16 apart (so that shared-memory
// reads are conflict-free and stores coalesce). The k axis advances TK at a time through
// shared tiles, A stored transposed. Positions past the matrix edges load as 0.
// Specialised by src/backend/wgpu/matmul.rs: ENABLE, IN (storage type), ACC (the type summed
// in: f32 for f16), OUT (= IN), TK (16, or 8 for 16-byte types), MAD (acc + x * y).
{{ENABLE}}

struct Params {
    batch: u32,
    m: u32,
    k: u32,
    n: u32,
    tiles_m: u32,
    tiles_n: u32,
    b_stride: u32,
    _pad: u32,
}

const TK: u32 = {{TK}}u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<{{IN}}>;
@group(0) @binding(2) var<storage, read> b: array<{{IN}}>;
@group(0) @binding(3) var<storage, read_write> out: array<{{OUT}}>;

var<workgroup> sa: array<{{ACC}}, {{TK}} * 64>;
var<workgroup> sb: array<{{ACC}}, {{TK}} * 64>;

fn mad(acc: {{ACC}}, x: {{ACC}}, y: {{ACC}}) -> {{ACC}} {
    return {{MAD}};
}

@compute @workgroup_size(256)
fn main(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let w = wid.y * nwg.x + wid.x;
    let per = p.tiles_m * p.tiles_n;
    if (w >= p.batch * per) {
        return;
    }
    let bi = w / per;
    let row0 = (w % per) / p.tiles_n * 64u;
    let col0 = (w % per) % p.tiles_n * 64u;
    let tx = lid % 16u;
    let ty = lid / 16u;
    let a_base = bi * p.m * p.k;
    let b_base = bi * p.b_stride;
    var acc: array<{{ACC}}, 16>;
    for (var k0 = 0u; k0 < p.k; k0 += TK) {
        for (var e = lid; e < 64u * TK; e += 256u) {
            let r = row0 + e / TK;
            let c = k0 + e % TK;
            var v = {{ACC}}();
            if (r < p.m && c < p.k) {
                v = {{ACC}}(a[a_base + r * p.k + c]);
            }
            sa[(e % TK) * 64u + e / TK] = v;
        }
        for (var e = lid; e < 64u * TK; e += 256u) {
            let r = k0 + e / 64u;
            let c = col0 + e % 64u;
            var v = {{ACC}}();
            if (r < p.k && c < p.n) {
                v = {{ACC}}(b[b_base + r * p.n + c]);
            }
            sb[e] = v;
        }
        workgroupBarrier();
        for (var kk = 0u; kk < TK; kk++) {
            var av: array<{{ACC}}, 4>;
            var bv: array<{{ACC}}, 4>;
            for (var i = 0u; i < 4u; i++) {
                av[i] = sa[kk * 64u + ty + 16u * i];
                bv[i] = sb[kk * 64u + tx + 16u * i];
            }
            for (var i = 0u; i < 4u; i++) {
                for (var j = 0u; j < 4u; j++) {
                    acc[i * 4u + j] = mad(acc[i * 4u + j], av[i], bv[j]);
                }
            }
        }
        workgroupBarrier();
    }
    let o_base = bi * p.m * p.n;
    for (var i = 0u; i < 4u; i++) {
        let r = row0 + ty + 16u * i;
        for (var j = 0u; j < 4u; j++) {
            let c = col0 + tx + 16u * j;
            if (r < p.m && c < p.n) {
                out[o_base + r * p.n + c] = {{OUT}}(acc[i * 4u + j]);
            }
        }
    }
}
