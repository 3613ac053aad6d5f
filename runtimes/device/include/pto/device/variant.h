// What a runtime variant's device code provides to the shared AICPU and AICore entry points.
#pragma once

#include <cstdint>

#include "kernel_args.h"

struct Runtime;

namespace pto::device {

struct RuntimeCommon;

// The variant's Runtime image starts with its RuntimeCommon.
inline RuntimeCommon *runtime_common(uint64_t runtime_args) { return reinterpret_cast<RuntimeCommon *>(runtime_args); }

// AICPU, one thread, before the exec threads start: per-run device state.
int aicpu_variant_init(const KernelArgs &args, Runtime *runtime);
// AICPU, each of the aicpu_thread_num exec threads (index in [0, aicpu_thread_num)). Returns 0 or a
// FatalCode (after recording it in RuntimeCommon).
int aicpu_variant_run(const KernelArgs &args, Runtime *runtime, int thread_index);
// AICore: run the task named by `task_word` on logical core `core`.
void aicore_variant_run_task(const KernelArgs &args, Runtime *runtime, int core, uint32_t task_word);

}  // namespace pto::device
