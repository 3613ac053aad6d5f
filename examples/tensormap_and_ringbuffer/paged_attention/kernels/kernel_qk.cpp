// AIC kernel: s = scale * q @ k^T over one KV block. args: Tensor q [heads, d] (fp16), Tensor k [block, d]
// (fp16, one physical block of the key cache), Tensor s [heads, block] (f32), scalar scale (f32 bits).
// Rows past the block's valid length are computed too; the softmax kernel ignores them.
#include <cstdint>
#include <cstring>

#include "trb/tensor.h"

extern "C" void kernel_entry(int64_t *args) {
    const trb::Tensor &tq = trb::tensor_at(args, 0), &tk = trb::tensor_at(args, 1), &ts = trb::tensor_at(args, 2);
    const uint32_t bits = static_cast<uint32_t>(args[3]);
    float scale;
    std::memcpy(&scale, &bits, sizeof scale);
    const uint32_t heads = tq.shape[0], d = tq.shape[1], block = tk.shape[0];
    const _Float16 *q = tq.data<_Float16>(), *k = tk.data<_Float16>();
    float *s = ts.data<float>();
    for (uint32_t h = 0; h < heads; ++h)
        for (uint32_t j = 0; j < block; ++j) {
            float acc = 0.0f;
            for (uint32_t x = 0; x < d; ++x) acc += static_cast<float>(q[h * d + x]) * static_cast<float>(k[j * d + x]);
            s[h * block + j] = acc * scale;
        }
}
