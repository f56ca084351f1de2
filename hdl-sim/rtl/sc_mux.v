// SC MUX (scaled add) over W stream bits per cycle: y = (sel & a) | (~sel & b).
`timescale 1ns / 1ps
`default_nettype none
module sc_mux #(parameter integer W = 32) (
    input  wire [W-1:0] sel,
    input  wire [W-1:0] a,
    input  wire [W-1:0] b,
    output wire [W-1:0] y
);
    assign y = (sel & a) | (~sel & b);
endmodule
`default_nettype wire
