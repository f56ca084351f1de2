// Single-port RAM, registered read, output held during a write: the shape
// `synth_ice40 -spram` maps to the UP5K's SB_SPRAM256KA (16K x 16 each).
// Read data is valid the cycle after addr was presented with we low.
`timescale 1ns / 1ps
`default_nettype none
module sc_spram #(
    parameter integer DW = 32,
    parameter integer AW = 13
) (
    input  wire          clk,
    input  wire          we,
    input  wire [AW-1:0] addr,
    input  wire [DW-1:0] wdata,
    output reg  [DW-1:0] rdata
);
    reg [DW-1:0] mem [0:(1 << AW) - 1];
    always @(posedge clk) begin
        if (we) mem[addr] <= wdata;
        else rdata <= mem[addr];
    end
endmodule
`default_nettype wire
