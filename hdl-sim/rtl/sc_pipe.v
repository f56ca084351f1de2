// A delay line: q is d delayed by D clock edges (D register stages of W
// bits); D = 0 is a plain wire, with clk unused.
`timescale 1ns / 1ps
`default_nettype none
module sc_pipe #(
    parameter integer W = 1,
    parameter integer D = 1
) (
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire         clk,
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire [W-1:0] d,
    output wire [W-1:0] q
);
    wire [(D+1)*W-1:0] t;   // t[k*W +: W]: d delayed by k edges
    assign t[0 +: W] = d;
    genvar k;
    generate
        for (k = 0; k < D; k = k + 1) begin : g_s
            reg [W-1:0] s;
            always @(posedge clk) s <= t[k*W +: W];
            assign t[(k+1)*W +: W] = s;
        end
    endgenerate
    assign q = t[D*W +: W];
endmodule
`default_nettype wire
