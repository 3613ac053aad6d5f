// AIV kernel: out[i] = sqrt(log(x[i])). args: x, out (device float*), element count.
#include <cmath>
#include <cstdint>

extern "C" void kernel_entry(int64_t *args) {
    const auto *x = reinterpret_cast<const float *>(args[0]);
    auto *out = reinterpret_cast<float *>(args[1]);
    const int64_t n = args[2];
    for (int64_t i = 0; i < n; ++i) out[i] = std::sqrt(std::log(x[i]));
}
