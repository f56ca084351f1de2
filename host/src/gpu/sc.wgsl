// Compute shaders of the GPU backend. Streams are the host's u64 words seen
// as pairs of u32 (little-endian), so every bit sits where docs/spec.md §1
// puts it and results are bit-identical to sc-kernel. Batches (§1.3) are
// rows of `stride` u32 words (an even number: rows are padded to whole u64
// words on their own), with zero padding.
//
// Each entry point has its own parameter block (a `var<uniform>` of a
// struct of u32/i32 fields, padded to 16 bytes: PB, PC, PR, PP, PM, PL,
// PN, PS; and LC, the LIF constants of `lif` and `net_fire`), declared
// once as a #[repr(C)] Pod struct in
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

// The exact signed 64-bit product a * b as (low, high) words.
fn mul_wide(a: i32, b: i32) -> vec2<u32> {
    let ua = bitcast<u32>(abs(a));
    let ub = bitcast<u32>(abs(b));
    let a0 = ua & 0xffffu;
    let a1 = ua >> 16u;
    let b0 = ub & 0xffffu;
    let b1 = ub >> 16u;
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let mid = (p00 >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu);
    var lo = (p00 & 0xffffu) | (mid << 16u);
    var hi = a1 * b1 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u);
    if ((a < 0) != (b < 0)) {
        lo = ~lo + 1u;
        hi = ~hi + select(0u, 1u, lo == 0u);
    }
    return vec2<u32>(lo, hi);
}

// sat(floor(a * b / 2^16)) with the exact 64-bit product (mul_wide).
fn sat_mul_q16(a: i32, b: i32) -> i32 {
    let p = mul_wide(a, b);
    // Arithmetic shift of the 64-bit value by 16, then saturate to i32.
    let s32 = bitcast<i32>((p.y << 16u) | (p.x >> 16u));
    let top = bitcast<i32>(p.y) >> 16u;
    if (top != (s32 >> 31u)) {
        return select(I32_MIN, I32_MAX, bitcast<i32>(p.y) >= 0);
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

// One LIF step of docs/spec.md §6 with the constants LC (raw fixed point
// in LC.q8's format) for a neuron with membrane `v`, refractory counter `r`
// and input `input`.
struct LifState {
    v: i32,
    r: u32,
    spiked: bool,
}

fn lif_step(v: i32, r: u32, input: i32) -> LifState {
    if (r > 0u) {
        return LifState(LC.v_reset, r - 1u, false);
    }
    let q8 = LC.q8 == 1u;
    let leak = f_mul(q8, f_sub(q8, LC.v_rest, v), LC.alpha);
    let drive = f_mul(q8, input, LC.resistance);
    let nv = f_add(q8, v, f_add(q8, leak, drive));
    if (nv >= LC.threshold) {
        return LifState(LC.v_reset, LC.refractory, true);
    }
    return LifState(nv, 0u, false);
}

// LIF population over many steps, one invocation per neuron, state on the
// device. A = inputs [step][neuron], OUT = state (v, r per neuron), ATOM =
// spike rows.
@compute @workgroup_size(64)
fn lif(@builtin(global_invocation_id) g: vec3<u32>) {
    let j = flat(g, PL.xt);
    if (j >= PL.n) { return; }
    var s = LifState(bitcast<i32>(OUT[2u * j]), OUT[2u * j + 1u], false);
    for (var t = 0u; t < PL.steps; t++) {
        s = lif_step(s.v, s.r, bitcast<i32>(A[t * PL.n + j]));
        if (s.spiked) {
            atomicOr(&ATOM[t * PL.spike_row + j / 32u], 1u << (j % 32u));
        }
    }
    OUT[2u * j] = bitcast<u32>(s.v);
    OUT[2u * j + 1u] = s.r;
}

// ---- whole networks, counting form (docs/spec.md §7.1), every sample of a
// batch on the device ----
// Weight counts are the signed s * n of every synapse (i32), input-major
// ([i][j]: A[i * neurons + j]). Sums are exact in i32: |count| <= inputs * L
// <= 2^31 - 1 (the host checks). Sample b's data sit one sample after
// another: probabilities C[b * inputs + i], spike words b * words(n),
// neuron state (v, r, spike count, this step's count) at
// 4 * (b * neurons + j).

// Layer 0's prefix tables, one invocation per (sample, input) k = b *
// inputs + i: A = the step's comparator values q in weight order (one per
// u32), C = the probabilities (Q0.16). The table of k is W = floor(L / 32)
// + 1 pairs (cum, mask): bit t of mask w is q_{32w+t} < P (positions below
// L only) and cum w counts the ones of the masks before it, so
// T(n) = #{t < n : q_t < P} = cum[n / 32] + popcount(mask[n / 32] & (2^(n % 32) - 1))
// for n = 0..=L. Pair w of k sits at OUT[2 * (w * batch * inputs + k)]
// (consecutive k, consecutive words). Inputs with P = 0 or P = 1 need no
// table (net_sum skips them).
@compute @workgroup_size(64)
fn net_prefix(@builtin(global_invocation_id) g: vec3<u32>) {
    let k = flat(g, PN.xt);
    let rows = PN.batch * PN.inputs;
    if (k >= rows) { return; }
    let p = C[k];
    if (p == 0u || p >= 65536u) { return; }
    var cum = 0u;
    for (var w = 0u; w <= PN.len / 32u; w++) {
        var mask = 0u;
        let end = min(32u, PN.len - w * 32u);
        for (var t = 0u; t < end; t++) {
            mask |= select(0u, 1u, A[w * 32u + t] < p) << t;
        }
        let at = 2u * (w * rows + k);
        OUT[at] = cum;
        OUT[at + 1u] = mask;
        cum += countOneBits(mask);
    }
}

// T(n) of row k's prefix table (see net_prefix), from B.
fn prefix_count(k: u32, rows: u32, n: u32) -> i32 {
    let at = 2u * ((n / 32u) * rows + k);
    let low = (1u << (n % 32u)) - 1u;
    return bitcast<i32>(B[at] + countOneBits(B[at + 1u] & low));
}

// A neuron's input current from its count (spec §7 step 3, the kernel's
// counts_to_current): floor(count * gain / L) clamped to the format's raw
// range. A power-of-two L (shift < 32) divides by an arithmetic shift; any
// other by long division of the magnitude, then the floor.
fn net_current(count: i32) -> i32 {
    let p = mul_wide(count, PN.gain);
    let negative = (p.y >> 31u) == 1u;
    var lo: u32;
    var hi: u32;
    if (PN.shift < 32u) {
        let s = PN.shift;
        if (s == 0u) {
            lo = p.x;
            hi = p.y;
        } else {
            lo = (p.x >> s) | (p.y << (32u - s));
            hi = bitcast<u32>(bitcast<i32>(p.y) >> s);
        }
    } else {
        // |p| <= 2^62, divided by L in 64 steps of shift and subtract.
        var mlo = p.x;
        var mhi = p.y;
        if (negative) {
            mlo = ~mlo + 1u;
            mhi = ~mhi + select(0u, 1u, mlo == 0u);
        }
        var rem = 0u;
        var qlo = 0u;
        var qhi = 0u;
        for (var k = 0u; k < 64u; k++) {
            var bit: u32;
            if (k < 32u) {
                bit = (mhi >> (31u - k)) & 1u;
            } else {
                bit = (mlo >> (63u - k)) & 1u;
            }
            let carry = rem >> 31u;
            rem = (rem << 1u) | bit;
            qhi = (qhi << 1u) | (qlo >> 31u);
            qlo = qlo << 1u;
            if (carry == 1u || rem >= PN.len) {
                rem -= PN.len;
                qlo |= 1u;
            }
        }
        if (negative) {
            // floor(-m / L) = -(q + (rem != 0)).
            if (rem != 0u) {
                qlo += 1u;
                qhi += select(0u, 1u, qlo == 0u);
            }
            qlo = ~qlo + 1u;
            qhi = ~qhi + select(0u, 1u, qlo == 0u);
        }
        lo = qlo;
        hi = qhi;
    }
    let x = bitcast<i32>(lo);
    let top = bitcast<i32>(hi);
    if (top > 0 || (top == 0 && x < 0)) { return PN.raw_max; }
    if (top < -1 || (top == -1 && x >= 0)) { return PN.raw_min; }
    return clamp(x, PN.raw_min, PN.raw_max);
}

// NET_GROUP (samples per invocation of net_sum: each weight read serves
// this many) and NET_BLOCK (inputs per workgroup of net_sum, a multiple of
// 32: whole spike words) are prepended from host/src/gpu/net.rs.

// One layer's synaptic sums, one workgroup per (block of 64 neurons, block
// of NET_BLOCK inputs, group of NET_GROUP samples), the neuron blocks
// varying fastest (so the workgroups in flight share their samples'
// inputs), one invocation per neuron j of the block. Layer 0: A = weight
// counts, B = the prefix tables, C = the probabilities, count = sum_i
// (P_i = 0: 0; P_i = 1: w; else sign(w) * T_i(|w|)); a layer k >= 1: B =
// the previous layer's spike words, count = the sum of w[i][j] over the
// inputs i that spiked. Each block's partial count is added (wrapping, so
// the total is the exact i32 sum) to word 3 of the neuron's state in ATOM,
// which net_fire reads and clears.
@compute @workgroup_size(64)
fn net_sum(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let id = wg.x + wg.y * PN.gx;
    let jblocks = (PN.neurons + 63u) / 64u;
    let iblocks = max((PN.inputs + NET_BLOCK - 1u) / NET_BLOCK, 1u);
    let j = (id % jblocks) * 64u + li;
    let rest = id / jblocks;
    let i0 = (rest % iblocks) * NET_BLOCK;
    let b0 = (rest / iblocks) * NET_GROUP;
    if (j >= PN.neurons || b0 >= PN.batch) { return; }
    let nb = min(NET_GROUP, PN.batch - b0);
    let i1 = min(i0 + NET_BLOCK, PN.inputs);
    var c: array<i32, NET_GROUP>;
    if (PN.first == 1u) {
        let rows = PN.batch * PN.inputs;
        for (var i = i0; i < i1; i++) {
            let w = bitcast<i32>(A[i * PN.neurons + j]);
            let n = min(u32(abs(w)), PN.len);
            for (var s = 0u; s < nb; s++) {
                let at = (b0 + s) * PN.inputs + i;
                let p = C[at];
                var t = 0i;
                if (p >= 65536u) {
                    t = abs(w);
                } else if (p != 0u) {
                    t = prefix_count(at, rows, n);
                }
                c[s] += select(t, -t, w < 0);
            }
        }
    } else {
        for (var wd = i0 / 32u; wd * 32u < i1; wd++) {
            var z: array<u32, NET_GROUP>;
            var any = 0u;
            for (var s = 0u; s < nb; s++) {
                z[s] = B[(b0 + s) * PN.in_words + wd];
                any |= z[s];
            }
            while (any != 0u) {
                let bit = countTrailingZeros(any);
                any &= any - 1u;
                let i = wd * 32u + bit;
                if (i >= PN.inputs) { break; }
                let w = bitcast<i32>(A[i * PN.neurons + j]);
                for (var s = 0u; s < nb; s++) {
                    c[s] += select(0, w, ((z[s] >> bit) & 1u) == 1u);
                }
            }
        }
    }
    for (var s = 0u; s < nb; s++) {
        if (c[s] != 0) {
            atomicAdd(&ATOM[4u * ((b0 + s) * PN.neurons + j) + 3u], bitcast<u32>(c[s]));
        }
    }
}

// One layer's neuron steps, one invocation per (sample b, neuron j), k =
// b * neurons + j: OUT = the state (v, r, spike count, the count of
// net_sum, which is cleared for the next step) at 4k; the current, the LIF
// step (LC: the layer's constants), and the spike into ATOM's words (cleared before the step) and the
// spike count.
@compute @workgroup_size(64)
fn net_fire(@builtin(global_invocation_id) g: vec3<u32>) {
    let k = flat(g, PN.xt);
    if (k >= PN.batch * PN.neurons) { return; }
    let b = k / PN.neurons;
    let j = k % PN.neurons;
    let at = 4u * k;
    let count = bitcast<i32>(OUT[at + 3u]);
    OUT[at + 3u] = 0u;
    let st = lif_step(bitcast<i32>(OUT[at]), OUT[at + 1u], net_current(count));
    OUT[at] = bitcast<u32>(st.v);
    OUT[at + 1u] = st.r;
    if (st.spiked) {
        OUT[at + 2u] += 1u;
        atomicOr(&ATOM[b * PN.out_words + j / 32u], 1u << (j % 32u));
    }
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
