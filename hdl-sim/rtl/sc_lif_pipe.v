// One fixed-point LIF step (spec 6), the arithmetic of sc_lif_step in five
// register stages, for a fast clock (sc_net): inputs sampled at an edge
// give v_next/r_next/spike five edges later (combinationally after the
// fifth). Stage 1: diff = sat(v_rest - v); stage 2: the exact products
// diff * alpha and i_in * res; stage 3: leak and drive (each product
// floored by 2^F and saturated); stage 4: sat(leak + drive); stage 5:
// v' = sat(v + sum); then the threshold, spike and reset. The parameters must be held while a step is in flight.
// Saturation is done on the exact widths (a W+1-bit sum, a 2W-bit product
// shifted by F), which equals sat() of the exact values.
`timescale 1ns / 1ps
`default_nettype none
module sc_lif_pipe #(
    parameter integer W = 32,
    parameter integer F = 16
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

    // sat_W of a W+1-bit exact sum or difference.
    function [W-1:0] sat1;
        input [W:0] s;
        begin
            if (s[W] != s[W-1]) sat1 = s[W] ? MINW : MAXW;
            else sat1 = s[W-1:0];
        end
    endfunction

    // sat_W(floor(p / 2^F)) of a 2W-bit exact product.
    function [W-1:0] satp;
        input [2*W-1:0] p;
        begin
            if (p[2*W-1:F+W-1] == {(W-F+1){1'b0}} || p[2*W-1:F+W-1] == {(W-F+1){1'b1}})
                satp = p[F+W-1:F];
            else satp = p[2*W-1] ? MINW : MAXW;
        end
    endfunction

    // stage 1
    reg signed [W-1:0] d1, v1, i1;
    reg        [15:0]  r1;
    always @(posedge clk) begin
        d1 <= sat1({v_rest[W-1], v_rest} - {v[W-1], v});
        v1 <= v; r1 <= r; i1 <= i_in;
    end
    // stage 2
    reg signed [2*W-1:0] lp2, dp2;
    reg signed [W-1:0]   v2;
    reg        [15:0]    r2;
    always @(posedge clk) begin
        lp2 <= d1 * alpha;
        dp2 <= i1 * res;
        v2 <= v1; r2 <= r1;
    end
    // stage 3
    reg [W-1:0]        leak3, drive3;
    reg signed [W-1:0] v3;
    reg        [15:0]  r3;
    always @(posedge clk) begin
        leak3 <= satp(lp2);
        drive3 <= satp(dp2);
        v3 <= v2; r3 <= r2;
    end
    // stage 4
    reg [W-1:0]        sum4;
    reg signed [W-1:0] v4;
    reg        [15:0]  r4;
    always @(posedge clk) begin
        sum4 <= sat1({leak3[W-1], leak3} + {drive3[W-1], drive3});
        v4 <= v3; r4 <= r3;
    end
    // stage 5
    reg signed [W-1:0] vn5;
    reg        [15:0]  r5;
    always @(posedge clk) begin
        vn5 <= sat1({v4[W-1], v4} + {sum4[W-1], sum4});
        r5 <= r4;
    end
    // the threshold (combinational)
    wire fire = (r5 == 16'd0) && (vn5 >= threshold);

    assign spike  = fire;
    assign v_next = (r5 != 16'd0 || fire) ? v_reset : vn5;
    assign r_next = (r5 != 16'd0) ? r5 - 16'd1 : (fire ? refractory : 16'd0);
endmodule
`default_nettype wire
