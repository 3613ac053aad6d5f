// The pieces of tensormap_and_ringbuffer's AICPU program, one per file: the schedulers (scheduler.cpp),
// the orchestrator (orchestrator.cpp) and the orchestration program loader (orch_loader.cpp).
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernel_args.h"
#include "platform_config.h"
#include "pto/device/handshake.h"
#include "trb/orchestration_api.h"
#include "trb/runtime.h"

namespace trb {

// The orchestration entry of the run's callable, loaded once per (device, callable id) and reloaded when
// the host says this id is sighted for the first time. nullptr with a reason in `why` on failure.
TrbOrchestrationEntry load_orchestration(const KernelArgs &args, Runtime *runtime, char *why, size_t why_len);

// The last AICPU thread: runs the orchestration program, then marks the run's graph complete.
int run_orchestrator(const KernelArgs &args, Runtime *runtime);

// Threads [0, aicpu_thread_num - 1): the shared dispatch loop (pto/device/dispatch_loop.h) with the ring policy.
int run_scheduler(const KernelArgs &args, Runtime *runtime, int thread_index, int scheduler_count);

inline TaskSlot &slot_of(const Runtime *runtime, uint32_t id) {
    return reinterpret_cast<TaskSlot *>(runtime->slots_addr)[id % runtime->task_capacity];
}

}  // namespace trb
