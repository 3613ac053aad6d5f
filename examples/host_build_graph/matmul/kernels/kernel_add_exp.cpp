// AIV kernel: out[i] = exp(x[i] + y[i]). args: x, y, out (device float*), element count.
#include <cmath>
#include <cstdint>

extern "C" void kernel_entry(int64_t *args) {
    const auto *x = reinterpret_cast<const float *>(args[0]);
    const auto *y = reinterpret_cast<const float *>(args[1]);
    auto *out = reinterpret_cast<float *>(args[2]);
    const int64_t n = args[3];
    for (int64_t i = 0; i < n; ++i) out[i] = std::exp(x[i] + y[i]);
}
