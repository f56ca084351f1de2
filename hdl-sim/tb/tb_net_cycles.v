// Cycle count of the network core (sc_net, default parameters) on one
// model and one sample, for hdl-sim/scripts/synth.sh:
//   +MODEL=<memh>   the model words from `format` on (a model export
//                   without its first two words), one hex word per line
//   +NMODEL=<n>     their number
//   +INPUTS=<memh>  the sample's input probabilities (Q0.16), one per line
//   +NINPUTS=<n>    their number
//   +STEPS=<n>      time steps
// Prints `prep <cycles> run <cycles> class <k>`; fails if the core reports
// an error.
`timescale 1ns / 1ps
`default_nettype none
module tb_net_cycles;
    reg clk, rst, cfg_we, in_we, prep, start;
    reg [12:0] cfg_addr;
    reg [31:0] cfg_data;
    reg [6:0] in_addr;
    reg [16:0] in_data, steps;
`include "sc_net_outs.vh"
    sc_net dut (
        .clk(clk), .rst(rst), .cfg_we(cfg_we), .cfg_addr(cfg_addr), .cfg_data(cfg_data),
        .in_we(in_we), .in_addr(in_addr), .in_data(in_data), .prep(prep), .start(start),
        .steps(steps), .busy(busy), .ready(ready), .done(done), .err(err), .cnt_addr(6'd0),
        .cnt_data(cnt_data), .pred(pred), .ev_valid(ev_valid), .ev_step(ev_step),
        .ev_layer(ev_layer), .ev_neuron(ev_neuron), .ev_spike(ev_spike));

`include "sc_tick.vh"

    reg [31:0] model [0:8191];
    reg [31:0] inputs [0:127];
    reg [8*512-1:0] mpath, ipath;
    integer nmodel, ninputs, nsteps, a, cp, cr;
    initial begin
        clk = 1'b0; rst = 1'b1; cfg_we = 1'b0; in_we = 1'b0; prep = 1'b0; start = 1'b0;
        cfg_addr = 13'd0; cfg_data = 32'd0; in_addr = 7'd0; in_data = 17'd0; steps = 17'd0;
        if (!$value$plusargs("MODEL=%s", mpath) || !$value$plusargs("NMODEL=%d", nmodel)
            || !$value$plusargs("INPUTS=%s", ipath) || !$value$plusargs("NINPUTS=%d", ninputs)
            || !$value$plusargs("STEPS=%d", nsteps))
            $fatal(1, "usage: +MODEL=f +NMODEL=n +INPUTS=f +NINPUTS=n +STEPS=n");
        if (nmodel > 8192 || ninputs > 128) $fatal(1, "model or sample larger than the core");
        $readmemh(mpath, model, 0, nmodel - 1);
        $readmemh(ipath, inputs, 0, ninputs - 1);
        tick; rst = 1'b0;
        for (a = 0; a < nmodel; a = a + 1) begin
            cfg_we = 1'b1; cfg_addr = a[12:0]; cfg_data = model[a]; tick;
        end
        cfg_we = 1'b0;
        prep = 1'b1; tick; prep = 1'b0; cp = 1;
        while (busy) begin tick; cp = cp + 1; end
        if (!ready) $fatal(1, "the core did not prepare the model (err %0d)", err);
        for (a = 0; a < ninputs; a = a + 1) begin
            in_we = 1'b1; in_addr = a[6:0]; in_data = inputs[a][16:0]; tick;
        end
        in_we = 1'b0; steps = nsteps[16:0];
        start = 1'b1; tick; start = 1'b0; cr = 1;
        while (busy) begin tick; cr = cr + 1; end
        if (!done || err != 2'd0) $fatal(1, "the run failed (err %0d)", err);
        $display("prep %0d run %0d class %0d", cp, cr, pred);
        $finish;
    end
endmodule
`default_nettype wire
