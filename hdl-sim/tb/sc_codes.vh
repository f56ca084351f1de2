// Generated from sc-kernel (sc_hdl_sim::codes_vh) -- do not edit.
// The export word format's codes (docs/vectors.md).
localparam [31:0] SC_MAGIC = 32'h31564353;
localparam integer SC_ERROR_FLAG_BIT = 31;
localparam integer SC_KIND_PACK = 1;
localparam integer SC_KIND_BITWISE = 2;
localparam integer SC_KIND_DECODE = 3;
localparam integer SC_KIND_LFSR = 4;
localparam integer SC_KIND_SOBOL = 5;
localparam integer SC_KIND_MAC = 6;
localparam integer SC_KIND_LIF = 7;
localparam integer SC_KIND_NETWORK = 8;
localparam integer SC_OP_AND = 0;
localparam integer SC_OP_OR = 1;
localparam integer SC_OP_XOR = 2;
localparam integer SC_OP_XNOR = 3;
localparam integer SC_OP_NOT = 4;
localparam integer SC_OP_MUX = 5;
