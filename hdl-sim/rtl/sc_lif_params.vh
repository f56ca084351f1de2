// The LIF parameter inputs (W-bit signed raw values with the module's F
// fractional bits; refractory in steps), shared by the port lists of
// sc_lif_step, sc_lif and sc_layer.
    input  wire signed [W-1:0] v_rest,
    input  wire signed [W-1:0] v_reset,
    input  wire signed [W-1:0] threshold,
    input  wire signed [W-1:0] alpha,
    input  wire signed [W-1:0] res,
    input  wire        [15:0]  refractory,
