// The host_build_graph Runtime image: the task graph the host-side orchestration built, plus the state
// the AICPU schedulers share while they run it. The host fills it, the DeviceRunner copies it to the
// device, the AICPU and AICore programs work on that copy.
#pragma once

#include <atomic>
#include <cstdint>

#include "platform_config.h"
#include "pto/device/handshake.h"

namespace hbg {

constexpr int MAX_TASKS = 4096;
constexpr int MAX_ARGS = 16;
constexpr int MAX_EDGES = 4 * MAX_TASKS;

struct Task {
    int32_t func_id;
    uint32_t core_type;          // pto::device::CoreKind
    int32_t num_args;
    int32_t successor_begin;     // this task's successors are successors[begin, begin + count)
    int32_t successor_count;
    std::atomic<int32_t> fanin;  // predecessors not yet finished
    uint64_t function_addr;      // device address of the kernel's code
    uint64_t args[MAX_ARGS];     // raw device pointers and scalars, as the orchestration gave them
};

// A bounded multi-producer, multi-consumer queue of task ids for one core kind. A tiny spinlock is
// enough: the holders are the few AICPU scheduler threads and every critical section is a few stores.
struct ReadyQueue {
    std::atomic<uint32_t> lock;
    uint32_t head;
    uint32_t tail;
    int32_t ids[MAX_TASKS];

    void push(int32_t id) {
        acquire();
        ids[tail % MAX_TASKS] = id;
        ++tail;
        lock.store(0, std::memory_order_release);
    }
    bool pop(int32_t *id) {
        acquire();
        const bool any = head != tail;
        if (any) *id = ids[head++ % MAX_TASKS];
        lock.store(0, std::memory_order_release);
        return any;
    }

private:
    void acquire() {
        while (lock.exchange(1, std::memory_order_acquire) != 0) {
        }
    }
};

}  // namespace hbg

struct HbgHostState;  // host-only per-run state (runtime_maker.cpp)

struct Runtime {
    pto::device::RuntimeCommon common;  // must be first: the shared device code finds it here
    int32_t task_count;
    int32_t edge_count;
    std::atomic<int32_t> completed;
    int32_t reserved;
    hbg::ReadyQueue ready[2];           // by core kind: AIC, AIV
    hbg::Task tasks[hbg::MAX_TASKS];
    int32_t successors[hbg::MAX_EDGES];
    HbgHostState *host;                 // host address; the device never touches it
};
