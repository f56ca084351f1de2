// Pin-limited wrappers for place-and-route timing only: every input of the
// design under test comes from a serial shift chain and its outputs are
// XOR-reduced to one pin, so the DUT fits an iCE40 package. LUT/FF figures
// are taken from the bare modules, not these wrappers.
`timescale 1ns / 1ps
`default_nettype none
module wrap_neuron (
    input  wire clk,
    input  wire sin,
    input  wire clr,
    input  wire en,
    output wire out
);
    localparam integer N = 64;
    reg [3*N-1:0] chain;
    always @(posedge clk) chain <= {chain[3*N-2:0], sin};
    wire signed [31:0] acc;
    sc_neuron #(.N(N), .AW(32)) dut (
        .clk(clk), .clr(clr), .en(en), .x(chain[0 +: N]), .w(chain[N +: N]),
        .neg(chain[2*N +: N]), .acc(acc));
    assign out = ^acc;
endmodule

module wrap_lif #(
    parameter integer W = 32,
    parameter integer F = 16
) (
    input  wire clk,
    input  wire sin,
    input  wire rst,
    input  wire step,
    output wire out
);
    reg [6*W+15:0] chain;
    always @(posedge clk) chain <= {chain[6*W+14:0], sin};
    wire signed [W-1:0] v;
    wire [15:0] r;
    wire spike;
    sc_lif #(.W(W), .F(F)) dut (
        .clk(clk), .rst(rst), .step(step), .i_in(chain[0 +: W]), .v_rest(chain[W +: W]),
        .v_reset(chain[2*W +: W]), .threshold(chain[3*W +: W]), .alpha(chain[4*W +: W]),
        .res(chain[5*W +: W]), .refractory(chain[6*W +: 16]), .v(v), .r(r), .spike(spike));
    assign out = ^{v, r, spike};
endmodule

// The network core (digits sizes, Q16.16): every control and data input
// from the shift chain, every output XOR-reduced.
module wrap_net (
    input  wire clk,
    input  wire sin,
    output wire out
);
    reg [96:0] chain;
    always @(posedge clk) chain <= {chain[95:0], sin};
`include "sc_net_outs.vh"
    sc_net dut (
        .clk(clk), .rst(chain[96]), .cfg_we(chain[0]), .cfg_addr(chain[13:1]), .cfg_data(chain[45:14]),
        .in_we(chain[46]), .in_addr(chain[53:47]), .in_data(chain[70:54]), .prep(chain[71]),
        .start(chain[72]), .steps(chain[89:73]), .busy(busy), .ready(ready), .done(done), .err(err),
        .cnt_addr(chain[95:90]), .cnt_data(cnt_data), .pred(pred), .ev_valid(ev_valid),
        .ev_step(ev_step), .ev_layer(ev_layer), .ev_neuron(ev_neuron), .ev_spike(ev_spike));
    assign out = ^{busy, ready, done, err, cnt_data, pred, ev_valid, ev_step, ev_layer, ev_neuron, ev_spike};
endmodule
`default_nettype wire
