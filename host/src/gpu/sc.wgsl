// Compute shaders of the GPU backend. Streams are the host's u64 words seen
// as pairs of u32 (little-endian), so every bit sits where docs/spec.md §1
// puts it and results are bit-identical to sc-kernel. Batches (§1.3) are
// rows of `stride` u32 words (an even number: rows are padded to whole u64
// words on their own), with zero padding.
//
// Each entry point has its own parameter block (a `var<uniform>` of a
// struct of u32/i32 fields, padded to 16 bytes: PB, PC, PR, PP, PM, PL,
// PN, PS), declared once as a #[repr(C)] Pod struct in
// host/src/gpu/params.rs and prepended from there by device.rs. The host
// checks that every index below fits in u32 before it dispatches.

@group(0) @binding(1) var<storage, read> A: array<u32>;
@group(0) @binding(2) var<storage, read> B: array<u32>;
@group(0) @binding(3) var<storage, read> C: array<u32>;
@group(0) @binding(4) var<storage, read_write> OUT: array<u32>;
@group(0) @binding(5) var<storage, read_write> ATOM: array<atomic<u32>>;

const I32_MIN: i32 = -2147483647 - 1;
const I32_MAX: i32 = 2147483647;

// Flat index of a 2-D dispatch whose x extent is `xt` threads.
fn flat(g: vec3<u32>, xt: u32) -> u32 {
    return g.x + g.y * xt;
}

// Bits of u32 word `w` of a `len`-bit row that lie inside the row.
fn valid_mask(w: u32, len: u32) -> u32 {
    let base = w * 32u;
    if (base >= len) { return 0u; }
    let rem = len - base;
    if (rem >= 32u) { return 0xffffffffu; }
    return (1u << rem) - 1u;
}

// A, B, C = a, b, sel; one invocation per u32 word; padding re-masked per row.
@compute @workgroup_size(64)
fn bitwise(@builtin(global_invocation_id) g: vec3<u32>) {
    let i = flat(g, PB.xt);
    if (i >= PB.words) { return; }
    let a = A[i];
    var r: u32;
    switch PB.op {
        // OP_*: the kernel's BitOp codes, prepended by device.rs.
        case OP_AND: { r = a & B[i]; }
        case OP_OR: { r = a | B[i]; }
        case OP_XOR: { r = a ^ B[i]; }
        case OP_XNOR: { r = ~(a ^ B[i]); }
        case OP_NOT: { r = ~a; }
        default: { r = (C[i] & a) | (~C[i] & B[i]); }
    }
    OUT[i] = r & valid_mask(i % PB.stride, PB.row_len);
}

// Per-u64-word popcount (padding is zero, so rows need no masking).
@compute @workgroup_size(64)
fn popcount64(@builtin(global_invocation_id) g: vec3<u32>) {
    let i = flat(g, PC.xt);
    if (i >= PC.words) { return; }
    OUT[i] = countOneBits(A[2u * i]) + countOneBits(A[2u * i + 1u]);
}

var<workgroup> POS: array<u32, 64>;
var<workgroup> NEG: array<u32, 64>;

// Popcount per row, one workgroup per row: OUT[row].
@compute @workgroup_size(64)
fn popcount_rows(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let r = wg.x + wg.y * PR.gx;
    var c = 0u;
    if (r < PR.rows) {
        for (var k = li; k < PR.stride; k += 64u) {
            c += countOneBits(A[r * PR.stride + k]);
        }
    }
    POS[li] = c;
    workgroupBarrier();
    for (var half = 32u; half > 0u; half >>= 1u) {
        if (li < half) {
            POS[li] += POS[li + half];
        }
        workgroupBarrier();
    }
    if (li == 0u && r < PR.rows) {
        OUT[r] = POS[0];
    }
}

// Pack rows of 0/1 bytes (A: four per u32, rows back to back) into rows of
// u32 words. ATOM[0] ends as the flat index of the first byte > 1 (or
// 0xffffffff).
@compute @workgroup_size(64)
fn pack(@builtin(global_invocation_id) g: vec3<u32>) {
    let i = flat(g, PP.xt);
    if (i >= PP.words) { return; }
    let row = i / PP.stride;
    let base = (i % PP.stride) * 32u;
    var w = 0u;
    for (var k = 0u; k < 32u; k++) {
        let col = base + k;
        if (col >= PP.row_len) { break; }
        let t = row * PP.row_len + col;
        let byte = (A[t / 4u] >> (8u * (t % 4u))) & 0xffu;
        if (byte > 1u) { atomicMin(&ATOM[0], t); }
        w |= (byte & 1u) << k;
    }
    OUT[i] = w;
}

// Dense MAC, one workgroup per (neuron, sample). A = weights, B = inputs
// (samples one after another), C = sign rows. OUT[2 * (s * neurons + j)] =
// unsigned count, OUT[... + 1] = signed count (two's complement).
@compute @workgroup_size(64)
fn mac(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let j = wg.x;
    let s = wg.y;
    let row = PM.row;
    var pos = 0u;
    var neg = 0u;
    for (var k = li; k < row; k += 64u) {
        let c = countOneBits(A[j * row + k] & B[s * row + k]);
        let i = k / PM.stream;
        if (((C[j * PM.sign_row + i / 32u] >> (i % 32u)) & 1u) == 1u) {
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
        let o = 2u * (s * PM.neurons + j);
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
// device. A = inputs [step][neuron], OUT = state (v, r per neuron), ATOM =
// spike rows.
@compute @workgroup_size(64)
fn lif(@builtin(global_invocation_id) g: vec3<u32>) {
    let j = flat(g, PL.xt);
    if (j >= PL.n) { return; }
    let q8 = PL.q8 == 1u;
    var v = bitcast<i32>(OUT[2u * j]);
    var r = OUT[2u * j + 1u];
    for (var t = 0u; t < PL.steps; t++) {
        let input = bitcast<i32>(A[t * PL.n + j]);
        if (r > 0u) {
            r -= 1u;
            v = PL.v_reset;
        } else {
            let leak = f_mul(q8, f_sub(q8, PL.v_rest, v), PL.alpha);
            let drive = f_mul(q8, input, PL.resistance);
            let nv = f_add(q8, v, f_add(q8, leak, drive));
            if (nv >= PL.threshold) {
                v = PL.v_reset;
                r = PL.refractory;
                atomicOr(&ATOM[t * PL.spike_row + j / 32u], 1u << (j % 32u));
            } else {
                v = nv;
            }
        }
    }
    OUT[2u * j] = bitcast<u32>(v);
    OUT[2u * j + 1u] = r;
}

// ---- whole networks, counting form (docs/spec.md §7.1) ----
// Weight counts are the signed s * n of every synapse (i32), input-major
// ([i][j]: A[i * neurons + j]). Sums are exact in i32: |count| <= inputs * L
// <= 2^31 - 1.

// Layer 0's prefix tables, one invocation per input i: A = the step's
// comparator values q in weight order (one per u32), C = the inputs'
// probabilities (Q0.16), OUT[i * (L + 1) + n] = #{k < n : q_k < P_i}.
// Inputs with P = 0 or P = 1 need no table (net_layer0 skips them).
@compute @workgroup_size(64)
fn net_prefix(@builtin(global_invocation_id) g: vec3<u32>) {
    let i = flat(g, PN.xt);
    if (i >= PN.inputs) { return; }
    let p = C[i];
    if (p == 0u || p >= 65536u) { return; }
    let base = i * (PN.len + 1u);
    var acc = 0u;
    OUT[base] = 0u;
    for (var k = 0u; k < PN.len; k++) {
        acc += select(0u, 1u, A[k] < p);
        OUT[base + k + 1u] = acc;
    }
}

// Layer 0's counts, one invocation per neuron j: A = weight counts, B = the
// prefix tables of net_prefix, C = the inputs' probabilities. OUT[j] =
// sum_i (P_i = 0: 0; P_i = 1: w; else sign(w) * T_i[|w|]).
@compute @workgroup_size(64)
fn net_layer0(@builtin(global_invocation_id) g: vec3<u32>) {
    let j = flat(g, PN.xt);
    if (j >= PN.neurons) { return; }
    var c = 0i;
    for (var i = 0u; i < PN.inputs; i++) {
        let p = C[i];
        if (p == 0u) { continue; }
        let w = bitcast<i32>(A[i * PN.neurons + j]);
        if (p >= 65536u) {
            c += w;
            continue;
        }
        let n = bitcast<i32>(B[i * (PN.len + 1u) + min(u32(abs(w)), PN.len)]);
        c += select(n, -n, w < 0);
    }
    OUT[j] = bitcast<u32>(c);
}

// A layer k >= 1's counts, one invocation per neuron j: A = weight counts,
// B = the previous layer's spike words (bit i = input i). OUT[j] = the sum
// of w[i][j] over the inputs i that spiked.
@compute @workgroup_size(64)
fn net_spikes(@builtin(global_invocation_id) g: vec3<u32>) {
    let j = flat(g, PN.xt);
    if (j >= PN.neurons) { return; }
    var c = 0i;
    let words = (PN.inputs + 31u) / 32u;
    for (var w = 0u; w < words; w++) {
        var bits = B[w];
        while (bits != 0u) {
            let i = w * 32u + countTrailingZeros(bits);
            bits &= bits - 1u;
            if (i < PN.inputs) {
                c += bitcast<i32>(A[i * PN.neurons + j]);
            }
        }
    }
    OUT[j] = bitcast<u32>(c);
}

// ---- the float SNN (host/src/snn.rs), f32, one dispatch per layer and step ----
// A = every layer's weights (f32 bits, row-major [neuron][input]), B =
// layer 0's inputs (samples x inputs, the bias input included), OUT = per
// layer its membranes and spikes (samples x neurons), then the last
// layer's counts. Layer l > 0 reads the spikes of layer l - 1 from OUT,
// written by the dispatch before (same step).

fn snn_input(i: u32) -> f32 {
    if (PS.from_out == 1u) { return bitcast<f32>(OUT[i]); }
    return bitcast<f32>(B[i]);
}

// One invocation per (sample, neuron): the current (a dot product with 8
// partial sums, added in the CPU's order), then u = keep * a + I,
// s = H(u - threshold), a = u * (1 - s).
@compute @workgroup_size(64)
fn snn_layer(@builtin(global_invocation_id) g: vec3<u32>) {
    let k = flat(g, PS.xt);
    if (k >= PS.rows * PS.n_out) { return; }
    let b = k / PS.n_out;
    let j = k % PS.n_out;
    let w = PS.w_off + j * PS.n_in;
    let x = PS.in_off + b * PS.n_in;
    var acc = array<f32, 8>(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    let full = PS.n_in / 8u * 8u;
    for (var i = 0u; i < full; i += 8u) {
        for (var l = 0u; l < 8u; l++) {
            acc[l] += bitcast<f32>(A[w + i + l]) * snn_input(x + i + l);
        }
    }
    var cur = 0.0;
    for (var i = full; i < PS.n_in; i++) {
        cur += bitcast<f32>(A[w + i]) * snn_input(x + i);
    }
    for (var l = 0u; l < 8u; l++) {
        cur += acc[l];
    }
    let u = bitcast<f32>(PS.keep) * bitcast<f32>(OUT[PS.a_off + k]) + cur;
    var s = 0.0;
    if (u >= bitcast<f32>(PS.threshold)) { s = 1.0; }
    OUT[PS.a_off + k] = bitcast<u32>(u * (1.0 - s));
    OUT[PS.s_off + k] = bitcast<u32>(s);
    if (PS.c_off != 0xffffffffu) {
        OUT[PS.c_off + k] = bitcast<u32>(bitcast<f32>(OUT[PS.c_off + k]) + s);
    }
}
