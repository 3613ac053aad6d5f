// device.cpp - binding threads to devices, device reset (with its leak report; it ends the device's
// core threads), the ACL session calls and the log level.
#include <cstdlib>
#include <cstring>

#include "sim_state.h"

namespace ptosim {

namespace {

bool valid_device(int device) { return device >= 0 && device < kMaxDevices; }

// Frees everything `device` owns and counts what its owner left behind. The streams are shut down
// after the model lock is dropped: their workers may need it to finish the command they are running.
int reset_device(int device) {
    if (!valid_device(device)) return error(kRtInvalidDeviceId, "device %d is outside [0, %d)", device, kMaxDevices);
    std::vector<std::shared_ptr<Stream>> streams;
    std::vector<std::shared_ptr<CpuBinary>> binaries;  // dlclosed outside the lock, after the streams stop
    std::vector<std::shared_ptr<AicoreRegistration>> registrations;
    std::vector<std::shared_ptr<LoadedKernel>> kernels;
    {
        std::lock_guard<std::mutex> lock(sim().mu);
        Counters &c = counters();
        c.device_resets += 1;
        auto &allocs = sim().allocations;
        for (auto it = allocs.begin(); it != allocs.end();) {
            if (it->second.device != device) {
                ++it;
                continue;
            }
            c.leaked_allocations_at_reset += 1;
            c.leaked_bytes_at_reset += it->second.size;
            sim().live_bytes -= it->second.size;
            release_device_memory(device, reinterpret_cast<void *>(it->first));
            it = allocs.erase(it);
        }
        auto found = sim().devices.find(device);
        if (found != sim().devices.end()) {
            Device &d = found->second;
            c.leaked_streams_at_reset += d.streams.size();
            c.leaked_bin_handles_at_reset += d.binaries.size();
            c.leaked_host_registrations_at_reset += d.host_registrations.size();
            for (auto &entry : d.streams) streams.push_back(entry.second);
            for (auto &entry : d.binaries) binaries.push_back(entry.second);
            // CANN has no unregister: registrations end with the device context, which is not a leak.
            for (auto &entry : d.registrations) registrations.push_back(entry.second);
            for (auto &entry : d.kernels) kernels.push_back(entry.second);
            kernels.insert(kernels.end(), d.retired_kernels.begin(), d.retired_kernels.end());
            sim().devices.erase(found);
        }
        // A reset returns the core registers to zero (the arch configuration stays, but may now change).
        DevicePersistent &p = sim().persistent[device];
        if (p.registers != nullptr) std::memset(p.registers, 0, p.register_capacity);
        // Device threads still running execute these programs' code: they are unloaded only after the
        // last such thread ends.
        if (p.threads_running.load() > 0) {
            p.code_quarantine.insert(p.code_quarantine.end(), binaries.begin(), binaries.end());
            p.code_quarantine.insert(p.code_quarantine.end(), registrations.begin(), registrations.end());
            p.code_quarantine.insert(p.code_quarantine.end(), kernels.begin(), kernels.end());
        }
    }
    for (auto &stream : streams) shutdown_stream(stream);
    stop_cores(device);  // after the streams: no launch of theirs still waits for a core
    if (bound_device() == device) bind_device(-1);
    return 0;
}

}  // namespace

}  // namespace ptosim

using namespace ptosim;

extern "C" rtError_t rtSetDevice(int32_t devId) {
    return guarded("rtSetDevice", kRtInternal, [&] {
        if (!valid_device(devId)) return error(kRtInvalidDeviceId, "rtSetDevice: device %d is outside [0, %d)", devId, kMaxDevices);
        std::lock_guard<std::mutex> lock(sim().mu);
        device_state(devId);
        bind_device(devId);
        return 0;
    });
}

extern "C" rtError_t rtDeviceReset(int32_t devId) {
    return guarded("rtDeviceReset", kRtInternal, [&] { return reset_device(devId); });
}

extern "C" aclError aclInit(const char *configPath) {
    (void)configPath;  // the JSON config only tunes dump/profiling, which the simulator does not model
    return guarded("aclInit", kRtInternal, [&] {
        std::lock_guard<std::mutex> lock(sim().mu);
        if (sim().acl_initialized) return error(ACL_ERROR_REPEAT_INITIALIZE, "aclInit: ACL is already initialized");
        sim().acl_initialized = true;
        return 0;
    });
}

extern "C" aclError aclFinalize(void) {
    return guarded("aclFinalize", kRtInternal, [&] {
        std::lock_guard<std::mutex> lock(sim().mu);
        if (!sim().acl_initialized) return error(kAclRepeatFinalize, "aclFinalize: ACL is not initialized");
        sim().acl_initialized = false;
        return 0;
    });
}

extern "C" aclError aclrtSetDevice(int32_t deviceId) {
    return guarded("aclrtSetDevice", kRtInternal, [&] {
        {
            std::lock_guard<std::mutex> lock(sim().mu);
            if (!sim().acl_initialized) return error(kAclUninitialize, "aclrtSetDevice: aclInit has not been called");
        }
        if (!valid_device(deviceId))
            return error(kRtInvalidDeviceId, "aclrtSetDevice: device %d is outside [0, %d)", deviceId, kMaxDevices);
        std::lock_guard<std::mutex> lock(sim().mu);
        device_state(deviceId);
        bind_device(deviceId);
        return 0;
    });
}

extern "C" aclError aclrtResetDevice(int32_t deviceId) {
    return guarded("aclrtResetDevice", kRtInternal, [&] { return reset_device(deviceId); });
}

extern "C" aclError aclrtSetOpExecuteTimeOutV2(uint64_t timeout, uint64_t *actualTimeout) {
    return guarded("aclrtSetOpExecuteTimeOutV2", kRtInternal, [&] {
        // Microseconds; 0 lifts the bound. Later AICore launches capture the value when enqueued.
        std::lock_guard<std::mutex> lock(sim().mu);
        sim().op_timeout_us = timeout;
        if (actualTimeout != nullptr) *actualTimeout = timeout;
        return 0;
    });
}

extern "C" int dlog_setlevel(int moduleId, int level, int enableEvent) {
    (void)moduleId;
    (void)enableEvent;
    return guarded("dlog_setlevel", -1, [&] {
        if (level < 0 || level > 4) return error(-1, "dlog_setlevel: level %d is outside [0, 4]", level);
        std::lock_guard<std::mutex> lock(sim().mu);
        sim().log_level = level;
        return 0;
    });
}
