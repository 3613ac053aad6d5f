// AIV kernel: the block's part of an online softmax. args: Tensor s [heads, block] (f32), Tensor p [heads,
// block] (f32), Tensor m [heads] (f32), Tensor l [heads] (f32), scalar valid (columns of s that are real keys).
//   m = rowmax(s[:, :valid]);  p = exp(s - m) (0 past valid);  l = rowsum(p)
#include <cmath>
#include <cstdint>

#include "trb/tensor.h"

extern "C" void kernel_entry(int64_t *args) {
    const trb::Tensor &ts = trb::tensor_at(args, 0), &tp = trb::tensor_at(args, 1);
    const trb::Tensor &tm = trb::tensor_at(args, 2), &tl = trb::tensor_at(args, 3);
    const uint32_t valid = static_cast<uint32_t>(args[4]);
    const uint32_t heads = ts.shape[0], block = ts.shape[1];
    const float *s = ts.data<float>();
    float *p = tp.data<float>(), *m = tm.data<float>(), *l = tl.data<float>();
    for (uint32_t h = 0; h < heads; ++h) {
        const float *row = s + h * block;
        float mx = row[0];
        for (uint32_t j = 1; j < valid; ++j) mx = row[j] > mx ? row[j] : mx;
        float sum = 0.0f;
        for (uint32_t j = 0; j < block; ++j) {
            const float e = j < valid ? std::exp(row[j] - mx) : 0.0f;
            p[h * block + j] = e;
            sum += e;
        }
        m[h] = mx;
        l[h] = sum;
    }
}
