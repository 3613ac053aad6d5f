// Many small rows through the rings: per row i, a scope holding one heap buffer t:
//   t = X[i] + X[i];  Y[i] = t + 1
// With small rings (PTO_TRB_TASK_RING, PTO_TRB_HEAP_BYTES) the orchestrator must wait for completions to
// reuse task slots and heap bytes. `mode` selects deliberate misuse, for the deadlock tests:
//   0  each row's buffer dies with its scope (works with any heap that holds one row)
//   1  every row's buffer in the outer scope: the heap ring fills with buffers nobody may free (deadlock)
//   2  one buffer bigger than any heap ring
#include <cstdint>

#include "trb/orchestration_api.h"

namespace {

enum FuncId { ADD = 0, ADD_SCALAR = 1 };

void row(TrbRuntime *rt, const trb::Tensor &x, const trb::Tensor &y, const trb::Tensor &t) {
    trb::Arg twice;
    twice.add_input(x);
    twice.add_input(x);
    twice.add_output(t);
    submit_aiv(rt, ADD, twice);
    trb::Arg plus;
    plus.add_input(t);
    plus.add_output(y);
    plus.add_scalar_f32(1.0f);
    submit_aiv(rt, ADD_SCALAR, plus);
}

}  // namespace

extern "C" void build_ring_pressure(TrbRuntime *rt, const pto::ChipStorageTaskArgs *) {
    const trb::Tensor x = tensor_arg(rt, 0), y = tensor_arg(rt, 1);
    const uint64_t mode = scalar_arg(rt, 0);
    const uint32_t rows = x.shape[0], n = x.ndims == 2 ? x.shape[1] : 0;
    if (x.ndims != 2 || y.numel() != x.numel()) {
        report_fatal(rt, "ring_pressure: X and Y must be [rows, n]");
        return;
    }
    const uint32_t shape[1] = {n};
    if (mode == 2) {
        const uint32_t huge[2] = {1u << 16, 1u << 16};  // 16 GiB of float32
        alloc_tensor(rt, huge, 2, pto::DataType::FLOAT32);
        return;
    }
    for (uint32_t i = 0; i < rows; ++i) {
        const trb::Tensor xi = trb::slice(x, static_cast<uint64_t>(i) * n, n), yi = trb::slice(y, static_cast<uint64_t>(i) * n, n);
        if (mode == 1) {
            row(rt, xi, yi, alloc_tensor(rt, shape, 1, pto::DataType::FLOAT32));
            continue;
        }
        TRB_SCOPE(rt) { row(rt, xi, yi, alloc_tensor(rt, shape, 1, pto::DataType::FLOAT32)); }
    }
}
