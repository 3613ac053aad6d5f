// aicore.cpp - the AICore program: registered by dlopening a private copy of its bytes, launched on
// block_dim x cores-per-block of the device's simulated cores (cores.cpp), each told who it is
// (core_seam.h) and given the register block the host's register table names; the geometry is the
// configuration of the stream's device (ptosim_config.h). The op execute timeout bounds a launch; cores
// that never finish are taken out of the device and counted.
#include <dlfcn.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include "ptosim/core_seam.h"
#include "pto/dlopen_bytes.h"
#include "sim_state.h"

namespace ptosim {

namespace {

constexpr const char *kAicoreEntry = "aicore_kernel_entry";

struct CoreIdentity {
    int block_idx = -1, logical_id = -1, type = -1, subblock = 0, block_dim = 0;
    uint64_t register_base = 0;
};
thread_local CoreIdentity t_core;

// What a launch's core threads share; owned jointly so a core left running after a timeout never
// touches freed memory.
struct Launch {
    std::shared_ptr<AicoreRegistration> registration;  // keeps the program loaded
    const Geometry *geometry = nullptr;                 // the device's configuration when enqueued
    uint8_t *registers = nullptr;                       // its register file
    std::vector<uint8_t> args;
    std::mutex mu;
    std::condition_variable cv;
    int remaining = 0;
    int failures = 0;
    std::string first_fault;  // the first faulted core's account, and who it was
    int fault_core = -1, fault_block = -1, fault_type = -1;
    std::vector<char> done;
};

int run_aicore(const std::shared_ptr<Launch> &launch, int device, uint32_t block_dim, uint64_t timeout_us) {
    counters().aicore_launches += 1;
    // The geometry and register file captured at enqueue: a device cannot be reconfigured while it has
    // a stream, and a replaced register file stays mapped, so both still describe this launch's device.
    const Geometry &g = *launch->geometry;
    uint8_t *const registers = launch->registers;
    const PtosimDeviceConfig &c = g.config;
    const int aic_cores = static_cast<int>(block_dim) * c.aic_per_block;
    const int cores = static_cast<int>(block_dim) * g.cores_per_block();
    launch->done.assign(static_cast<size_t>(cores), 0);
    launch->remaining = cores;
    std::vector<std::shared_ptr<Core>> taken = reserve_cores(device, CoreKind::AICORE, cores);
    const int started = static_cast<int>(taken.size());
    if (started < cores) {
        release_unused_cores(taken);
        return error(kRtInternal, "AICore launch: only %d of %d core threads could be created", started, cores);
    }
    for (int core = 0; core < cores; ++core) {
        CoreIdentity id;
        id.logical_id = core;
        id.block_dim = static_cast<int>(block_dim);
        if (core < aic_cores) {
            id.type = 0;
            id.block_idx = core / c.aic_per_block;
            id.subblock = core % c.aic_per_block;
        } else {
            id.type = 1;
            id.block_idx = (core - aic_cores) / c.aiv_per_block;
            id.subblock = (core - aic_cores) % c.aiv_per_block;
        }
        id.register_base = reinterpret_cast<uint64_t>(registers) +
                           static_cast<uint64_t>(g.register_block_of(core, static_cast<int>(block_dim))) * c.register_block_size;
        auto ok = std::make_shared<bool>(true);
        auto fault = std::make_shared<std::string>();
        CoreWork work;
        work.run = [launch, id, ok, fault] {
            t_core = id;
            std::vector<uint8_t> mine(launch->args);  // each core reads its own copy of the args
            CoreFault what;
            *ok = run_contained(launch->registration->entry, mine.data(), &what);
            if (!*ok) {
                *fault = describe_fault(what);
                core_faulted();
            }
            t_core = CoreIdentity{};  // parked, the thread is no core of any launch
        };
        work.finished = [launch, core, ok, fault, id] {
            std::lock_guard<std::mutex> lock(launch->mu);
            if (!*ok) {
                if (launch->failures == 0) {
                    launch->first_fault = *fault;
                    launch->fault_core = core;
                    launch->fault_block = id.block_idx;
                    launch->fault_type = id.type;
                }
                launch->failures += 1;
            }
            launch->done[static_cast<size_t>(core)] = 1;
            launch->remaining -= 1;
            launch->cv.notify_all();
        };
        post_core_work(taken[static_cast<size_t>(core)], device, std::move(work));
    }
    std::unique_lock<std::mutex> lock(launch->mu);
    // A faulted core ends the launch at once, as a hardware AICore exception does: the other cores may be
    // waiting for the task it never finished.
    auto all_done = [&] { return launch->remaining == 0 || launch->failures != 0; };
    bool finished = true;
    if (timeout_us == 0)
        launch->cv.wait(lock, all_done);
    else
        finished = launch->cv.wait_for(lock, std::chrono::microseconds(timeout_us), all_done);
    std::vector<char> done = launch->done;
    const int failures = launch->failures;
    const std::string first_fault = launch->first_fault;
    const int fault_core = launch->fault_core, fault_block = launch->fault_block, fault_type = launch->fault_type;
    lock.unlock();
    if (failures != 0) {
        // The faulted core has left the device (core_faulted); the others stay reserved until their
        // kernels return, and a reset ends them as it ends any core still running.
        return device_exception(ACL_ERROR_RT_AICORE_EXCEPTION, "AICore exception on device %d: core %d (%s, block %d of %u) raised %s", device,
                     fault_core, fault_type == 0 ? "AIC" : "AIV", fault_block, block_dim, first_fault.c_str());
    }
    if (!finished) {
        // A core stuck in its kernel gets no more work: the device goes on with a replacement, as the
        // hardware's watchdog recycles the core it stops.
        std::vector<std::shared_ptr<Core>> lost;
        for (int core = 0; core < cores; ++core)
            if (!done[static_cast<size_t>(core)]) lost.push_back(taken[static_cast<size_t>(core)]);
        lose_cores(device, CoreKind::AICORE, lost);
        counters().aicore_timeouts += 1;
        return error(ACL_ERROR_RT_AICORE_TIMEOUT, "AICore launch: %d of %d cores did not finish within %llu us",
                     static_cast<int>(lost.size()), cores, static_cast<unsigned long long>(timeout_us));
    }
    return 0;
}

int register_program(const rtDevBinary_t *bin, void **handle) {
    const int device = bound_device();
    if (device < 0) return error(kRtContextNull, "rtRegisterAllKernel: no device is bound to this thread");
    if (handle == nullptr || bin == nullptr || bin->data == nullptr || bin->length == 0)
        return error(ACL_ERROR_RT_PARAM_INVALID, "rtRegisterAllKernel: empty binary or null handle");
    *handle = nullptr;
    if (bin->magic != RT_DEV_BINARY_MAGIC_ELF && bin->magic != RT_DEV_BINARY_MAGIC_ELF_AIVEC &&
        bin->magic != RT_DEV_BINARY_MAGIC_ELF_AICUBE)
        return error(ACL_ERROR_RT_PARAM_INVALID, "rtRegisterAllKernel: magic 0x%x is not an AICore binary magic", bin->magic);
    if (const char *problem = elf_image_problem(bin->data, bin->length))
        return error(ACL_ERROR_RT_PARAM_INVALID, "rtRegisterAllKernel: the binary cannot be loaded: %s", problem);
    std::string dir;
    {
        std::lock_guard<std::mutex> lock(sim().mu);
        dir = kernel_dir(device);
    }
    if (dir.empty()) return error(kRtFileWrite, "rtRegisterAllKernel: no kernel directory for device %d", device);
    // Every registration loads its own copy, as every hardware registration takes its own device memory.
    std::string why;
    void *dl = pto::dlopen_bytes(dir, "aicore_", bin->data, bin->length, &why);
    if (dl == nullptr) return error(ACL_ERROR_RT_PARAM_INVALID, "rtRegisterAllKernel: cannot load the program: %s", why.c_str());
    auto registration = std::make_shared<AicoreRegistration>();
    registration->dl = dl;
    registration->device = device;
    registration->entry = reinterpret_cast<void (*)(void *)>(::dlsym(dl, kAicoreEntry));
    if (registration->entry == nullptr)
        return error(ACL_ERROR_RT_PARAM_INVALID, "rtRegisterAllKernel: the program has no %s", kAicoreEntry);
    registration->content_hash = fnv1a64(bin->data, bin->length);
    std::lock_guard<std::mutex> lock(sim().mu);
    device_state(device).registrations[registration.get()] = registration;
    sim().registrations_by_content[registration->content_hash] += 1;
    counters().aicore_registrations += 1;
    *handle = registration.get();
    return 0;
}

}  // namespace

AicoreRegistration::~AicoreRegistration() {
    if (dl != nullptr) ::dlclose(dl);
}

}  // namespace ptosim

using namespace ptosim;

extern "C" rtError_t rtRegisterAllKernel(const rtDevBinary_t *bin, void **hdl) {
    return guarded("rtRegisterAllKernel", kRtInternal, [&] { return register_program(bin, hdl); });
}

extern "C" rtError_t rtKernelLaunchWithHandleV2(void *hdl, uint64_t tilingKey, uint32_t blockDim, rtArgsEx_t *argsInfo,
                                                rtSmDesc_t *smDesc, rtStream_t stm, const rtTaskCfgInfo_t *cfgInfo) {
    (void)tilingKey;  // one entry per program: the tiling key selects nothing here
    (void)smDesc;
    (void)cfgInfo;
    return guarded("rtKernelLaunchWithHandleV2", kRtInternal, [&] {
        if (argsInfo == nullptr || argsInfo->args == nullptr || argsInfo->argsSize == 0)
            return error(ACL_ERROR_RT_PARAM_INVALID, "rtKernelLaunchWithHandleV2: empty args");
        auto launch = std::make_shared<Launch>();
        std::shared_ptr<Stream> stream;
        uint64_t timeout_us = 0;
        {
            std::lock_guard<std::mutex> lock(sim().mu);
            stream = find_stream(stm);
            if (!stream) return invalid_access(ACL_ERROR_RT_PARAM_INVALID, "rtKernelLaunchWithHandleV2: %p is not a live stream", stm);
            int rc = 0;
            const Geometry *g = require_geometry("rtKernelLaunchWithHandleV2", stream->device, kRtContextNull, &rc);
            if (g == nullptr) return rc;
            if (blockDim == 0 || blockDim > static_cast<uint32_t>(g->config.max_block_dim))
                return error(ACL_ERROR_RT_PARAM_INVALID, "rtKernelLaunchWithHandleV2: blockDim %u is outside [1, %d] (%s)", blockDim,
                             g->config.max_block_dim, g->config.arch);
            launch->geometry = g;
            launch->registers = register_file(stream->device);
            if (launch->registers == nullptr)
                return error(kRtInternal, "rtKernelLaunchWithHandleV2: device %d has no register file", stream->device);
            auto &regs = device_state(stream->device).registrations;
            auto it = regs.find(static_cast<AicoreRegistration *>(hdl));
            if (it == regs.end())
                return invalid_access(kRtInvalidHandle, "rtKernelLaunchWithHandleV2: %p is not a program registered on device %d", hdl,
                                      stream->device);
            launch->registration = it->second;
            timeout_us = sim().op_timeout_us;
        }
        const auto *bytes = static_cast<const uint8_t *>(argsInfo->args);
        launch->args.assign(bytes, bytes + argsInfo->argsSize);
        const int device = stream->device;
        return enqueue(stream, Command{"the AICore launch", [launch, device, blockDim, timeout_us] {
                                           return run_aicore(launch, device, blockDim, timeout_us);
                                       }});
    });
}

extern "C" int ptosim_core_block_idx(void) { return t_core.block_idx; }
extern "C" int ptosim_core_logical_id(void) { return t_core.logical_id; }
extern "C" int ptosim_core_type(void) { return t_core.type; }
extern "C" int ptosim_core_subblock_idx(void) { return t_core.subblock; }
extern "C" int ptosim_core_block_dim(void) { return t_core.block_dim; }
extern "C" uint64_t ptosim_core_register_base(void) { return t_core.register_base; }
