// host_build_graph's AICPU schedulers. Every exec thread schedules: core c belongs to thread
// c % aicpu_thread_num. A thread boots its cores, then loops: read each core's COND, retire finished
// tasks (a successor whose last predecessor finished becomes ready), hand ready tasks of the core's kind
// to cores with a free slot, and sleep on the device event when there is nothing to do. The run ends
// when every task completed; each thread then sends EXIT to its cores.
#include <cstdint>

#include "hbg/runtime.h"
#include "kernel_args.h"
#include "platform_config.h"
#include "pto/device/collector.h"
#include "pto/device/core_boot.h"
#include "pto/device/core_slots.h"
#include "pto/device/fatal.h"
#include "pto/device/handshake.h"
#include "pto/device/platform.h"
#include "pto/device/variant.h"

namespace pto::device {

int aicpu_variant_init(const KernelArgs &args, Runtime *runtime) {
    // Seed the ready queues with every task no other task waits for.
    for (int id = 0; id < runtime->task_count; ++id)
        if (runtime->tasks[id].fanin.load(std::memory_order_relaxed) == 0)
            runtime->ready[runtime->tasks[id].core_type].push(id);
    // dep_gen: the graph's explicit edges, one record per task (more when it has many successors).
    CollectorLane dep_gen(dep_gen_region(args), 0);
    for (int id = 0; dep_gen.active() && id < runtime->task_count; ++id) {
        const hbg::Task &task = runtime->tasks[id];
        int at = 0;
        do {
            auto *r = dep_gen.append<DepGenRecord>();
            if (r == nullptr) break;
            r->kind = DEPGEN_EDGES;
            r->task_id = static_cast<uint32_t>(id);
            r->func_id = task.func_id;
            r->core_type = task.core_type;
            const int n = task.successor_count - at < static_cast<int>(kDepGenMaxSuccessors) ? task.successor_count - at
                                                                                              : static_cast<int>(kDepGenMaxSuccessors);
            r->count = static_cast<uint32_t>(n);
            for (int k = 0; k < n; ++k) r->successors[k] = static_cast<uint32_t>(runtime->successors[task.successor_begin + at + k]);
            at += n;
            dep_gen.commit();
        } while (at < task.successor_count);
    }
    return 0;
}

int aicpu_variant_run(const KernelArgs &args, Runtime *runtime, int thread_index) {
    RuntimeCommon *common = &runtime->common;
    const int threads = common->aicpu_thread_num;
    int cores[PLATFORM_MAX_CORES];
    CoreSlots slots[PLATFORM_MAX_CORES];
    int count = 0;
    for (int core = thread_index; core < common->worker_count; core += threads) cores[count++] = core;
    SwimlaneWriter swim(args, common->worker_count, thread_index);
    DispatchTimes dispatched_at[PLATFORM_MAX_CORES];

    const uint64_t boot_start = swim.now();
    for (int i = 0; i < count; ++i) {
        if (!boot_core(common, args, cores[i])) {
            if (!fatal_raised(common))
                raise_fatal(common, FATAL_BOOT_TIMEOUT, "AICore %d did not complete the boot handshake", cores[i]);
            exit_cores(common, args, cores, i);  // only the cores that booted are there to answer
            return common->fatal_code.load();
        }
    }
    swim.phase(SWIM_SCHED_PHASE, PHASE_BOOT, boot_start, swim.now(), 0, static_cast<uint32_t>(count));
    const bool single_issue = (args.enable_profiling_flag & PROFILING_FLAG_PMU) != 0;  // PMU counts one task at a time
    uint64_t last_progress = sys_counter();
    int last_completed = runtime->completed.load();
    while (runtime->completed.load(std::memory_order_acquire) < runtime->task_count && !fatal_raised(common)) {
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
                const hbg::Task &task = runtime->tasks[finished[k]];
                if (swim.tasks()) {
                    swim.task(finished[k], task.func_id, cores[i], task.core_type, dispatched_at[i].take(finished[k]), observed_at);
                    swim.edges(finished[k], &runtime->successors[task.successor_begin], task.successor_count);
                    ++retired;
                }
                for (int e = 0; e < task.successor_count; ++e) {
                    const int32_t next = runtime->successors[task.successor_begin + e];
                    if (runtime->tasks[next].fanin.fetch_sub(1, std::memory_order_acq_rel) == 1)
                        runtime->ready[runtime->tasks[next].core_type].push(next);
                }
                runtime->completed.fetch_add(1, std::memory_order_acq_rel);
                progress = true;
            }
            const uint32_t kind = common->workers[cores[i]].core_type;
            int32_t id;
            if (slots[i].can_accept(single_issue) && runtime->ready[kind].pop(&id)) {
                if (swim.tasks()) {
                    dispatched_at[i].put(static_cast<uint32_t>(id), swim.now(), slots[i].running);
                    ++dispatched;
                }
                slots[i].dispatched(static_cast<uint32_t>(id));
                reg_write(base, REG_SPR_DATA_MAIN_BASE, static_cast<uint32_t>(id));
                progress = true;
            }
        }
        if (progress) {
            swim.phase(SWIM_SCHED_PHASE, PHASE_COMPLETE, pass_start, swim.now(), 0, retired, dispatched);
            event_signal();  // other threads may own idle cores for what just became ready
            continue;
        }
        const int completed = runtime->completed.load();
        if (completed != last_completed) {
            last_completed = completed;
            last_progress = sys_counter();
        } else if (counter_ns(sys_counter() - last_progress) > DEVICE_WAIT_BUDGET_NS) {
            raise_fatal(common, FATAL_HANG, "no task finished for %llu ms: %d of %d completed",
                        static_cast<unsigned long long>(DEVICE_WAIT_BUDGET_NS / 1000000ull), completed, runtime->task_count);
            break;
        }
        const uint64_t idle_start = swim.now();
        event_wait(epoch, DEVICE_WAIT_SLICE_NS);
        swim.phase(SWIM_SCHED_PHASE, PHASE_IDLE, idle_start, swim.now());
    }
    const uint64_t exit_start = swim.now();
    exit_cores(common, args, cores, count);
    swim.phase(SWIM_SCHED_PHASE, PHASE_EXIT, exit_start, swim.now(), 0, static_cast<uint32_t>(count));
    return fatal_raised(common) ? common->fatal_code.load() : 0;
}

}  // namespace pto::device
