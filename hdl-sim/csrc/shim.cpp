// C ABI over the Verilator model of tb/sc_hw_top.v, for the Rust driver.
// Ports are addressed by index; names come from one X-macro list below.
#include <cstdint>
#include "Vsc_hw_top.h"
#include "vl_model.h"

#define SC_INPUTS(X)                                                           \
    X(clk) X(g_load) X(g_en) X(lfsr_seed) X(sobol_dim) X(sobol_start) X(p)     \
    X(n_clr) X(n_en) X(n_x) X(n_w) X(n_neg) X(l_v) X(l_r) X(l_i) X(l_rest)     \
    X(l_reset) X(l_thr) X(l_alpha) X(l_res) X(l_refr) X(y_rst) X(y_clr)       \
    X(y_en) X(y_step) X(y_x) X(y_w) X(y_neg) X(y_gain) X(y_sel)
#define SC_OUTPUTS(X)                                                          \
    X(lfsr_bit) X(sobol_bit) X(lfsr_state) X(sobol_index) X(n_acc) X(q16_v)    \
    X(q16_r) X(q16_spike) X(q8_v) X(q8_r) X(q8_spike) X(y_spikes) X(y_count)   \
    X(y_v) X(y_refr)

using Hw = VlModel<Vsc_hw_top>;

#define NAME(n) #n,
static const char* const IN_NAMES[] = {SC_INPUTS(NAME)};
static const char* const OUT_NAMES[] = {SC_OUTPUTS(NAME)};

extern "C" {
int sc_hw_inputs(void) { return sizeof(IN_NAMES) / sizeof(IN_NAMES[0]); }
int sc_hw_outputs(void) { return sizeof(OUT_NAMES) / sizeof(OUT_NAMES[0]); }
const char* sc_hw_input_name(int i) { return IN_NAMES[i]; }
const char* sc_hw_output_name(int i) { return OUT_NAMES[i]; }

void* sc_hw_new(void) {
    Hw* h = new Hw;
    h->top->clk = 0;
    h->top->eval();
    return h;
}

void sc_hw_free(void* p) { delete static_cast<Hw*>(p); }

void sc_hw_set(void* p, int i, uint64_t v) {
    Vsc_hw_top* t = vl_top<Vsc_hw_top>(p);
    int k = 0;
#define SET(n) if (i == k++) { t->n = v; return; }
    SC_INPUTS(SET)
#undef SET
}

uint64_t sc_hw_get(void* p, int i) {
    Vsc_hw_top* t = vl_top<Vsc_hw_top>(p);
    int k = 0;
#define GET(n) if (i == k++) return (uint64_t)t->n;
    SC_OUTPUTS(GET)
#undef GET
    return 0;
}

void sc_hw_eval(void* p) { vl_top<Vsc_hw_top>(p)->eval(); }

void sc_hw_tick(void* p) { vl_tick(vl_top<Vsc_hw_top>(p)); }
}
