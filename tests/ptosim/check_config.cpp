// check_config.cpp - device configuration: what ptosim_configure_device accepts and refuses, what an
// unconfigured device still does and what it refuses, and reconfiguration around live state.
#include <cstring>

#include "check.h"

namespace {

constexpr int kDrvInvalidDevice = 2;  // DRV_ERROR_INVALID_DEVICE (not in the stand-alone header)
const char *kUnconfigured = "has no arch configuration; call ptosim_configure_device first";

// The other arch linked into the driver (the checks link a2a3 and a5).
const TestArch &other_arch(const TestArch &arch) {
    for (const TestArch &a : test_arches())
        if (a.name != arch.name) return a;
    std::fprintf(stderr, "the driver links only %s\n", arch.name.c_str());
    std::exit(2);
}

void expect_invalid(int device, const PtosimDeviceConfig &config, const char *field) {
    const int rc = ptosim_configure_device(device, &config);
    if (rc != PTOSIM_CONFIG_INVALID || !contains(ptosim_last_error(), field)) {
        std::fprintf(stderr, "expected PTOSIM_CONFIG_INVALID naming '%s', got %d: %s\n", field, rc, ptosim_last_error());
        std::exit(1);
    }
}

void *register_program(const Binaries &bins) {
    static std::vector<uint8_t> program;
    program = read_bytes(bins.aicore_so);
    rtDevBinary_t binary{RT_DEV_BINARY_MAGIC_ELF, 0, program.data(), program.size()};
    void *handle = nullptr;
    CHECK_EQ(rtRegisterAllKernel(&binary, &handle), 0);
    return handle;
}

// One block of the AICore test program parked on a flag: a launch in flight on its own stream.
struct AicoreLauncher {
    rtStream_t stream = nullptr;
    uint32_t *flag = nullptr;
    void *args_dev = nullptr;

    explicit AicoreLauncher(const Binaries &bins) {
        CHECK_EQ(rtStreamCreate(&stream, 0), 0);
        void *handle = register_program(bins);
        flag = static_cast<uint32_t *>(device_zeroed(sizeof(uint32_t)));
        TestCoreArgs args{};
        args.mode = kWaitForFlag;
        args.flag_addr = reinterpret_cast<uint64_t>(flag);
        args_dev = device_zeroed(sizeof args);
        CHECK_EQ(rtMemcpy(args_dev, sizeof args, &args, sizeof args, RT_MEMCPY_HOST_TO_DEVICE), 0);
        struct {
            void *kernel_args;
        } packed{args_dev};
        rtArgsEx_t ex{};
        ex.args = &packed;
        ex.argsSize = sizeof packed;
        CHECK_EQ(rtKernelLaunchWithHandleV2(handle, 0, 1, &ex, nullptr, stream, nullptr), 0);
    }
    void release() {
        const uint32_t one = 1;
        CHECK_EQ(rtMemcpy(flag, 4, &one, 4, RT_MEMCPY_HOST_TO_DEVICE), 0);
        ptosim_notify_u32(flag);
        CHECK_EQ(aclrtSynchronizeStreamWithTimeout(stream, 30000), 0);
        CHECK_EQ(rtStreamDestroy(stream), 0);
        CHECK_EQ(rtFree(flag), 0);
        CHECK_EQ(rtFree(args_dev), 0);
    }
};

}  // namespace

int check_unconfigured_device(const Binaries &bins) {
    const int dev = 3;
    PtosimDeviceConfig seen{};
    CHECK_EQ(ptosim_device_config(dev, &seen), PTOSIM_CONFIG_UNCONFIGURED);
    CHECK(contains(ptosim_last_error(), "device 3 has no arch configuration; call ptosim_configure_device first"));
    CHECK_EQ(ptosim_device_config(16, &seen), PTOSIM_CONFIG_INVALID);
    CHECK_EQ(ptosim_device_config(dev, nullptr), PTOSIM_CONFIG_INVALID);

    // What does not need the geometry works: binding, memory, streams, AICore registration.
    bind(dev);
    void *kept = nullptr;
    CHECK_EQ(rtMalloc(&kept, 256, RT_MEMORY_HBM, 0), 0);
    rtStream_t stream = nullptr;
    CHECK_EQ(rtStreamCreate(&stream, 0), 0);
    void *handle = register_program(bins);

    // What needs it fails, naming the device and the fix.
    struct {
        void *kernel_args;
    } packed{kept};
    rtArgsEx_t ex{};
    ex.args = &packed;
    ex.argsSize = sizeof packed;
    CHECK_EQ(rtKernelLaunchWithHandleV2(handle, 0, 1, &ex, nullptr, stream, nullptr), 107002);
    CHECK(contains(ptosim_last_error(), "rtKernelLaunchWithHandleV2: device 3 has no arch configuration; call ptosim_configure_device first"));
    uint32_t value = 0;
    CHECK_EQ(aclrtGetStreamResLimit(stream, ACL_RT_DEV_RES_CUBE_CORE, &value), 107002);
    CHECK(contains(ptosim_last_error(), kUnconfigured));
    uint64_t occupancy[2] = {0, 0};
    int32_t size = sizeof occupancy;
    CHECK_EQ(halGetDeviceInfoByBuff(dev, MODULE_TYPE_AICORE, INFO_TYPE_OCCUPY, occupancy, &size), kDrvInvalidDevice);
    CHECK(contains(ptosim_last_error(), kUnconfigured));
    AddrMapInPara in{static_cast<unsigned int>(ADDR_MAP_TYPE_REG_AIC_CTRL), static_cast<unsigned int>(dev)};
    AddrMapOutPara out{};
    size_t out_size = sizeof out;
    CHECK_EQ(halMemCtl(CTRL_TYPE_ADDR_MAP, &in, sizeof in, &out, &out_size), kDrvInvalidDevice);
    CHECK(contains(ptosim_last_error(), "halMemCtl: device 3 has no arch configuration"));
    res_map_info info{};
    info.target_proc_type = PROCESS_CP1;
    info.res_type = RES_AICORE;
    unsigned long va = 0;
    unsigned int len = 0;
    CHECK_EQ(halResMap(dev, &info, &va, &len), kDrvInvalidDevice);
    CHECK(contains(ptosim_last_error(), kUnconfigured));
    CHECK(contains(ptosim_report_json(), "\"arch\": \"\", \"device_archs\": {}"));
    CHECK_EQ(report().aicore_launches, 0);

    // The first configuration is allowed while the device holds state (none of it depends on geometry),
    // and then the same objects work.
    configure(dev, g_driver_arch);
    bind(dev);
    CHECK_EQ(aclrtGetStreamResLimit(stream, ACL_RT_DEV_RES_VECTOR_CORE, &value), 0);
    CHECK_EQ(value, static_cast<uint32_t>(g_arch.max_block_dim * g_arch.aiv_per_block));
    CHECK_EQ(ptosim_device_config(dev, &seen), 0);
    CHECK(std::strcmp(seen.arch, g_arch.name.c_str()) == 0);
    CHECK(contains(ptosim_report_json(), ("\"arch\": \"" + g_arch.name + "\"").c_str()));
    CHECK_EQ(rtStreamDestroy(stream), 0);
    CHECK_EQ(rtFree(kept), 0);
    check_identities_at_max(bins, g_arch.max_block_dim * g_arch.cores_per_block);
    CHECK_EQ(rtDeviceReset(dev), 0);
    // The configuration survives the reset: the device still is that chip.
    CHECK_EQ(ptosim_device_config(dev, &seen), 0);
    return 0;
}

int check_config_validation(const Binaries &) {
    const int dev = 2;
    const TestArch &arch = g_driver_arch;
    const PtosimDeviceConfig good = arch.device_config();

    CHECK_EQ(ptosim_configure_device(dev, nullptr), PTOSIM_CONFIG_INVALID);
    CHECK(contains(ptosim_last_error(), "config is null"));
    CHECK_EQ(ptosim_configure_device(-1, &good), PTOSIM_CONFIG_INVALID);
    CHECK(contains(ptosim_last_error(), "device -1"));
    CHECK_EQ(ptosim_configure_device(16, &good), PTOSIM_CONFIG_INVALID);

    PtosimDeviceConfig c = good;
    c.arch[0] = '\0';
    expect_invalid(dev, c, "arch is empty");
    c = good;
    std::memset(c.arch, 'x', sizeof c.arch);
    expect_invalid(dev, c, "arch is not NUL-terminated");
    c = good;
    c.max_block_dim = 0;
    expect_invalid(dev, c, "max_block_dim must be > 0");
    c = good;
    c.aic_per_block = -1;
    expect_invalid(dev, c, "aic_per_block must be > 0");
    c = good;
    c.aiv_per_block = 0;
    expect_invalid(dev, c, "aiv_per_block must be > 0");
    c = good;
    c.physical_aicores = 0;
    expect_invalid(dev, c, "physical_aicores must be > 0");
    c = good;
    c.physical_aicores = good.max_block_dim - 1;
    expect_invalid(dev, c, "physical_aicores");
    CHECK(contains(ptosim_last_error(), "must be >= max_block_dim"));
    c = good;
    c.register_block_size = 0;
    expect_invalid(dev, c, "register_block_size");
    c.register_block_size = 60;  // a multiple of 4 below 64
    expect_invalid(dev, c, "register_block_size");
    c.register_block_size = 66;  // >= 64, not a multiple of 4
    expect_invalid(dev, c, "register_block_size");
    c = good;
    c.aiv_per_block = 1000;
    expect_invalid(dev, c, "aic_per_block + aiv_per_block");
    // Nothing of that stuck.
    PtosimDeviceConfig seen{};
    CHECK_EQ(ptosim_device_config(dev, &seen), PTOSIM_CONFIG_UNCONFIGURED);

    CHECK_EQ(ptosim_configure_device(dev, &good), 0);
    CHECK_EQ(ptosim_device_config(dev, &seen), 0);
    CHECK(std::memcmp(&seen, &good, sizeof seen) == 0);
    // The same configuration again is a no-op (bytes after the arch's NUL do not matter).
    c = good;
    c.arch[sizeof c.arch - 1] = '\0';
    c.arch[sizeof c.arch - 2] = 'z';
    CHECK_EQ(ptosim_configure_device(dev, &c), 0);
    CHECK_EQ(ptosim_device_config(dev, &seen), 0);
    CHECK(std::memcmp(&seen, &good, sizeof seen) == 0);
    // A device with no state may simply be configured differently; the register file follows.
    const TestArch &other = other_arch(arch);
    configure(dev, other);
    configure(dev, arch);
    bind(dev);
    AddrMapInPara in{static_cast<unsigned int>(ADDR_MAP_TYPE_REG_AIC_PMU_CTRL), static_cast<unsigned int>(dev)};
    AddrMapOutPara out{};
    size_t out_size = sizeof out;
    CHECK_EQ(halMemCtl(CTRL_TYPE_ADDR_MAP, &in, sizeof in, &out, &out_size), 0);
    CHECK_EQ(out.len, static_cast<uint64_t>(good.physical_aicores) * (good.aic_per_block + good.aiv_per_block) * good.register_block_size);
    return 0;
}

int check_reconfigure_live_state(const Binaries &bins) {
    const int dev = 0;
    const TestArch &arch = g_driver_arch;
    const TestArch &other = other_arch(arch);
    const PtosimDeviceConfig mine = arch.device_config(), theirs = other.device_config();
    configure(dev, arch);
    bind(dev);
    PtosimDeviceConfig seen{};

    // A register value written through the host's window survives a same-config no-op.
    res_map_info info{};
    info.target_proc_type = PROCESS_CP1;
    info.res_type = RES_AICORE;
    unsigned long va = 0;
    unsigned int len = 0;
    CHECK_EQ(halResMap(dev, &info, &va, &len), 0);
    *reinterpret_cast<volatile uint32_t *>(va + 4) = 0xfeed;

    // Each kind of live state blocks a different configuration, and the message says what and how.
    void *p = nullptr;
    CHECK_EQ(rtMalloc(&p, 128, RT_MEMORY_HBM, 0), 0);
    CHECK_EQ(ptosim_configure_device(dev, &theirs), PTOSIM_CONFIG_CONFLICT);
    CHECK(contains(ptosim_last_error(), ("device 0 is configured as " + arch.name).c_str()));
    CHECK(contains(ptosim_last_error(), "live state (1 allocation(s))"));
    CHECK(contains(ptosim_last_error(), ("call rtDeviceReset(0) before configuring it as " + other.name).c_str()));
    CHECK_EQ(ptosim_configure_device(dev, &mine), 0);  // the same config: a no-op, even now
    CHECK_EQ(*reinterpret_cast<volatile uint32_t *>(va + 4), 0xfeed);
    CHECK_EQ(rtFree(p), 0);

    rtStream_t stream = nullptr;
    CHECK_EQ(rtStreamCreate(&stream, 0), 0);
    CHECK_EQ(ptosim_configure_device(dev, &theirs), PTOSIM_CONFIG_CONFLICT);
    CHECK(contains(ptosim_last_error(), "1 stream(s)"));
    CHECK_EQ(rtStreamDestroy(stream), 0);

    // A launch in flight: its stream is live state until the device is reset.
    AicoreLauncher running(bins);
    CHECK_EQ(ptosim_configure_device(dev, &theirs), PTOSIM_CONFIG_CONFLICT);
    CHECK(contains(ptosim_last_error(), "AICore registration(s)"));
    CHECK(contains(ptosim_last_error(), "stream(s)"));
    running.release();
    CHECK_EQ(ptosim_device_config(dev, &seen), 0);
    CHECK(std::strcmp(seen.arch, arch.name.c_str()) == 0);

    // Registrations have no unregister: only the reset frees the device for another chip.
    CHECK_EQ(rtDeviceReset(dev), 0);
    configure(dev, other);
    CHECK_EQ(ptosim_device_config(dev, &seen), 0);
    CHECK(std::strcmp(seen.arch, other.name.c_str()) == 0);
    bind(dev);
    CHECK_EQ(halResMap(dev, &info, &va, &len), 0);
    CHECK_EQ(len, other.reg_block_size);
    CHECK_EQ(*reinterpret_cast<volatile uint32_t *>(va + 4), 0u);  // a new chip starts with zeroed registers
    check_identities_at_max(bins, other.max_block_dim * other.cores_per_block);

    // And back.
    CHECK_EQ(rtDeviceReset(dev), 0);
    configure(dev, arch);
    bind(dev);
    check_identities_at_max(bins, arch.max_block_dim * arch.cores_per_block);
    CHECK_EQ(rtDeviceReset(dev), 0);
    return 0;
}
