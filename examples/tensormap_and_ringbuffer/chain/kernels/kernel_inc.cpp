// In place: x += 1. args: Tensor x (float32).
#include <cstdint>

#include "trb/tensor.h"

extern "C" void kernel_entry(int64_t *args) {
    const trb::Tensor &x = trb::tensor_at(args, 0);
    float *p = x.data<float>();
    const size_t n = x.numel();
    for (size_t i = 0; i < n; ++i) p[i] += 1.0f;
}
