// f = (a + b + 1) * (a + b + 2) as a diamond of four AIV tasks:
//   t0: c = a + b;  t1: d = c + 1;  t2: e = c + 2;  t3: f = d * e;   t0 -> t1, t0 -> t2, t1 -> t3, t2 -> t3
#include <cstdint>
#include <cstring>

#include "hbg/orchestration_api.h"

namespace {

enum FuncId { ADD = 0, ADD_SCALAR = 1, MUL = 2 };

uint64_t float_bits(float value) {
    uint32_t bits;
    std::memcpy(&bits, &value, sizeof bits);
    return bits;
}

uint64_t addr(void *p) { return reinterpret_cast<uint64_t>(p); }

}  // namespace

extern "C" int build_vector_example(OrchestrationRuntime *rt, const pto::ChipStorageTaskArgs *args) {
    if (args->tensor_count != 3) {
        report_error(rt, "vector_example takes three tensors: a, b (in) and f (out)");
        return -1;
    }
    const pto::ContinuousTensor &a = args->tensors[0], &b = args->tensors[1], &f = args->tensors[2];
    const size_t n = a.element_count();
    const size_t bytes = a.nbytes();
    if (b.nbytes() != bytes || f.nbytes() != bytes) {
        report_error(rt, "vector_example: a, b and f must have the same size");
        return -1;
    }
    void *dev_a = device_malloc(rt, bytes), *dev_b = device_malloc(rt, bytes), *dev_c = device_malloc(rt, bytes);
    void *dev_d = device_malloc(rt, bytes), *dev_e = device_malloc(rt, bytes), *dev_f = device_malloc(rt, bytes);
    if (!dev_a || !dev_b || !dev_c || !dev_d || !dev_e || !dev_f) return -1;
    if (copy_to_device(rt, dev_a, reinterpret_cast<const void *>(a.data), bytes) != 0) return -1;
    if (copy_to_device(rt, dev_b, reinterpret_cast<const void *>(b.data), bytes) != 0) return -1;
    if (record_tensor_pair(rt, reinterpret_cast<void *>(f.data), dev_f, bytes) != 0) return -1;

    const uint64_t t0_args[] = {addr(dev_a), addr(dev_b), addr(dev_c), n};
    const uint64_t t1_args[] = {addr(dev_c), float_bits(1.0f), addr(dev_d), n};
    const uint64_t t2_args[] = {addr(dev_c), float_bits(2.0f), addr(dev_e), n};
    const uint64_t t3_args[] = {addr(dev_d), addr(dev_e), addr(dev_f), n};
    const int t0 = add_task(rt, t0_args, 4, ADD, HBG_AIV);
    const int t1 = add_task(rt, t1_args, 4, ADD_SCALAR, HBG_AIV);
    const int t2 = add_task(rt, t2_args, 4, ADD_SCALAR, HBG_AIV);
    const int t3 = add_task(rt, t3_args, 4, MUL, HBG_AIV);
    if (t0 < 0 || t1 < 0 || t2 < 0 || t3 < 0) return -1;
    if (add_successor(rt, t0, t1) || add_successor(rt, t0, t2) || add_successor(rt, t1, t3) || add_successor(rt, t2, t3))
        return -1;
    return 0;
}
