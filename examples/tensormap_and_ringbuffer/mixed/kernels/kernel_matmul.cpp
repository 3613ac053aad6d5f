// AIC kernel: c = a @ b for row-major float32 matrices. args: Tensor a [m, k], Tensor b [k, n], Tensor c [m, n].
#include <cstdint>

#include "trb/tensor.h"

extern "C" void kernel_entry(int64_t *args) {
    const trb::Tensor &ta = trb::tensor_at(args, 0), &tb = trb::tensor_at(args, 1), &tc = trb::tensor_at(args, 2);
    const uint32_t m = ta.shape[0], k = ta.shape[1], n = tb.shape[1];
    const float *a = ta.data<float>(), *b = tb.data<float>();
    float *c = tc.data<float>();
    for (uint32_t i = 0; i < m; ++i) {
        float *row = c + static_cast<uint64_t>(i) * n;
        for (uint32_t j = 0; j < n; ++j) row[j] = 0.0f;
        for (uint32_t p = 0; p < k; ++p) {
            const float x = a[static_cast<uint64_t>(i) * k + p];
            const float *brow = b + static_cast<uint64_t>(p) * n;
            for (uint32_t j = 0; j < n; ++j) row[j] += x * brow[j];
        }
    }
}
