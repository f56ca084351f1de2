// Compute shaders of the GPU backend. Streams are the host's u64 words seen
// as pairs of u32 (little-endian), so every bit sits where docs/spec.md §1
// puts it and results are bit-identical to sc-kernel.

struct Params {
    p0: u32, p1: u32, p2: u32, p3: u32,
    p4: u32, p5: u32, p6: u32, p7: u32,
    p8: u32, p9: u32, p10: u32, p11: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> A: array<u32>;
@group(0) @binding(2) var<storage, read> B: array<u32>;
@group(0) @binding(3) var<storage, read> C: array<u32>;
@group(0) @binding(4) var<storage, read_write> OUT: array<u32>;
@group(0) @binding(5) var<storage, read_write> ATOM: array<atomic<u32>>;

const I32_MIN: i32 = -2147483647 - 1;
const I32_MAX: i32 = 2147483647;

// Flat index of a 2-D dispatch whose x extent (in threads) is P.p11.
fn flat(g: vec3<u32>) -> u32 {
    return g.x + g.y * P.p11;
}

// Bits of u32 word `i` of a `len`-bit stream that lie inside the stream.
fn valid_mask(i: u32, len: u32) -> u32 {
    let base = i * 32u;
    if (base >= len) { return 0u; }
    let rem = len - base;
    if (rem >= 32u) { return 0xffffffffu; }
    return (1u << rem) - 1u;
}

// p0 = op (and 0, or 1, xor 2, xnor 3, not 4, mux 5), p1 = len bits,
// p2 = u32 words. A, B, C = a, b, sel.
@compute @workgroup_size(64)
fn bitwise(@builtin(global_invocation_id) g: vec3<u32>) {
    let i = flat(g);
    if (i >= P.p2) { return; }
    let a = A[i];
    var r: u32;
    switch P.p0 {
        case 0u: { r = a & B[i]; }
        case 1u: { r = a | B[i]; }
        case 2u: { r = a ^ B[i]; }
        case 3u: { r = ~(a ^ B[i]); }
        case 4u: { r = ~a; }
        default: { r = (C[i] & a) | (~C[i] & B[i]); }
    }
    OUT[i] = r & valid_mask(i, P.p1);
}

// Per-u64-word popcount: p2 = u64 words.
@compute @workgroup_size(64)
fn popcount64(@builtin(global_invocation_id) g: vec3<u32>) {
    let i = flat(g);
    if (i >= P.p2) { return; }
    OUT[i] = countOneBits(A[2u * i]) + countOneBits(A[2u * i + 1u]);
}

// Pack 0/1 bytes (A: four per u32) into u32 words; p1 = bits, p2 = u32
// words to write. ATOM[0] ends as the index of the first byte > 1 (or
// 0xffffffff).
@compute @workgroup_size(64)
fn pack(@builtin(global_invocation_id) g: vec3<u32>) {
    let i = flat(g);
    if (i >= P.p2) { return; }
    var w = 0u;
    for (var k = 0u; k < 32u; k++) {
        let t = i * 32u + k;
        if (t >= P.p1) { break; }
        let byte = (A[t / 4u] >> (8u * (t % 4u))) & 0xffu;
        if (byte > 1u) { atomicMin(&ATOM[0], t); }
        w |= (byte & 1u) << k;
    }
    OUT[i] = w;
}

var<workgroup> POS: array<u32, 64>;
var<workgroup> NEG: array<u32, 64>;

// Dense MAC, one workgroup per (neuron, sample). A = weights, B = inputs
// (samples one after another), C = sign rows. p0 = row u32 words
// (inputs * stride), p1 = u32 words per stream, p2 = u32 words per sign
// row, p3 = neurons. OUT[2 * (s * neurons + j)] = unsigned count,
// OUT[... + 1] = signed count (two's complement).
@compute @workgroup_size(64)
fn mac(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let j = wg.x;
    let s = wg.y;
    let row = P.p0;
    var pos = 0u;
    var neg = 0u;
    for (var k = li; k < row; k += 64u) {
        let c = countOneBits(A[j * row + k] & B[s * row + k]);
        let i = k / P.p1;
        if (((C[j * P.p2 + i / 32u] >> (i % 32u)) & 1u) == 1u) {
            neg += c;
        } else {
            pos += c;
        }
    }
    POS[li] = pos;
    NEG[li] = neg;
    workgroupBarrier();
    for (var half = 32u; half > 0u; half >>= 1u) {
        if (li < half) {
            POS[li] += POS[li + half];
            NEG[li] += NEG[li + half];
        }
        workgroupBarrier();
    }
    if (li == 0u) {
        let o = 2u * (s * P.p3 + j);
        OUT[o] = POS[0] + NEG[0];
        OUT[o + 1u] = bitcast<u32>(i32(POS[0]) - i32(NEG[0]));
    }
}

// ---- fixed point (docs/spec.md §6) ----

fn sat_add32(a: i32, b: i32) -> i32 {
    let r = a + b;
    if ((a >= 0) == (b >= 0) && (r >= 0) != (a >= 0)) {
        return select(I32_MIN, I32_MAX, a >= 0);
    }
    return r;
}

fn sat_sub32(a: i32, b: i32) -> i32 {
    let r = a - b;
    if ((a >= 0) != (b >= 0) && (r >= 0) != (a >= 0)) {
        return select(I32_MIN, I32_MAX, a >= 0);
    }
    return r;
}

// sat(floor(a * b / 2^16)) with the exact 64-bit product.
fn sat_mul_q16(a: i32, b: i32) -> i32 {
    let negative = (a < 0) != (b < 0);
    let ua = bitcast<u32>(abs(a));
    let ub = bitcast<u32>(abs(b));
    let a0 = ua & 0xffffu;
    let a1 = ua >> 16u;
    let b0 = ub & 0xffffu;
    let b1 = ub >> 16u;
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let p11 = a1 * b1;
    let mid = (p00 >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu);
    var lo = (p00 & 0xffffu) | (mid << 16u);
    var hi = p11 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u);
    if (negative) {
        lo = ~lo + 1u;
        hi = ~hi + select(0u, 1u, lo == 0u);
    }
    // Arithmetic shift of the 64-bit value by 16, then saturate to i32.
    let s32 = bitcast<i32>((hi << 16u) | (lo >> 16u));
    let top = bitcast<i32>(hi) >> 16u;
    if (top != (s32 >> 31u)) {
        return select(I32_MIN, I32_MAX, bitcast<i32>(hi) >= 0);
    }
    return s32;
}

fn sat16(x: i32) -> i32 {
    return clamp(x, -32768, 32767);
}

fn f_add(q8: bool, a: i32, b: i32) -> i32 {
    if (q8) { return sat16(a + b); }
    return sat_add32(a, b);
}

fn f_sub(q8: bool, a: i32, b: i32) -> i32 {
    if (q8) { return sat16(a - b); }
    return sat_sub32(a, b);
}

fn f_mul(q8: bool, a: i32, b: i32) -> i32 {
    if (q8) { return sat16((a * b) >> 8u); }
    return sat_mul_q16(a, b);
}

// LIF population over many steps, one invocation per neuron, state on the
// device. p0 = neurons, p1 = steps, p2 = format (0 Q16.16, 1 Q8.8),
// p3..p7 = v_rest, v_reset, threshold, alpha, R (raw, i32 bits),
// p8 = refractory, p9 = u32 words per spike row. A = inputs [step][neuron],
// OUT = state (v, r per neuron), ATOM = spike rows.
@compute @workgroup_size(64)
fn lif(@builtin(global_invocation_id) g: vec3<u32>) {
    let j = flat(g);
    if (j >= P.p0) { return; }
    let q8 = P.p2 == 1u;
    let v_rest = bitcast<i32>(P.p3);
    let v_reset = bitcast<i32>(P.p4);
    let threshold = bitcast<i32>(P.p5);
    let alpha = bitcast<i32>(P.p6);
    let resistance = bitcast<i32>(P.p7);
    var v = bitcast<i32>(OUT[2u * j]);
    var r = OUT[2u * j + 1u];
    for (var t = 0u; t < P.p1; t++) {
        let input = bitcast<i32>(A[t * P.p0 + j]);
        if (r > 0u) {
            r -= 1u;
            v = v_reset;
        } else {
            let leak = f_mul(q8, f_sub(q8, v_rest, v), alpha);
            let drive = f_mul(q8, input, resistance);
            let nv = f_add(q8, v, f_add(q8, leak, drive));
            if (nv >= threshold) {
                v = v_reset;
                r = P.p8;
                atomicOr(&ATOM[t * P.p9 + j / 32u], 1u << (j % 32u));
            } else {
                v = nv;
            }
        }
    }
    OUT[2u * j] = bitcast<u32>(v);
    OUT[2u * j + 1u] = r;
}
