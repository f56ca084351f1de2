// One fixed-point LIF step (spec 6). W-bit signed raw values with F
// fractional bits: Q16.16 is W=32, F=16; Q8.8 is W=16, F=8.
//   if r > 0: r' = r - 1, v' = v_reset, no spike
//   else: leak = sat_mul(sat_sub(v_rest, v), alpha); drive = sat_mul(i_in, res)
//         v1 = sat_add(v, sat_add(leak, drive))
//         spike if v1 >= threshold: v' = v_reset, r' = refractory; else v' = v1
// sat_mul(a, b) = sat(floor(a * b / 2^F)).
// Saturation is done on the exact widths (a W+1-bit sum, a 2W-bit product
// shifted by F), which equals sat() of the exact values.
//
// PIPE = 0: combinational (clk unused). PIPE = 1: the same arithmetic in
// five register stages, for a fast clock (sc_net): inputs sampled at an
// edge give v_next/r_next/spike five edges later (combinationally after
// the fifth); the parameters must be held while a step is in flight.
// Stage 1: diff = sat(v_rest - v); stage 2: the exact products diff * alpha
// and i_in * res; stage 3: leak and drive; stage 4: sat(leak + drive);
// stage 5: v1 = sat(v + sum); then the threshold, spike and reset.
`timescale 1ns / 1ps
`default_nettype none
module sc_lif_step #(
    parameter integer W    = 32,
    parameter integer F    = 16,
    parameter integer PIPE = 0
) (
    input  wire                clk,
    input  wire signed [W-1:0] v,
    input  wire        [15:0]  r,
    input  wire signed [W-1:0] i_in,
`include "sc_lif_params.vh"
    output wire signed [W-1:0] v_next,
    output wire        [15:0]  r_next,
    output wire                spike
);
    localparam [W-1:0] MAXW = {1'b0, {(W-1){1'b1}}};
    localparam [W-1:0] MINW = {1'b1, {(W-1){1'b0}}};

    // sat_W of a W+1-bit exact sum or difference sx.
    function [W-1:0] sat1;
        input [W:0] sx;
        begin
            if (sx[W] != sx[W-1]) sat1 = sx[W] ? MINW : MAXW;
            else sat1 = sx[W-1:0];
        end
    endfunction

    // sat_W(floor(px / 2^F)) of a 2W-bit exact product px.
    function [W-1:0] satp;
        input [2*W-1:0] px;
        begin
            if (px[2*W-1:F+W-1] == {(W-F+1){1'b0}} || px[2*W-1:F+W-1] == {(W-F+1){1'b1}})
                satp = px[F+W-1:F];
            else satp = px[2*W-1] ? MINW : MAXW;
        end
    endfunction

    // v and r pass alongside the stages.
    wire signed [W-1:0] v4;
    wire        [15:0]  r5;
    sc_pipe #(.W(W), .D(4 * PIPE)) u_v (.clk(clk), .d(v), .q(v4));
    sc_pipe #(.W(16), .D(5 * PIPE)) u_r (.clk(clk), .d(r), .q(r5));
    // stage 1
    wire signed [W-1:0] d1, i1;
    sc_pipe #(.W(2 * W), .D(PIPE)) u_s1 (
        .clk(clk), .d({sat1({v_rest[W-1], v_rest} - {v[W-1], v}), i_in}), .q({d1, i1}));
    // stage 2
    wire signed [2*W-1:0] lp = d1 * alpha;   // exact products
    wire signed [2*W-1:0] dp = i1 * res;
    wire        [2*W-1:0] lp2, dp2;
    sc_pipe #(.W(4 * W), .D(PIPE)) u_s2 (.clk(clk), .d({lp, dp}), .q({lp2, dp2}));
    // stage 3
    wire [W-1:0] leak3, drive3;
    sc_pipe #(.W(2 * W), .D(PIPE)) u_s3 (.clk(clk), .d({satp(lp2), satp(dp2)}), .q({leak3, drive3}));
    // stage 4
    wire [W-1:0] sum4;
    sc_pipe #(.W(W), .D(PIPE)) u_s4 (
        .clk(clk), .d(sat1({leak3[W-1], leak3} + {drive3[W-1], drive3})), .q(sum4));
    // stage 5
    wire signed [W-1:0] vn5;
    sc_pipe #(.W(W), .D(PIPE)) u_s5 (.clk(clk), .d(sat1({v4[W-1], v4} + {sum4[W-1], sum4})), .q(vn5));
    // the threshold (combinational)
    wire fire = (r5 == 16'd0) && (vn5 >= threshold);

    assign spike  = fire;
    assign v_next = (r5 != 16'd0 || fire) ? v_reset : vn5;
    assign r_next = (r5 != 16'd0) ? r5 - 16'd1 : (fire ? refractory : 16'd0);
endmodule
`default_nettype wire
