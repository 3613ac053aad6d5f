// The device platform seam on hardware. Registers are MMIO words; shared memory is not coherent with the
// AICPU's caches, so every read of something another agent writes invalidates the line first, and a wait
// is a spin (with a relax hint) re-reading the word until it changes or the system counter says the time
// is up. Kernels are called at their device address directly.
#include <cstdint>

#include "platform_config.h"
#include "pto/device/platform.h"

namespace pto::device {

namespace {

inline void invalidate(const volatile void *addr) {
#if defined(__aarch64__)
    asm volatile("dc civac, %0" ::"r"(addr) : "memory");
    asm volatile("dsb sy" ::: "memory");
#else
    (void)addr;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
#endif
}

inline void relax() {
#if defined(__aarch64__)
    asm volatile("yield" ::: "memory");
#elif defined(__x86_64__)
    __builtin_ia32_pause();
#endif
}

inline void publish_barrier() {
#if defined(__aarch64__)
    asm volatile("dsb st" ::: "memory");
#else
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
#endif
}

uint64_t read_counter() {
#if defined(__aarch64__)
    uint64_t value;
    asm volatile("mrs %0, cntvct_el0" : "=r"(value));
    return value;
#else
    return static_cast<uint64_t>(__builtin_ia32_rdtsc());
#endif
}

uint64_t ns_to_ticks(uint64_t ns) {
    return static_cast<uint64_t>(static_cast<double>(ns) * (static_cast<double>(PLATFORM_PROF_SYS_CNT_FREQ) / 1e9));
}

volatile uint32_t *word(uint64_t base, uint32_t offset) { return reinterpret_cast<volatile uint32_t *>(base + offset); }

uint32_t spin_until_change(volatile uint32_t *addr, uint32_t old_value, uint64_t timeout_ns) {
    const uint64_t deadline = read_counter() + ns_to_ticks(timeout_ns);
    for (;;) {
        invalidate(addr);
        const uint32_t value = *addr;
        if (value != old_value || read_counter() >= deadline) return value;
        relax();
    }
}

// Hardware has no device event to sleep on: the epoch is a process-local counter that only orders reads,
// and waiting on it is a short spin.
uint32_t g_epoch = 0;

}  // namespace

uint32_t reg_read(uint64_t base, uint32_t offset) {
    invalidate(word(base, offset));
    return *word(base, offset);
}

void reg_write(uint64_t base, uint32_t offset, uint32_t value) {
    publish_barrier();
    *word(base, offset) = value;
    publish_barrier();
}

uint32_t reg_wait_change(uint64_t base, uint32_t offset, uint32_t old_value, uint64_t timeout_ns) {
    return spin_until_change(word(base, offset), old_value, timeout_ns);
}

uint32_t flag_read(volatile uint32_t *flag) {
    invalidate(flag);
    return *flag;
}

void flag_write(volatile uint32_t *flag, uint32_t value) {
    publish_barrier();
    *flag = value;
    publish_barrier();
}

uint32_t flag_wait_change(volatile uint32_t *flag, uint32_t old_value, uint64_t timeout_ns) {
    return spin_until_change(flag, old_value, timeout_ns);
}

uint32_t event_epoch() { return __atomic_load_n(&g_epoch, __ATOMIC_ACQUIRE); }

void event_signal() { __atomic_add_fetch(&g_epoch, 1u, __ATOMIC_RELEASE); }

void event_wait(uint32_t epoch, uint64_t timeout_ns) {
    const uint64_t deadline = read_counter() + ns_to_ticks(timeout_ns < 2000 ? timeout_ns : 2000);
    while (event_epoch() == epoch && read_counter() < deadline) relax();
}

uint64_t sys_counter() { return read_counter(); }

// core_logical_id() and core_register_base() are not here: on hardware they are the AICore's own special
// registers, read through the AICore compiler's intrinsics in the AICore build (which needs CANN's ccec).

int call_kernel(uint64_t function_addr, int64_t *args) {
    if (function_addr == 0) return -1;
    reinterpret_cast<void (*)(int64_t *)>(function_addr)(args);
    return 0;
}

}  // namespace pto::device
