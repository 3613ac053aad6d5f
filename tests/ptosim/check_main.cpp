// check_main.cpp - runs one named ptosim check:
//   ptosim_check <arch> <name> <aicpu.so> <aicore.so> <dispatcher.so>
// ptosim is arch-independent; the driver configures devices 0 and 1 as <arch> (one of the arches linked
// in through arch_config.cpp) before a check runs, except for the checks that configure devices
// themselves. Also holds the memory, fault-injection, ACL and device-reset checks.
#include <cstring>

#include "check.h"

int check_memory(const Binaries &) {
    void *p = nullptr;
    CHECK_EQ(rtMalloc(&p, 64, RT_MEMORY_HBM, 0), 107002);  // no device bound yet
    CHECK_EQ(rtSetDevice(-1), 107001);
    bind(0);
    ptosim_counters_reset();
    const PtosimReport before = report();
    CHECK_EQ(rtMalloc(&p, 1000, RT_MEMORY_HBM, 0), 0);
    CHECK(p != nullptr);
    CHECK_EQ(report().live_allocations, before.live_allocations + 1);
    CHECK_EQ(report().live_bytes, before.live_bytes + 1000);

    std::vector<uint8_t> host(2000, 7), back(2000, 0);
    CHECK_EQ(rtMemcpy(p, 1000, host.data(), 1000, RT_MEMCPY_HOST_TO_DEVICE), 0);
    CHECK_EQ(rtMemcpy(static_cast<uint8_t *>(p) + 500, 500, host.data(), 500, RT_MEMCPY_HOST_TO_DEVICE), 0);
    CHECK_EQ(rtMemcpy(back.data(), 1000, p, 1000, RT_MEMCPY_DEVICE_TO_HOST), 0);
    CHECK(std::memcmp(back.data(), host.data(), 1000) == 0);
    CHECK_EQ(report().bytes_h2d, 1500);
    CHECK_EQ(report().bytes_d2h, 1000);
    CHECK_EQ(report().invalid_accesses, 0);

    // Out of bounds, wrong kind, count above destMax: errors, and the first two are flagged.
    CHECK_EQ(rtMemcpy(p, 1001, host.data(), 1001, RT_MEMCPY_HOST_TO_DEVICE), ACL_ERROR_RT_PARAM_INVALID);
    CHECK_EQ(rtMemcpy(static_cast<uint8_t *>(p) + 500, 501, host.data(), 501, RT_MEMCPY_HOST_TO_DEVICE), ACL_ERROR_RT_PARAM_INVALID);
    CHECK_EQ(rtMemcpy(back.data(), 10, host.data(), 10, RT_MEMCPY_DEVICE_TO_HOST), ACL_ERROR_RT_PARAM_INVALID);
    CHECK_EQ(report().invalid_accesses, 3);
    CHECK_EQ(rtMemcpy(p, 10, host.data(), 20, RT_MEMCPY_HOST_TO_DEVICE), ACL_ERROR_RT_PARAM_INVALID);
    CHECK_EQ(report().bytes_h2d, 1500);

    // Frees: an interior pointer and a double free are invalid accesses.
    CHECK_EQ(rtFree(static_cast<uint8_t *>(p) + 1), ACL_ERROR_RT_PARAM_INVALID);
    CHECK_EQ(rtFree(p), 0);
    CHECK_EQ(rtFree(p), ACL_ERROR_RT_PARAM_INVALID);
    CHECK_EQ(rtMemcpy(back.data(), 8, p, 8, RT_MEMCPY_DEVICE_TO_HOST), ACL_ERROR_RT_PARAM_INVALID);  // use after free
    CHECK_EQ(report().invalid_accesses, 6);
    CHECK_EQ(report().live_allocations, before.live_allocations);
    CHECK_EQ(report().frees, 1);

    // The ACL spellings share the same checks.
    void *q = nullptr;
    CHECK_EQ(aclrtMalloc(&q, 256, ACL_MEM_MALLOC_HUGE_FIRST), 0);
    CHECK_EQ(aclrtMemcpy(q, 256, host.data(), 256, ACL_MEMCPY_HOST_TO_DEVICE), 0);
    CHECK_EQ(aclrtMemcpy(q, 257, host.data(), 257, ACL_MEMCPY_HOST_TO_DEVICE), ACL_ERROR_RT_PARAM_INVALID);

    // Host registration shows the same memory; unregistering twice is flagged.
    void *mapped = nullptr;
    CHECK_EQ(halHostRegister(q, 256, DEV_SVM_MAP_HOST, 0, &mapped), 0);
    CHECK(mapped == q);
    CHECK_EQ(report().host_registrations_live, 1);
    CHECK_EQ(halHostUnregister(q, 0), 0);
    CHECK(halHostUnregister(q, 0) != 0);
    CHECK(halHostRegister(host.data(), 16, DEV_SVM_MAP_HOST, 0, &mapped) != 0);  // not device memory
    CHECK_EQ(aclrtFree(q), 0);
    CHECK_EQ(aclrtFree(q), ACL_ERROR_RT_PARAM_INVALID);
    CHECK_EQ(report().invalid_accesses, 10);
    CHECK_EQ(report().live_allocations, before.live_allocations);
    CHECK_EQ(ptosim_call_count("rtMalloc"), 1);
    CHECK_EQ(ptosim_call_count("aclrtFree"), 2);
    CHECK(std::strstr(ptosim_report_json(), "\"rtMemcpy\": 8") != nullptr);
    return 0;
}

int check_faults_and_acl(const Binaries &) {
    bind(0);
    ptosim_counters_reset();
    CHECK_EQ(ptosim_fail_nth_call("rtMalloc", 2, 207001), 0);
    void *a = nullptr, *b = nullptr, *c = nullptr;
    CHECK_EQ(rtMalloc(&a, 64, RT_MEMORY_HBM, 0), 0);
    CHECK_EQ(rtMalloc(&b, 64, RT_MEMORY_HBM, 0), 207001);
    CHECK(b == nullptr);
    CHECK_EQ(rtMalloc(&c, 64, RT_MEMORY_HBM, 0), 0);
    CHECK_EQ(report().faults_injected, 1);
    CHECK_EQ(report().allocations, 2);
    CHECK_EQ(rtFree(a), 0);
    CHECK_EQ(rtFree(c), 0);
    // Armed from the environment by the driver: PTOSIM_FAIL=rtStreamCreate:1:207001.
    if (std::getenv("PTOSIM_FAIL") != nullptr) {
        rtStream_t s = nullptr;
        CHECK_EQ(rtStreamCreate(&s, 0), 207001);
        CHECK_EQ(rtStreamCreate(&s, 0), 0);
        CHECK_EQ(rtStreamDestroy(s), 0);
    }

    CHECK_EQ(aclrtSetDevice(0), 100001);  // before aclInit
    CHECK_EQ(aclInit(nullptr), 0);
    CHECK_EQ(aclInit(nullptr), ACL_ERROR_REPEAT_INITIALIZE);
    CHECK_EQ(aclrtSetDevice(0), 0);
    uint64_t actual = 0;
    CHECK_EQ(aclrtSetOpExecuteTimeOutV2(g_arch.op_execute_timeout_us, &actual), 0);
    CHECK_EQ(actual, g_arch.op_execute_timeout_us);
    CHECK_EQ(dlog_setlevel(0, 3, 0), 0);
    CHECK_EQ(aclrtResetDevice(0), 0);
    CHECK_EQ(aclFinalize(), 0);
    CHECK_EQ(aclFinalize(), 100037);
    uint64_t c2c = 0;
    uint32_t c2c_len = 0;
    CHECK_EQ(rtGetC2cCtrlAddr(&c2c, &c2c_len), 107002);  // the reset unbound this thread
    CHECK_EQ(rtSetDevice(0), 0);
    CHECK_EQ(rtGetC2cCtrlAddr(&c2c, &c2c_len), 0);
    CHECK(c2c != 0 && c2c_len != 0);
    return 0;
}

int check_device_reset(const Binaries &bins) {
    bind(1);
    ptosim_counters_reset();
    void *kept = nullptr, *freed = nullptr;
    CHECK_EQ(rtMalloc(&kept, 4096, RT_MEMORY_HBM, 0), 0);
    CHECK_EQ(rtMalloc(&freed, 100, RT_MEMORY_HBM, 0), 0);
    CHECK_EQ(rtFree(freed), 0);
    void *mapped = nullptr;
    CHECK_EQ(halHostRegister(kept, 4096, DEV_SVM_MAP_HOST, 1, &mapped), 0);
    rtStream_t stream = nullptr;
    CHECK_EQ(rtStreamCreate(&stream, 0), 0);
    rtFuncHandle entry = nullptr, noop = nullptr;
    load_test_aicpu(bins, stream, &entry, &noop);
    void *h = nullptr;
    const std::vector<uint8_t> aicore = read_bytes(bins.aicore_so);
    rtDevBinary_t binary{RT_DEV_BINARY_MAGIC_ELF, 0, aicore.data(), aicore.size()};
    CHECK_EQ(rtRegisterAllKernel(&binary, &h), 0);
    CHECK_EQ(report().aicore_registrations_live, 1);

    CHECK_EQ(rtDeviceReset(1), 0);
    const PtosimReport r = report();
    CHECK_EQ(r.device_resets, 1);
    // The bootstrap's three uploads were freed by load_test_aicpu; `kept` is what leaked.
    CHECK_EQ(r.leaked_allocations_at_reset, 1);
    CHECK_EQ(r.leaked_bytes_at_reset, 4096);
    CHECK_EQ(r.leaked_streams_at_reset, 1);
    CHECK_EQ(r.leaked_bin_handles_at_reset, 1);
    CHECK_EQ(r.leaked_host_registrations_at_reset, 1);
    CHECK_EQ(r.live_allocations, 0);
    CHECK_EQ(r.streams_live, 0);
    CHECK_EQ(r.bin_handles_live, 0);
    CHECK_EQ(r.aicore_registrations_live, 0);
    // Everything the device handed out is gone.
    CHECK_EQ(rtSetDevice(1), 0);
    CHECK_EQ(rtStreamDestroy(stream), ACL_ERROR_RT_PARAM_INVALID);
    CHECK_EQ(rtFree(kept), ACL_ERROR_RT_PARAM_INVALID);
    CHECK(rtsBinaryUnload(nullptr) != 0);
    // The placed program survives the reset (the device's kernel directory does): loading works again.
    CHECK_EQ(rtStreamCreate(&stream, 0), 0);
    rtFuncHandle entry2 = nullptr, noop2 = nullptr;
    rtBinHandle again = load_test_aicpu(bins, stream, &entry2, &noop2);
    CHECK_EQ(rtsBinaryUnload(again), 0);
    CHECK_EQ(rtStreamDestroy(stream), 0);
    CHECK(std::strstr(ptosim_report_json(), "\"leaked_bytes_at_reset\": 4096") != nullptr);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 6) {
        std::fprintf(stderr, "usage: %s <arch> <check> <aicpu.so> <aicore.so> <dispatcher.so>\n", argv[0]);
        return 2;
    }
    g_driver_arch = arch_named(argv[1]);
    const char *name = argv[2];
    const Binaries bins{argv[3], argv[4], argv[5]};
    struct Entry {
        const char *name;
        int (*fn)(const Binaries &);
        bool configures_itself;
    } checks[] = {
        {"memory", check_memory, false},
        {"faults_and_acl", check_faults_and_acl, false},
        {"aicpu_path", check_aicpu_path, false},
        {"stream_order_and_timeout", check_stream_order_and_timeout, false},
        {"stream_error_and_destroy", check_stream_error_and_destroy, false},
        {"aicore_all_cores", check_aicore_all_cores, false},
        {"register_windows", check_register_windows, false},
        {"aicore_timeout", check_aicore_timeout, false},
        {"device_reset", check_device_reset, false},
        {"kernel_resolve", check_kernel_resolve, false},
        {"unconfigured_device", check_unconfigured_device, true},
        {"config_validation", check_config_validation, true},
        {"reconfigure_live_state", check_reconfigure_live_state, true},
        {"mixed_arches", check_mixed_arches, true},
    };
    for (const Entry &e : checks) {
        if (std::strcmp(e.name, name) != 0) continue;
        if (!e.configures_itself) {
            configure(0, g_driver_arch);  // what the harness does before it uses a device
            configure(1, g_driver_arch);
        }
        const int rc = e.fn(bins);
        if (rc == 0) std::printf("OK %s\n", e.name);
        return rc;
    }
    std::fprintf(stderr, "unknown check %s\n", name);
    return 2;
}
