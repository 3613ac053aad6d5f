// C = A @ B on the cube cores, then D = relu(C) + bias on the vector cores, in row blocks:
//   for each block r of `rows` rows:  AIC  C[r] = A[r] @ B      AIV  D[r] = relu(C[r]) + bias
// Each AIV task waits for the AIC task that wrote its block of C, and for nothing else: the TensorMap finds
// both facts from the byte ranges of the views.
#include <cstdint>

#include "trb/orchestration_api.h"

namespace {

enum FuncId { MATMUL = 0, RELU_BIAS = 1 };

}  // namespace

extern "C" void build_mixed(TrbRuntime *rt, const pto::ChipStorageTaskArgs *) {
    const trb::Tensor a = tensor_arg(rt, 0), b = tensor_arg(rt, 1), bias = tensor_arg(rt, 2);
    const trb::Tensor c = tensor_arg(rt, 3), d = tensor_arg(rt, 4);
    const uint64_t rows = scalar_arg(rt, 0);
    if (a.ndims != 2 || b.ndims != 2 || c.ndims != 2 || d.ndims != 2 || a.shape[1] != b.shape[0] ||
        c.shape[0] != a.shape[0] || c.shape[1] != b.shape[1] || d.numel() != c.numel() || bias.numel() != b.shape[1]) {
        report_fatal(rt, "mixed: shapes must be A [m, k], B [k, n], bias [n], C and D [m, n]");
        return;
    }
    const uint32_t m = a.shape[0], k = a.shape[1], n = b.shape[1];
    if (rows == 0 || m % rows != 0) {
        report_fatal(rt, "mixed: the row block must divide m");
        return;
    }
    const uint32_t r = static_cast<uint32_t>(rows);
    const uint32_t a_block[2] = {r, k}, c_block[2] = {r, n};
    for (uint32_t i = 0; i < m / r; ++i) {
        const trb::Tensor ai = trb::view(a, static_cast<uint64_t>(i) * r * k, a_block, 2);
        const trb::Tensor ci = trb::view(c, static_cast<uint64_t>(i) * r * n, c_block, 2);
        const trb::Tensor di = trb::view(d, static_cast<uint64_t>(i) * r * n, c_block, 2);
        trb::Arg mm;
        mm.add_input(ai);
        mm.add_input(b);
        mm.add_output(ci);
        submit_aic(rt, MATMUL, mm);
        trb::Arg act;
        act.add_input(ci);
        act.add_input(bias);
        act.add_output(di);
        submit_aiv(rt, RELU_BIAS, act);
    }
}
