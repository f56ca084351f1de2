// SC dense neuron: signed sign-magnitude MAC over N input streams, one
// stream bit per input per cycle (spec 5):
//   acc += popcount(w & x & ~neg) - popcount(w & x & neg)
// After L enabled cycles, acc equals the kernel's mac_signed count. With
// every w bit 1 and no neg bit it is the accumulating counter of stream
// decode (acc += popcount(x)).
`timescale 1ns / 1ps
`default_nettype none
module sc_neuron #(
    parameter integer N  = 64,
    parameter integer AW = 32
) (
    input  wire                 clk,
    input  wire                 clr,   // acc <= 0
    input  wire                 en,
    input  wire [N-1:0]         x,     // input stream bits at time t
    input  wire [N-1:0]         w,     // weight magnitude stream bits at time t
    input  wire [N-1:0]         neg,   // sign bits (1 = negative weight)
    output reg  signed [AW-1:0] acc
);
    localparam integer CW = $clog2(N + 1);
    wire [N-1:0] prod = w & x;
    wire [CW-1:0] pos, ngc;
    sc_popcount #(.W(N), .CW(CW)) u_pos (.x(prod & ~neg), .count(pos));
    sc_popcount #(.W(N), .CW(CW)) u_neg (.x(prod & neg), .count(ngc));
    wire signed [AW-1:0] delta = $signed({{(AW-CW){1'b0}}, pos}) - $signed({{(AW-CW){1'b0}}, ngc});
    always @(posedge clk) begin
        if (clr) acc <= {AW{1'b0}};
        else if (en) acc <= acc + delta;
    end
endmodule
`default_nettype wire
