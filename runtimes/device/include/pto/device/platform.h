// The device platform seam: the few things device programs do that differ between hardware and the
// CPU simulator. Protocol code above this line is identical on both. On hardware a wait spins with a
// cache invalidate; on the simulator it parks the thread, so 72 simulated cores fit on 2 CPUs.
#pragma once

#include <cstdint>

namespace pto::device {

// 32-bit register access in a core's register block. A write is ordered after every earlier memory
// write of the caller (the task it publishes is visible first) and wakes a waiter on that register.
uint32_t reg_read(uint64_t block_base, uint32_t offset);
void reg_write(uint64_t block_base, uint32_t offset, uint32_t value);
// Waits until the register no longer holds `old_value` or `timeout_ns` passed; returns what it holds.
uint32_t reg_wait_change(uint64_t block_base, uint32_t offset, uint32_t old_value, uint64_t timeout_ns);

// Shared-memory flags (the boot handshake): same ordering and wake-up rules as registers.
uint32_t flag_read(volatile uint32_t *flag);
void flag_write(volatile uint32_t *flag, uint32_t value);
uint32_t flag_wait_change(volatile uint32_t *flag, uint32_t old_value, uint64_t timeout_ns);

// The device event: an AICPU scheduler that watches many cores sleeps on it; every COND write and every
// event_signal() moves it. Read the epoch, look for work, and wait only if the epoch did not move.
uint32_t event_epoch();
void event_signal();
void event_wait(uint32_t epoch, uint64_t timeout_ns);

// The system counter, ticking at PLATFORM_PROF_SYS_CNT_FREQ.
uint64_t sys_counter();

// AICore only: who am I, and where is my register block.
int core_logical_id();
uint64_t core_register_base();

// AICore only: run the incore kernel whose code is at `function_addr` (a device address). Returns 0, or
// -1 when no kernel lives there (the caller reports it as a fatal error of the run).
int call_kernel(uint64_t function_addr, int64_t *args);

}  // namespace pto::device
