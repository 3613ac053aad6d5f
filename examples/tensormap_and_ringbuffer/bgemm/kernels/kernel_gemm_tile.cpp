// AIC kernel: p = a @ b for one pair of square float32 tiles. args: Tensor a [t, t], Tensor b [t, t], Tensor p [t, t].
#include <cstdint>

#include "trb/tensor.h"

extern "C" void kernel_entry(int64_t *args) {
    const trb::Tensor &ta = trb::tensor_at(args, 0), &tb = trb::tensor_at(args, 1), &tp = trb::tensor_at(args, 2);
    const uint32_t m = ta.shape[0], k = ta.shape[1], n = tb.shape[1];
    const float *a = ta.data<float>(), *b = tb.data<float>();
    float *p = tp.data<float>();
    for (uint32_t i = 0; i < m; ++i) {
        float *row = p + static_cast<uint64_t>(i) * n;
        for (uint32_t j = 0; j < n; ++j) row[j] = 0.0f;
        for (uint32_t x = 0; x < k; ++x) {
            const float v = a[static_cast<uint64_t>(i) * k + x];
            const float *brow = b + static_cast<uint64_t>(x) * n;
            for (uint32_t j = 0; j < n; ++j) row[j] += v * brow[j];
        }
    }
}
