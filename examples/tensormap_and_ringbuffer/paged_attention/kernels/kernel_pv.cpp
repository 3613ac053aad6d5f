// AIC kernel: o = p @ v over one KV block. args: Tensor p [heads, block] (f32), Tensor v [block, d] (fp16, one
// physical block of the value cache), Tensor o [heads, d] (f32).
#include <cstdint>

#include "trb/tensor.h"

extern "C" void kernel_entry(int64_t *args) {
    const trb::Tensor &tp = trb::tensor_at(args, 0), &tv = trb::tensor_at(args, 1), &to = trb::tensor_at(args, 2);
    const uint32_t heads = tp.shape[0], block = tp.shape[1], d = tv.shape[1];
    const float *p = tp.data<float>();
    const _Float16 *v = tv.data<_Float16>();
    float *o = to.data<float>();
    for (uint32_t h = 0; h < heads; ++h) {
        float *row = o + h * d;
        for (uint32_t x = 0; x < d; ++x) row[x] = 0.0f;
        for (uint32_t j = 0; j < block; ++j) {
            const float w = p[h * block + j];
            for (uint32_t x = 0; x < d; ++x) row[x] += w * static_cast<float>(v[j * d + x]);
        }
    }
}
