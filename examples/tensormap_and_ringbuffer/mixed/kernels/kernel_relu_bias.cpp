// AIV kernel: d = relu(c) + bias, row by row. args: Tensor c [m, n], Tensor bias [n], Tensor d [m, n].
#include <cstdint>

#include "trb/tensor.h"

extern "C" void kernel_entry(int64_t *args) {
    const trb::Tensor &tc = trb::tensor_at(args, 0), &tbias = trb::tensor_at(args, 1), &td = trb::tensor_at(args, 2);
    const uint32_t m = tc.shape[0], n = tc.shape[1];
    const float *c = tc.data<float>(), *bias = tbias.data<float>();
    float *d = td.data<float>();
    for (uint32_t i = 0; i < m; ++i)
        for (uint32_t j = 0; j < n; ++j) {
            const float v = c[static_cast<uint64_t>(i) * n + j];
            d[static_cast<uint64_t>(i) * n + j] = (v > 0.0f ? v : 0.0f) + bias[j];
        }
}
