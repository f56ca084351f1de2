// One fixed-point LIF step (spec 6), combinational. W-bit signed raw values
// with F fractional bits: Q16.16 is W=32, F=16; Q8.8 is W=16, F=8.
//   if r > 0: r' = r - 1, v' = v_reset, no spike
//   else: leak = sat_mul(sat_sub(v_rest, v), alpha); drive = sat_mul(i_in, res)
//         v1 = sat_add(v, sat_add(leak, drive))
//         spike if v1 >= threshold: v' = v_reset, r' = refractory; else v' = v1
// sat_mul(a, b) = sat(floor(a * b / 2^F)).
`timescale 1ns / 1ps
`default_nettype none
module sc_lif_step #(
    parameter integer W = 32,
    parameter integer F = 16
) (
    input  wire signed [W-1:0] v,
    input  wire        [15:0]  r,
    input  wire signed [W-1:0] i_in,
`include "sc_lif_params.vh"
    output wire signed [W-1:0] v_next,
    output wire        [15:0]  r_next,
    output wire                spike
);
    localparam signed [2*W:0] MAXV = (1 <<< (W - 1)) - 1;
    localparam signed [2*W:0] MINV = -(1 <<< (W - 1));

    function signed [W-1:0] sat;
        input signed [2*W:0] val;
        begin
            if (val > MAXV) sat = MAXV[W-1:0];
            else if (val < MINV) sat = MINV[W-1:0];
            else sat = val[W-1:0];
        end
    endfunction

    wire signed [2*W:0] v_w     = {{(W+1){v[W-1]}}, v};
    wire signed [2*W:0] rest_w  = {{(W+1){v_rest[W-1]}}, v_rest};
    wire signed [W-1:0] diff    = sat(rest_w - v_w);
    wire signed [2*W-1:0] lp    = diff * alpha;           // exact product
    wire signed [2*W-1:0] dp    = i_in * res;
    wire signed [2*W:0] lp_w    = {lp[2*W-1], lp};
    wire signed [2*W:0] dp_w    = {dp[2*W-1], dp};
    wire signed [W-1:0] leak    = sat(lp_w >>> F);        // floor
    wire signed [W-1:0] drive   = sat(dp_w >>> F);
    wire signed [W-1:0] sum     = sat({{(W+1){leak[W-1]}}, leak} + {{(W+1){drive[W-1]}}, drive});
    wire signed [W-1:0] v1      = sat(v_w + {{(W+1){sum[W-1]}}, sum});
    wire                fire    = (r == 16'd0) && (v1 >= threshold);

    assign spike  = fire;
    assign v_next = (r != 16'd0 || fire) ? v_reset : v1;
    assign r_next = (r != 16'd0) ? r - 16'd1 : (fire ? refractory : 16'd0);
endmodule
`default_nettype wire
