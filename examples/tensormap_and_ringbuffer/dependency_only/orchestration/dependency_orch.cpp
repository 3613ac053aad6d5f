// Tasks whose only link is the memory they touch; the runtime must find every order from the tensors.
//   chain : `steps` in-place increments of X, alternating AIV and AIC (each waits for the previous writer)
//   fan-out: X split into `parts` disjoint slices, each doubled in place (all wait for the chain's end,
//            none for each other)
//   fan-in : Y = X (waits for every slice)
//   after  : X += 1 once more (must wait for the copy to have read X: write after read)
// So Y = 2 * (X0 + steps) and X = 2 * (X0 + steps) + 1, exactly.
#include <cstdint>

#include "trb/orchestration_api.h"

namespace {

enum FuncId { INC_AIV = 0, INC_AIC = 1, SCALE = 2, COPY = 3 };

}  // namespace

extern "C" void build_dependency_only(TrbRuntime *rt, const pto::ChipStorageTaskArgs *args) {
    const trb::Tensor x = tensor_arg(rt, 0), y = tensor_arg(rt, 1);
    const uint64_t steps = scalar_arg(rt, 0), parts = scalar_arg(rt, 1);
    const uint32_t n = static_cast<uint32_t>(x.numel());
    if (parts == 0 || n % parts != 0 || y.numel() != n) {
        report_fatal(rt, "dependency_only: X and Y must hold the same count, a multiple of parts");
        return;
    }
    (void)args;
    for (uint64_t s = 0; s < steps; ++s) {
        trb::Arg inc;
        inc.add_inout(x);
        if (s % 2 == 0)
            submit_aiv(rt, INC_AIV, inc);
        else
            submit_aic(rt, INC_AIC, inc);
    }
    const uint32_t part = n / static_cast<uint32_t>(parts);
    for (uint64_t p = 0; p < parts; ++p) {
        trb::Arg scale;
        scale.add_inout(trb::slice(x, p * part, part));
        scale.add_scalar_f32(2.0f);
        submit_aiv(rt, SCALE, scale);
    }
    trb::Arg copy;
    copy.add_input(x);
    copy.add_output(y);
    submit_aic(rt, COPY, copy);
    trb::Arg last;
    last.add_inout(x);
    submit_aiv(rt, INC_AIV, last);
}
