// A small SC spiking layer (spec 7, one layer): M neurons over N inputs.
// Per time step: pulse `clr`, then L = 2^LOG2L cycles with `en` high,
// presenting stream bit t of every input (x) and weight (w, neuron-major:
// w[j*N + i]); then pulse `step`: each neuron's current is
// sat(floor(acc * gain / L)) and its LIF state advances; `spikes` holds the
// result. (The RTL supports power-of-two L only, so the division is a shift.)
`timescale 1ns / 1ps
`default_nettype none
module sc_layer #(
    parameter integer N     = 8,
    parameter integer M     = 4,
    parameter integer W     = 32,
    parameter integer F     = 16,
    parameter integer LOG2L = 6,
    parameter integer AW    = 32
) (
    input  wire                clk,
    input  wire                rst,
    input  wire                clr,
    input  wire                en,
    input  wire                step,
    input  wire [N-1:0]        x,
    input  wire [M*N-1:0]      w,
    input  wire [M*N-1:0]      neg,
    input  wire signed [W-1:0] gain,
`include "sc_lif_params.vh"
    output wire [M-1:0]        spikes,
    output wire [M*AW-1:0]     counts,      // MAC accumulators (signed)
    output wire [M*W-1:0]      membranes,   // LIF membranes (raw)
    output wire [M*16-1:0]     refr         // refractory counters
);
    localparam signed [AW+W:0] MAXI = (1 <<< (W - 1)) - 1;
    localparam signed [AW+W:0] MINI = -(1 <<< (W - 1));
    genvar j;
    generate
        for (j = 0; j < M; j = j + 1) begin : g_n
            wire signed [AW-1:0] acc;
            sc_neuron #(.N(N), .AW(AW)) u_mac (
                .clk(clk), .clr(clr | rst), .en(en), .x(x),
                .w(w[j*N +: N]), .neg(neg[j*N +: N]), .acc(acc)
            );
            wire signed [AW+W-1:0] prod = acc * gain;
            wire signed [AW+W:0] scaled = $signed({prod[AW+W-1], prod}) >>> LOG2L;  // floor
            wire signed [W-1:0] cur = (scaled > MAXI) ? MAXI[W-1:0] :
                                      (scaled < MINI) ? MINI[W-1:0] : scaled[W-1:0];
            sc_lif #(.W(W), .F(F)) u_lif (
                .clk(clk), .rst(rst), .step(step), .i_in(cur),
                .v_rest(v_rest), .v_reset(v_reset), .threshold(threshold),
                .alpha(alpha), .res(res), .refractory(refractory),
                .v(membranes[j*W +: W]), .r(refr[j*16 +: 16]), .spike(spikes[j])
            );
            assign counts[j*AW +: AW] = acc;
        end
    endgenerate
endmodule
`default_nettype wire
