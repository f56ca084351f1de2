// 16-bit Sobol generator, natural order, 16 dimensions (spec 4.2).
// r = XOR of V[dim][k] over the set bits k of the index; `en` advances the
// index (mod 2^16). Direction numbers are computed at elaboration from the
// Joe-Kuo (s, a, m) table by a constant function.
`timescale 1ns / 1ps
`default_nettype none
module sc_sobol (
    input  wire        clk,
    input  wire        load,    // dim <= dim_in, index <= start
    input  wire [3:0]  dim_in,
    input  wire [15:0] start,
    input  wire        en,      // advance one point
    output wire [15:0] r,
    output reg  [15:0] index,
    output reg  [3:0]  dim
);
    // V[d][k] for k = 0..15, packed as dirs[16*k +: 16].
    function [255:0] sobol_dirs;
        input integer d;
        integer s, a, k, j;
        reg [95:0] m;
        reg [15:0] x;
        reg [255:0] v;
        begin
            s = 1; a = 0; m = 96'd0;
            case (d)
                1:  begin s = 1; a = 0;  m[15:0] = 1; end
                2:  begin s = 2; a = 1;  m[31:0] = {16'd3, 16'd1}; end
                3:  begin s = 3; a = 1;  m[47:0] = {16'd1, 16'd3, 16'd1}; end
                4:  begin s = 3; a = 2;  m[47:0] = {16'd1, 16'd1, 16'd1}; end
                5:  begin s = 4; a = 1;  m[63:0] = {16'd3, 16'd3, 16'd1, 16'd1}; end
                6:  begin s = 4; a = 4;  m[63:0] = {16'd13, 16'd5, 16'd3, 16'd1}; end
                7:  begin s = 5; a = 2;  m[79:0] = {16'd17, 16'd5, 16'd5, 16'd1, 16'd1}; end
                8:  begin s = 5; a = 4;  m[79:0] = {16'd5, 16'd5, 16'd5, 16'd1, 16'd1}; end
                9:  begin s = 5; a = 7;  m[79:0] = {16'd19, 16'd11, 16'd7, 16'd1, 16'd1}; end
                10: begin s = 5; a = 11; m[79:0] = {16'd1, 16'd1, 16'd5, 16'd1, 16'd1}; end
                11: begin s = 5; a = 13; m[79:0] = {16'd11, 16'd3, 16'd1, 16'd1, 16'd1}; end
                12: begin s = 5; a = 14; m[79:0] = {16'd31, 16'd5, 16'd5, 16'd3, 16'd1}; end
                13: begin s = 6; a = 1;  m = {16'd49, 16'd7, 16'd9, 16'd3, 16'd3, 16'd1}; end
                14: begin s = 6; a = 13; m = {16'd21, 16'd21, 16'd15, 16'd1, 16'd1, 16'd1}; end
                15: begin s = 6; a = 16; m = {16'd49, 16'd27, 16'd13, 16'd1, 16'd3, 16'd1}; end
                default: begin s = 0; a = 0; end // dimension 0: van der Corput
            endcase
            v = 256'd0;
            for (k = 0; k < 16; k = k + 1) begin
                if (s == 0) begin
                    x = 16'h8000 >> k;
                end else if (k < s) begin
                    x = m[16*k +: 16] << (15 - k);
                end else begin
                    x = v[16*(k-s) +: 16] ^ (v[16*(k-s) +: 16] >> s);
                    for (j = 1; j < s; j = j + 1)
                        if (((a >> (s - 1 - j)) & 1) == 1) x = x ^ v[16*(k-j) +: 16];
                end
                v[16*k +: 16] = x;
            end
            sobol_dirs = v;
        end
    endfunction

    wire [255:0] rom [0:15];
    genvar g;
    generate
        for (g = 0; g < 16; g = g + 1) begin : g_rom
            assign rom[g] = sobol_dirs(g);
        end
    endgenerate

    wire [255:0] v = rom[dim];
    reg  [15:0]  x;
    integer k;
    always @* begin
        x = 16'd0;
        for (k = 0; k < 16; k = k + 1)
            if (index[k]) x = x ^ v[16*k +: 16];
    end
    assign r = x;

    always @(posedge clk) begin
        if (load) begin
            index <= start;
            dim   <= dim_in;
        end else if (en) begin
            index <= index + 16'd1;
        end
    end
endmodule
`default_nettype wire
