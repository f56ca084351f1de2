// What the C shims over the Verilator models share: the handle (a context
// and its top module, made together and finalised together) and the clock.
#pragma once
#include "verilated.h"

template <class V>
struct VlModel {
    VerilatedContext ctx;
    V* top;
    VlModel() : top(new V{&ctx}) {}
    ~VlModel() {
        top->final();
        delete top;
    }
    VlModel(const VlModel&) = delete;
    VlModel& operator=(const VlModel&) = delete;
};

// The top module behind a handle of the C ABI.
template <class V>
V* vl_top(void* p) {
    return static_cast<VlModel<V>*>(p)->top;
}

// One full clock: rising edge then falling edge, evaluating after each.
template <class V>
void vl_tick(V* t) {
    t->clk = 1;
    t->eval();
    t->clk = 0;
    t->eval();
}
