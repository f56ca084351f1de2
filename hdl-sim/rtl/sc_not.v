// SC NOT (complement) over W stream bits per cycle (spec 2).
`timescale 1ns / 1ps
`default_nettype none
module sc_not #(parameter integer W = 32) (
    input  wire [W-1:0] a,
    output wire [W-1:0] y
);
    assign y = ~a;
endmodule
`default_nettype wire
