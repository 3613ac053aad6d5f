// check_aicore.cpp - the AICore program path: registration, a launch on every core with the identity
// each core sees, the register windows the host maps (both the halMemCtl window of the default hook and
// the halResMap blocks of the per-core hook) against the block each core is told is its own, the
// register hand-off through the wait seam, and the op execute timeout.
#include <cstring>
#include <ctime>

#include "check.h"

namespace {

// The host's register table the way the default hook (halMemCtl window) builds it.
std::vector<uint64_t> window_table(int block_dim, int kind) {
    uint64_t occupancy[2] = {0, 0};
    int32_t size = sizeof occupancy;
    CHECK_EQ(halGetDeviceInfoByBuff(static_cast<uint32_t>(g_device), MODULE_TYPE_AICORE, INFO_TYPE_OCCUPY, occupancy, &size), 0);
    std::vector<int> usable;
    for (int core = 0; core < g_arch.physical_aicores; ++core)
        if (occupancy[core / 64] & (1ull << (core % 64))) usable.push_back(core);
    CHECK_EQ(usable.size(), g_arch.physical_aicores);
    AddrMapInPara in{static_cast<unsigned int>(kind), static_cast<unsigned int>(g_device)};
    AddrMapOutPara out{};
    size_t out_size = sizeof out;
    CHECK_EQ(halMemCtl(CTRL_TYPE_ADDR_MAP, &in, sizeof in, &out, &out_size), 0);
    CHECK_EQ(out_size, sizeof out);
    const uint64_t per_kind = static_cast<uint64_t>(g_arch.physical_aicores) * g_arch.reg_block_size;
    CHECK(out.len >= per_kind * g_arch.cores_per_block);
    const int cores = block_dim * g_arch.cores_per_block;
    std::vector<uint64_t> bases(static_cast<size_t>(cores));
    for (int core = 0; core < cores; ++core) {
        uint64_t slot;
        if (core < block_dim) {
            slot = static_cast<uint64_t>(usable[core]) * g_arch.aic_per_block;
        } else {
            const int aiv = core - block_dim;
            slot = per_kind / g_arch.reg_block_size * g_arch.aic_per_block +
                   static_cast<uint64_t>(usable[aiv / g_arch.aiv_per_block]) * g_arch.aiv_per_block + aiv % g_arch.aiv_per_block;
        }
        bases[core] = out.ptr + slot * g_arch.reg_block_size;
    }
    return bases;
}

// The host's register table the way the per-core hook (halResMap, res_id = block * 3 + lane) builds it.
std::vector<uint64_t> resmap_table(int block_dim) {
    const int cores = block_dim * g_arch.cores_per_block;
    std::vector<uint64_t> bases(static_cast<size_t>(cores));
    for (int core = 0; core < cores; ++core) {
        res_map_info info{};
        info.target_proc_type = PROCESS_CP1;
        info.res_type = RES_AICORE;
        info.res_id = static_cast<unsigned int>(
            core < block_dim ? core * g_arch.cores_per_block
                             : ((core - block_dim) / g_arch.aiv_per_block) * g_arch.cores_per_block + g_arch.aic_per_block +
                                   (core - block_dim) % g_arch.aiv_per_block);
        unsigned long va = 0;
        unsigned int len = 0;
        CHECK_EQ(halResMap(static_cast<unsigned int>(g_device), &info, &va, &len), 0);
        CHECK_EQ(len, g_arch.reg_block_size);
        bases[core] = va;
    }
    return bases;
}

struct AicoreFixture {
    rtStream_t stream = nullptr;
    void *handle = nullptr;
    void *args_dev = nullptr;
    std::vector<uint8_t> program;

    explicit AicoreFixture(const Binaries &bins) : program(read_bytes(bins.aicore_so)) {
        CHECK_EQ(rtStreamCreate(&stream, 0), 0);
        rtDevBinary_t binary{RT_DEV_BINARY_MAGIC_ELF, 0, program.data(), program.size()};
        CHECK_EQ(rtRegisterAllKernel(&binary, &handle), 0);
        args_dev = device_zeroed(sizeof(TestCoreArgs));
    }
    void launch(int block_dim, const TestCoreArgs &args) {
        CHECK_EQ(rtMemcpy(args_dev, sizeof args, &args, sizeof args, RT_MEMCPY_HOST_TO_DEVICE), 0);
        struct {
            void *kernel_args;
        } packed{args_dev};
        rtArgsEx_t ex{};
        ex.args = &packed;
        ex.argsSize = sizeof packed;
        rtTaskCfgInfo_t config{};
        config.schemMode = RT_SCHEM_MODE_BATCH;
        CHECK_EQ(rtKernelLaunchWithHandleV2(handle, 0, static_cast<uint32_t>(block_dim), &ex, nullptr, stream, &config), 0);
    }
};

// Launches the identity recorder on block_dim blocks of the bound device; returns the device records.
TestCoreRecord *start_identities(AicoreFixture &f, int block_dim) {
    const int cores = block_dim * g_arch.cores_per_block;
    auto *records = static_cast<TestCoreRecord *>(device_zeroed(sizeof(TestCoreRecord) * cores));
    TestCoreArgs args{};
    args.out_addr = reinterpret_cast<uint64_t>(records);
    args.mode = kRecordIdentity;
    f.launch(block_dim, args);
    return records;
}

// Waits for that launch (its device bound again) and checks every core against the host's register
// tables of that device; returns the register bases the cores saw.
std::vector<uint64_t> finish_identities(AicoreFixture &f, int block_dim, TestCoreRecord *records) {
    const int cores = block_dim * g_arch.cores_per_block;
    CHECK_EQ(aclrtSynchronizeStreamWithTimeout(f.stream, 30000), 0);
    std::vector<TestCoreRecord> seen(static_cast<size_t>(cores));
    CHECK_EQ(rtMemcpy(seen.data(), sizeof(TestCoreRecord) * cores, records, sizeof(TestCoreRecord) * cores, RT_MEMCPY_DEVICE_TO_HOST), 0);
    const std::vector<uint64_t> ctrl = window_table(block_dim, ADDR_MAP_TYPE_REG_AIC_CTRL);
    const std::vector<uint64_t> pmu = window_table(block_dim, ADDR_MAP_TYPE_REG_AIC_PMU_CTRL);
    const std::vector<uint64_t> mapped = resmap_table(block_dim);
    for (int core = 0; core < cores; ++core) {
        const TestCoreRecord &r = seen[static_cast<size_t>(core)];
        CHECK_EQ(r.seen, 1);
        CHECK_EQ(r.logical_id, core);
        CHECK_EQ(r.block_dim, block_dim);
        const bool aic = core < block_dim;
        CHECK_EQ(r.type, aic ? 0 : 1);
        CHECK_EQ(r.block_idx, aic ? core : (core - block_dim) / g_arch.aiv_per_block);
        CHECK_EQ(r.subblock_idx, aic ? 0 : (core - block_dim) % g_arch.aiv_per_block);
        CHECK_EQ(r.register_base, ctrl[core]);
        CHECK_EQ(r.register_base, pmu[core]);
        CHECK_EQ(r.register_base, mapped[core]);
    }
    std::vector<uint64_t> bases;
    for (int a = 0; a < cores; ++a) {  // every core has a block of its own
        for (int b = a + 1; b < cores; ++b) CHECK(seen[a].register_base != seen[b].register_base);
        bases.push_back(seen[a].register_base);
    }
    CHECK_EQ(rtFree(records), 0);
    return bases;
}

std::vector<uint64_t> check_identities(AicoreFixture &f, int block_dim) {
    return finish_identities(f, block_dim, start_identities(f, block_dim));
}

// The register window of the bound device: [ptr, ptr + len) of halMemCtl.
AddrMapOutPara register_window() {
    AddrMapInPara in{static_cast<unsigned int>(ADDR_MAP_TYPE_REG_AIC_CTRL), static_cast<unsigned int>(g_device)};
    AddrMapOutPara out{};
    size_t out_size = sizeof out;
    CHECK_EQ(halMemCtl(CTRL_TYPE_ADDR_MAP, &in, sizeof in, &out, &out_size), 0);
    return out;
}

}  // namespace

void check_identities_at_max(const Binaries &bins, int expected_cores) {
    AicoreFixture f(bins);
    CHECK_EQ(g_arch.max_block_dim * g_arch.cores_per_block, expected_cores);
    const std::vector<uint64_t> bases = check_identities(f, g_arch.max_block_dim);
    CHECK_EQ(bases.size(), expected_cores);
    const AddrMapOutPara window = register_window();
    CHECK_EQ(window.len, static_cast<uint64_t>(g_arch.physical_aicores) * g_arch.cores_per_block * g_arch.reg_block_size);
    for (uint64_t base : bases) CHECK(base >= window.ptr && base + g_arch.reg_block_size <= window.ptr + window.len);
    CHECK_EQ(rtFree(f.args_dev), 0);
    CHECK_EQ(rtStreamDestroy(f.stream), 0);
}

int check_mixed_arches(const Binaries &bins) {
    // One process, one ptosim: device 0 is an a2a3 chip, device 1 an a5 chip, launching at the same time.
    const TestArch &a2a3 = arch_named("a2a3");
    const TestArch &a5 = arch_named("a5");
    configure(0, a2a3);
    configure(1, a5);
    ptosim_counters_reset();
    bind(0);
    AicoreFixture f0(bins);
    TestCoreRecord *r0 = start_identities(f0, g_arch.max_block_dim);
    bind(1);
    AicoreFixture f1(bins);
    TestCoreRecord *r1 = start_identities(f1, g_arch.max_block_dim);

    const std::vector<uint64_t> b1 = finish_identities(f1, a5.max_block_dim, r1);
    const AddrMapOutPara w1 = register_window();
    uint32_t cube = 0, vector = 0;
    CHECK_EQ(aclrtGetStreamResLimit(f1.stream, ACL_RT_DEV_RES_CUBE_CORE, &cube), 0);
    CHECK_EQ(aclrtGetStreamResLimit(f1.stream, ACL_RT_DEV_RES_VECTOR_CORE, &vector), 0);
    CHECK_EQ(cube, 36);
    CHECK_EQ(vector, 72);
    CHECK(contains(ptosim_report_json(), "\"arch\": \"a5\""));
    CHECK_EQ(resmap_table(1)[0], w1.ptr);  // halResMap hands out a5-sized blocks
    bind(0);
    const std::vector<uint64_t> b0 = finish_identities(f0, a2a3.max_block_dim, r0);
    const AddrMapOutPara w0 = register_window();
    CHECK_EQ(aclrtGetStreamResLimit(f0.stream, ACL_RT_DEV_RES_CUBE_CORE, &cube), 0);
    CHECK_EQ(aclrtGetStreamResLimit(f0.stream, ACL_RT_DEV_RES_VECTOR_CORE, &vector), 0);
    CHECK_EQ(cube, 24);
    CHECK_EQ(vector, 48);
    CHECK(contains(ptosim_report_json(), "\"arch\": \"a2a3\""));
    CHECK(contains(ptosim_report_json(), "\"device_archs\": {\"0\": \"a2a3\", \"1\": \"a5\"}"));

    // 24 x 3 = 72 cores on a2a3, 36 x 3 = 108 on a5, each inside its own device's register window.
    CHECK_EQ(b0.size(), 72);
    CHECK_EQ(b1.size(), 108);
    CHECK_EQ(w0.len, 25ull * 3 * 0x1400);
    CHECK_EQ(w1.len, 36ull * 3 * 0x6000);
    CHECK(w0.ptr + w0.len <= w1.ptr || w1.ptr + w1.len <= w0.ptr);
    for (uint64_t base : b0) CHECK(base >= w0.ptr && base + 0x1400 <= w0.ptr + w0.len);
    for (uint64_t base : b1) CHECK(base >= w1.ptr && base + 0x6000 <= w1.ptr + w1.len);
    // AIV core 0 sits after all physical AIC blocks of its own arch.
    CHECK_EQ(b0[24], w0.ptr + 25ull * 0x1400);
    CHECK_EQ(b1[36], w1.ptr + 36ull * 0x6000);
    CHECK_EQ(report().aicore_launches, 2);

    // Each device refuses the other's blockDim bound.
    struct {
        void *kernel_args;
    } packed{f0.args_dev};
    rtArgsEx_t ex{};
    ex.args = &packed;
    ex.argsSize = sizeof packed;
    CHECK_EQ(rtKernelLaunchWithHandleV2(f0.handle, 0, 25, &ex, nullptr, f0.stream, nullptr), ACL_ERROR_RT_PARAM_INVALID);
    CHECK(contains(ptosim_last_error(), "[1, 24]"));
    CHECK_EQ(rtFree(f0.args_dev), 0);
    CHECK_EQ(rtStreamDestroy(f0.stream), 0);
    bind(1);
    packed.kernel_args = f1.args_dev;
    CHECK_EQ(rtKernelLaunchWithHandleV2(f1.handle, 0, 37, &ex, nullptr, f1.stream, nullptr), ACL_ERROR_RT_PARAM_INVALID);
    CHECK(contains(ptosim_last_error(), "[1, 36]"));
    CHECK_EQ(rtFree(f1.args_dev), 0);
    CHECK_EQ(rtStreamDestroy(f1.stream), 0);
    return 0;
}

int check_aicore_all_cores(const Binaries &bins) {
    bind(0);
    ptosim_counters_reset();
    AicoreFixture f(bins);
    check_identities(f, g_arch.max_block_dim);  // a2a3: 24 blocks, 72 cores; a5: 36 blocks, 108 cores
    check_identities(f, 3);
    CHECK_EQ(report().aicore_launches, 2);
    CHECK_EQ(report().aicore_registrations, 1);
    CHECK_EQ(report().aicore_registrations_max_per_content, 1);
    // A second registration of the same bytes is counted against that content.
    void *again = nullptr;
    rtDevBinary_t binary{RT_DEV_BINARY_MAGIC_ELF, 0, f.program.data(), f.program.size()};
    CHECK_EQ(rtRegisterAllKernel(&binary, &again), 0);
    CHECK(again != f.handle);
    CHECK_EQ(report().aicore_registrations_max_per_content, 2);
    // What registration and launch refuse.
    const uint8_t junk[16] = {1, 2, 3};
    rtDevBinary_t bad{RT_DEV_BINARY_MAGIC_ELF, 0, junk, sizeof junk};
    void *h = nullptr;
    CHECK(rtRegisterAllKernel(&bad, &h) != 0);
    TestCoreArgs args{};
    struct {
        void *kernel_args;
    } packed{f.args_dev};
    rtArgsEx_t ex{};
    ex.args = &packed;
    ex.argsSize = sizeof packed;
    CHECK(rtKernelLaunchWithHandleV2(f.handle, 0, g_arch.max_block_dim + 1, &ex, nullptr, f.stream, nullptr) != 0);
    CHECK(rtKernelLaunchWithHandleV2(&args, 0, 1, &ex, nullptr, f.stream, nullptr) != 0);  // not a registration
    CHECK_EQ(rtFree(f.args_dev), 0);
    CHECK_EQ(rtStreamDestroy(f.stream), 0);
    return 0;
}

int check_register_windows(const Binaries &bins) {
    bind(0);
    AicoreFixture f(bins);
    // Driver queries refuse what the hardware would.
    uint64_t small = 0;
    int32_t size = 4;
    CHECK(halGetDeviceInfoByBuff(0, MODULE_TYPE_AICORE, INFO_TYPE_OCCUPY, &small, &size) != 0);
    res_map_info info{};
    info.target_proc_type = PROCESS_CP1;
    info.res_type = RES_AICORE;
    info.res_id = g_arch.physical_aicores * g_arch.cores_per_block;
    unsigned long va = 0;
    unsigned int len = 0;
    CHECK(halResMap(0, &info, &va, &len) != 0);

    // The register hand-off: the host writes each core's DATA_MAIN_BASE through its table, the core
    // (parked in the wait seam) answers in COND.
    const int block_dim = 2;
    const int cores = block_dim * g_arch.cores_per_block;
    const std::vector<uint64_t> bases = window_table(block_dim, ADDR_MAP_TYPE_REG_AIC_CTRL);
    for (uint64_t base : bases) {
        *reinterpret_cast<volatile uint32_t *>(base + g_arch.reg_data_main_base) = 0;
        *reinterpret_cast<volatile uint32_t *>(base + g_arch.reg_cond) = 0;
    }
    TestCoreArgs args{};
    args.mode = kRegisterEcho;
    args.reg_data_offset = g_arch.reg_data_main_base;
    args.reg_cond_offset = g_arch.reg_cond;
    f.launch(block_dim, args);
    for (int core = 0; core < cores; ++core) {
        auto *data = reinterpret_cast<volatile uint32_t *>(bases[core] + g_arch.reg_data_main_base);
        __atomic_store_n(data, static_cast<uint32_t>(100 + core), __ATOMIC_RELEASE);
        ptosim_notify_u32(data);
    }
    for (int core = 0; core < cores; ++core) {
        auto *cond = reinterpret_cast<volatile uint32_t *>(bases[core] + g_arch.reg_cond);
        uint32_t value = 0;
        while ((value = ptosim_wait_u32_change(cond, 0, UINT64_MAX)) == 0) {
        }
        CHECK_EQ(value, 101 + core);
    }
    CHECK_EQ(aclrtSynchronizeStreamWithTimeout(f.stream, 30000), 0);
    // A wait that nobody answers ends at its timeout with the old value.
    volatile uint32_t quiet = 5;
    CHECK_EQ(ptosim_wait_u32_change(&quiet, 5, 1000000), 5);
    CHECK_EQ(rtFree(f.args_dev), 0);
    CHECK_EQ(rtStreamDestroy(f.stream), 0);
    return 0;
}

int check_kernel_resolve(const Binaries &bins) {
    bind(0);
    // A kernel image uploaded at an offset inside a larger buffer, as a callable upload holds several.
    const std::vector<uint8_t> image = read_bytes(bins.aicpu_so);
    const size_t offset = 64;
    auto *buffer = static_cast<uint8_t *>(device_zeroed(offset + image.size() + 256));
    CHECK_EQ(rtMemcpy(buffer + offset, image.size(), image.data(), image.size(), RT_MEMCPY_HOST_TO_DEVICE), 0);
    void *entry = ptosim_resolve_kernel(reinterpret_cast<uint64_t>(buffer + offset));
    CHECK(entry != nullptr);
    CHECK(ptosim_resolve_kernel(reinterpret_cast<uint64_t>(buffer + offset)) == entry);  // loaded once
    int64_t args[1] = {0};
    reinterpret_cast<void (*)(int64_t *)>(entry)(args);
    CHECK_EQ(args[0], 42);
    CHECK(ptosim_resolve_kernel(reinterpret_cast<uint64_t>(buffer)) == nullptr);  // zeros, not an ELF image
    int host = 0;
    CHECK(ptosim_resolve_kernel(reinterpret_cast<uint64_t>(&host)) == nullptr);  // not device memory
    CHECK_EQ(rtFree(buffer), 0);
    // The event word is per device and stable.
    volatile uint32_t *word = ptosim_device_event_word();
    CHECK(word != nullptr);
    CHECK(ptosim_device_event_word() == word);
    CHECK_EQ(rtDeviceReset(0), 0);
    return 0;
}

int check_aicore_timeout(const Binaries &bins) {
    bind(0);
    ptosim_counters_reset();
    AicoreFixture f(bins);
    uint64_t actual = 0;
    CHECK_EQ(aclrtSetOpExecuteTimeOutV2(50000, &actual), 0);  // 50 ms
    auto *flag = static_cast<uint32_t *>(device_zeroed(sizeof(uint32_t)));
    TestCoreArgs args{};
    args.mode = kWaitForFlag;
    args.flag_addr = reinterpret_cast<uint64_t>(flag);
    f.launch(1, args);
    CHECK_EQ(aclrtSynchronizeStreamWithTimeout(f.stream, 30000), ACL_ERROR_RT_AICORE_TIMEOUT);
    const PtosimReport r = report();
    CHECK_EQ(r.aicore_timeouts, 1);
    CHECK_EQ(r.threads_abandoned, g_arch.cores_per_block);
    CHECK_EQ(r.stream_errors, 1);
    // The stuck cores get no more work: a launch meanwhile runs, every core who it should be, on others.
    {
        AicoreFixture g(bins);
        finish_identities(g, 1, start_identities(g, 1));
        CHECK_EQ(rtFree(g.args_dev), 0);
        CHECK_EQ(rtStreamDestroy(g.stream), 0);
    }
    const uint64_t live = report().core_threads_live;
    // Release the abandoned cores; the flag stays allocated because they may still read it.
    const uint32_t one = 1;
    CHECK_EQ(rtMemcpy(flag, 4, &one, 4, RT_MEMCPY_HOST_TO_DEVICE), 0);
    ptosim_notify_u32(flag);
    // Lost, they end once their kernel returns instead of parking again.
    for (int tries = 0; tries < 10000 && report().core_threads_live != live - g_arch.cores_per_block; ++tries) {
        timespec nap{0, 1000000};
        nanosleep(&nap, nullptr);
    }
    CHECK_EQ(report().core_threads_live, live - g_arch.cores_per_block);
    CHECK_EQ(aclrtSetOpExecuteTimeOutV2(0, &actual), 0);
    CHECK_EQ(rtStreamDestroy(f.stream), 0);
    return 0;
}
