// AIV kernel: out = x + s. args: Tensor x, Tensor out, scalar s (float bits in the low 32 bits).
#include <cstdint>
#include <cstring>

#include "trb/tensor.h"

extern "C" void kernel_entry(int64_t *args) {
    const trb::Tensor &x = trb::tensor_at(args, 0), &out = trb::tensor_at(args, 1);
    const uint32_t bits = static_cast<uint32_t>(args[2]);
    float s;
    std::memcpy(&s, &bits, sizeof s);
    const float *a = x.data<float>();
    float *o = out.data<float>();
    const size_t n = out.numel();
    for (size_t i = 0; i < n; ++i) o[i] = a[i] + s;
}
