// Batched tiled GEMM, C[b] = A[b] @ B[b], on tile-major operands (every t x t tile contiguous):
//   A [batch, gm, gk, t, t], B [batch, gk, gn, t, t], C [batch, gm, gn, t, t].
// Per output tile (b, i, j) and k-step x: AIC  P = A[b, i, x] @ B[b, x, j]   AIV  C[b, i, j] += P
// (the first k-step sets C). The k-steps of one tile are ordered by their in-place writes of C[b, i, j]; the
// tiles are independent. P lives in a scope per k-step.
#include <cstdint>

#include "trb/orchestration_api.h"

namespace {

enum FuncId { GEMM = 0, ADD = 1 };

}  // namespace

extern "C" void build_bgemm(TrbRuntime *rt, const pto::ChipStorageTaskArgs *) {
    const trb::Tensor a = tensor_arg(rt, 0), b = tensor_arg(rt, 1), c = tensor_arg(rt, 2);
    if (a.ndims != 5 || b.ndims != 5 || c.ndims != 5) {
        report_fatal(rt, "bgemm: A, B and C must be tile-major [batch, rows, cols, t, t]");
        return;
    }
    const uint32_t batch = a.shape[0], gm = a.shape[1], gk = a.shape[2], gn = b.shape[2], t = a.shape[3];
    if (b.shape[0] != batch || c.shape[0] != batch || b.shape[1] != gk || c.shape[1] != gm || c.shape[2] != gn ||
        a.shape[4] != t || b.shape[3] != t || b.shape[4] != t || c.shape[3] != t || c.shape[4] != t) {
        report_fatal(rt, "bgemm: shapes must be A [batch, gm, gk, t, t], B [batch, gk, gn, t, t], C [batch, gm, gn, t, t]");
        return;
    }
    const uint32_t tile[2] = {t, t};
    const uint64_t tt = static_cast<uint64_t>(t) * t;
    for (uint32_t n = 0; n < batch; ++n)
        for (uint32_t i = 0; i < gm; ++i)
            for (uint32_t j = 0; j < gn; ++j) {
                const trb::Tensor cij = trb::view(c, ((static_cast<uint64_t>(n) * gm + i) * gn + j) * tt, tile, 2);
                for (uint32_t x = 0; x < gk; ++x) {
                    TRB_SCOPE(rt) {
                        const trb::Tensor aix = trb::view(a, ((static_cast<uint64_t>(n) * gm + i) * gk + x) * tt, tile, 2);
                        const trb::Tensor bxj = trb::view(b, ((static_cast<uint64_t>(n) * gk + x) * gn + j) * tt, tile, 2);
                        const trb::Tensor p = alloc_tensor(rt, tile, 2, pto::DataType::FLOAT32);
                        trb::Arg gemm;
                        gemm.add_input(aix);
                        gemm.add_input(bxj);
                        gemm.add_output(p);
                        submit_aic(rt, GEMM, gemm);
                        trb::Arg add;
                        add.add_input(p);
                        add.add_inout(cij);
                        add.add_scalar(x == 0 ? 1 : 0);
                        submit_aiv(rt, ADD, add);
                    }
                }
            }
}
