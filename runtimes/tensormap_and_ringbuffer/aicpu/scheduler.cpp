// tensormap_and_ringbuffer's AICPU entry and schedulers. With n = aicpu_thread_num, threads [0, n-1)
// schedule and thread n-1 runs the orchestration (orchestrator.cpp), so n >= 2. Core c belongs to
// scheduler c % (n-1). A scheduler boots its cores, then loops: read each core's COND, retire finished
// tasks (a consumer whose last producer finished becomes ready), hand ready tasks of the core's kind to
// cores with a free slot, and sleep on the device event when there is nothing to do. The run ends when
// the orchestrator is done and every submitted task completed; each scheduler then sends EXIT to its cores.
#include <cstdint>

#include "aicpu_parts.h"
#include "pto/device/collector.h"
#include "pto/device/core_slots.h"
#include "pto/device/fatal.h"
#include "pto/device/handshake.h"
#include "pto/device/platform.h"
#include "pto/device/variant.h"

namespace trb {

using namespace pto::device;
using namespace pto;  // collector record types

namespace {

// A finished task: mark it completed (under its lock, so a racing orchestrator either linked its consumer
// before or sees it completed), then release its consumers.
void retire(Runtime *runtime, uint32_t id, SwimlaneWriter &swim) {
    TaskSlot &s = slot_of(runtime, id);
    uint32_t fanout[kMaxFanout];
    s.acquire();
    s.state.store(SLOT_COMPLETED, std::memory_order_release);
    const int n = s.fanout_count;
    for (int i = 0; i < n; ++i) fanout[i] = s.fanout[i];
    s.release();
    swim.edges(id, fanout, n);
    // From here the slot may be reused by the orchestrator: only the copies above are read.
    for (int i = 0; i < n; ++i) {
        TaskSlot &c = slot_of(runtime, fanout[i]);
        if (c.fanin.fetch_sub(1, std::memory_order_acq_rel) == 1) runtime->ready[c.core_kind].push(fanout[i]);
    }
    runtime->completed.fetch_add(1, std::memory_order_acq_rel);
}

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

bool graph_done(const Runtime *runtime) {
    if (runtime->orch_done.load(std::memory_order_acquire) == 0) return false;
    return runtime->completed.load(std::memory_order_acquire) == runtime->submitted.load(std::memory_order_acquire);
}

}  // namespace

int run_scheduler(const KernelArgs &args, Runtime *runtime, int thread_index, int scheduler_count) {
    RuntimeCommon *common = &runtime->common;
    int cores[PLATFORM_MAX_CORES];
    CoreSlots slots[PLATFORM_MAX_CORES];
    int count = 0;
    for (int core = thread_index; core < common->worker_count; core += scheduler_count) cores[count++] = core;
    SwimlaneWriter swim(args, common->worker_count, thread_index);
    DispatchTimes dispatched_at[PLATFORM_MAX_CORES];
    CollectorLane dump(collector_region(args, PROFILING_FLAG_DUMP_TENSOR, args.dump_data_base), static_cast<uint32_t>(thread_index));

    const uint64_t boot_start = swim.now();
    for (int i = 0; i < count; ++i) {
        if (!boot_core(common, args, cores[i])) {
            raise_fatal(common, FATAL_BOOT_TIMEOUT, "AICore %d did not complete the boot handshake", cores[i]);
            exit_cores(common, args, cores, i);  // only the cores that booted can answer EXIT
            return FATAL_BOOT_TIMEOUT;
        }
    }
    swim.phase(SWIM_SCHED_PHASE, PHASE_BOOT, boot_start, swim.now(), 0, static_cast<uint32_t>(count));
    const bool single_issue = (args.enable_profiling_flag & PROFILING_FLAG_PMU) != 0;  // PMU counts one task at a time
    uint64_t last_progress = sys_counter();
    uint32_t last_completed = runtime->completed.load();
    while (!graph_done(runtime) && !fatal_raised(common)) {
        const uint32_t epoch = event_epoch();
        bool progress = false;
        const uint64_t pass_start = swim.now();
        uint32_t retired = 0, dispatched = 0;
        for (int i = 0; i < count; ++i) {
            const uint64_t base = core_base(args, cores[i]);
            uint32_t finished[2];
            bool protocol_error = false;
            const int n = slots[i].observe(reg_read(base, REG_SPR_COND), finished, &protocol_error);
            if (protocol_error) {
                raise_fatal(common, FATAL_PROTOCOL, "AICore %d acknowledged a task word nobody dispatched to it", cores[i]);
                break;
            }
            const uint64_t observed_at = swim.now();
            for (int k = 0; k < n; ++k) {
                if (swim.tasks() || dump.active()) {
                    const TaskSlot &s = slot_of(runtime, finished[k]);  // still ours: retire() frees it
                    swim.task(finished[k], s.func_id, cores[i], s.core_kind, dispatched_at[i].take(finished[k]), observed_at);
                    if (dump.active()) dump_tensors(dump, s, finished[k], DUMP_AFTER);
                    ++retired;
                }
                retire(runtime, finished[k], swim);
            }
            if (n > 0) progress = true;
            const uint32_t kind = common->workers[cores[i]].core_type;
            uint32_t id;
            if (slots[i].can_accept(single_issue) && runtime->ready[kind].pop(&id)) {
                if (dump.active()) dump_tensors(dump, slot_of(runtime, id), id, DUMP_BEFORE);
                if (swim.tasks()) {
                    dispatched_at[i].put(id, swim.now(), slots[i].running);
                    ++dispatched;
                }
                slots[i].dispatched(id);
                reg_write(base, REG_SPR_DATA_MAIN_BASE, id);
                progress = true;
            }
        }
        if (progress) {
            swim.phase(SWIM_SCHED_PHASE, PHASE_COMPLETE, pass_start, swim.now(), 0, retired, dispatched);
            event_signal();  // the orchestrator and the other schedulers may be waiting on what just changed
            continue;
        }
        const uint32_t completed = runtime->completed.load();
        const bool outstanding = completed != runtime->submitted.load(std::memory_order_acquire);
        if (completed != last_completed || !outstanding) {
            last_completed = completed;
            last_progress = sys_counter();
        } else if (counter_ns(sys_counter() - last_progress) > kHangBudgetNs) {
            raise_fatal(common, FATAL_HANG, "scheduler %d: no task finished for %.1f s: %u of %u submitted tasks completed", thread_index,
                        static_cast<double>(kHangBudgetNs) / 1e9, completed, runtime->submitted.load());
            break;
        }
        const uint64_t idle_start = swim.now();
        event_wait(epoch, kWaitSliceNs);
        swim.phase(SWIM_SCHED_PHASE, PHASE_IDLE, idle_start, swim.now());
    }
    const uint64_t exit_start = swim.now();
    exit_cores(common, args, cores, count);
    swim.phase(SWIM_SCHED_PHASE, PHASE_EXIT, exit_start, swim.now(), 0, static_cast<uint32_t>(count));
    return fatal_raised(common) ? common->fatal_code.load() : 0;
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
