// AIV kernel: out = acc / l, row by row. args: Tensor acc [heads, d] (f32), Tensor l [heads] (f32), Tensor out
// [heads, d] (fp16).
#include <cstdint>

#include "trb/tensor.h"

extern "C" void kernel_entry(int64_t *args) {
    const trb::Tensor &tacc = trb::tensor_at(args, 0), &tl = trb::tensor_at(args, 1), &tout = trb::tensor_at(args, 2);
    const uint32_t heads = tacc.shape[0], d = tacc.shape[1];
    const float *acc = tacc.data<float>(), *l = tl.data<float>();
    _Float16 *out = tout.data<_Float16>();
    for (uint32_t h = 0; h < heads; ++h)
        for (uint32_t x = 0; x < d; ++x) out[h * d + x] = static_cast<_Float16>(acc[h * d + x] / l[h]);
}
