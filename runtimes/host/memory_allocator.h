// Device memory through rtMalloc/rtFree, with every live pointer tracked so finalize can free what a
// caller forgot and a free of a pointer this runner never handed out is refused instead of reaching CANN.
#pragma once

#include <cstddef>
#include <mutex>
#include <map>

#include "cann_runtime_api.h"

namespace pto {

class MemoryAllocator {
public:
    MemoryAllocator() = default;
    MemoryAllocator(const MemoryAllocator &) = delete;
    MemoryAllocator &operator=(const MemoryAllocator &) = delete;

    // rtMalloc(HBM); *out is null on failure.
    rtError_t allocate(size_t size, void **out) {
        *out = nullptr;
        void *p = nullptr;
        rtError_t rc = rtMalloc(&p, size, RT_MEMORY_HBM, 0);
        if (rc != RT_ERROR_NONE) return rc;
        std::lock_guard<std::mutex> lock(mutex_);
        live_[p] = size;
        *out = p;
        return RT_ERROR_NONE;
    }

    // false if `p` is not a live allocation of this allocator (nothing is freed then).
    bool release(void *p, rtError_t *rc) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            auto it = live_.find(p);
            if (it == live_.end()) return false;
            live_.erase(it);
        }
        *rc = rtFree(p);
        return true;
    }

    bool owns(const void *p) const {
        std::lock_guard<std::mutex> lock(mutex_);
        return live_.count(const_cast<void *>(p)) != 0;
    }

    // true if [p, p + size) lies inside one live allocation.
    bool contains(const void *p, size_t size) const {
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = live_.upper_bound(const_cast<void *>(p));
        if (it == live_.begin()) return false;
        --it;
        const auto *base = static_cast<const char *>(it->first);
        const auto *at = static_cast<const char *>(p);
        return at >= base && static_cast<size_t>(at - base) <= it->second && size <= it->second - static_cast<size_t>(at - base);
    }

    size_t live_count() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return live_.size();
    }

    // Frees every live allocation; returns the first failing rtFree's rc.
    rtError_t finalize() {
        std::map<void *, size_t> remaining;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            remaining.swap(live_);
        }
        rtError_t first = RT_ERROR_NONE;
        for (auto &entry : remaining) {
            rtError_t rc = rtFree(entry.first);
            if (first == RT_ERROR_NONE) first = rc;
        }
        return first;
    }

private:
    mutable std::mutex mutex_;
    std::map<void *, size_t> live_;  // ordered: `contains` finds the allocation below an address
};

}  // namespace pto
