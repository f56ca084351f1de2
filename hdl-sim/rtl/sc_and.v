// SC AND over W stream bits per cycle (spec 2).
`timescale 1ns / 1ps
`default_nettype none
module sc_and #(parameter integer W = 32) (
    input  wire [W-1:0] a,
    input  wire [W-1:0] b,
    output wire [W-1:0] y
);
    assign y = a & b;
endmodule
`default_nettype wire
