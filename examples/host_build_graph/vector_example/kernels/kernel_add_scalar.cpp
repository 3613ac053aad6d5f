// AIV kernel: out[i] = x[i] + s. args: x, scalar s (float bits in the low 32 bits), out, element count.
#include <cstdint>
#include <cstring>

extern "C" void kernel_entry(int64_t *args) {
    const auto *x = reinterpret_cast<const float *>(args[0]);
    const uint32_t bits = static_cast<uint32_t>(args[1]);
    float s;
    std::memcpy(&s, &bits, sizeof s);
    auto *out = reinterpret_cast<float *>(args[2]);
    const int64_t n = args[3];
    for (int64_t i = 0; i < n; ++i) out[i] = x[i] + s;
}
