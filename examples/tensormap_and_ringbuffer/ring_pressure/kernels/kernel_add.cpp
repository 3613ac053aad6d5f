// AIV kernel: out = x + y. args: Tensor x, Tensor y, Tensor out.
#include <cstdint>

#include "trb/tensor.h"

extern "C" void kernel_entry(int64_t *args) {
    const trb::Tensor &x = trb::tensor_at(args, 0), &y = trb::tensor_at(args, 1), &out = trb::tensor_at(args, 2);
    const float *a = x.data<float>(), *b = y.data<float>();
    float *o = out.data<float>();
    const size_t n = out.numel();
    for (size_t i = 0; i < n; ++i) o[i] = a[i] + b[i];
}
