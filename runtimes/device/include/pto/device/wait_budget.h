// How long device-side waits last. Every wait of the device programs — the AICPU dispatch loop, the boot
// and exit handshakes on both sides, the AICore waiting for its next task word, a variant's own waits (the
// trb orchestrator's back-pressure) — uses these two numbers, so the run is declared lost after one budget
// and a fatal error raised anywhere is noticed everywhere within one slice.
#pragma once

#include <cstdint>

#include "platform_config.h"
#include "pto/device/platform.h"

namespace pto::device {

// How long a device-side wait may last before the device program declares the run lost (a core that never
// boots, no task finishing anywhere, a core that never exits). It is shorter than the host's per-run stream
// fence, so a run that cannot finish ends with the device program's own named fatal error and every device
// thread gone, instead of a host timeout with AICPU threads still waiting behind it.
constexpr uint64_t DEVICE_WAIT_BUDGET_NS = static_cast<uint64_t>(PLATFORM_STREAM_SYNC_TIMEOUT_MS) * 1000000ull * 3 / 4;

// How long one park lasts before the waiter wakes to re-check for a fatal error: a fatal error moves the
// device event but not the registers and flags cores park on, so this bounds how late they notice it. It
// is also how long the exit handshake waits for cores once the run is fatal (one may be stuck in a kernel).
constexpr uint64_t DEVICE_WAIT_SLICE_NS = 20'000'000ull;

// System-counter ticks as nanoseconds, at the arch's counter frequency.
inline uint64_t counter_ns(uint64_t ticks) {
    return static_cast<uint64_t>(static_cast<double>(ticks) * 1e9 / static_cast<double>(PLATFORM_PROF_SYS_CNT_FREQ));
}

// True once more than the device wait budget has passed since `since` (a sys_counter() reading).
inline bool wait_budget_spent(uint64_t since) { return counter_ns(sys_counter() - since) > DEVICE_WAIT_BUDGET_NS; }

// The budget in seconds, for the messages of the fatal errors it ends.
constexpr double DEVICE_WAIT_BUDGET_S = static_cast<double>(DEVICE_WAIT_BUDGET_NS) / 1e9;

}  // namespace pto::device
