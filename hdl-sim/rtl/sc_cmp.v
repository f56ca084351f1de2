// SNG comparator (spec 4): bit = r < p, with p in 0..65536 (17 bits).
`timescale 1ns / 1ps
`default_nettype none
module sc_cmp (
    input  wire [15:0] r,
    input  wire [16:0] p,
    output wire        bit_out
);
    assign bit_out = ({1'b0, r} < p);
endmodule
`default_nettype wire
