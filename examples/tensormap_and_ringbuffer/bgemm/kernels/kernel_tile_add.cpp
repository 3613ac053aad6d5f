// AIV kernel: c += p (or c = p when `first`). args: Tensor p, Tensor c (in place), scalar first.
#include <cstdint>

#include "trb/tensor.h"

extern "C" void kernel_entry(int64_t *args) {
    const trb::Tensor &tp = trb::tensor_at(args, 0), &tc = trb::tensor_at(args, 1);
    const bool first = args[2] != 0;
    const float *p = tp.data<float>();
    float *c = tc.data<float>();
    const size_t n = tc.numel();
    if (first)
        for (size_t i = 0; i < n; ++i) c[i] = p[i];
    else
        for (size_t i = 0; i < n; ++i) c[i] += p[i];
}
