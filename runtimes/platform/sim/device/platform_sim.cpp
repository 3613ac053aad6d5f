// The device platform seam on the CPU simulator. Waits park the calling thread on a futex-like word held
// by ptosim (never a busy spin), register and flag writes wake whoever parks on them, and kernels are
// found by asking ptosim which function it loaded from the bytes at a device address.
//
// The ptosim symbols are resolved at load time against the libptosim.so the host process loaded with
// RTLD_GLOBAL: ptosim itself loads these device programs, so there is exactly one simulator instance.
#include <chrono>
#include <cstdint>

#include "platform_config.h"
#include "pto/device/platform.h"

extern "C" {
uint32_t ptosim_wait_u32_change(volatile uint32_t *addr, uint32_t old_value, uint64_t timeout_ns);
void ptosim_notify_u32(volatile uint32_t *addr);
volatile uint32_t *ptosim_device_event_word(void);
int ptosim_core_logical_id(void);
uint64_t ptosim_core_register_base(void);
void *ptosim_resolve_kernel(uint64_t device_addr);
}

namespace pto::device {

namespace {

volatile uint32_t *reg_at(uint64_t base, uint32_t offset) {
    return reinterpret_cast<volatile uint32_t *>(base + offset);
}

// Protocol words (registers, handshake flags, the device event) are read and written only as atomics: an
// acquire read sees everything the writer wrote before its release. The writes are sequentially
// consistent because ptosim's parking relies on it: a writer's store and its look at "is anyone parked"
// must not be reordered against a waiter's "I am parked" and its re-read of the word.
uint32_t load(volatile uint32_t *word) { return __atomic_load_n(const_cast<uint32_t *>(word), __ATOMIC_ACQUIRE); }

void publish(volatile uint32_t *word, uint32_t value) {
    __atomic_store_n(const_cast<uint32_t *>(word), value, __ATOMIC_SEQ_CST);
}

}  // namespace

uint32_t reg_read(uint64_t base, uint32_t offset) { return load(reg_at(base, offset)); }

void reg_write(uint64_t base, uint32_t offset, uint32_t value) {
    publish(reg_at(base, offset), value);
    ptosim_notify_u32(reg_at(base, offset));
    // COND is what schedulers watch across many cores at once: they sleep on the device event.
    if (offset == REG_SPR_COND) event_signal();
}

uint32_t reg_wait_change(uint64_t base, uint32_t offset, uint32_t old_value, uint64_t timeout_ns) {
    ptosim_wait_u32_change(reg_at(base, offset), old_value, timeout_ns);
    return load(reg_at(base, offset));  // the acquire that orders what the writer published before the word
}

uint32_t flag_read(volatile uint32_t *flag) { return load(flag); }

void flag_write(volatile uint32_t *flag, uint32_t value) {
    publish(flag, value);
    ptosim_notify_u32(flag);
    event_signal();
}

uint32_t flag_wait_change(volatile uint32_t *flag, uint32_t old_value, uint64_t timeout_ns) {
    ptosim_wait_u32_change(flag, old_value, timeout_ns);
    return load(flag);
}

uint32_t event_epoch() { return load(ptosim_device_event_word()); }

void event_signal() {
    volatile uint32_t *word = ptosim_device_event_word();
    __atomic_add_fetch(const_cast<uint32_t *>(word), 1u, __ATOMIC_SEQ_CST);
    ptosim_notify_u32(word);
}

void event_wait(uint32_t epoch, uint64_t timeout_ns) {
    ptosim_wait_u32_change(ptosim_device_event_word(), epoch, timeout_ns);
}

uint64_t sys_counter() {
    // The simulated system counter runs at the arch's frequency, derived from the host's steady clock.
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                        std::chrono::steady_clock::now().time_since_epoch())
                        .count();
    return static_cast<uint64_t>(static_cast<double>(ns) * (static_cast<double>(PLATFORM_PROF_SYS_CNT_FREQ) / 1e9));
}

int core_logical_id() { return ptosim_core_logical_id(); }

uint64_t core_register_base() { return ptosim_core_register_base(); }

int call_kernel(uint64_t function_addr, int64_t *args) {
    using KernelEntry = void (*)(int64_t *);
    auto entry = reinterpret_cast<KernelEntry>(ptosim_resolve_kernel(function_addr));
    if (entry == nullptr) return -1;
    entry(args);
    return 0;
}

}  // namespace pto::device
