// Limits and default ring sizes of the tensormap_and_ringbuffer runtime.
//
// Ring sizes are per run and may be overridden on the host through the environment (read when a run is
// bound, so a test can change them between runs):
//   PTO_TRB_TASK_RING   task slots in the task ring (default kDefaultTaskRing, at least 1)
//   PTO_TRB_HEAP_BYTES  bytes of the heap ring that runtime-allocated tensors come from
//                       (default kDefaultHeapBytes, at least kHeapAlign)
// The static arena regions are grow-only: a smaller request reuses the larger region already there.
#pragma once

#include <cstddef>
#include <cstdint>

namespace trb {

constexpr uint32_t kDefaultTaskRing = 2048;
constexpr uint64_t kDefaultHeapBytes = 64ull << 20;
constexpr uint64_t kHeapAlign = 512;          // runtime-allocated tensors start on device-memory alignment

constexpr int kMaxTaskTensors = 16;           // tensors one task takes
constexpr int kMaxTaskScalars = 16;           // scalars one task takes
constexpr int kMaxTaskArgs = kMaxTaskTensors + kMaxTaskScalars;
constexpr int kMaxFanout = 32;                // consumers recorded per producer; more wait for it to finish
constexpr int kMaxScopeDepth = 64;
constexpr uint32_t kMaxTasksPerRun = 0x7FFFFFE0u;  // task ids are task words: below every sentinel

// Each task records at most one TensorMap entry per tensor argument.
constexpr uint32_t kTensorMapEntriesPerTask = kMaxTaskTensors;

}  // namespace trb
