// host_build_graph's AICPU program: its policy for the shared dispatch loop (dispatch_loop.h) and the
// per-run init. Every exec thread schedules, so core c belongs to thread c % aicpu_thread_num. The graph
// is explicit and whole before the run starts: a finished task decrements its successors' fan-in from the
// graph's edge list, a successor whose last predecessor finished becomes ready, and the run ends when every
// task of the graph completed.
#include <cstdint>

#include "hbg/runtime.h"
#include "kernel_args.h"
#include "pto/device/collector.h"
#include "pto/device/dispatch_loop.h"
#include "pto/device/handshake.h"
#include "pto/device/variant.h"

namespace pto::device {

namespace {

class GraphPolicy {
public:
    explicit GraphPolicy(Runtime *runtime) : runtime_(runtime) {}

    static constexpr const char *kKnownTasks = "tasks";

    bool done() const { return runtime_->completed.load(std::memory_order_acquire) >= runtime_->task_count; }
    uint32_t completed() const { return static_cast<uint32_t>(runtime_->completed.load()); }
    // The whole graph is known from the start.
    uint32_t known() const { return static_cast<uint32_t>(runtime_->task_count); }

    TaskIdentity identify(uint32_t id) const { return {runtime_->tasks[id].func_id, runtime_->tasks[id].core_type}; }

    bool take_ready(uint32_t core_kind, uint32_t *id) {
        int32_t ready;
        if (!runtime_->ready[core_kind].pop(&ready)) return false;
        *id = static_cast<uint32_t>(ready);
        return true;
    }

    void retire(uint32_t id, SwimlaneWriter &swim) {
        const hbg::Task &task = runtime_->tasks[id];
        const int32_t *successors = &runtime_->successors[task.successor_begin];
        swim.edges(id, successors, task.successor_count);
        for (int e = 0; e < task.successor_count; ++e) {
            hbg::Task &next = runtime_->tasks[successors[e]];
            if (next.fanin.fetch_sub(1, std::memory_order_acq_rel) == 1) runtime_->ready[next.core_type].push(successors[e]);
        }
        runtime_->completed.fetch_add(1, std::memory_order_acq_rel);
    }

private:
    Runtime *runtime_;
};

}  // namespace

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
    GraphPolicy policy(runtime);
    return run_dispatch_loop(args, &runtime->common, thread_index, runtime->common.aicpu_thread_num, policy);
}

}  // namespace pto::device
