// Wrapper exposing the RTL primitives to the Rust/Verilator comparison
// (hdl-sim/tests/verilator.rs): 16-bit LFSR and Sobol SNGs with comparators,
// a 16-input SC neuron, both LIF step formats and an 8x4 Q16.16 layer (L=64).
// Wide buses are read back through selects so every port fits 64 bits.
`timescale 1ns / 1ps
`default_nettype none
module sc_hw_top (
    input  wire        clk,
    // SNGs
    input  wire        g_load,
    input  wire        g_en,
    input  wire [15:0] lfsr_seed,
    input  wire [3:0]  sobol_dim,
    input  wire [15:0] sobol_start,
    input  wire [16:0] p,
    output wire        lfsr_bit,
    output wire        sobol_bit,
    output wire [15:0] lfsr_state,
    output wire [15:0] sobol_index,
    // neuron
    input  wire        n_clr,
    input  wire        n_en,
    input  wire [15:0] n_x,
    input  wire [15:0] n_w,
    input  wire [15:0] n_neg,
    output wire [31:0] n_acc,
    // LIF steps (Q16.16 uses all 32 bits, Q8.8 the low 16)
    input  wire [31:0] l_v,
    input  wire [15:0] l_r,
    input  wire [31:0] l_i,
    input  wire [31:0] l_rest,
    input  wire [31:0] l_reset,
    input  wire [31:0] l_thr,
    input  wire [31:0] l_alpha,
    input  wire [31:0] l_res,
    input  wire [15:0] l_refr,
    output wire [31:0] q16_v,
    output wire [15:0] q16_r,
    output wire        q16_spike,
    output wire [15:0] q8_v,
    output wire [15:0] q8_r,
    output wire        q8_spike,
    // layer
    input  wire        y_rst,
    input  wire        y_clr,
    input  wire        y_en,
    input  wire        y_step,
    input  wire [7:0]  y_x,
    input  wire [31:0] y_w,
    input  wire [31:0] y_neg,
    input  wire [31:0] y_gain,
    input  wire [1:0]  y_sel,
    output wire [3:0]  y_spikes,
    output wire [31:0] y_count,
    output wire [31:0] y_v,
    output wire [15:0] y_refr
);
    wire [15:0] lr, sr;
    wire [3:0] sdim;
    sc_lfsr #(.WIDTH(16), .MASK(16'hB400)) u_lfsr (
        .clk(clk), .load(g_load), .seed(lfsr_seed), .en(g_en), .state(lfsr_state), .r(lr));
    sc_sobol u_sobol (.clk(clk), .load(g_load), .dim_in(sobol_dim), .start(sobol_start), .en(g_en),
                      .r(sr), .index(sobol_index), .dim(sdim));
    sc_cmp u_cl (.r(lr), .p(p), .bit_out(lfsr_bit));
    sc_cmp u_cs (.r(sr), .p(p), .bit_out(sobol_bit));

    sc_neuron #(.N(16), .AW(32)) u_n (.clk(clk), .clr(n_clr), .en(n_en), .x(n_x), .w(n_w), .neg(n_neg), .acc(n_acc));

    sc_lif_steps u_lif (
        .v(l_v), .r(l_r), .i_in(l_i), .v_rest(l_rest), .v_reset(l_reset), .threshold(l_thr),
        .alpha(l_alpha), .res(l_res), .refractory(l_refr), .q16_v(q16_v), .q16_r(q16_r),
        .q16_spike(q16_spike), .q8_v(q8_v), .q8_r(q8_r), .q8_spike(q8_spike));

    wire [127:0] counts, membranes;
    wire [63:0] refr;
    sc_layer #(.N(8), .M(4), .W(32), .F(16), .LOG2L(6), .AW(32)) u_layer (
        .clk(clk), .rst(y_rst), .clr(y_clr), .en(y_en), .step(y_step), .x(y_x), .w(y_w), .neg(y_neg),
        .gain(y_gain), .v_rest(l_rest), .v_reset(l_reset), .threshold(l_thr), .alpha(l_alpha),
        .res(l_res), .refractory(l_refr), .spikes(y_spikes), .counts(counts),
        .membranes(membranes), .refr(refr));
    assign y_count = counts[32*y_sel +: 32];
    assign y_v     = membranes[32*y_sel +: 32];
    assign y_refr  = refr[16*y_sel +: 16];
endmodule
`default_nettype wire
