// Population count of a W-bit word (combinational).
`timescale 1ns / 1ps
`default_nettype none
module sc_popcount #(
    parameter integer W  = 32,
    parameter integer CW = $clog2(W + 1)
) (
    input  wire [W-1:0]  x,
    output reg  [CW-1:0] count
);
    integer i;
    always @* begin
        count = {CW{1'b0}};
        for (i = 0; i < W; i = i + 1)
            count = count + {{(CW-1){1'b0}}, x[i]};
    end
endmodule
`default_nettype wire
