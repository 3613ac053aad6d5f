// The pieces of tensormap_and_ringbuffer's AICPU program, one per file: the schedulers (scheduler.cpp),
// the orchestrator (orchestrator.cpp) and the orchestration program loader (orch_loader.cpp).
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernel_args.h"
#include "platform_config.h"
#include "pto/device/core_boot.h"
#include "pto/device/handshake.h"
#include "trb/orchestration_api.h"
#include "trb/runtime.h"

namespace trb {

// The orchestration entry of the run's callable, loaded once per (device, callable id) and reloaded when
// the host says this id is sighted for the first time. nullptr with a reason in `why` on failure.
TrbOrchestrationEntry load_orchestration(const KernelArgs &args, Runtime *runtime, char *why, size_t why_len);

// The last AICPU thread: runs the orchestration program, then marks the run's graph complete.
int run_orchestrator(const KernelArgs &args, Runtime *runtime);

// Threads [0, aicpu_thread_num - 1): boot their cores and dispatch ready tasks until the graph is done.
int run_scheduler(const KernelArgs &args, Runtime *runtime, int thread_index, int scheduler_count);

inline TaskSlot &slot_of(const Runtime *runtime, uint32_t id) {
    return reinterpret_cast<TaskSlot *>(runtime->slots_addr)[id % runtime->task_capacity];
}

using pto::device::counter_ns;

// No task finished anywhere for this long while some were outstanding (or a core never booted or
// exited): the run is lost. Shorter than the host's stream fence, so the device's named fatal error
// reaches the host instead of a bare timeout.
constexpr uint64_t kHangBudgetNs = pto::device::DEVICE_WAIT_BUDGET_NS;
constexpr uint64_t kWaitSliceNs = pto::device::DEVICE_WAIT_SLICE_NS;

}  // namespace trb
