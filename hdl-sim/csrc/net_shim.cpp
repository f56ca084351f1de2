// C ABI over the Verilator model of rtl/sc_net.v (its default parameters:
// Q16.16, 8192 model words, L <= 256, 128 layer-0 inputs, 64 neurons per
// layer, 128 in all), for the Rust driver (sc_hdl_sim::Net). The clock
// loops run here, so a whole inference costs one call.
#include <cstdint>
#include "Vsc_net.h"
#include "verilated.h"

struct Net {
    VerilatedContext ctx;
    Vsc_net* top;
};

static void tick(Vsc_net* t) {
    t->clk = 1;
    t->eval();
    t->clk = 0;
    t->eval();
}

extern "C" {
void* sc_net_new(void) {
    Net* h = new Net;
    h->top = new Vsc_net{&h->ctx};
    Vsc_net* t = h->top;
    t->clk = 0;
    t->rst = 1;
    t->eval();
    tick(t);
    t->rst = 0;
    t->eval();
    return h;
}

void sc_net_free(void* p) {
    Net* h = static_cast<Net*>(p);
    h->top->final();
    delete h->top;
    delete h;
}

// Write n model words at addresses 0.. (the core must be idle).
void sc_net_load(void* p, const uint32_t* words, uint32_t n) {
    Vsc_net* t = static_cast<Net*>(p)->top;
    for (uint32_t a = 0; a < n; a++) {
        t->cfg_we = 1;
        t->cfg_addr = a;
        t->cfg_data = words[a];
        tick(t);
    }
    t->cfg_we = 0;
    t->eval();
}

// Pulse prep and clock until idle: the cycles taken, or -1 past max_cycles.
int64_t sc_net_prep(void* p, int64_t max_cycles) {
    Vsc_net* t = static_cast<Net*>(p)->top;
    t->prep = 1;
    tick(t);
    t->prep = 0;
    int64_t c = 1;
    while (t->busy) {
        if (c >= max_cycles) return -1;
        tick(t);
        c++;
    }
    return c;
}

uint32_t sc_net_status(void* p) {
    Vsc_net* t = static_cast<Net*>(p)->top;
    return (uint32_t)t->ready | (uint32_t)t->done << 1 | (uint32_t)t->err << 2;
}

// Write the inputs, pulse start, clock until idle, read the n_counts
// counts and the predicted class. Returns the cycles from start to idle,
// or -1 past max_cycles. `spikes` (if not null) gets the number of LIF
// steps that spiked, per layer (up to 8 layers).
int64_t sc_net_run(void* p, const uint32_t* inputs, uint32_t n_inputs, uint32_t steps,
                   int64_t max_cycles, uint32_t* counts, uint32_t n_counts, uint32_t* pred,
                   uint64_t* events) {
    Vsc_net* t = static_cast<Net*>(p)->top;
    for (uint32_t i = 0; i < n_inputs; i++) {
        t->in_we = 1;
        t->in_addr = i;
        t->in_data = inputs[i];
        tick(t);
    }
    t->in_we = 0;
    t->steps = steps;
    t->start = 1;
    tick(t);
    t->start = 0;
    int64_t c = 1;
    *events = 0;
    while (t->busy) {
        if (c >= max_cycles) return -1;
        tick(t);
        c++;
        if (t->ev_valid) (*events)++;
    }
    for (uint32_t j = 0; j < n_counts; j++) {
        t->cnt_addr = j;
        tick(t);
        counts[j] = t->cnt_data;
    }
    *pred = t->pred;
    return c;
}
}
