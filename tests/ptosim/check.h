// check.h - the tiny harness of the ptosim C++ checks: CHECK aborts the test with a message, the
// helpers load test binaries and read the report.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "cann_runtime_api.h"
#include "ptosim/core_seam.h"
#include "ptosim/ptosim_config.h"
#include "ptosim/ptosim_report.h"
#include "test_arch.h"
#include "test_kernels.h"

#define CHECK(cond)                                                                                    \
    do {                                                                                               \
        if (!(cond)) {                                                                                 \
            std::fprintf(stderr, "CHECK failed at %s:%d: %s\n  last ptosim error: %s\n", __FILE__,      \
                         __LINE__, #cond, ptosim_last_error());                                        \
            std::exit(1);                                                                              \
        }                                                                                              \
    } while (0)

#define CHECK_EQ(a, b)                                                                                 \
    do {                                                                                               \
        const long long va_ = static_cast<long long>(a), vb_ = static_cast<long long>(b);              \
        if (va_ != vb_) {                                                                              \
            std::fprintf(stderr, "CHECK_EQ failed at %s:%d: %s = %lld, %s = %lld\n  last ptosim error: %s\n", \
                         __FILE__, __LINE__, #a, va_, #b, vb_, ptosim_last_error());                   \
            std::exit(1);                                                                              \
        }                                                                                              \
    } while (0)

// The arch the driver was started with (argv[1]).
inline TestArch g_driver_arch;

// The arch each device was configured as by configure() (the checks' view; ptosim keeps its own).
inline TestArch g_device_arch[16];

// The device the check bound its thread to (rtSetDevice is per thread), and its arch.
inline int g_device = -1;
inline TestArch g_arch;
inline void bind(int device) {
    CHECK_EQ(rtSetDevice(device), 0);
    g_device = device;
    g_arch = g_device_arch[device];
}

// The arch linked into the driver under `name`.
inline const TestArch &arch_named(const std::string &name) {
    for (const TestArch &a : test_arches())
        if (a.name == name) return a;
    std::fprintf(stderr, "arch %s is not linked into this driver\n", name.c_str());
    std::exit(2);
}

// Gives `device` the geometry of `arch`, as a harness does before it uses the device.
inline void configure(int device, const TestArch &arch) {
    const PtosimDeviceConfig config = arch.device_config();
    CHECK_EQ(ptosim_configure_device(device, &config), 0);
    g_device_arch[device] = arch;
}

inline bool contains(const char *text, const char *part) { return std::string(text).find(part) != std::string::npos; }

// Paths handed over by the test driver.
struct Binaries {
    std::string aicpu_so, aicore_so, dispatcher_so;
};

inline std::vector<uint8_t> read_bytes(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    CHECK(in.good());
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline PtosimReport report() {
    PtosimReport r{};
    CHECK_EQ(ptosim_report_get(&r, sizeof r), 0);
    return r;
}

// A zeroed device buffer of `size` bytes.
inline void *device_zeroed(size_t size) {
    void *dev = nullptr;
    CHECK_EQ(rtMalloc(&dev, size, RT_MEMORY_HBM, 0), 0);
    std::vector<uint8_t> zero(size, 0);
    CHECK_EQ(rtMemcpy(dev, size, zero.data(), size, RT_MEMCPY_HOST_TO_DEVICE), 0);
    return dev;
}

// The AICPU path the DeviceRunner takes: bootstrap the program onto the device, describe its entries
// in an op JSON, load it and resolve both. Returns the binary handle.
rtBinHandle load_test_aicpu(const Binaries &bins, rtStream_t stream, rtFuncHandle *entry, rtFuncHandle *noop,
                            uint64_t fingerprint = 0x1234abcdull);

// Enqueues the AICPU test kernel on `threads` threads.
void launch_cpu(rtFuncHandle entry, rtStream_t stream, const TestCpuArgs &args, uint32_t threads = 1);

int check_memory(const Binaries &bins);
int check_faults_and_acl(const Binaries &bins);
int check_aicpu_path(const Binaries &bins);
int check_stream_order_and_timeout(const Binaries &bins);
int check_stream_error_and_destroy(const Binaries &bins);
int check_aicore_all_cores(const Binaries &bins);
int check_register_windows(const Binaries &bins);
int check_aicore_timeout(const Binaries &bins);
int check_kernel_resolve(const Binaries &bins);
int check_device_reset(const Binaries &bins);
int check_unconfigured_device(const Binaries &bins);
int check_config_validation(const Binaries &bins);
int check_reconfigure_live_state(const Binaries &bins);
int check_mixed_arches(const Binaries &bins);
// On the bound device: a launch at its max blockDim runs expected_cores cores, each on its own register
// block inside the device's halMemCtl window (which is sized by the device's configuration).
void check_identities_at_max(const Binaries &bins, int expected_cores);
