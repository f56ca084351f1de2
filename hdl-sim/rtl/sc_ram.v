// RAM with one write port and a registered read (read data valid the cycle
// after the read address was presented), in the two shapes yosys maps to
// iCE40 block RAM:
//   SP = 0: simple dual port (waddr, raddr independent; a read during a
//           write gives the old word): iCE40 EBR (SB_RAM40_4K).
//   SP = 1: single port: waddr and raddr must be the same address, and
//           rdata holds during a write: the shape `synth_ice40 -spram`
//           maps to the UP5K's SB_SPRAM256KA (16K x 16 each).
`timescale 1ns / 1ps
`default_nettype none
module sc_ram #(
    parameter integer DW = 16,
    parameter integer AW = 8,
    parameter integer SP = 0
) (
    input  wire          clk,
    input  wire          we,
    input  wire [AW-1:0] waddr,
    input  wire [DW-1:0] wdata,
    input  wire [AW-1:0] raddr,
    output reg  [DW-1:0] rdata
);
    reg [DW-1:0] mem [0:(1 << AW) - 1];
    always @(posedge clk) begin
        if (we) mem[waddr] <= wdata;
        if (SP == 0 || !we) rdata <= mem[raddr];
    end
endmodule
`default_nettype wire
