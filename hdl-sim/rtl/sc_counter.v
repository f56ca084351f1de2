// Accumulates the popcount of a W-bit word per enabled cycle (stream decode).
`timescale 1ns / 1ps
`default_nettype none
module sc_counter #(
    parameter integer W   = 32,
    parameter integer OUT = 32
) (
    input  wire           clk,
    input  wire           clr,   // total <= 0
    input  wire           en,
    input  wire [W-1:0]   x,
    output reg  [OUT-1:0] total
);
    localparam integer CW = $clog2(W + 1);
    wire [CW-1:0] c;
    sc_popcount #(.W(W), .CW(CW)) u_pc (.x(x), .count(c));
    always @(posedge clk) begin
        if (clr) total <= {OUT{1'b0}};
        else if (en) total <= total + {{(OUT-CW){1'b0}}, c};
    end
endmodule
`default_nettype wire
