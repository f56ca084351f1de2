// A registered fixed-point LIF neuron: state (v, r) updated on `step`.
`timescale 1ns / 1ps
`default_nettype none
module sc_lif #(
    parameter integer W = 32,
    parameter integer F = 16
) (
    input  wire                clk,
    input  wire                rst,    // v <= v_rest, r <= 0, spike <= 0
    input  wire                step,
    input  wire signed [W-1:0] i_in,
`include "sc_lif_params.vh"
    output reg  signed [W-1:0] v,
    output reg         [15:0]  r,
    output reg                 spike
);
    wire signed [W-1:0] vn;
    wire [15:0] rn;
    wire sp;
    sc_lif_step #(.W(W), .F(F)) u_step (
        .clk(clk), .v(v), .r(r), .i_in(i_in), .v_rest(v_rest), .v_reset(v_reset),
        .threshold(threshold), .alpha(alpha), .res(res), .refractory(refractory),
        .v_next(vn), .r_next(rn), .spike(sp)
    );
    always @(posedge clk) begin
        if (rst) begin
            v <= v_rest; r <= 16'd0; spike <= 1'b0;
        end else if (step) begin
            v <= vn; r <= rn; spike <= sp;
        end
    end
endmodule
`default_nettype wire
