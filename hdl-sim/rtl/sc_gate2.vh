// The template of the two-input bitwise SC gates (spec 2): module NAME with
// W-bit stream words a and b in and y = EXPR (of a and b) out.
`ifndef SC_GATE2_VH
`define SC_GATE2_VH
`define SC_GATE2(NAME, EXPR) \
module NAME #(parameter integer W = 32) ( \
    input  wire [W-1:0] a, \
    input  wire [W-1:0] b, \
    output wire [W-1:0] y \
); \
    assign y = EXPR; \
endmodule
`endif
