// sc_lif_steps: both LIF step formats on the same raw values, Q16.16 on
// all W = 32 bits and Q8.8 on the low 16. Used by both testbenches.
`timescale 1ns / 1ps
`default_nettype none
module sc_lif_steps #(
    parameter integer W = 32
) (
    input  wire signed [W-1:0] v,
    input  wire        [15:0]  r,
    input  wire signed [W-1:0] i_in,
`include "sc_lif_params.vh"
    output wire signed [31:0]  q16_v,
    output wire        [15:0]  q16_r,
    output wire                q16_spike,
    output wire signed [15:0]  q8_v,
    output wire        [15:0]  q8_r,
    output wire                q8_spike
);
    sc_lif_step #(.W(32), .F(16)) u_q16 (
        .clk(1'b0), .v(v), .r(r), .i_in(i_in), .v_rest(v_rest), .v_reset(v_reset), .threshold(threshold),
        .alpha(alpha), .res(res), .refractory(refractory), .v_next(q16_v), .r_next(q16_r),
        .spike(q16_spike));
    sc_lif_step #(.W(16), .F(8)) u_q8 (
        .clk(1'b0), .v(v[15:0]), .r(r), .i_in(i_in[15:0]), .v_rest(v_rest[15:0]), .v_reset(v_reset[15:0]),
        .threshold(threshold[15:0]), .alpha(alpha[15:0]), .res(res[15:0]), .refractory(refractory),
        .v_next(q8_v), .r_next(q8_r), .spike(q8_spike));
endmodule
`default_nettype wire
