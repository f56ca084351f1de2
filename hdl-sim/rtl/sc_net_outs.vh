// Wires for every output of an sc_net instance with the default
// parameters (the digits model's sizes), named as its ports: shared by the
// modules that instantiate the core whole (tb/tb_net_cycles.v and
// wrap_net in synth/fmax_wrap.v).
    wire        busy, ready, done, ev_valid, ev_spike;
    wire [1:0]  err;
    wire [16:0] cnt_data;
    wire [5:0]  pred, ev_neuron;
    wire [15:0] ev_step;
    wire [7:0]  ev_layer;
