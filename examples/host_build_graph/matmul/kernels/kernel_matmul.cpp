// AIC kernel: out = x @ w for row-major float matrices. args: x (M x K), w (K x N), out (M x N), M, K, N.
#include <cstdint>

extern "C" void kernel_entry(int64_t *args) {
    const auto *x = reinterpret_cast<const float *>(args[0]);
    const auto *w = reinterpret_cast<const float *>(args[1]);
    auto *out = reinterpret_cast<float *>(args[2]);
    const int64_t m = args[3], k = args[4], n = args[5];
    for (int64_t i = 0; i < m; ++i) {
        float *row = out + i * n;
        for (int64_t j = 0; j < n; ++j) row[j] = 0.0f;
        for (int64_t p = 0; p < k; ++p) {
            const float a = x[i * k + p];
            const float *wrow = w + p * n;
            for (int64_t j = 0; j < n; ++j) row[j] += a * wrow[j];
        }
    }
}
