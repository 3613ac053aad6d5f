// memory.cpp - device memory. Device addresses are host addresses (the simulated AICPU and AICore
// threads share the process), but every allocation is tracked so that frees and copies are checked the
// way a careful reviewer would: unknown or freed pointers, copies outside one live allocation, and
// copies whose kind names the wrong side.
#include <cstdlib>
#include <cstring>

#include "sim_state.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

namespace ptosim {

namespace {

// Device memory is 512-byte aligned on hardware; code that relies on that must see it here too.
constexpr size_t kDeviceAlignment = 512;

int malloc_on_bound(const char *api, void **ptr, uint64_t size) {
    const int device = bound_device();
    if (device < 0) return error(kRtContextNull, "%s: no device is bound to this thread (call rtSetDevice)", api);
    if (ptr == nullptr) return error(ACL_ERROR_RT_PARAM_INVALID, "%s: the output pointer is null", api);
    *ptr = nullptr;
    if (size == 0) return error(ACL_ERROR_RT_PARAM_INVALID, "%s: size is 0", api);
    void *mem = nullptr;
    const uint64_t rounded = (size + kDeviceAlignment - 1) / kDeviceAlignment * kDeviceAlignment;
    if (rounded < size || ::posix_memalign(&mem, kDeviceAlignment, rounded) != 0 || mem == nullptr)
        return error(ACL_ERROR_RT_MEMORY_ALLOCATION, "%s: cannot allocate %llu bytes", api, static_cast<unsigned long long>(size));
#if defined(__SANITIZE_ADDRESS__)
    // In a sanitized build the bytes the rounding adds past `size` are a redzone: code that runs past the end
    // of what it allocated is reported, not silently given the padding.
    ASAN_POISON_MEMORY_REGION(static_cast<uint8_t *>(mem) + size, rounded - size);
#endif
    std::lock_guard<std::mutex> lock(sim().mu);
    sim().allocations[reinterpret_cast<uintptr_t>(mem)] = Allocation{device, size};
    sim().live_bytes += size;
    counters().allocations += 1;
    *ptr = mem;
    return 0;
}

int free_on_bound(const char *api, void *ptr) {
    const int device = bound_device();
    if (device < 0) return error(kRtContextNull, "%s: no device is bound to this thread (call rtSetDevice)", api);
    if (ptr == nullptr) return invalid_access(ACL_ERROR_RT_PARAM_INVALID, "%s: null pointer", api);
    std::lock_guard<std::mutex> lock(sim().mu);
    auto it = sim().allocations.find(reinterpret_cast<uintptr_t>(ptr));
    if (it == sim().allocations.end())
        return invalid_access(ACL_ERROR_RT_PARAM_INVALID, "%s: %p is not a live allocation (unknown, interior or already freed)", api, ptr);
    if (it->second.device != device)
        return invalid_access(ACL_ERROR_RT_PARAM_INVALID, "%s: %p belongs to device %d, the thread is bound to %d", api, ptr,
                              it->second.device, device);
    auto &host_regs = device_state(device).host_registrations;
    auto reg = host_regs.find(reinterpret_cast<uintptr_t>(ptr));
    if (reg != host_regs.end()) {
        // The mapping would outlive the memory it shows.
        counters().freed_while_host_registered += 1;
        host_regs.erase(reg);
    }
    retire_kernels_in(device_state(device), it->first, it->second.size);
    sim().live_bytes -= it->second.size;
    sim().allocations.erase(it);
    release_device_memory(device, ptr);
    counters().frees += 1;
    return 0;
}

int copy_on_bound(const char *api, void *dst, uint64_t dest_max, const void *src, uint64_t count, int kind) {
    const int device = bound_device();
    if (device < 0) return error(kRtContextNull, "%s: no device is bound to this thread (call rtSetDevice)", api);
    if (count > dest_max)
        return error(ACL_ERROR_RT_PARAM_INVALID, "%s: count %llu exceeds destMax %llu", api,
                     static_cast<unsigned long long>(count), static_cast<unsigned long long>(dest_max));
    if (dst == nullptr || src == nullptr) return invalid_access(ACL_ERROR_RT_PARAM_INVALID, "%s: null pointer", api);
    if (count == 0) return 0;
    const bool dst_device = kind == RT_MEMCPY_HOST_TO_DEVICE || kind == RT_MEMCPY_DEVICE_TO_DEVICE;
    const bool src_device = kind == RT_MEMCPY_DEVICE_TO_HOST || kind == RT_MEMCPY_DEVICE_TO_DEVICE;
    if (kind < RT_MEMCPY_HOST_TO_HOST || kind > RT_MEMCPY_DEVICE_TO_DEVICE)
        return error(ACL_ERROR_RT_PARAM_INVALID, "%s: unknown copy kind %d", api, kind);
    {
        // Checked and copied under the lock: a concurrent free cannot pull the memory away mid-copy.
        std::lock_guard<std::mutex> lock(sim().mu);
        if (dst_device && find_allocation(dst, count, device) == nullptr)
            return invalid_access(ACL_ERROR_RT_PARAM_INVALID, "%s: destination [%p, +%llu) is not inside one live allocation of device %d",
                                  api, dst, static_cast<unsigned long long>(count), device);
        if (src_device && find_allocation(src, count, device) == nullptr)
            return invalid_access(ACL_ERROR_RT_PARAM_INVALID, "%s: source [%p, +%llu) is not inside one live allocation of device %d",
                                  api, src, static_cast<unsigned long long>(count), device);
        // The host side of a copy must not be device memory: a wrong kind hides a bug on hardware.
        if (!dst_device && find_allocation(dst, 1, device) != nullptr)
            return invalid_access(ACL_ERROR_RT_PARAM_INVALID, "%s: destination %p is device memory but the kind says host", api, dst);
        if (!src_device && find_allocation(src, 1, device) != nullptr)
            return invalid_access(ACL_ERROR_RT_PARAM_INVALID, "%s: source %p is device memory but the kind says host", api, src);
        std::memmove(dst, src, count);
    }
    if (kind == RT_MEMCPY_HOST_TO_DEVICE) counters().bytes_h2d += count;
    if (kind == RT_MEMCPY_DEVICE_TO_HOST) counters().bytes_d2h += count;
    if (kind == RT_MEMCPY_DEVICE_TO_DEVICE) counters().bytes_d2d += count;
    return 0;
}

}  // namespace

}  // namespace ptosim

using namespace ptosim;

extern "C" rtError_t rtMalloc(void **devPtr, uint64_t size, rtMemType_t type, uint16_t moduleId) {
    (void)type;  // HBM and DEFAULT are the same memory here
    (void)moduleId;
    return guarded("rtMalloc", kRtInternal, [&] { return malloc_on_bound("rtMalloc", devPtr, size); });
}

extern "C" rtError_t rtFree(void *devPtr) {
    return guarded("rtFree", kRtInternal, [&] { return free_on_bound("rtFree", devPtr); });
}

extern "C" rtError_t rtMemcpy(void *dst, uint64_t destMax, const void *src, uint64_t cnt, rtMemcpyKind_t kind) {
    return guarded("rtMemcpy", kRtInternal,
                   [&] { return copy_on_bound("rtMemcpy", dst, destMax, src, cnt, static_cast<int>(kind)); });
}

extern "C" aclError aclrtMalloc(void **devPtr, size_t size, aclrtMemMallocPolicy policy) {
    (void)policy;
    return guarded("aclrtMalloc", kRtInternal, [&] { return malloc_on_bound("aclrtMalloc", devPtr, size); });
}

extern "C" aclError aclrtFree(void *devPtr) {
    return guarded("aclrtFree", kRtInternal, [&] { return free_on_bound("aclrtFree", devPtr); });
}

extern "C" aclError aclrtMemcpy(void *dst, size_t destMax, const void *src, size_t count, aclrtMemcpyKind kind) {
    // ACL's kinds have the runtime's values.
    return guarded("aclrtMemcpy", kRtInternal,
                   [&] { return copy_on_bound("aclrtMemcpy", dst, destMax, src, count, static_cast<int>(kind)); });
}

extern "C" drvError_t halHostRegister(void *src_ptr, unsigned long long size, unsigned int flag, unsigned int devid,
                                      void **dst_ptr) {
    return static_cast<drvError_t>(guarded("halHostRegister", kDrvInner, [&] {
        if (flag != DEV_SVM_MAP_HOST) return error(DRV_ERROR_NOT_SUPPORT, "halHostRegister: only DEV_SVM_MAP_HOST is simulated (flag %u)", flag);
        if (dst_ptr == nullptr || src_ptr == nullptr || size == 0)
            return error(kDrvInvalidValue, "halHostRegister: null pointer or zero size");
        if (devid >= static_cast<unsigned>(kMaxDevices)) return error(kDrvInvalidDevice, "halHostRegister: device %u", devid);
        std::lock_guard<std::mutex> lock(sim().mu);
        if (find_allocation(src_ptr, size, static_cast<int>(devid)) == nullptr)
            return invalid_access(kDrvInvalidValue, "halHostRegister: [%p, +%llu) is not inside one live allocation of device %u",
                                  src_ptr, size, devid);
        auto &regs = device_state(static_cast<int>(devid)).host_registrations;
        if (regs.count(reinterpret_cast<uintptr_t>(src_ptr)))
            return error(kDrvInvalidValue, "halHostRegister: %p is already registered", src_ptr);
        regs[reinterpret_cast<uintptr_t>(src_ptr)] = size;
        *dst_ptr = src_ptr;  // shared virtual memory: the host sees the device memory at the same address
        return 0;
    }));
}

extern "C" drvError_t halHostUnregister(void *src_ptr, unsigned int devid) {
    return static_cast<drvError_t>(guarded("halHostUnregister", kDrvInner, [&] {
        if (devid >= static_cast<unsigned>(kMaxDevices)) return error(kDrvInvalidDevice, "halHostUnregister: device %u", devid);
        std::lock_guard<std::mutex> lock(sim().mu);
        auto &regs = device_state(static_cast<int>(devid)).host_registrations;
        if (regs.erase(reinterpret_cast<uintptr_t>(src_ptr)) == 0)
            return invalid_access(kDrvInvalidValue, "halHostUnregister: %p is not registered on device %u", src_ptr, devid);
        return 0;
    }));
}
