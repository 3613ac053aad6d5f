// config.cpp - ptosim_configure_device / ptosim_device_config: the chip generation each simulated device
// is. libptosim.so is arch-independent; everything that depends on the geometry reads it from here.
#include <sys/mman.h>

#include <cstring>
#include <string>

#include "ptosim/ptosim_config.h"
#include "sim_state.h"

namespace ptosim {

namespace {

constexpr int kMaxCoresPerBlock = 16;
constexpr int kMaxPhysicalCores = 4096;
constexpr uint32_t kMaxRegisterBlockSize = 1u << 20;

// 0, or PTOSIM_CONFIG_INVALID with the message naming the bad field.
int validate(const PtosimDeviceConfig &c) {
    const char *api = "ptosim_configure_device";
    if (::memchr(c.arch, '\0', sizeof c.arch) == nullptr)
        return error(PTOSIM_CONFIG_INVALID, "%s: arch is not NUL-terminated within %zu bytes", api, sizeof c.arch);
    if (c.arch[0] == '\0') return error(PTOSIM_CONFIG_INVALID, "%s: arch is empty", api);
    if (c.max_block_dim <= 0) return error(PTOSIM_CONFIG_INVALID, "%s: max_block_dim must be > 0, got %d", api, c.max_block_dim);
    if (c.aic_per_block <= 0) return error(PTOSIM_CONFIG_INVALID, "%s: aic_per_block must be > 0, got %d", api, c.aic_per_block);
    if (c.aiv_per_block <= 0) return error(PTOSIM_CONFIG_INVALID, "%s: aiv_per_block must be > 0, got %d", api, c.aiv_per_block);
    if (c.aic_per_block + c.aiv_per_block > kMaxCoresPerBlock)
        return error(PTOSIM_CONFIG_INVALID, "%s: aic_per_block + aiv_per_block must be <= %d, got %d", api, kMaxCoresPerBlock,
                     c.aic_per_block + c.aiv_per_block);
    if (c.physical_aicores <= 0)
        return error(PTOSIM_CONFIG_INVALID, "%s: physical_aicores must be > 0, got %d", api, c.physical_aicores);
    if (c.physical_aicores < c.max_block_dim)
        return error(PTOSIM_CONFIG_INVALID, "%s: physical_aicores (%d) must be >= max_block_dim (%d)", api, c.physical_aicores,
                     c.max_block_dim);
    if (c.physical_aicores > kMaxPhysicalCores)
        return error(PTOSIM_CONFIG_INVALID, "%s: physical_aicores must be <= %d, got %d", api, kMaxPhysicalCores, c.physical_aicores);
    if (c.register_block_size < 64 || c.register_block_size % 4 != 0 || c.register_block_size > kMaxRegisterBlockSize)
        return error(PTOSIM_CONFIG_INVALID, "%s: register_block_size must be a multiple of 4 in [64, %u], got %u", api,
                     kMaxRegisterBlockSize, c.register_block_size);
    return 0;
}

bool same(const PtosimDeviceConfig &a, const PtosimDeviceConfig &b) {
    return std::strcmp(a.arch, b.arch) == 0 && a.max_block_dim == b.max_block_dim && a.aic_per_block == b.aic_per_block &&
           a.aiv_per_block == b.aiv_per_block && a.physical_aicores == b.physical_aicores &&
           a.register_block_size == b.register_block_size;
}

// Under sim().mu: what `device` still holds, as "2 allocations, 1 stream" ("" if nothing).
std::string live_state(int device) {
    std::string out;
    auto add = [&](size_t n, const char *what) {
        if (n == 0) return;
        if (!out.empty()) out += ", ";
        out += std::to_string(n) + " " + what;
    };
    size_t allocations = 0;
    for (auto &entry : sim().allocations)
        if (entry.second.device == device) ++allocations;
    add(allocations, "allocation(s)");
    auto found = sim().devices.find(device);
    if (found != sim().devices.end()) {
        const Device &d = found->second;
        add(d.streams.size(), "stream(s)");
        add(d.binaries.size(), "AICPU binary handle(s)");
        add(d.registrations.size(), "AICore registration(s)");
        add(d.host_registrations.size(), "host registration(s)");
        add(d.kernels.size() + d.retired_kernels.size(), "loaded kernel(s)");
    }
    return out;
}

int configure(int32_t device, const PtosimDeviceConfig *config) {
    if (device < 0 || device >= kMaxDevices)
        return error(PTOSIM_CONFIG_INVALID, "ptosim_configure_device: device %d is outside [0, %d)", device, kMaxDevices);
    if (config == nullptr) return error(PTOSIM_CONFIG_INVALID, "ptosim_configure_device: config is null");
    PtosimDeviceConfig c;
    std::memcpy(&c, config, sizeof c);
    if (int rc = validate(c)) return rc;
    // Canonical form: nothing after the arch's NUL, so configurations compare and print cleanly.
    const size_t arch_len = std::strlen(c.arch);
    std::memset(c.arch + arch_len, 0, sizeof c.arch - arch_len);

    std::lock_guard<std::mutex> lock(sim().mu);
    DevicePersistent &p = sim().persistent[device];
    const Geometry *old = p.geometry.load(std::memory_order_acquire);
    if (old != nullptr && same(old->config, c)) return 0;
    if (old != nullptr) {
        const std::string state = live_state(device);
        if (!state.empty())
            return error(PTOSIM_CONFIG_CONFLICT,
                         "ptosim_configure_device: device %d is configured as %s and holds live state (%s); release it or call "
                         "rtDeviceReset(%d) before configuring it as %s",
                         device, old->config.arch, state.c_str(), device, c.arch);
    }
    auto *g = new Geometry{c};
    const size_t bytes = g->register_bytes();
    if (bytes > p.register_capacity) {
        // The old file stays mapped: a core thread left behind by a timeout may still write to it.
        void *mem = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (mem == MAP_FAILED) {
            delete g;
            return error(PTOSIM_CONFIG_NO_MEMORY, "ptosim_configure_device: cannot map %zu bytes of registers for device %d", bytes,
                         device);
        }
        p.registers = static_cast<uint8_t *>(mem);
        p.register_capacity = bytes;
    } else {
        std::memset(p.registers, 0, p.register_capacity);  // a new chip starts with zeroed registers
    }
    // The replaced geometry is never freed: lock-free readers (log prefix) may still hold it.
    p.geometry.store(g, std::memory_order_release);
    return 0;
}

}  // namespace

}  // namespace ptosim

using namespace ptosim;

extern "C" int ptosim_configure_device(int32_t device_id, const PtosimDeviceConfig *config) {
    try {
        return configure(device_id, config);
    } catch (const std::exception &e) {
        return error(PTOSIM_CONFIG_NO_MEMORY, "ptosim_configure_device: internal error: %s", e.what());
    } catch (...) {
        return PTOSIM_CONFIG_NO_MEMORY;
    }
}

extern "C" int ptosim_device_config(int32_t device_id, PtosimDeviceConfig *out) {
    if (device_id < 0 || device_id >= kMaxDevices)
        return error(PTOSIM_CONFIG_INVALID, "ptosim_device_config: device %d is outside [0, %d)", device_id, kMaxDevices);
    if (out == nullptr) return error(PTOSIM_CONFIG_INVALID, "ptosim_device_config: out is null");
    const Geometry *g = geometry(device_id);
    if (g == nullptr)
        return error(PTOSIM_CONFIG_UNCONFIGURED,
                     "ptosim_device_config: device %d has no arch configuration; call ptosim_configure_device first", device_id);
    std::memcpy(out, &g->config, sizeof *out);
    return 0;
}
