// check_aicpu.cpp - the AICPU program path (bootstrap, op description, entries, launches) and the
// stream semantics it is launched through: ordering, sync timeout, sticky errors, destroy with work.
#include <unistd.h>

#include <cstring>

#include "check.h"
#include "pto/aicpu_bootstrap.h"

namespace {

void *upload(const std::vector<uint8_t> &bytes) {
    void *dev = nullptr;
    CHECK_EQ(rtMalloc(&dev, bytes.size(), RT_MEMORY_HBM, 0), 0);
    CHECK_EQ(rtMemcpy(dev, bytes.size(), bytes.data(), bytes.size(), RT_MEMCPY_HOST_TO_DEVICE), 0);
    return dev;
}

std::string write_json(const std::string &text) {
    char name[] = "/tmp/ptosim_check_op_XXXXXX";
    const int fd = mkstemp(name);
    CHECK(fd >= 0);
    CHECK(write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
    close(fd);
    return name;
}

std::string op_json(const std::string &so_name, const char *entry_symbol) {
    return std::string("{\n  \"test_entry\": {\"opInfo\": {\"opType\": \"test_entry\", \"functionName\": \"") + entry_symbol +
           "\", \"kernelSo\": \"" + so_name + "\", \"opKernelLib\": \"AICPUKernel\", \"flags\": [1, 2.5, true, null]}},\n" +
           "  \"test_noop\": {\"opInfo\": {\"opType\": \"test_noop\", \"functionName\": \"ptosim_test_cpu_noop\", \"kernelSo\": \"" +
           so_name + "\"}}\n}\n";
}

}  // namespace

rtBinHandle load_test_aicpu(const Binaries &bins, rtStream_t stream, rtFuncHandle *entry, rtFuncHandle *noop,
                            uint64_t fingerprint) {
    const int device = g_device;  // the block names the device the check bound
    void *dispatcher = upload(read_bytes(bins.dispatcher_so));
    const std::vector<uint8_t> program_bytes = read_bytes(bins.aicpu_so);
    void *program = upload(program_bytes);
    pto::BootstrapBlock block{};
    block.dispatcher_addr = reinterpret_cast<uint64_t>(dispatcher);
    block.dispatcher_len = read_bytes(bins.dispatcher_so).size();
    block.program_addr = reinterpret_cast<uint64_t>(program);
    block.program_len = program_bytes.size();
    block.fingerprint = fingerprint;
    block.device_id = static_cast<uint64_t>(device);
    std::vector<uint8_t> block_bytes(sizeof block);
    std::memcpy(block_bytes.data(), &block, sizeof block);
    void *block_dev = upload(block_bytes);

    pto::BootstrapLaunchArgs launch{};
    launch.kernel_args.block_addr = reinterpret_cast<uint64_t>(block_dev);
    std::snprintf(launch.kernel_name, sizeof launch.kernel_name, "%s", pto::kBootstrapKernelName);
    std::snprintf(launch.so_name, sizeof launch.so_name, "%s", pto::kBootstrapSoName);
    rtAicpuArgsEx_t args{};
    args.args = &launch;
    args.argsSize = sizeof launch;
    args.kernelNameAddrOffset = offsetof(pto::BootstrapLaunchArgs, kernel_name);
    args.soNameAddrOffset = offsetof(pto::BootstrapLaunchArgs, so_name);
    CHECK_EQ(rtAicpuKernelLaunchExWithArgs(KERNEL_TYPE_AICPU_KFC, pto::kBootstrapOpName, 1, &args, nullptr, stream, 0), 0);
    std::memset(&launch, 0, sizeof launch);  // the launch copied the args: the caller's buffer is free
    CHECK_EQ(aclrtSynchronizeStreamWithTimeout(stream, 5000), 0);
    CHECK_EQ(rtFree(dispatcher), 0);
    CHECK_EQ(rtFree(program), 0);
    CHECK_EQ(rtFree(block_dev), 0);

    char so_name[128];
    pto::aicpu_program_file_name(fingerprint, device, so_name, sizeof so_name);
    const std::string json_path = write_json(op_json(so_name, "ptosim_test_cpu_entry"));
    rtLoadBinaryOption_t option{};
    option.optionId = RT_LOAD_BINARY_OPT_CPU_KERNEL_MODE;
    option.value.cpuKernelMode = 0;
    rtLoadBinaryConfig_t config{&option, 1};
    rtBinHandle handle = nullptr;
    CHECK_EQ(rtsBinaryLoadFromFile(json_path.c_str(), &config, &handle), 0);
    unlink(json_path.c_str());
    CHECK_EQ(rtsFuncGetByName(handle, "test_entry", entry), 0);
    CHECK_EQ(rtsFuncGetByName(handle, "test_noop", noop), 0);
    return handle;
}

void launch_cpu(rtFuncHandle entry, rtStream_t stream, const TestCpuArgs &args, uint32_t threads) {
    TestCpuArgs copy = args;
    rtCpuKernelArgs_t launch{};
    launch.baseArgs.args = &copy;
    launch.baseArgs.argsSize = sizeof copy;
    rtKernelLaunchCfg_t config{};
    CHECK_EQ(rtsLaunchCpuKernel(entry, threads, stream, &config, &launch), 0);
    std::memset(&copy, 0xff, sizeof copy);  // CANN copied the args at launch
}

int check_aicpu_path(const Binaries &bins) {
    bind(0);
    ptosim_counters_reset();
    rtStream_t stream = nullptr;
    CHECK_EQ(rtStreamCreate(&stream, 0), 0);
    rtFuncHandle entry = nullptr, noop = nullptr;
    rtBinHandle handle = load_test_aicpu(bins, stream, &entry, &noop);
    CHECK_EQ(report().aicpu_bootstraps, 1);
    CHECK_EQ(report().bin_handles_live, 1);

    // One launch on six threads: every thread runs once, each with its own index.
    auto *counter = static_cast<uint32_t *>(device_zeroed(sizeof(uint32_t)));
    auto *mask = static_cast<uint64_t *>(device_zeroed(sizeof(uint64_t)));
    TestCpuArgs args{};
    args.counter_addr = reinterpret_cast<uint64_t>(counter);
    args.mask_addr = reinterpret_cast<uint64_t>(mask);
    launch_cpu(entry, stream, args, 6);
    CHECK_EQ(aclrtSynchronizeStream(stream), 0);
    uint32_t count = 0;
    uint64_t bits = 0;
    CHECK_EQ(rtMemcpy(&count, 4, counter, 4, RT_MEMCPY_DEVICE_TO_HOST), 0);
    CHECK_EQ(rtMemcpy(&bits, 8, mask, 8, RT_MEMCPY_DEVICE_TO_HOST), 0);
    CHECK_EQ(count, 6);
    CHECK_EQ(bits, 0x3f);
    CHECK_EQ(report().aicpu_launches, 1);

    // What the loader refuses: an unknown op, a symbol the .so lacks, a .so never placed, a bad bootstrap.
    rtFuncHandle f = nullptr;
    CHECK(rtsFuncGetByName(handle, "no_such_op", &f) != 0);
    const std::string missing_symbol = write_json(
        "{\"x\": {\"opInfo\": {\"opType\": \"x\", \"functionName\": \"not_there\", \"kernelSo\": \"ptogen_aicpu_0000000012345678_0.so\"}}}");
    char placed[128];
    pto::aicpu_program_file_name(0x1234abcdull, 0, placed, sizeof placed);
    const std::string with_placed = write_json(std::string("{\"x\": {\"opInfo\": {\"opType\": \"x\", \"functionName\": \"not_there\", \"kernelSo\": \"") +
                                               placed + "\"}}}");
    rtBinHandle other = nullptr;
    CHECK_EQ(rtsBinaryLoadFromFile(missing_symbol.c_str(), nullptr, &other), 107009);  // never placed
    CHECK_EQ(rtsBinaryLoadFromFile(with_placed.c_str(), nullptr, &other), 0);
    CHECK(rtsFuncGetByName(other, "x", &f) != 0);  // placed, but the symbol is missing
    CHECK_EQ(rtsBinaryUnload(other), 0);
    const std::string broken = write_json("{\"x\": {\"opInfo\": ");
    CHECK(rtsBinaryLoadFromFile(broken.c_str(), nullptr, &other) != 0);
    for (const std::string &path : {missing_symbol, with_placed, broken}) unlink(path.c_str());

    pto::BootstrapLaunchArgs launch{};
    launch.kernel_args.block_addr = 0x10;  // not device memory: the dispatcher faults
    std::snprintf(launch.kernel_name, sizeof launch.kernel_name, "%s", pto::kBootstrapKernelName);
    std::snprintf(launch.so_name, sizeof launch.so_name, "%s", pto::kBootstrapSoName);
    rtAicpuArgsEx_t bad{};
    bad.args = &launch;
    bad.argsSize = sizeof launch;
    bad.kernelNameAddrOffset = offsetof(pto::BootstrapLaunchArgs, kernel_name);
    bad.soNameAddrOffset = offsetof(pto::BootstrapLaunchArgs, so_name);
    CHECK(rtAicpuKernelLaunchExWithArgs(KERNEL_TYPE_AICPU, pto::kBootstrapOpName, 1, &bad, nullptr, stream, 0) != 0);
    rtStream_t scratch = nullptr;
    CHECK_EQ(rtStreamCreate(&scratch, 0), 0);
    CHECK_EQ(rtAicpuKernelLaunchExWithArgs(KERNEL_TYPE_AICPU_KFC, pto::kBootstrapOpName, 1, &bad, nullptr, scratch, 0), 0);
    CHECK_EQ(aclrtSynchronizeStreamWithTimeout(scratch, 5000), ACL_ERROR_RT_AICPU_EXCEPTION);
    CHECK_EQ(rtStreamDestroy(scratch), 0);

    CHECK_EQ(rtsBinaryUnload(handle), 0);
    CHECK(rtsBinaryUnload(handle) != 0);
    CHECK(rtsLaunchCpuKernel(entry, 1, stream, nullptr, nullptr) != 0);
    CHECK_EQ(rtFree(counter), 0);
    CHECK_EQ(rtFree(mask), 0);
    CHECK_EQ(rtStreamDestroy(stream), 0);
    CHECK_EQ(report().bin_handles_live, 0);
    CHECK_EQ(report().live_allocations, 0);
    return 0;
}

int check_stream_order_and_timeout(const Binaries &bins) {
    bind(0);
    ptosim_counters_reset();
    rtStream_t stream = nullptr;
    CHECK_EQ(rtStreamCreate(&stream, 0), 0);
    rtFuncHandle entry = nullptr, noop = nullptr;
    rtBinHandle handle = load_test_aicpu(bins, stream, &entry, &noop);

    // Commands run in submission order even when the first is the slowest.
    auto *log = static_cast<TestOrderLog *>(device_zeroed(sizeof(TestOrderLog)));
    for (uint32_t tag = 1; tag <= 3; ++tag) {
        TestCpuArgs args{};
        args.order_addr = reinterpret_cast<uint64_t>(log);
        args.tag = tag;
        args.sleep_ms = tag == 1 ? 30 : 0;
        launch_cpu(entry, stream, args);
    }
    CHECK_EQ(aclrtSynchronizeStreamWithTimeout(stream, 10000), 0);
    TestOrderLog seen{};
    CHECK_EQ(rtMemcpy(&seen, sizeof seen, log, sizeof seen, RT_MEMCPY_DEVICE_TO_HOST), 0);
    CHECK_EQ(seen.count, 3);
    CHECK_EQ(seen.tags[0], 1);
    CHECK_EQ(seen.tags[1], 2);
    CHECK_EQ(seen.tags[2], 3);

    // A kernel that outlives the sync timeout: the sync reports the timeout, the stream stays usable.
    TestCpuArgs slow{};
    slow.sleep_ms = 400;
    launch_cpu(entry, stream, slow);
    CHECK_EQ(aclrtSynchronizeStreamWithTimeout(stream, 20), ACL_ERROR_RT_STREAM_SYNC_TIMEOUT);
    CHECK_EQ(report().stream_sync_timeouts, 1);
    CHECK_EQ(aclrtSynchronizeStream(stream), 0);
    CHECK_EQ(aclrtSynchronizeStreamWithTimeout(stream, 0), ACL_ERROR_RT_PARAM_INVALID);

    uint32_t cube = 0, vector = 0;
    CHECK_EQ(aclrtGetStreamResLimit(stream, ACL_RT_DEV_RES_CUBE_CORE, &cube), 0);
    CHECK_EQ(aclrtGetStreamResLimit(stream, ACL_RT_DEV_RES_VECTOR_CORE, &vector), 0);
    CHECK_EQ(cube, g_arch.max_block_dim);
    CHECK_EQ(vector, 2 * cube);
    CHECK(aclrtGetStreamResLimit(reinterpret_cast<void *>(0x1), ACL_RT_DEV_RES_CUBE_CORE, &cube) != 0);

    CHECK_EQ(rtsBinaryUnload(handle), 0);
    CHECK_EQ(rtFree(log), 0);
    CHECK_EQ(rtStreamDestroy(stream), 0);
    CHECK_EQ(report().pending_at_destroy, 0);
    return 0;
}

int check_stream_error_and_destroy(const Binaries &bins) {
    bind(0);
    ptosim_counters_reset();
    rtStream_t stream = nullptr;
    CHECK_EQ(rtStreamCreate(&stream, 0), 0);
    rtFuncHandle entry = nullptr, noop = nullptr;
    rtBinHandle handle = load_test_aicpu(bins, stream, &entry, &noop);

    // A nonzero return is an AICPU exception; the stream stays in error and runs nothing more.
    auto *counter = static_cast<uint32_t *>(device_zeroed(sizeof(uint32_t)));
    TestCpuArgs failing{};
    failing.ret = 7;
    launch_cpu(entry, stream, failing, 2);
    TestCpuArgs counting{};
    counting.counter_addr = reinterpret_cast<uint64_t>(counter);
    launch_cpu(entry, stream, counting);
    CHECK_EQ(aclrtSynchronizeStreamWithTimeout(stream, 10000), ACL_ERROR_RT_AICPU_EXCEPTION);
    CHECK_EQ(aclrtSynchronizeStreamWithTimeout(stream, 10000), ACL_ERROR_RT_AICPU_EXCEPTION);
    uint32_t count = 99;
    CHECK_EQ(rtMemcpy(&count, 4, counter, 4, RT_MEMCPY_DEVICE_TO_HOST), 0);
    CHECK_EQ(count, 0);
    CHECK_EQ(report().aicpu_exceptions, 1);
    CHECK_EQ(rtStreamDestroy(stream), 0);
    CHECK_EQ(report().pending_at_destroy, 0);

    // Destroying a stream with work still running and queued is reported, and joins cleanly.
    rtStream_t busy = nullptr;
    CHECK_EQ(rtStreamCreate(&busy, 0), 0);
    TestCpuArgs slow{};
    slow.sleep_ms = 200;
    launch_cpu(entry, busy, slow);
    launch_cpu(entry, busy, counting);
    CHECK_EQ(rtStreamDestroy(busy), 0);
    CHECK_EQ(rtStreamDestroy(busy), ACL_ERROR_RT_PARAM_INVALID);
    const PtosimReport r = report();
    CHECK_EQ(r.pending_at_destroy, 1);
    CHECK_EQ(r.streams_created, 2);
    CHECK_EQ(r.streams_destroyed, 2);
    CHECK_EQ(r.streams_live, 0);
    CHECK_EQ(r.threads_abandoned, 0);
    CHECK_EQ(rtMemcpy(&count, 4, counter, 4, RT_MEMCPY_DEVICE_TO_HOST), 0);
    CHECK_EQ(count, 0);  // the queued launch was dropped with the stream
    CHECK_EQ(rtsBinaryUnload(handle), 0);
    CHECK_EQ(rtFree(counter), 0);
    return 0;
}
