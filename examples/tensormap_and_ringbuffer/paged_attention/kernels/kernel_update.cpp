// AIV kernel: fold one block into the running state. args: Tensor mj [heads], Tensor lj [heads], Tensor oj
// [heads, d] (the block's max, sum and p @ v, f32), Tensor m [heads], Tensor l [heads], Tensor acc [heads, d]
// (the running state, f32, in place), scalar first (1: the state is set from the block).
//   m' = max(m, mj);  a = exp(m - m');  b = exp(mj - m');  acc = a * acc + b * oj;  l = a * l + b * lj
#include <cmath>
#include <cstdint>

#include "trb/tensor.h"

extern "C" void kernel_entry(int64_t *args) {
    const trb::Tensor &tmj = trb::tensor_at(args, 0), &tlj = trb::tensor_at(args, 1), &toj = trb::tensor_at(args, 2);
    const trb::Tensor &tm = trb::tensor_at(args, 3), &tl = trb::tensor_at(args, 4), &tacc = trb::tensor_at(args, 5);
    const bool first = args[6] != 0;
    const uint32_t heads = toj.shape[0], d = toj.shape[1];
    const float *mj = tmj.data<float>(), *lj = tlj.data<float>(), *oj = toj.data<float>();
    float *m = tm.data<float>(), *l = tl.data<float>(), *acc = tacc.data<float>();
    for (uint32_t h = 0; h < heads; ++h) {
        if (first) {
            m[h] = mj[h];
            l[h] = lj[h];
            for (uint32_t x = 0; x < d; ++x) acc[h * d + x] = oj[h * d + x];
            continue;
        }
        const float mn = m[h] > mj[h] ? m[h] : mj[h];
        const float a = std::exp(m[h] - mn), b = std::exp(mj[h] - mn);
        for (uint32_t x = 0; x < d; ++x) acc[h * d + x] = a * acc[h * d + x] + b * oj[h * d + x];
        l[h] = a * l[h] + b * lj[h];
        m[h] = mn;
    }
}
