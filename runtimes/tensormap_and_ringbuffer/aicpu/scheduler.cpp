// tensormap_and_ringbuffer's schedulers: its policy for the shared dispatch loop (dispatch_loop.h). With
// n = aicpu_thread_num, threads [0, n-1) schedule and thread n-1 runs the orchestration (orchestrator.cpp),
// so n >= 2; core c belongs to scheduler c % (n-1). The graph grows while the run goes: a finished task is
// marked completed in its ring slot and releases the consumers the orchestrator linked to it, and the run
// ends once the orchestrator is done and every submitted task completed. The tensor-dump collector records
// a task's inputs as it is dispatched and its outputs as it finishes.
#include <cstdint>

#include "aicpu_parts.h"
#include "pto/device/collector.h"
#include "pto/device/dispatch_loop.h"
#include "pto/device/variant.h"

namespace trb {

using namespace pto::device;
using namespace pto;  // collector record types

namespace {

// Tensor dump: the task's tensors of the given roles, with their bytes, into this thread's lane.
void dump_tensors(CollectorLane &lane, const TaskSlot &s, uint32_t id, uint32_t stage) {
    for (int32_t i = 0; i < s.num_args && i < kMaxTaskTensors; ++i) {
        const uint32_t role = s.dirs[i];
        if (role < DUMP_IN || role > DUMP_INOUT) break;  // the tensors come first; scalars have no dir
        const bool wanted = stage == DUMP_BEFORE ? role != DUMP_OUT : role != DUMP_IN;
        if (!wanted) continue;
        auto *r = lane.append<DumpRecord>();
        if (r == nullptr) return;
        const Tensor &t = s.tensors[i];
        r->task_id = id;
        r->func_id = s.func_id;
        r->arg_index = static_cast<uint32_t>(i);
        r->role = role;
        r->stage = stage;
        r->dtype = t.dtype;
        r->ndims = t.ndims;
        for (uint32_t d = 0; d < t.ndims && d < 8; ++d) r->shape[d] = t.shape[d];
        r->device_addr = t.begin_byte();
        r->offset = t.offset;
        r->payload_size = t.nbytes();
        r->timestamp = sys_counter();
        r->payload_offset = lane.copy_payload(reinterpret_cast<const void *>(t.begin_byte()), t.nbytes());
        r->truncated = r->payload_offset == ~0ull ? 1 : 0;
        lane.commit();
    }
}

class RingPolicy {
public:
    RingPolicy(const KernelArgs &args, Runtime *runtime, int thread_index)
        : runtime_(runtime),
          dump_(collector_region(args, PROFILING_FLAG_DUMP_TENSOR, args.dump_data_base), static_cast<uint32_t>(thread_index)) {}

    static constexpr const char *kKnownTasks = "submitted tasks";

    bool done() const {
        if (runtime_->orch_done.load(std::memory_order_acquire) == 0) return false;
        return runtime_->completed.load(std::memory_order_acquire) == runtime_->submitted.load(std::memory_order_acquire);
    }
    uint32_t completed() const { return runtime_->completed.load(); }
    // Only what the orchestrator submitted so far: with none of it outstanding, the loop's hang clock waits.
    uint32_t known() const { return runtime_->submitted.load(std::memory_order_acquire); }

    TaskIdentity identify(uint32_t id) const {
        const TaskSlot &s = slot_of(runtime_, id);
        return {s.func_id, s.core_kind};
    }

    bool take_ready(uint32_t core_kind, uint32_t *id) {
        if (!runtime_->ready[core_kind].pop(id)) return false;
        if (dump_.active()) dump_tensors(dump_, slot_of(runtime_, *id), *id, DUMP_BEFORE);
        return true;
    }

    // Marks the task completed (under its slot's lock, so a racing orchestrator either linked its consumer
    // before or sees it completed), then releases its consumers.
    void retire(uint32_t id, SwimlaneWriter &swim) {
        TaskSlot &s = slot_of(runtime_, id);
        if (dump_.active()) dump_tensors(dump_, s, id, DUMP_AFTER);
        uint32_t fanout[kMaxFanout];
        s.acquire();
        s.state.store(SLOT_COMPLETED, std::memory_order_release);
        const int n = s.fanout_count;
        for (int i = 0; i < n; ++i) fanout[i] = s.fanout[i];
        s.release();
        swim.edges(id, fanout, n);
        // From here the slot may be reused by the orchestrator: only the copies above are read.
        for (int i = 0; i < n; ++i) {
            TaskSlot &c = slot_of(runtime_, fanout[i]);
            if (c.fanin.fetch_sub(1, std::memory_order_acq_rel) == 1) runtime_->ready[c.core_kind].push(fanout[i]);
        }
        runtime_->completed.fetch_add(1, std::memory_order_acq_rel);
    }

private:
    Runtime *runtime_;
    CollectorLane dump_;
};

}  // namespace

int run_scheduler(const KernelArgs &args, Runtime *runtime, int thread_index, int scheduler_count) {
    RingPolicy policy(args, runtime, thread_index);
    return run_dispatch_loop(args, &runtime->common, thread_index, scheduler_count, policy);
}

}  // namespace trb

namespace pto::device {

int aicpu_variant_init(const KernelArgs &, Runtime *runtime) {
    // The ready queues' cursors and the progress counters come fresh with the image; nothing in the
    // persistent rings needs clearing (see trb/runtime.h).
    return runtime->task_capacity == 0 || runtime->slots_addr == 0 ? 1 : 0;
}

int aicpu_variant_run(const KernelArgs &args, Runtime *runtime, int thread_index) {
    const int threads = runtime->common.aicpu_thread_num;
    if (threads < 2)
        return raise_fatal(&runtime->common, FATAL_BAD_TASK, "tensormap_and_ringbuffer needs aicpu_thread_num >= 2, got %d", threads);
    if (thread_index == threads - 1) return trb::run_orchestrator(args, runtime);
    return trb::run_scheduler(args, runtime, thread_index, threads - 1);
}

}  // namespace pto::device
