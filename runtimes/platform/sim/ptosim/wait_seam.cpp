// wait_seam.cpp - how a simulated core waits for a register or flag without burning a CPU: a short
// spin (the common case is a quick hand-off), then a futex park on the word's address. With 72 cores
// on 2 CPUs, parked waiters leave the CPUs to the threads that make progress.
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <climits>
#include <cstdint>
#include <thread>

#include "ptosim/core_seam.h"

namespace {

constexpr int kSpins = 64;
// A parked waiter re-reads the word at least this often, so a writer that forgot to notify costs
// latency, not a hang.
constexpr uint64_t kRecheckNs = 10'000'000;

std::atomic<int> g_parked{0};

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield" ::: "memory");
#endif
}

inline uint32_t load(volatile uint32_t *addr) { return __atomic_load_n(addr, __ATOMIC_ACQUIRE); }

}  // namespace

extern "C" uint32_t ptosim_wait_u32_change(volatile uint32_t *addr, uint32_t old, uint64_t timeout_ns) {
    uint32_t value = load(addr);
    if (value != old || timeout_ns == 0) return value;
    for (int i = 0; i < kSpins; ++i) {
        cpu_relax();
        value = load(addr);
        if (value != old) return value;
    }
    const bool aligned = (reinterpret_cast<uintptr_t>(addr) & 3u) == 0;
    const auto start = std::chrono::steady_clock::now();
    for (;;) {
        uint64_t slice = kRecheckNs;
        if (timeout_ns != UINT64_MAX) {
            const uint64_t elapsed = static_cast<uint64_t>(
                std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count());
            if (elapsed >= timeout_ns) return load(addr);
            if (timeout_ns - elapsed < slice) slice = timeout_ns - elapsed;
        }
        if (aligned) {
            // Announce the park before the kernel re-checks the word: a notifier that wrote first either
            // sees us parked (and wakes us) or the kernel sees the new value (and does not sleep).
            g_parked.fetch_add(1, std::memory_order_seq_cst);
            timespec ts{static_cast<time_t>(slice / 1'000'000'000ull), static_cast<long>(slice % 1'000'000'000ull)};
            ::syscall(SYS_futex, const_cast<uint32_t *>(addr), FUTEX_WAIT_PRIVATE, old, &ts, nullptr, 0);
            g_parked.fetch_sub(1, std::memory_order_relaxed);
        } else {
            std::this_thread::sleep_for(std::chrono::microseconds(100));  // cannot futex a misaligned word
        }
        value = load(addr);
        if (value != old) return value;
    }
}

extern "C" void ptosim_notify_u32(volatile uint32_t *addr) {
    // The caller's write of the word was sequentially consistent, so this load of the parked count cannot
    // move before it (the waiter's side: its seq_cst increment comes before the futex re-reads the word).
    if (g_parked.load(std::memory_order_seq_cst) == 0) return;  // nobody parked anywhere: skip the syscall
    if ((reinterpret_cast<uintptr_t>(addr) & 3u) != 0) return;
    ::syscall(SYS_futex, const_cast<uint32_t *>(addr), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0);
}
