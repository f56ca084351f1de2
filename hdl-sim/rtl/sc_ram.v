// Simple dual-port RAM (one write port, one read port, registered read):
// the shape yosys maps to iCE40 EBR (SB_RAM40_4K). Read data is valid the
// cycle after raddr was presented.
`timescale 1ns / 1ps
`default_nettype none
module sc_ram #(
    parameter integer DW = 16,
    parameter integer AW = 8
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
        rdata <= mem[raddr];
    end
endmodule
`default_nettype wire
