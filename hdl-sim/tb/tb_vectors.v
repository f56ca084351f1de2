// Conformance testbench: reads the exported vector word stream
// (`sc vectors export --format memh`, layout in docs/vectors.md) with
// $readmemh and checks every output of the RTL primitives against it.
// Runs under Icarus Verilog and Verilator (--binary --timing).
//
//   +VECTORS=<file.memh>   the exported vectors (required)
//   +NWORDS=<n>            number of words in the file (optional; avoids a
//                          short-file warning)
//
// `network` records run on the network core sc_net (one instance per
// number format): the record's model words are loaded, the core prepares
// them, runs `steps` steps, and every LIF step's spike (per step, layer and
// neuron) and the last layer's spike counts are compared. `pack` records
// (a storage transform) have no RTL counterpart and are counted as not
// applicable.
//
// Error records (KIND with bit 31 set: inputs the kernel must reject with
// the error code in the payload's last word) are skipped and counted: the
// RTL primitives perform none of the kernel's input checks (an LFSR seed
// of 0 is loaded as given, streams carry no padding, LIF parameters are
// not range-checked; validation is the host's or firmware's job before
// the hardware is configured), so no rejection is visible in hardware.
`timescale 1ns / 1ps
`default_nettype none
module tb_vectors;
`include "sc_codes.vh"
    localparam integer MAXW = 1 << 18;
    reg [31:0] mem [0:MAXW-1];
    reg [8*512-1:0] path;
    integer pass, fail, na, skipped;
    reg clk;

`include "sc_tick.vh"

    // Bit t of the stream whose first word is mem[addr].
    function bitat;
        input integer addr;
        input integer t;
        begin
            bitat = mem[addr + t / 32][t % 32];
        end
    endfunction

    function [31:0] lastmask;
        input integer len;
        input integer k;      // word index
        input integer nwords;
        begin
            if (k == nwords - 1 && (len % 32) != 0) lastmask = (32'd1 << (len % 32)) - 32'd1;
            else lastmask = 32'hFFFF_FFFF;
        end
    endfunction

    // ---------------------------------------------------------------- DUTs
    reg  [31:0] ga, gb, gs;
    wire [31:0] y_and, y_or, y_xor, y_xnor, y_not, y_mux;
    sc_and  #(.W(32)) u_and  (.a(ga), .b(gb), .y(y_and));
    sc_or   #(.W(32)) u_or   (.a(ga), .b(gb), .y(y_or));
    sc_xor  #(.W(32)) u_xor  (.a(ga), .b(gb), .y(y_xor));
    sc_xnor #(.W(32)) u_xnor (.a(ga), .b(gb), .y(y_xnor));
    sc_not  #(.W(32)) u_not  (.a(ga), .y(y_not));
    sc_mux  #(.W(32)) u_mux  (.sel(gs), .a(ga), .b(gb), .y(y_mux));

    reg  [31:0] cx;
    reg         c_clr, c_en;
    wire [31:0] c_total;
    // The accumulating counter (stream decode): a MAC with every weight bit 1
    // and no negative weight counts the ones of x.
    sc_neuron #(.N(32), .AW(32)) u_cnt (.clk(clk), .clr(c_clr), .en(c_en), .x(cx), .w({32{1'b1}}), .neg(32'd0),
                                      .acc(c_total));

    reg         l_load, l_en;
    reg  [31:0] l_seed;
    wire [7:0]  l8_state;
    wire [15:0] l16_state;
    wire [31:0] l32_state;
    wire [15:0] l8_r, l16_r, l32_r;
    sc_lfsr #(.WIDTH(8),  .MASK(8'hB8))          u_l8  (.clk(clk), .load(l_load), .seed(l_seed[7:0]),  .en(l_en), .state(l8_state),  .r(l8_r));
    sc_lfsr #(.WIDTH(16), .MASK(16'hB400))       u_l16 (.clk(clk), .load(l_load), .seed(l_seed[15:0]), .en(l_en), .state(l16_state), .r(l16_r));
    sc_lfsr #(.WIDTH(32), .MASK(32'h8020_0003))  u_l32 (.clk(clk), .load(l_load), .seed(l_seed),        .en(l_en), .state(l32_state), .r(l32_r));

    reg         s_load, s_en;
    reg  [3:0]  s_dim;
    reg  [15:0] s_start;
    wire [15:0] s_r, s_index;
    wire [3:0]  s_dim_q;
    sc_sobol u_sobol (.clk(clk), .load(s_load), .dim_in(s_dim), .start(s_start), .en(s_en),
                      .r(s_r), .index(s_index), .dim(s_dim_q));

    reg  [15:0] cmp_r;
    reg  [16:0] cmp_p;
    wire        cmp_bit;
    sc_cmp u_cmp (.r(cmp_r), .p(cmp_p), .bit_out(cmp_bit));

    reg         n_clr, n_en;
    reg  [63:0] nx, nw, nneg;
    wire signed [31:0] acc_s, acc_u;
    sc_neuron #(.N(64), .AW(32)) u_ns (.clk(clk), .clr(n_clr), .en(n_en), .x(nx), .w(nw), .neg(nneg), .acc(acc_s));
    sc_neuron #(.N(64), .AW(32)) u_nu (.clk(clk), .clr(n_clr), .en(n_en), .x(nx), .w(nw), .neg(64'd0), .acc(acc_u));

    reg  signed [31:0] p_rest, p_reset, p_thr, p_alpha, p_res, lv, li;
    reg         [15:0] p_refr, lr;
    wire signed [31:0] v32;
    wire        [15:0] r32, r16;
    wire signed [15:0] v16;
    wire               sp32, sp16;
    sc_lif_steps u_lif (
        .v(lv), .r(lr), .i_in(li), .v_rest(p_rest), .v_reset(p_reset), .threshold(p_thr),
        .alpha(p_alpha), .res(p_res), .refractory(p_refr), .q16_v(v32), .q16_r(r32),
        .q16_spike(sp32), .q8_v(v16), .q8_r(r16), .q8_spike(sp16));

    // Network cores: Q16.16 and Q8.8 (sizes: docs in rtl/sc_net.v).
    reg         nt_rst, nt_cfg_we, nt_in_we, nt_prep, nt_start, nt_fmt;
    reg  [12:0] nt_cfg_addr;
    reg  [31:0] nt_cfg_data;
    reg  [6:0]  nt_in_addr;
    reg  [16:0] nt_in_data, nt_steps;
    reg  [5:0]  nt_cnt_addr;
    wire        nt_busy [0:1];
    wire        nt_ready [0:1];
    wire        nt_done [0:1];
    wire [1:0]  nt_err [0:1];
    wire [16:0] nt_cnt [0:1];
    wire [5:0]  nt_pred [0:1];
    wire        nt_ev [0:1];
    wire [15:0] nt_ev_step [0:1];
    wire [7:0]  nt_ev_layer [0:1];
    wire [5:0]  nt_ev_neuron [0:1];
    wire        nt_ev_spike [0:1];
    genvar gf;
    generate
        for (gf = 0; gf < 2; gf = gf + 1) begin : g_net
            sc_net #(.W(gf == 0 ? 32 : 16), .F(gf == 0 ? 16 : 8), .FMT(gf), .MAW(13), .LB(8), .MB(7),
                     .NB(6), .SB(7)) u_net (
                .clk(clk), .rst(nt_rst), .cfg_we(nt_cfg_we), .cfg_addr(nt_cfg_addr), .cfg_data(nt_cfg_data),
                .in_we(nt_in_we), .in_addr(nt_in_addr), .in_data(nt_in_data),
                .prep(nt_prep && nt_fmt == gf), .start(nt_start && nt_fmt == gf), .steps(nt_steps),
                .busy(nt_busy[gf]), .ready(nt_ready[gf]), .done(nt_done[gf]), .err(nt_err[gf]),
                .cnt_addr(nt_cnt_addr), .cnt_data(nt_cnt[gf]), .pred(nt_pred[gf]),
                .ev_valid(nt_ev[gf]), .ev_step(nt_ev_step[gf]), .ev_layer(nt_ev_layer[gf]),
                .ev_neuron(nt_ev_neuron[gf]), .ev_spike(nt_ev_spike[gf]));
        end
    endgenerate

    // The pipelined LIF step of the network core, both formats.
    wire signed [31:0] pv32;
    wire signed [15:0] pv16;
    wire        [15:0] pr32, pr16;
    wire               ps32, ps16;
    sc_lif_step #(.W(32), .F(16), .PIPE(1)) u_lp32 (
        .clk(clk), .v(lv), .r(lr), .i_in(li), .v_rest(p_rest), .v_reset(p_reset), .threshold(p_thr),
        .alpha(p_alpha), .res(p_res), .refractory(p_refr), .v_next(pv32), .r_next(pr32), .spike(ps32));
    sc_lif_step #(.W(16), .F(8), .PIPE(1)) u_lp16 (
        .clk(clk), .v(lv[15:0]), .r(lr), .i_in(li[15:0]), .v_rest(p_rest[15:0]), .v_reset(p_reset[15:0]),
        .threshold(p_thr[15:0]), .alpha(p_alpha[15:0]), .res(p_res[15:0]), .refractory(p_refr),
        .v_next(pv16), .r_next(pr16), .spike(ps16));

    // ------------------------------------------------------------- checks
    integer rec, ok;

    task report;
        input integer good;
        input integer kind;
        begin
            if (good != 0) pass = pass + 1;
            else begin
                fail = fail + 1;
                $display("MISMATCH record %0d (kind %0d): see lines above", rec, kind);
            end
        end
    endtask

    task check_bitwise;
        input integer base;
        integer op, len, nwd, k, a0, y;
        reg [31:0] want, got;
        begin
            op = mem[base]; len = mem[base + 1]; nwd = (len + 31) / 32;
            a0 = base + 2; ok = 1;
            c_clr = 1'b1; tick; c_clr = 1'b0;
            for (k = 0; k < nwd; k = k + 1) begin
                ga = mem[a0 + k]; gb = mem[a0 + nwd + k]; gs = mem[a0 + 2 * nwd + k];
                #1;
                case (op)
                    SC_OP_AND: got = y_and;
                    SC_OP_OR: got = y_or;
                    SC_OP_XOR: got = y_xor;
                    SC_OP_XNOR: got = y_xnor;
                    SC_OP_NOT: got = y_not;
                    default: got = y_mux;
                endcase
                got = got & lastmask(len, k, nwd);
                want = mem[a0 + 3 * nwd + k];
                if (got !== want) begin
                    if (ok != 0) $display("  bitwise op %0d len %0d word %0d: expected %h, got %h", op, len, k, want, got);
                    ok = 0;
                end
                cx = got; c_en = 1'b1; tick; c_en = 1'b0;
            end
            y = mem[a0 + 4 * nwd];
            if (c_total !== y) begin
                $display("  bitwise popcount: expected %0d, got %0d", y, c_total);
                ok = 0;
            end
            report(ok, 2);
        end
    endtask

    task check_decode;
        input integer base;
        integer len, nwd, k;
        begin
            len = mem[base]; nwd = (len + 31) / 32; ok = 1;
            c_clr = 1'b1; tick; c_clr = 1'b0;
            for (k = 0; k < nwd; k = k + 1) begin
                cx = mem[base + 1 + k]; c_en = 1'b1; tick; c_en = 1'b0;
            end
            if (c_total !== mem[base + 1 + nwd]) begin
                $display("  decode len %0d: ones expected %0d, got %0d", len, mem[base + 1 + nwd], c_total);
                ok = 0;
            end
            report(ok, 3);
        end
    endtask

    // kind 4 (lfsr) and 5 (sobol): [sel, seed/start, p, len, stream..., ones, end_state]
    task check_gen;
        input integer base;
        input integer kind;
        integer sel, len, nwd, t, ones, endst;
        reg b, want;
        reg [15:0] r;
        begin
            sel = mem[base]; cmp_p = mem[base + 2][16:0]; len = mem[base + 3];
            nwd = (len + 31) / 32; ok = 1; ones = 0;
            if (kind == SC_KIND_LFSR) begin
                l_seed = mem[base + 1]; l_load = 1'b1; tick; l_load = 1'b0;
            end else begin
                s_dim = sel[3:0]; s_start = mem[base + 1][15:0]; s_load = 1'b1; tick; s_load = 1'b0;
            end
            for (t = 0; t < len; t = t + 1) begin
                if (kind == SC_KIND_SOBOL) r = s_r;
                else if (sel == 8) r = l8_r;
                else if (sel == 16) r = l16_r;
                else r = l32_r;
                cmp_r = r; #1;
                b = cmp_bit; want = bitat(base + 4, t);
                if (b !== want) begin
                    if (ok != 0) $display("  %s sel %0d: bit %0d expected %0d, got %0d (r = %h)",
                                     kind == SC_KIND_LFSR ? "lfsr" : "sobol", sel, t, want, b, r);
                    ok = 0;
                end
                ones = ones + {31'd0, b};
                if (kind == SC_KIND_LFSR) begin l_en = 1'b1; tick; l_en = 1'b0; end
                else begin s_en = 1'b1; tick; s_en = 1'b0; end
            end
            if (kind == SC_KIND_SOBOL) endst = {16'd0, s_index};
            else if (sel == 8) endst = {24'd0, l8_state};
            else if (sel == 16) endst = {16'd0, l16_state};
            else endst = l32_state;
            if (ones !== mem[base + 4 + nwd] || endst !== mem[base + 5 + nwd]) begin
                $display("  generator: ones %0d/%0d, end state %h/%h (expected/got)",
                         mem[base + 4 + nwd], ones, mem[base + 5 + nwd], endst);
                ok = 0;
            end
            report(ok, kind);
        end
    endtask

    task check_mac;
        input integer base;
        integer n, m, len, nwd, sw, wbase, sbase, xbase, ubase, j, i, t;
        begin
            n = mem[base]; m = mem[base + 1]; len = mem[base + 2];
            nwd = (len + 31) / 32; sw = (m + 31) / 32;
            wbase = base + 3; sbase = wbase + n * m * nwd; xbase = sbase + n * sw;
            ubase = xbase + m * nwd; ok = 1;
            if (m > 64) begin
                $display("  mac with %0d inputs: testbench neuron has 64", m);
                ok = 0;
            end else begin
                for (j = 0; j < n; j = j + 1) begin
                    n_clr = 1'b1; tick; n_clr = 1'b0;
                    nneg = 64'd0;
                    for (i = 0; i < m; i = i + 1) nneg[i] = bitat(sbase + j * sw, i);
                    for (t = 0; t < len; t = t + 1) begin
                        nx = 64'd0; nw = 64'd0;
                        for (i = 0; i < m; i = i + 1) begin
                            nx[i] = bitat(xbase + i * nwd, t);
                            nw[i] = bitat(wbase + (j * m + i) * nwd, t);
                        end
                        n_en = 1'b1; tick; n_en = 1'b0;
                    end
                    if (acc_u !== mem[ubase + j] || acc_s !== mem[ubase + n + j]) begin
                        $display("  mac neuron %0d: unsigned %0d/%0d signed %0d/%0d (expected/got)",
                                 j, mem[ubase + j], acc_u, $signed(mem[ubase + n + j]), acc_s);
                        ok = 0;
                    end
                end
            end
            report(ok, 6);
        end
    endtask

    reg signed [31:0] sv [0:63];
    reg        [15:0] sr [0:63];

    task check_lif;
        input integer base;
        integer fmt, nn, steps, ibase, vbase, rbase, sbase, sw, t, k, idx;
        reg signed [31:0] gv, pgv;
        reg [15:0] gr, pgr;
        reg gs_, pgs;
        begin
            fmt = mem[base]; p_rest = mem[base + 1]; p_reset = mem[base + 2]; p_thr = mem[base + 3];
            p_alpha = mem[base + 4]; p_res = mem[base + 5]; p_refr = mem[base + 6][15:0];
            nn = mem[base + 7]; steps = mem[base + 8]; sw = (nn + 31) / 32;
            ibase = base + 9; vbase = ibase + steps * nn; rbase = vbase + steps * nn;
            sbase = rbase + steps * nn; ok = 1;
            if (nn > 64) begin
                $display("  lif with %0d neurons: testbench holds 64", nn);
                ok = 0;
            end else begin
                for (k = 0; k < nn; k = k + 1) begin sv[k] = p_rest; sr[k] = 16'd0; end
                for (t = 0; t < steps; t = t + 1) begin
                    for (k = 0; k < nn; k = k + 1) begin
                        idx = t * nn + k;
                        lv = sv[k]; lr = sr[k]; li = mem[ibase + idx];
                        #1;
                        if (fmt == 0) begin gv = v32; gr = r32; gs_ = sp32; end
                        else begin gv = {{16{v16[15]}}, v16}; gr = r16; gs_ = sp16; end
                        if (gv !== mem[vbase + idx] || gr !== mem[rbase + idx][15:0]
                            || gs_ !== bitat(sbase + t * sw, k)) begin
                            if (ok != 0) $display("  lif fmt %0d step %0d neuron %0d: v %0d/%0d r %0d/%0d spike %0d/%0d (expected/got)",
                                             fmt, t, k, $signed(mem[vbase + idx]), gv, mem[rbase + idx], gr,
                                             bitat(sbase + t * sw, k), gs_);
                            ok = 0;
                        end
                        tick; tick; tick; tick; tick;   // the same step through the pipelined sc_lif_step
                        if (fmt == 0) begin pgv = pv32; pgr = pr32; pgs = ps32; end
                        else begin pgv = {{16{pv16[15]}}, pv16}; pgr = pr16; pgs = ps16; end
                        if (pgv !== gv || pgr !== gr || pgs !== gs_) begin
                            if (ok != 0) $display("  lif pipe fmt %0d step %0d neuron %0d: v %0d/%0d r %0d/%0d spike %0d/%0d (sc_lif_step/pipelined)",
                                             fmt, t, k, gv, pgv, gr, pgr, gs_, pgs);
                            ok = 0;
                        end
                        sv[k] = gv; sr[k] = gr;
                    end
                end
            end
            report(ok, 7);
        end
    endtask

    // kind 8: format, n_layers, dims[n_layers+1], sources, layers, inputs_q16[dims0], steps,
    // spikes (steps*n_layers rows of ceil(n_k/32) words), counts[dims_last]
    integer rowoff [0:15];
    task check_network;
        input integer base;
        integer f, nlay, kk, la, mm, nn, ibase, nsteps, spbase, rowsum, cbase, w, cyc, evs, nev, best, bj, evl, evn, evt;
        reg wantb;
        begin
            f = mem[base]; nlay = mem[base + 1]; ok = 1;
            la = base + 2 + nlay + 1 + 4; rowsum = 0; nev = 0;
            if (nlay > 16 || f > 1) begin
                $display("  network: %0d layers / format %0d beyond the testbench", nlay, f);
                ok = 0;
            end else begin
                for (kk = 0; kk < nlay; kk = kk + 1) begin
                    mm = mem[base + 2 + kk]; nn = mem[base + 3 + kk];
                    la = la + 7 + nn * mm + nn * ((mm + 31) / 32) + 1;
                    rowoff[kk] = rowsum; rowsum = rowsum + (nn + 31) / 32; nev = nev + nn;
                end
                ibase = la; nsteps = mem[ibase + mem[base + 2]]; spbase = ibase + mem[base + 2] + 1;
                cbase = spbase + nsteps * rowsum;
                nt_fmt = f[0];
                for (w = 0; w < ibase - base; w = w + 1) begin
                    nt_cfg_we = 1'b1; nt_cfg_addr = w[12:0]; nt_cfg_data = mem[base + w]; tick;
                end
                nt_cfg_we = 1'b0;
                nt_prep = 1'b1; tick; nt_prep = 1'b0;
                cyc = 0;
                while (nt_busy[f] && cyc < 50000000) begin tick; cyc = cyc + 1; end
                if (!nt_ready[f]) begin
                    $display("  network format %0d: the core did not prepare the model (err %0d)", f, nt_err[f]);
                    ok = 0;
                end else begin
                    for (w = 0; w < mem[base + 2]; w = w + 1) begin
                        nt_in_we = 1'b1; nt_in_addr = w[6:0]; nt_in_data = mem[ibase + w][16:0]; tick;
                    end
                    nt_in_we = 1'b0; nt_steps = nsteps[16:0];
                    nt_start = 1'b1; tick; nt_start = 1'b0;
                    cyc = 0; evs = 0;
                    while (nt_busy[f] && cyc < 100000000) begin
                        tick; cyc = cyc + 1;
                        if (nt_ev[f]) begin
                            evl = {24'd0, nt_ev_layer[f]}; evn = {26'd0, nt_ev_neuron[f]};
                            evt = {16'd0, nt_ev_step[f]};
                            wantb = (evl < nlay) ? bitat(spbase + evt * rowsum + rowoff[evl], evn) : 1'bx;
                            if (nt_ev_spike[f] !== wantb) begin
                                if (ok != 0) $display("  network step %0d layer %0d neuron %0d: spike expected %0d, got %0d",
                                                      evt, evl, evn, wantb, nt_ev_spike[f]);
                                ok = 0;
                            end
                            evs = evs + 1;
                        end
                    end
                    if (!nt_done[f] || nt_err[f] != 2'd0 || evs != nsteps * nev) begin
                        $display("  network: done %0d err %0d after %0d cycles, %0d LIF steps (expected %0d)",
                                 nt_done[f], nt_err[f], cyc, evs, nsteps * nev);
                        ok = 0;
                    end
                    nn = mem[base + 2 + nlay]; best = 0; bj = 0;
                    for (w = 0; w < nn; w = w + 1) begin
                        nt_cnt_addr = w[5:0]; tick;
                        if (nt_cnt[f] !== mem[cbase + w][16:0]) begin
                            $display("  network count %0d: expected %0d, got %0d", w, mem[cbase + w], nt_cnt[f]);
                            ok = 0;
                        end
                        if (mem[cbase + w] > best) begin best = mem[cbase + w]; bj = w; end
                    end
                    if (nt_pred[f] !== bj[5:0]) begin
                        $display("  network class: expected %0d, got %0d", bj, nt_pred[f]);
                        ok = 0;
                    end
                    $display("  network format %0d, %0d layers, %0d steps: %0d cycles", f, nlay, nsteps, cyc);
                end
            end
            report(ok, 8);
        end
    endtask

    integer at, nrec, kind, np, i0, nwords;
    initial begin
        clk = 1'b0; pass = 0; fail = 0; na = 0; skipped = 0;
        c_clr = 0; c_en = 0; l_load = 0; l_en = 0; s_load = 0; s_en = 0; n_clr = 0; n_en = 0;
        ga = 0; gb = 0; gs = 0; cx = 0; l_seed = 1; s_dim = 0; s_start = 0; cmp_r = 0; cmp_p = 0;
        nx = 0; nw = 0; nneg = 0; lv = 0; lr = 0; li = 0;
        nt_rst = 1; nt_cfg_we = 0; nt_in_we = 0; nt_prep = 0; nt_start = 0; nt_fmt = 0; nt_cfg_addr = 0;
        nt_cfg_data = 0; nt_in_addr = 0; nt_in_data = 0; nt_steps = 0; nt_cnt_addr = 0;
        p_rest = 0; p_reset = 0; p_thr = 0; p_alpha = 0; p_res = 0; p_refr = 0;
        tick; nt_rst = 1'b0;
        if (!$value$plusargs("VECTORS=%s", path)) begin
            $display("usage: +VECTORS=<vectors.memh>");
            $fatal(1, "no vectors");
        end
        for (i0 = 0; i0 < MAXW; i0 = i0 + 1) mem[i0] = 32'd0;
        if ($value$plusargs("NWORDS=%d", nwords) && nwords > 0 && nwords <= MAXW)
            $readmemh(path, mem, 0, nwords - 1);
        else
            $readmemh(path, mem);
        if (mem[0] !== SC_MAGIC) $fatal(1, "not an SCV1 vector export (first word %h)", mem[0]);
        nrec = mem[1]; at = 2;
        for (rec = 0; rec < nrec; rec = rec + 1) begin
            kind = mem[at]; np = mem[at + 1];
            if (at + 2 + np > MAXW) $fatal(1, "export larger than the testbench memory (%0d words)", MAXW);
            if (kind[SC_ERROR_FLAG_BIT]) skipped = skipped + 1;
            else case (kind)
                SC_KIND_BITWISE: check_bitwise(at + 2);
                SC_KIND_DECODE: check_decode(at + 2);
                SC_KIND_LFSR, SC_KIND_SOBOL: check_gen(at + 2, kind);
                SC_KIND_MAC: check_mac(at + 2);
                SC_KIND_LIF: check_lif(at + 2);
                SC_KIND_NETWORK: check_network(at + 2);
                default: na = na + 1;
            endcase
            at = at + 2 + np;
        end
        $display("rtl: %0d passed, %0d failed", pass, fail);
        $display("(%0d records of kinds without an RTL counterpart: pack)", na);
        $display("(%0d error records skipped: the RTL performs no input checks)", skipped);
        if (fail != 0 || pass == 0) $fatal(1, "RTL does not reproduce the vectors");
        $finish;
    end
endmodule
`default_nettype wire
