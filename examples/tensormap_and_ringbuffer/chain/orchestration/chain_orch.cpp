// A chain of `length` dependent in-place tasks on one tensor: X += 1, `length` times. Each task waits for the
// previous writer, so the chain runs strictly one task at a time: its per-round time measures the runtime's
// per-task cost (submit, dependency, dispatch, completion), not the kernels'.
#include <cstdint>

#include "trb/orchestration_api.h"

extern "C" void build_chain(TrbRuntime *rt, const pto::ChipStorageTaskArgs *) {
    const trb::Tensor x = tensor_arg(rt, 0);
    const uint64_t length = scalar_arg(rt, 0);
    for (uint64_t i = 0; i < length; ++i) {
        trb::Arg inc;
        inc.add_inout(x);
        if (submit_aiv(rt, 0, inc) < 0) return;
    }
}
