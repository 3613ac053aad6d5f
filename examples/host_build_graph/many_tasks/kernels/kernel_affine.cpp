// Kernel (AIC or AIV): x[i] = x[i] * a + b in place. args: x (device float*), a and b (float bits), count.
#include <cstdint>
#include <cstring>

extern "C" void kernel_entry(int64_t *args) {
    auto *x = reinterpret_cast<float *>(args[0]);
    float a, b;
    const uint32_t a_bits = static_cast<uint32_t>(args[1]), b_bits = static_cast<uint32_t>(args[2]);
    std::memcpy(&a, &a_bits, sizeof a);
    std::memcpy(&b, &b_bits, sizeof b);
    const int64_t n = args[3];
    for (int64_t i = 0; i < n; ++i) x[i] = x[i] * a + b;
}
