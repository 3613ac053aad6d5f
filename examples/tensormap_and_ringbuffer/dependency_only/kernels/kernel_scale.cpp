// In place: x *= s. args: Tensor x, scalar s (float bits in the low 32 bits).
#include <cstdint>
#include <cstring>

#include "trb/tensor.h"

extern "C" void kernel_entry(int64_t *args) {
    const trb::Tensor &x = trb::tensor_at(args, 0);
    const uint32_t bits = static_cast<uint32_t>(args[1]);
    float s;
    std::memcpy(&s, &bits, sizeof s);
    float *p = x.data<float>();
    const size_t n = x.numel();
    for (size_t i = 0; i < n; ++i) p[i] *= s;
}
