// sim_state.h - ptosim's internal model: devices, allocations, streams, programs, counters, and the
// guard every CANN entry point runs inside. Internal to libptosim.so.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cann_runtime_api.h"
#include "ptosim/ptosim_config.h"

namespace ptosim {

// Codes CANN returns that cann_runtime_api.h does not declare (values are CANN's rt_error_codes.h,
// acl_base.h and ascend_hal_define.h).
constexpr int kRtInvalidDeviceId = 107001;  // ACL_ERROR_RT_INVALID_DEVICEID
constexpr int kRtContextNull = 107002;      // ACL_ERROR_RT_CONTEXT_NULL: no device bound to the thread
constexpr int kRtFileOpen = 107009;         // ACL_ERROR_RT_FILE_OPEN
constexpr int kRtFileWrite = 107010;        // ACL_ERROR_RT_FILE_WRITE
constexpr int kRtInvalidHandle = 107017;    // ACL_ERROR_RT_INVALID_HANDLE
constexpr int kRtFeatureNotSupport = 207000;  // ACL_ERROR_RT_FEATURE_NOT_SUPPORT
constexpr int kRtInternal = 507000;         // ACL_ERROR_RT_INTERNAL_ERROR
constexpr int kAclUninitialize = 100001;    // ACL_ERROR_UNINITIALIZE
constexpr int kAclRepeatFinalize = 100037;  // ACL_ERROR_REPEAT_FINALIZE
constexpr int kDrvInvalidDevice = 2;        // DRV_ERROR_INVALID_DEVICE
constexpr int kDrvInvalidValue = 3;         // DRV_ERROR_INVALID_VALUE
constexpr int kDrvInner = 7;                // DRV_ERROR_INNER_ERR

constexpr int kMaxDevices = PTOSIM_MAX_DEVICES;

// ---- device geometry (ptosim_configure_device) -------------------------------------------------------

// A device's configuration with the derived sizes. Immutable once published: readers hold a pointer
// that stays valid for the whole process (replaced configurations are never freed).
struct Geometry {
    PtosimDeviceConfig config;
    int cores_per_block() const { return config.aic_per_block + config.aiv_per_block; }
    // Sub-core register blocks: every physical core's AIC blocks, then all their AIV blocks.
    int register_blocks() const { return config.physical_aicores * cores_per_block(); }
    size_t register_bytes() const { return static_cast<size_t>(register_blocks()) * config.register_block_size; }
    // Register block index of logical core `core` in a launch of block_dim blocks (all cores usable):
    // AIC j runs on physical core j / aic_per_block, lane j % aic_per_block; AIV j likewise.
    int register_block_of(int core, int block_dim) const {
        const int aic_cores = block_dim * config.aic_per_block;
        if (core < aic_cores) return core;
        return config.physical_aicores * config.aic_per_block + (core - aic_cores);
    }
};

// ---- errors ------------------------------------------------------------------------------------------

// Records the message for ptosim_last_error (and prints it when PTOSIM_VERBOSE is set); returns rc.
int error(int rc, const char *format, ...) __attribute__((format(printf, 2, 3)));
// The same for a device exception (a core that faulted), always printed as hardware always logs one.
int device_exception(int rc, const char *format, ...) __attribute__((format(printf, 2, 3)));
// The calling thread's last recorded message (ptosim_last_error).
const char *last_error_message();
// The same for a reviewer-worthy misuse (counted in invalid_accesses, always printed).
int invalid_access(int rc, const char *format, ...) __attribute__((format(printf, 2, 3)));

// ---- counters ----------------------------------------------------------------------------------------

struct Counters {
    std::atomic<uint64_t> allocations{0}, frees{0}, bytes_h2d{0}, bytes_d2h{0}, bytes_d2d{0}, invalid_accesses{0},
        freed_while_host_registered{0}, streams_created{0}, streams_destroyed{0}, pending_at_destroy{0},
        stream_sync_timeouts{0}, stream_errors{0}, aicpu_bootstraps{0}, aicpu_launches{0}, aicpu_exceptions{0},
        aicore_registrations{0}, aicore_launches{0}, aicore_timeouts{0}, threads_abandoned{0}, device_resets{0},
        leaked_allocations_at_reset{0}, leaked_bytes_at_reset{0}, leaked_streams_at_reset{0},
        leaked_bin_handles_at_reset{0}, leaked_host_registrations_at_reset{0}, faults_injected{0}, core_threads_created{0};
};
Counters &counters();

// ---- model objects -----------------------------------------------------------------------------------

struct Allocation {
    int device;
    uint64_t size;
};

// One queued unit of device work; returns 0 or the CANN code the stream reports.
struct Command {
    std::string what;
    std::function<int()> run;
};

// An ordered command queue with its own worker thread (the hardware stream's task queue).
struct Stream {
    int device = -1;
    std::mutex mu;
    std::condition_variable work_cv;  // worker waits for commands / stop
    std::condition_variable done_cv;  // synchronisers and destroy wait for progress
    std::deque<Command> queue;
    bool running = false;
    bool stop = false;
    uint64_t submitted = 0, completed = 0;
    int error = 0;  // sticky: the first failing command's code
    std::string error_text;  // and its account, handed to whoever synchronises
    std::thread worker;
};

// A loaded AICPU op description (rtsBinaryLoadFromFile) and the .so files it names.
struct CpuBinary;
struct CpuFunc {
    std::shared_ptr<CpuBinary> binary;  // keeps the dlopen handle alive while a launch is queued
    int (*fn)(void *) = nullptr;
    std::string name;
};
struct CpuBinary {
    int device = -1;
    struct Op {
        std::string function_name, so_path;
    };
    std::map<std::string, Op> ops;                 // by opType
    std::map<std::string, void *> dl;              // so_path -> dlopen handle (once per binary handle)
    ~CpuBinary();
};

// A registered AICore program: its own dlopen of the bytes it was given.
struct AicoreRegistration {
    int device = -1;
    void *dl = nullptr;
    void (*entry)(void *) = nullptr;
    uint64_t content_hash = 0;
    ~AicoreRegistration();
};

// A per-task kernel loaded from device memory by ptosim_resolve_kernel.
struct LoadedKernel {
    void *dl = nullptr;
    void *entry = nullptr;
    ~LoadedKernel();
};

// What a device owns until rtDeviceReset.
struct Device {
    std::map<uintptr_t, std::shared_ptr<LoadedKernel>> kernels;  // by the device address of their bytes
    std::vector<std::shared_ptr<LoadedKernel>> retired_kernels;   // bytes freed; unloaded at reset
    std::map<Stream *, std::shared_ptr<Stream>> streams;
    std::map<CpuBinary *, std::shared_ptr<CpuBinary>> binaries;
    std::map<CpuFunc *, std::shared_ptr<CpuFunc>> funcs;
    std::map<AicoreRegistration *, std::shared_ptr<AicoreRegistration>> registrations;
    std::map<uintptr_t, uint64_t> host_registrations;  // base -> size
};

// What a device keeps for the whole process: its kernel directory and its register file.
struct DevicePersistent {
    std::string kernel_dir;
    uint32_t event_word = 0;  // ptosim_device_event_word: bumped by whoever wants waiters to re-look
    std::atomic<const Geometry *> geometry{nullptr};  // read without the lock (log prefix, identities)
    uint8_t *registers = nullptr;  // >= geometry->register_bytes(), page aligned, never unmapped
    size_t register_capacity = 0;
    // Device threads (AICore cores, AICPU program threads) running device code, abandoned ones included,
    // and the memory freed while any ran: it stays mapped until the last of them ends (see release_device_memory).
    std::atomic<int> threads_running{0};
    std::vector<void *> quarantine;  // under sim().mu
    std::vector<std::shared_ptr<void>> code_quarantine;  // loaded programs kept for them, under sim().mu
};

struct Sim {
    std::mutex mu;  // guards everything below; never held while waiting on device work
    std::map<int, Device> devices;                 // devices with open state (set and not reset)
    std::map<uintptr_t, Allocation> allocations;   // by base, all devices
    uint64_t live_bytes = 0;
    std::map<uint64_t, uint64_t> registrations_by_content;
    DevicePersistent persistent[kMaxDevices];
    bool acl_initialized = false;
    uint64_t op_timeout_us = 0;  // 0: AICore launches are unbounded
    int log_level = 3;
};
// Never destroyed: detached threads may still touch it while the process exits.
Sim &sim();

// The device bound to the calling thread (-1 if none), and binding it.
int bound_device();
void bind_device(int device);

// A device thread begins / ends running device code (a core's launch work, not its parked life). Hardware stops its cores at a reset; a simulated core stuck in a kernel
// cannot be stopped, so memory freed while device threads run is kept mapped (quarantined) and returned
// when the last one ends — the accounting (live allocations, bytes) already shows it freed.
void device_thread_started(int device);
void device_thread_finished(int device);
// Under sim().mu: returns an allocation's memory, or quarantines it while device threads run.
void release_device_memory(int device, void *memory);

// ---- persistent cores (cores.cpp) ----------------------------------------------------------------------

// A device's core threads live until its reset, parked between launches. A launch reserves the cores it
// needs, posts each its work, and hears of each core's end through `finished` (run on the core after it
// is idle again, so the launch's successor reuses it).
enum class CoreKind { AICORE = 0, AICPU = 1 };
struct Core;
struct CoreWork {
    std::function<void()> run;       // the core's part of the launch (who it is, then the kernel)
    std::function<void()> finished;  // tells the launch this core is done
};
// Reserves `count` idle cores of `kind` on `device`, creating the missing ones; fewer if no thread could
// be created (the caller reports it and calls release_unused_cores).
std::vector<std::shared_ptr<Core>> reserve_cores(int device, CoreKind kind, int count);
void post_core_work(const std::shared_ptr<Core> &core, int device, CoreWork work);
void release_unused_cores(const std::vector<std::shared_ptr<Core>> &cores);
// Cores stuck in a kernel past the launch's timeout: taken out of the device (counted in
// threads_abandoned), to end if their kernel ever returns; the next launch creates replacements.
void lose_cores(int device, CoreKind kind, const std::vector<std::shared_ptr<Core>> &lost);
// The device's reset: idle cores end and are joined; a core still in a kernel ends when it returns.
void stop_cores(int device);
// Core threads alive in the process, every device, lost ones included until they end.
uint64_t core_threads_live();

// ---- faults on simulated cores (core_faults.cpp) ---------------------------------------------------------

// What stopped a core: a fatal signal its own code raised (signo != 0), or an escaping C++ exception.
struct CoreFault {
    int signo = 0;
    uintptr_t address = 0, pc = 0;
    std::string exception;
};
// A core thread's first and last act: its alternate signal stack (and, once per process, the handler).
void enter_core_thread();
void leave_core_thread();
// Runs device code on a core thread; false (and *fault) if it raised a fatal signal or threw. The frames
// between the fault and here are abandoned, not unwound, as a hardware core's are.
bool run_contained(void (*entry)(void *), void *arg, CoreFault *fault);
// "SIGSEGV at fault address 0x0 (pc 0x... in <image> (<symbol>), the kernel at device address 0x...)" or
// "an escaping C++ exception (...)". On the faulted core, no lock held: it takes sim().mu.
std::string describe_fault(const CoreFault &fault);
// The calling core's work faulted: the core is taken out of its device once the work ends.
void core_faulted();

// Under sim().mu: the open state of `device`, creating it.
Device &device_state(int device);
// Under sim().mu: the allocation holding [addr, addr + size) on `device`, or nullptr.
const Allocation *find_allocation(const void *addr, uint64_t size, int device);
// Under sim().mu: the device's private kernel directory (created on first use), "" on failure.
std::string kernel_dir(int device);
// The configuration of `device` (nullptr if none or out of range); lock-free.
const Geometry *geometry(int device);
// The geometry of `device`, or nullptr after recording "<api>: device N has no arch configuration; call
// ptosim_configure_device first" as the error `rc` (left in *rc_out).
const Geometry *require_geometry(const char *api, int device, int rc, int *rc_out);
// Under sim().mu: the device's register file (sized by its configuration), nullptr if unconfigured.
uint8_t *register_file(int device);

// Under sim().mu: the live stream `handle` (nullptr if it is not one).
std::shared_ptr<Stream> find_stream(void *handle);
// Appends a command; fails if the stream is stopping.
int enqueue(const std::shared_ptr<Stream> &stream, Command command);
// Stops the stream's worker (dropping queued work) and joins or, after a grace period, detaches it.
void shutdown_stream(const std::shared_ptr<Stream> &stream);

// Under sim().mu: forgets the kernels loaded from [base, base + size) (their memory is being freed).
void retire_kernels_in(Device &device, uintptr_t base, uint64_t size);

uint64_t fnv1a64(const void *data, size_t size);
bool is_elf(const void *data, uint64_t size);
// Why an ELF image cannot be loaded (truncated headers or segments), or nullptr if it can.
const char *elf_image_problem(const void *data, uint64_t size);

// ---- the entry guard ---------------------------------------------------------------------------------

// Counts the call, applies fault injection, and turns exceptions into `internal_rc`.
int count_call_and_fault(const char *api, int *fault_rc);
// How an injected fault behaves: most calls fail at once and do nothing; a synchronize first waits as the
// real call would (a real synchronize reports its stream's error or its timeout only after waiting), so an
// injected sync failure does not leave work running that the real failure would not have.
enum class FaultTiming { IMMEDIATE, AFTER_THE_CALL };
template <class Body>
int guarded(const char *api, int internal_rc, Body &&body, FaultTiming timing = FaultTiming::IMMEDIATE) noexcept {
    try {
        int fault_rc = 0;
        if (count_call_and_fault(api, &fault_rc)) {
            if (timing == FaultTiming::AFTER_THE_CALL) body();
            return error(fault_rc, "%s: injected failure %d", api, fault_rc);
        }
        return body();
    } catch (const std::exception &e) {
        try {
            return error(internal_rc, "%s: internal error: %s", api, e.what());
        } catch (...) {
        }
    } catch (...) {
    }
    return internal_rc;
}

}  // namespace ptosim
