// C ABI over the Verilator model of rtl/sc_net.v (its default parameters:
// Q16.16, 8192 model words, L <= 256, 128 layer-0 inputs, 64 neurons per
// layer, 128 in all), for the Rust driver (sc_hdl_sim::Net). The clock
// loops run here, so a whole inference costs one call.
#include <cstdint>
#include "Vsc_net.h"
#include "vl_model.h"

using Net = VlModel<Vsc_net>;

// Write words[0..n) at addresses 0.. through a write port (we, addr,
// data), one word per clock; we is low after.
template <class A, class D>
static void write_words(Vsc_net* t, CData& we, A& addr, D& data, const uint32_t* words,
                        uint32_t n) {
    for (uint32_t a = 0; a < n; a++) {
        we = 1;
        addr = a;
        data = words[a];
        vl_tick(t);
    }
    we = 0;
}

// Pulse `go` for a clock and clock until the core is idle, counting the
// LIF steps it reports in `events` (if not null): the cycles taken, or -1
// past max_cycles.
static int64_t pulse_until_idle(Vsc_net* t, CData& go, int64_t max_cycles, uint64_t* events) {
    go = 1;
    vl_tick(t);
    go = 0;
    int64_t c = 1;
    while (t->busy) {
        if (c >= max_cycles) return -1;
        vl_tick(t);
        c++;
        if (events && t->ev_valid) (*events)++;
    }
    return c;
}

extern "C" {
void* sc_net_new(void) {
    Net* h = new Net;
    Vsc_net* t = h->top;
    t->clk = 0;
    t->rst = 1;
    t->eval();
    vl_tick(t);
    t->rst = 0;
    t->eval();
    return h;
}

void sc_net_free(void* p) { delete static_cast<Net*>(p); }

// Write n model words at addresses 0.. (the core must be idle).
void sc_net_load(void* p, const uint32_t* words, uint32_t n) {
    Vsc_net* t = vl_top<Vsc_net>(p);
    write_words(t, t->cfg_we, t->cfg_addr, t->cfg_data, words, n);
    t->eval();
}

// Pulse prep and clock until idle: the cycles taken, or -1 past max_cycles.
int64_t sc_net_prep(void* p, int64_t max_cycles) {
    Vsc_net* t = vl_top<Vsc_net>(p);
    return pulse_until_idle(t, t->prep, max_cycles, nullptr);
}

uint32_t sc_net_status(void* p) {
    Vsc_net* t = vl_top<Vsc_net>(p);
    return (uint32_t)t->ready | (uint32_t)t->done << 1 | (uint32_t)t->err << 2;
}

// Write the inputs, pulse start, clock until idle, read the n_counts
// counts and the predicted class. Returns the cycles from start to idle,
// or -1 past max_cycles. `events` gets the number of LIF steps the core
// reported (ev_valid pulses).
int64_t sc_net_run(void* p, const uint32_t* inputs, uint32_t n_inputs, uint32_t steps,
                   int64_t max_cycles, uint32_t* counts, uint32_t n_counts, uint32_t* pred,
                   uint64_t* events) {
    Vsc_net* t = vl_top<Vsc_net>(p);
    write_words(t, t->in_we, t->in_addr, t->in_data, inputs, n_inputs);
    t->steps = steps;
    *events = 0;
    int64_t c = pulse_until_idle(t, t->start, max_cycles, events);
    if (c < 0) return c;
    for (uint32_t j = 0; j < n_counts; j++) {
        t->cnt_addr = j;
        vl_tick(t);
        counts[j] = t->cnt_data;
    }
    *pred = t->pred;
    return c;
}
}
