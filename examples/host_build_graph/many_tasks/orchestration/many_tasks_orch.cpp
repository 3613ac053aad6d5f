// Many independent chains of in-place affine steps (alternating AIC and AIV), then a tree of adds that
// sums the chains: chains * stages + (chains - 1) tasks, enough to keep 24 blocks of cores busy.
//   args: X (chains x n, in), OUT (n, out); scalars: stages.
#include <cstdint>
#include <cstring>
#include <vector>

#include "hbg/orchestration_api.h"

namespace {
// One affine source, compiled for each core kind: func 0 runs on AIV, func 2 on AIC.
enum FuncId { AFFINE_AIV = 0, ADD = 1, AFFINE_AIC = 2 };
uint64_t addr(void *p) { return reinterpret_cast<uint64_t>(p); }
uint64_t float_bits(float value) {
    uint32_t bits;
    std::memcpy(&bits, &value, sizeof bits);
    return bits;
}
}  // namespace

extern "C" int build_many_tasks(OrchestrationRuntime *rt, const pto::ChipStorageTaskArgs *args) {
    if (args->tensor_count != 2 || args->scalar_count != 1) {
        report_error(rt, "many_tasks takes tensors X (chains x n) and OUT (n), and the scalar stages");
        return -1;
    }
    const pto::ContinuousTensor &x = args->tensors[0], &out = args->tensors[1];
    const uint64_t chains = x.shapes[0], n = x.shapes[1], stages = args->scalars[0];
    if (x.ndims != 2 || out.element_count() != n || chains < 1 || stages < 1) {
        report_error(rt, "many_tasks: X must be chains x n and OUT n long, with chains and stages >= 1");
        return -1;
    }
    const size_t row_bytes = n * sizeof(float);
    std::vector<void *> rows(chains);
    std::vector<int> last(chains, -1);
    for (uint64_t c = 0; c < chains; ++c) {
        rows[c] = device_malloc(rt, row_bytes);
        if (!rows[c] || copy_to_device(rt, rows[c], reinterpret_cast<const char *>(x.data) + c * row_bytes, row_bytes)) return -1;
        for (uint64_t s = 0; s < stages; ++s) {
            const float a = 1.0f + 0.01f * static_cast<float>((c + s) % 7), b = 0.1f * static_cast<float>(s % 3);
            const uint64_t step_args[] = {addr(rows[c]), float_bits(a), float_bits(b), n};
            const int task = s % 2 == 0 ? add_task(rt, step_args, 4, AFFINE_AIV, HBG_AIV)
                                       : add_task(rt, step_args, 4, AFFINE_AIC, HBG_AIC);
            if (task < 0 || (last[c] >= 0 && add_successor(rt, last[c], task))) return -1;
            last[c] = task;
        }
    }
    // Pairwise tree: each level adds neighbours into fresh buffers until one row is left.
    while (rows.size() > 1) {
        std::vector<void *> next_rows;
        std::vector<int> next_last;
        for (size_t i = 0; i + 1 < rows.size(); i += 2) {
            void *sum = device_malloc(rt, row_bytes);
            if (!sum) return -1;
            const uint64_t add_args[] = {addr(rows[i]), addr(rows[i + 1]), addr(sum), n};
            const int task = add_task(rt, add_args, 4, ADD, HBG_AIV);
            if (task < 0 || add_successor(rt, last[i], task) || add_successor(rt, last[i + 1], task)) return -1;
            next_rows.push_back(sum);
            next_last.push_back(task);
        }
        if (rows.size() % 2 == 1) {
            next_rows.push_back(rows.back());
            next_last.push_back(last.back());
        }
        rows.swap(next_rows);
        last.swap(next_last);
    }
    return record_tensor_pair(rt, reinterpret_cast<void *>(out.data), rows[0], row_bytes);
}
