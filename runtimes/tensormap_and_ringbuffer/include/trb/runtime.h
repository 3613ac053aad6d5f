// The tensormap_and_ringbuffer Runtime image and the ring structures it points at.
//
// The image is small: the host fills it per run (geometry, the prepared callable's kernel table, the
// orchestration program's location, the run's arguments with device addresses) and the DeviceRunner
// copies it to the device. The heavy state lives in the persistent static arena:
//   gm_sm   : the task ring (TaskSlot per slot), the two ready queues' id arrays, the orchestrator's
//             TensorMap and heap-segment ring;
//   gm_heap : the heap ring runtime-allocated tensors come from;
//   runtime arena : device buffers of the run's tensor arguments (see host/runtime_maker.cpp).
// Nothing in gm_sm needs clearing between runs: a slot is written whole before it is published, and every
// cursor that says which slots are live lives in this image, which is fresh each run.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "platform_config.h"
#include "pto/callable.h"
#include "pto/device/handshake.h"
#include "pto/runtime_variant.h"
#include "pto/task_args.h"
#include "trb/config.h"
#include "trb/tensor.h"

namespace trb {

enum SlotState : uint32_t { SLOT_PENDING = 1, SLOT_COMPLETED = 2 };

// One task in the task ring, at slot id % capacity. The AICore reads function_addr and args; args[i] for
// i < tensor_count points at tensors[i] in this very slot.
struct alignas(64) TaskSlot {
    std::atomic<uint32_t> lock;     // guards state and the fanout list against a racing completion
    std::atomic<uint32_t> state;    // SlotState
    uint32_t id;                    // the task occupying the slot
    std::atomic<int32_t> fanin;     // producers not finished + 1 while the orchestrator wires the task
    int32_t fanout_count;
    uint32_t core_kind;             // pto::device::CoreKind
    int32_t func_id;
    int32_t num_args;
    uint64_t function_addr;
    uint32_t fanout[kMaxFanout];    // consumer task ids
    int64_t args[kMaxTaskArgs];
    Tensor tensors[kMaxTaskTensors];
    uint8_t dirs[kMaxTaskTensors];  // Dir of each tensor (read by the tensor-dump collector)

    void acquire() {
        while (lock.exchange(1, std::memory_order_acquire) != 0) {
        }
    }
    void release() { lock.store(0, std::memory_order_release); }
};

// A bounded multi-producer, multi-consumer queue of task ids; the ids array lives in gm_sm. It never
// overflows: it holds only live tasks, and at most `capacity` tasks are live. A tiny spinlock suffices:
// every critical section is a few stores.
struct ReadyQueue {
    std::atomic<uint32_t> lock;
    uint32_t capacity;
    uint64_t head;
    uint64_t tail;
    uint64_t ids_addr;  // uint32_t[capacity] in gm_sm

    void push(uint32_t id) {
        acquire();
        reinterpret_cast<uint32_t *>(ids_addr)[tail % capacity] = id;
        ++tail;
        lock.store(0, std::memory_order_release);
    }
    bool pop(uint32_t *id) {
        acquire();
        const bool any = head != tail;
        if (any) *id = reinterpret_cast<uint32_t *>(ids_addr)[head++ % capacity];
        lock.store(0, std::memory_order_release);
        return any;
    }

private:
    void acquire() {
        while (lock.exchange(1, std::memory_order_acquire) != 0) {
        }
    }
};

// The orchestrator's record of who last touched a byte range (gm_sm, a FIFO in task order).
struct TensorMapEntry {
    uint64_t begin;
    uint64_t end;
    uint32_t task;
    uint32_t writes;  // 1: the task writes the range (OUT/INOUT); 0: it only reads it
};

// A run of heap-ring bytes allocated by one scope, released as a whole (gm_sm, a FIFO in heap order).
struct HeapSegment {
    uint64_t begin;        // virtual heap offsets (monotonic; physical = offset % heap_bytes)
    uint64_t end;
    uint64_t scope_serial;
    uint64_t release_at;   // kOpen while the scope is open, then the task count at its end
};
constexpr uint64_t kOpen = ~0ull;

// Where the rings are, in gm_sm, for a task ring of `capacity` slots.
struct SmLayout {
    uint64_t slots, ready_ids[2], tensormap, segments, total;
    uint32_t tensormap_capacity, segment_capacity;

    static uint64_t align(uint64_t v) { return (v + 511) / 512 * 512; }
    static SmLayout of(uint32_t capacity, uint64_t heap_bytes) {
        SmLayout l{};
        uint64_t at = 0;
        l.slots = at;
        at = align(at + sizeof(TaskSlot) * capacity);
        for (int k = 0; k < 2; ++k) {
            l.ready_ids[k] = at;
            at = align(at + sizeof(uint32_t) * capacity);
        }
        l.tensormap_capacity = capacity * kTensorMapEntriesPerTask;
        l.tensormap = at;
        at = align(at + sizeof(TensorMapEntry) * l.tensormap_capacity);
        // Every live segment holds at least one kHeapAlign-sized buffer: this many never overflow.
        l.segment_capacity = static_cast<uint32_t>(heap_bytes / kHeapAlign);
        l.segments = at;
        at = align(at + sizeof(HeapSegment) * l.segment_capacity);
        l.total = at;
        return l;
    }
};

constexpr uint8_t kNoKernel = 0xFF;

}  // namespace trb

// Host-only tail of the image: what validate needs to copy results back.
struct TrbCopyPlan {
    uint64_t host;      // host address of the tensor
    uint64_t arena_at;  // its offset in the runtime arena
    uint64_t size;
};

struct Runtime {
    pto::device::RuntimeCommon common;  // must be first: the shared device code finds it here

    // Geometry of this run's rings (device addresses).
    uint32_t task_capacity;
    uint32_t tensormap_capacity;
    uint32_t segment_capacity;
    uint32_t reserved0;
    uint64_t heap_bytes;
    uint64_t heap_addr;
    uint64_t slots_addr;
    uint64_t tensormap_addr;
    uint64_t segments_addr;

    // The orchestration program (bytes in device memory) and how to enter it.
    uint64_t orch_so_addr;
    uint64_t orch_so_size;
    int32_t callable_id;
    int32_t first_sighting;  // the host saw this callable id run for the first time: (re)load it
    char orch_entry[pto::kMaxSymbolName];

    // Progress, shared by the orchestrator and the schedulers.
    alignas(64) std::atomic<uint32_t> submitted;
    alignas(64) std::atomic<uint32_t> completed;
    alignas(64) std::atomic<uint32_t> orch_done;
    alignas(64) trb::ReadyQueue ready[2];  // by core kind: AIC, AIV

    pto::ChipStorageTaskArgs orch_args;        // the run's arguments, tensors at device addresses
    uint64_t kernel_addrs[pto::kMaxFuncId];    // func_id -> device code address (0 = none)
    uint8_t kernel_kind[pto::kMaxFuncId];      // func_id -> CoreKind, or kNoKernel

    // Host only; the device never reads below this line.
    pto::HostApi api;
    const void *device_image;
    uint64_t arena_base;
    uint64_t copy_in_begin, copy_in_end;      // arena byte range copied in (IN and INOUT tensors)
    uint64_t copy_back_begin, copy_back_end;  // arena byte range copied back (INOUT and OUT tensors)
    uint32_t copy_back_count;
    uint32_t reserved1;
    TrbCopyPlan copy_back[pto::kMaxTensorArgs];
};
