// F = exp(sqrt(log A) @ W1 + sqrt(log A) @ W2): an AIV task feeding two AIC matmuls feeding an AIV task.
#include <cstdint>

#include "hbg/orchestration_api.h"

namespace {
enum FuncId { LOG_SQRT = 0, MATMUL = 1, ADD_EXP = 2 };
uint64_t addr(void *p) { return reinterpret_cast<uint64_t>(p); }
}  // namespace

extern "C" int build_matmul(OrchestrationRuntime *rt, const pto::ChipStorageTaskArgs *args) {
    if (args->tensor_count != 4) {
        report_error(rt, "matmul takes four tensors: A, W1, W2 (in) and F (out)");
        return -1;
    }
    const pto::ContinuousTensor &a = args->tensors[0], &w1 = args->tensors[1], &w2 = args->tensors[2], &f = args->tensors[3];
    if (a.ndims != 2 || w1.ndims != 2 || w2.ndims != 2 || f.ndims != 2 || a.shapes[1] != w1.shapes[0] ||
        w1.shapes[0] != w2.shapes[0] || w1.shapes[1] != w2.shapes[1] || f.shapes[0] != a.shapes[0] ||
        f.shapes[1] != w1.shapes[1]) {
        report_error(rt, "matmul: shapes must be A (M x K), W1 and W2 (K x N), F (M x N)");
        return -1;
    }
    const uint64_t m = a.shapes[0], k = a.shapes[1], n = w1.shapes[1];
    void *dev_a = device_malloc(rt, a.nbytes()), *dev_w1 = device_malloc(rt, w1.nbytes()), *dev_w2 = device_malloc(rt, w2.nbytes());
    void *dev_l = device_malloc(rt, a.nbytes()), *dev_p = device_malloc(rt, f.nbytes()), *dev_q = device_malloc(rt, f.nbytes());
    void *dev_f = device_malloc(rt, f.nbytes());
    if (!dev_a || !dev_w1 || !dev_w2 || !dev_l || !dev_p || !dev_q || !dev_f) return -1;
    if (copy_to_device(rt, dev_a, reinterpret_cast<const void *>(a.data), a.nbytes()) ||
        copy_to_device(rt, dev_w1, reinterpret_cast<const void *>(w1.data), w1.nbytes()) ||
        copy_to_device(rt, dev_w2, reinterpret_cast<const void *>(w2.data), w2.nbytes()) ||
        record_tensor_pair(rt, reinterpret_cast<void *>(f.data), dev_f, f.nbytes()))
        return -1;
    const uint64_t l_args[] = {addr(dev_a), addr(dev_l), m * k};
    const uint64_t p_args[] = {addr(dev_l), addr(dev_w1), addr(dev_p), m, k, n};
    const uint64_t q_args[] = {addr(dev_l), addr(dev_w2), addr(dev_q), m, k, n};
    const uint64_t f_args[] = {addr(dev_p), addr(dev_q), addr(dev_f), m * n};
    const int t_l = add_task(rt, l_args, 3, LOG_SQRT, HBG_AIV);
    const int t_p = add_task(rt, p_args, 6, MATMUL, HBG_AIC);
    const int t_q = add_task(rt, q_args, 6, MATMUL, HBG_AIC);
    const int t_f = add_task(rt, f_args, 4, ADD_EXP, HBG_AIV);
    if (t_l < 0 || t_p < 0 || t_q < 0 || t_f < 0) return -1;
    return add_successor(rt, t_l, t_p) || add_successor(rt, t_l, t_q) || add_successor(rt, t_p, t_f) ||
                   add_successor(rt, t_q, t_f)
               ? -1
               : 0;
}
