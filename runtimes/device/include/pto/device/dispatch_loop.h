// The AICPU dispatch loop, one for every runtime variant. A scheduler thread owns every
// `scheduler_count`-th core starting at its index; it boots them, then passes over them until the
// variant's graph is done: read each core's COND, retire the tasks it proves finished, hand a ready task of
// the core's kind to a core with a free slot, and sleep on the device event when a pass changed nothing.
// At the end (done, fatal or hung) it sends EXIT to its cores.
//
// The variant says only what differs, through a policy object with these members:
//   bool done() const;            the run's graph is complete (no task is or will be outstanding)
//   uint32_t completed() const;   tasks retired so far, by every scheduler
//   uint32_t known() const;       tasks the run has so far; completed() < known() means some are outstanding
//   TaskIdentity identify(uint32_t id) const;   for the swimlane's record of a finished task
//   bool take_ready(uint32_t core_kind, uint32_t *id);   pops a ready task that is about to be dispatched
//   void retire(uint32_t id, SwimlaneWriter &swim);      a core finished `id`: record its edges, release its
//                                                        successors, count it completed
//   static constexpr const char *kKnownTasks;   what known() counts, in the hang message
#pragma once

#include <cstdint>

#include "kernel_args.h"
#include "platform_config.h"
#include "pto/device/collector.h"
#include "pto/device/core_boot.h"
#include "pto/device/core_slots.h"
#include "pto/device/fatal.h"
#include "pto/device/handshake.h"
#include "pto/device/platform.h"
#include "pto/device/wait_budget.h"

namespace pto::device {

struct TaskIdentity {
    int32_t func_id;
    uint32_t core_kind;  // CoreKind
};

// Runs one scheduler thread to the end of the run. Returns 0, or the run's FatalCode once one is recorded.
template <typename Policy>
int run_dispatch_loop(const KernelArgs &args, RuntimeCommon *common, int scheduler_index, int scheduler_count, Policy &policy) {
    int cores[PLATFORM_MAX_CORES];
    CoreSlots slots[PLATFORM_MAX_CORES];
    int count = 0;
    for (int core = scheduler_index; core < common->worker_count; core += scheduler_count) cores[count++] = core;
    SwimlaneWriter swim(args, common->worker_count, scheduler_index);
    DispatchTimes dispatched_at[PLATFORM_MAX_CORES];

    const uint64_t boot_start = swim.now();
    for (int i = 0; i < count; ++i) {
        if (!boot_core(common, args, cores[i])) {
            // boot_core also gives up when the run went fatal elsewhere meanwhile. raise_fatal keeps the first
            // report, so the host hears the run's cause rather than this symptom, and the thread returns what
            // was recorded: returning FATAL_BOOT_TIMEOUT regardless would contradict the recorded code.
            raise_fatal(common, FATAL_BOOT_TIMEOUT, "AICore %d did not complete the boot handshake", cores[i]);
            exit_cores(common, args, cores, i);  // only the cores that booted are there to answer EXIT
            return common->fatal_code.load();
        }
    }
    swim.phase(SWIM_SCHED_PHASE, PHASE_BOOT, boot_start, swim.now(), 0, static_cast<uint32_t>(count));

    const bool single_issue = (args.enable_profiling_flag & PROFILING_FLAG_PMU) != 0;  // PMU counts one task at a time
    uint64_t last_progress = sys_counter();
    uint32_t last_completed = policy.completed();
    while (!policy.done() && !fatal_raised(common)) {
        const uint32_t epoch = event_epoch();
        bool progress = false;
        const uint64_t pass_start = swim.now();
        uint32_t retired = 0, dispatched = 0;  // only the level-3 swimlane's pass record reads them
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
                if (swim.tasks()) {
                    const TaskIdentity task = policy.identify(finished[k]);  // before retire: it may free the task
                    swim.task(finished[k], task.func_id, cores[i], task.core_kind, dispatched_at[i].take(finished[k]), observed_at);
                }
                policy.retire(finished[k], swim);
                ++retired;
                progress = true;
            }
            const uint32_t kind = common->workers[cores[i]].core_type;
            uint32_t id;
            if (slots[i].can_accept(single_issue) && policy.take_ready(kind, &id)) {
                if (swim.tasks()) dispatched_at[i].put(id, swim.now(), slots[i].running);
                ++dispatched;
                slots[i].dispatched(id);
                reg_write(base, REG_SPR_DATA_MAIN_BASE, id);
                progress = true;
            }
        }
        if (progress) {
            swim.phase(SWIM_SCHED_PHASE, PHASE_COMPLETE, pass_start, swim.now(), 0, retired, dispatched);
            // Whoever sleeps on the event (another scheduler with an idle core for what just became ready, a
            // variant's orchestrator waiting for room) may be waiting on what just changed.
            event_signal();
            continue;
        }
        // A hang is time without any task finishing anywhere while some are outstanding; with none
        // outstanding (a variant still building its graph) the clock does not run.
        const uint32_t completed = policy.completed();
        const uint32_t known = policy.known();
        if (completed != last_completed || completed == known) {
            last_completed = completed;
            last_progress = sys_counter();
        } else if (wait_budget_spent(last_progress)) {
            raise_fatal(common, FATAL_HANG, "scheduler %d: no task finished for %.1f s: %u of %u %s completed", scheduler_index,
                        DEVICE_WAIT_BUDGET_S, completed, known, Policy::kKnownTasks);
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
