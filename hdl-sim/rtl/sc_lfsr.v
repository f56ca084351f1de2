// Galois right-shifting LFSR with 16-bit comparator value (spec 4.1).
// WIDTH/MASK pairs: 8/'hB8, 16/'hB400, 32/'h80200003.
// r is the comparator value of the *current* state; `en` advances one step.
`timescale 1ns / 1ps
`default_nettype none
module sc_lfsr #(
    parameter integer WIDTH = 16,
    parameter [WIDTH-1:0] MASK = 16'hB400
) (
    input  wire             clk,
    input  wire             load,   // state <= seed (seed must be nonzero)
    input  wire [WIDTH-1:0] seed,
    input  wire             en,     // advance one step
    output reg  [WIDTH-1:0] state,
    output wire [15:0]      r
);
    always @(posedge clk) begin
        if (load) state <= seed;
        else if (en) state <= (state >> 1) ^ ({WIDTH{state[0]}} & MASK);
    end
    generate
        if (WIDTH >= 16) begin : g_wide
            assign r = state[WIDTH-1 -: 16];
        end else begin : g_narrow
            assign r = {state, {(16 - WIDTH){1'b0}}};
        end
    endgenerate
endmodule
`default_nettype wire
