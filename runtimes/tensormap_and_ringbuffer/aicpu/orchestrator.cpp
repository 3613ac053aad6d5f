// The orchestrator: the last AICPU thread runs the orchestration program and implements its ops.
//
// Submitting a task: take the next task-ring slot (waiting while the ring is full), fill it, find its
// dependencies in the TensorMap (a reader depends on earlier writers of an overlapping byte range; a
// writer on earlier readers and writers of it), link it into each producer's fanout list, record its own
// ranges, and release the wiring guard (fanin starts at 1) — whoever takes fanin to 0 makes it ready.
//
// Reclaim rules (all done here, the only thread that allocates):
//   * a task slot is reused once its task and every earlier task completed (the completed prefix);
//     nothing reads a completed task's slot, so scopes do not hold slots;
//   * heap bytes are released per scope segment, in heap order: a segment is free once its scope ended
//     and every task submitted before that end completed (every user of the buffers was submitted by
//     then). A segment whose scope is still open cannot be freed while the orchestrator waits inside it:
//     a heap request that only such segments block is a deadlock, reported as a fatal error.
// Waits park on the device event (every completion signals it), never spin.
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "aicpu_parts.h"
#include "pto/device/collector.h"
#include "pto/device/fatal.h"
#include "pto/device/platform.h"
#include "pto/device/wait_budget.h"

namespace trb {

using pto::device::DEVICE_WAIT_BUDGET_S;
using pto::device::DEVICE_WAIT_SLICE_NS;
using pto::device::event_epoch;
using pto::device::event_signal;
using pto::device::event_wait;
using pto::device::fatal_raised;
using pto::device::raise_fatal;
using pto::device::sys_counter;
using pto::device::wait_budget_spent;
using namespace pto;  // collector record types
using pto::device::CollectorLane;
using pto::device::SwimlaneWriter;

namespace {

struct Orchestrator : TrbRuntime {
    Runtime *runtime;
    pto::device::RuntimeCommon *common;
    TaskSlot *slots;
    TensorMapEntry *tmap;
    HeapSegment *segments;
    uint32_t next_id = 0;         // tasks submitted
    uint32_t tail = 0;            // completed prefix: slots below it are free
    uint64_t tmap_head = 0, tmap_tail = 0;   // live TensorMap entries [head, tail)
    uint64_t seg_head = 0, seg_tail = 0;     // live heap segments [head, tail)
    uint64_t heap_head = 0, heap_tail = 0;   // virtual heap offsets: bytes [tail, head) are in use
    uint64_t scopes[kMaxScopeDepth];
    int depth = 0;
    uint64_t scope_serial = 0;
    // Collectors this run enables (inactive otherwise): level-4 phases, scope stats, dep_gen submits.
    SwimlaneWriter swim;
    CollectorLane scope_stats;
    CollectorLane dep_gen;

    bool dead() const { return fatal_raised(common); }

    // Advances the completed prefix and releases what it frees.
    void reclaim() {
        while (tail < next_id) {
            TaskSlot &s = slot_of(runtime, tail);
            if (s.state.load(std::memory_order_acquire) != SLOT_COMPLETED) break;
            ++tail;
        }
        while (tmap_head < tmap_tail && tmap[tmap_head % runtime->tensormap_capacity].task < tail) ++tmap_head;
        while (seg_head < seg_tail) {
            const HeapSegment &g = segments[seg_head % runtime->segment_capacity];
            if (g.release_at == kOpen || g.release_at > tail) break;
            heap_tail = g.end;
            ++seg_head;
        }
        if (seg_head == seg_tail) heap_tail = heap_head;
    }

    // Parks until `ready()` holds; false (with the run fatal) when it cannot or the run went fatal.
    template <typename Ready>
    bool wait_until(Ready ready, const char *what) {
        const uint64_t wait_start = swim.now();
        struct Phase {
            Orchestrator *o;
            uint64_t start;
            ~Phase() { o->swim.phase(SWIM_ORCH_PHASE, PHASE_WAIT, start, o->swim.now(), o->next_id); }
        } phase{this, wait_start};
        uint64_t since = sys_counter();
        uint32_t last_completed = runtime->completed.load(std::memory_order_acquire);
        for (;;) {
            const uint32_t epoch = event_epoch();
            reclaim();
            if (ready()) return true;
            if (dead()) return false;
            const uint32_t completed = runtime->completed.load(std::memory_order_acquire);
            if (completed != last_completed) {
                last_completed = completed;
                since = sys_counter();
            } else if (wait_budget_spent(since)) {
                raise_fatal(common, pto::device::FATAL_HANG, "orchestrator: no task finished for %.1f s while waiting for %s (%u of %u completed)",
                            DEVICE_WAIT_BUDGET_S, what, completed, next_id);
                return false;
            }
            event_wait(epoch, DEVICE_WAIT_SLICE_NS);
        }
    }

    void add_dependency(uint32_t producer, uint32_t consumer) {
        if (producer < tail) return;  // completed and reclaimed
        TaskSlot &p = slot_of(runtime, producer);
        TaskSlot &c = slot_of(runtime, consumer);
        for (;;) {
            p.acquire();
            if (p.state.load(std::memory_order_relaxed) == SLOT_COMPLETED) {
                p.release();
                return;
            }
            if (p.fanout_count < kMaxFanout) {
                p.fanout[p.fanout_count++] = consumer;
                c.fanin.fetch_add(1, std::memory_order_relaxed);
                p.release();
                return;
            }
            p.release();
            // The producer's fanout list is full: ordering after it is simplest once it has finished.
            if (!wait_until([&] { return p.state.load(std::memory_order_acquire) == SLOT_COMPLETED; }, "a producer with a full fanout list"))
                return;
        }
    }

    int64_t submit(int func_id, int kind, const Arg &a) {
        const uint64_t submit_start = swim.now();
        const int64_t id = submit_task(func_id, kind, a);
        if (id >= 0) swim.phase(SWIM_ORCH_PHASE, PHASE_SUBMIT, submit_start, swim.now(), static_cast<uint32_t>(id), a.tensor_count);
        return id;
    }

    void record_submit(uint32_t id, int func_id, int kind, const Arg &a) {
        auto *r = dep_gen.append<DepGenRecord>();
        if (r == nullptr) return;
        r->kind = DEPGEN_SUBMIT;
        r->task_id = id;
        r->func_id = func_id;
        r->core_type = static_cast<uint32_t>(kind);
        r->count = a.tensor_count < kDepGenMaxTensors ? a.tensor_count : kDepGenMaxTensors;
        for (uint32_t i = 0; i < r->count; ++i)
            r->tensors[i] = DepGenTensor{a.tensors[i].begin_byte(), a.tensors[i].end_byte(), static_cast<uint32_t>(a.dirs[i]), 0};
        dep_gen.commit();
    }

    void record_scope(uint32_t event) {
        auto *r = scope_stats.append<ScopeStatsRecord>();
        if (r == nullptr) return;
        r->event = event;
        r->depth = static_cast<uint32_t>(depth);
        r->serial = depth > 0 ? scopes[depth - 1] : 0;
        r->timestamp = sys_counter();
        r->tasks_submitted = next_id;
        r->task_ring_used = next_id - tail;
        r->task_ring_capacity = runtime->task_capacity;
        r->tensormap_used = static_cast<uint32_t>(tmap_tail - tmap_head);
        r->tensormap_capacity = runtime->tensormap_capacity;
        r->heap_used = heap_head - heap_tail;
        r->heap_capacity = runtime->heap_bytes;
        scope_stats.commit();
    }

    int64_t submit_task(int func_id, int kind, const Arg &a) {
        if (dead()) return -1;
        const char *name = kind == AIC ? "submit_aic" : "submit_aiv";
        if (a.overflow)
            return fail("%s(func_id %d): more than %d tensors or %d scalars", name, func_id, kMaxTaskTensors, kMaxTaskScalars);
        if (func_id < 0 || func_id >= pto::kMaxFuncId || runtime->kernel_kind[func_id] == kNoKernel)
            return fail("%s: func_id %d names no kernel of this callable", name, func_id);
        if (runtime->kernel_kind[func_id] != static_cast<uint8_t>(kind))
            return fail("%s: func_id %d is an %s kernel", name, func_id, runtime->kernel_kind[func_id] == AIC ? "AIC" : "AIV");
        for (uint32_t i = 0; i < a.tensor_count; ++i)
            if (a.tensors[i].addr == 0 && a.tensors[i].nbytes() != 0)
                return fail("%s(func_id %d): tensor %u has no device address", name, func_id, i);
        if (next_id >= kMaxTasksPerRun) return fail("%s: a run may submit at most %u tasks", name, kMaxTasksPerRun);
        const uint32_t cap = runtime->task_capacity;
        if (next_id - tail >= cap && !wait_until([&] { return next_id - tail < cap; }, "a free task-ring slot")) return -1;

        const uint32_t id = next_id;
        TaskSlot &s = slot_of(runtime, id);
        s.lock.store(0, std::memory_order_relaxed);
        s.state.store(SLOT_PENDING, std::memory_order_relaxed);
        s.id = id;
        s.fanin.store(1, std::memory_order_relaxed);
        s.fanout_count = 0;
        s.core_kind = static_cast<uint32_t>(kind);
        s.func_id = func_id;
        s.function_addr = runtime->kernel_addrs[func_id];
        s.num_args = static_cast<int32_t>(a.tensor_count + a.scalar_count);
        for (uint32_t i = 0; i < kMaxTaskTensors; ++i) s.dirs[i] = i < a.tensor_count ? static_cast<uint8_t>(a.dirs[i]) : 0;
        for (uint32_t i = 0; i < a.tensor_count; ++i) {
            s.tensors[i] = a.tensors[i];
            s.args[i] = static_cast<int64_t>(reinterpret_cast<uint64_t>(&s.tensors[i]));
        }
        for (uint32_t i = 0; i < a.scalar_count; ++i) s.args[a.tensor_count + i] = static_cast<int64_t>(a.scalars[i]);
        if (dep_gen.active()) record_submit(id, func_id, kind, a);
        std::atomic_thread_fence(std::memory_order_release);
        next_id = id + 1;
        runtime->submitted.store(next_id, std::memory_order_release);

        // Dependencies: every live entry whose range overlaps, newest first; a task is linked once.
        uint32_t linked[kMaxTaskTensors * 4];
        int linked_count = 0;
        for (uint32_t i = 0; i < a.tensor_count; ++i) {
            const uint64_t b = a.tensors[i].begin_byte(), e = a.tensors[i].end_byte();
            if (b == e) continue;
            const bool writes = a.dirs[i] != Dir::IN;
            for (uint64_t k = tmap_tail; k > tmap_head; --k) {
                const TensorMapEntry &m = tmap[(k - 1) % runtime->tensormap_capacity];
                if (m.end <= b || m.begin >= e || (!writes && !m.writes) || m.task < tail) continue;
                bool seen = false;
                for (int j = 0; j < linked_count && !seen; ++j) seen = linked[j] == m.task;
                if (seen) continue;
                if (linked_count < static_cast<int>(sizeof linked / sizeof linked[0])) linked[linked_count++] = m.task;
                add_dependency(m.task, id);
                if (dead()) return -1;
            }
        }
        for (uint32_t i = 0; i < a.tensor_count; ++i) {
            const uint64_t b = a.tensors[i].begin_byte(), e = a.tensors[i].end_byte();
            if (b == e) continue;
            // Fits: live entries belong to the < capacity live tasks, each with at most kMaxTaskTensors.
            tmap[tmap_tail++ % runtime->tensormap_capacity] = TensorMapEntry{b, e, id, a.dirs[i] != Dir::IN ? 1u : 0u};
        }
        if (s.fanin.fetch_sub(1, std::memory_order_acq_rel) == 1) {
            runtime->ready[kind].push(id);
            event_signal();
        }
        return id;
    }

    Tensor alloc(const uint32_t *shape, int ndims, pto::DataType dtype) {
        const uint64_t alloc_start = swim.now();
        Tensor t = alloc_tensor(shape, ndims, dtype);
        swim.phase(SWIM_ORCH_PHASE, PHASE_ALLOC, alloc_start, swim.now(), next_id, static_cast<uint32_t>(t.nbytes()));
        return t;
    }

    Tensor alloc_tensor(const uint32_t *shape, int ndims, pto::DataType dtype) {
        Tensor t{};
        if (dead()) return t;
        if (ndims < 0 || ndims > pto::kMaxTensorDims || (ndims > 0 && shape == nullptr) ||
            static_cast<uint32_t>(dtype) >= pto::kDataTypeCount) {
            fail("alloc_tensor: bad shape (%d dims) or dtype %u", ndims, static_cast<uint32_t>(dtype));
            return t;
        }
        t.ndims = static_cast<uint32_t>(ndims);
        t.dtype = static_cast<uint32_t>(dtype);
        for (int i = 0; i < ndims; ++i) t.shape[i] = shape[i];
        const uint64_t cap = runtime->heap_bytes;
        uint64_t size = (t.nbytes() + kHeapAlign - 1) / kHeapAlign * kHeapAlign;
        if (size == 0) size = kHeapAlign;
        if (size > cap) {
            fail("heap ring deadlock: alloc_tensor needs %llu bytes, more than the whole heap ring holds (%llu bytes; raise "
                 "PTO_TRB_HEAP_BYTES)", static_cast<unsigned long long>(size), static_cast<unsigned long long>(cap));
            return t;
        }
        if (depth == 0) {
            fail("alloc_tensor: no scope is open");
            return t;
        }
        const uint64_t serial = scopes[depth - 1];
        auto need = [&] {
            const uint64_t phys = heap_head % cap;
            return (phys + size > cap ? cap - phys : 0) + size;  // a buffer never wraps: skip to the ring's start
        };
        auto fits = [&] {
            if (seg_head == seg_tail) heap_head = heap_tail = (heap_head + cap - 1) / cap * cap;  // empty: start over
            const bool new_segment = seg_tail == seg_head || segments[(seg_tail - 1) % runtime->segment_capacity].scope_serial != serial ||
                                     segments[(seg_tail - 1) % runtime->segment_capacity].release_at != kOpen;
            return cap - (heap_head - heap_tail) >= need() && (!new_segment || seg_tail - seg_head < runtime->segment_capacity);
        };
        reclaim();
        while (!fits()) {
            // Only segments whose scope already ended can be freed while we wait inside the open ones.
            const HeapSegment &oldest = segments[seg_head % runtime->segment_capacity];
            if (seg_head < seg_tail && oldest.release_at == kOpen) {
                fail("heap ring deadlock: alloc_tensor needs %llu bytes, but the heap ring (%llu bytes, %llu in use) is held by "
                     "buffers of a scope that is still open; close scopes sooner or raise PTO_TRB_HEAP_BYTES",
                     static_cast<unsigned long long>(size), static_cast<unsigned long long>(cap),
                     static_cast<unsigned long long>(heap_head - heap_tail));
                return Tensor{};
            }
            if (!wait_until(fits, "heap-ring space")) return Tensor{};
        }
        const uint64_t begin = heap_head;
        heap_head += need();
        HeapSegment *last = seg_tail > seg_head ? &segments[(seg_tail - 1) % runtime->segment_capacity] : nullptr;
        if (last != nullptr && last->scope_serial == serial && last->release_at == kOpen && last->end == begin) {
            last->end = heap_head;
        } else {
            segments[seg_tail++ % runtime->segment_capacity] = HeapSegment{begin, heap_head, serial, kOpen};
        }
        t.addr = runtime->heap_addr + (heap_head - size) % cap;
        return t;
    }

    int scope_begin() {
        if (dead()) return -1;
        if (depth >= kMaxScopeDepth) return static_cast<int>(fail("scope_begin: scopes nest at most %d deep", kMaxScopeDepth));
        scopes[depth++] = ++scope_serial;
        if (scope_stats.active()) record_scope(SCOPE_BEGIN);
        swim.phase(SWIM_ORCH_PHASE, PHASE_SCOPE, swim.now(), swim.now(), next_id, static_cast<uint32_t>(depth));
        return 0;
    }

    int scope_end() {
        if (dead()) return -1;
        if (depth <= 1) return static_cast<int>(fail("scope_end without a matching scope_begin"));
        if (scope_stats.active()) record_scope(SCOPE_END);
        const uint64_t scope_start = swim.now();
        const uint64_t serial = scopes[--depth];
        for (uint64_t k = seg_head; k < seg_tail; ++k) {
            HeapSegment &g = segments[k % runtime->segment_capacity];
            if (g.scope_serial == serial) g.release_at = next_id;
        }
        swim.phase(SWIM_ORCH_PHASE, PHASE_SCOPE, scope_start, swim.now(), next_id, static_cast<uint32_t>(depth + 1));
        return 0;
    }

    __attribute__((format(printf, 2, 3))) int64_t fail(const char *format, ...) {
        char message[200];
        va_list args;
        va_start(args, format);
        std::vsnprintf(message, sizeof message, format, args);
        va_end(args);
        raise_fatal(common, pto::device::FATAL_REPORTED, "orchestration: %s", message);
        return -1;
    }
};

Orchestrator *self(TrbRuntime *rt) { return static_cast<Orchestrator *>(rt); }

Tensor op_tensor_arg(TrbRuntime *rt, int index) {
    Orchestrator *o = self(rt);
    const pto::ChipStorageTaskArgs &args = o->runtime->orch_args;
    Tensor t{};
    if (index < 0 || static_cast<uint32_t>(index) >= args.tensor_count) {
        o->fail("tensor_arg(%d): the run has %u tensor arguments", index, args.tensor_count);
        return t;
    }
    const pto::ContinuousTensor &c = args.tensors[index];
    t.addr = c.data;
    t.ndims = c.ndims;
    t.dtype = c.dtype;
    for (uint32_t i = 0; i < c.ndims && i < static_cast<uint32_t>(pto::kMaxTensorDims); ++i) t.shape[i] = c.shapes[i];
    return t;
}

uint64_t op_scalar_arg(TrbRuntime *rt, int index) {
    Orchestrator *o = self(rt);
    const pto::ChipStorageTaskArgs &args = o->runtime->orch_args;
    if (index < 0 || static_cast<uint32_t>(index) >= args.scalar_count) {
        o->fail("scalar_arg(%d): the run has %u scalar arguments", index, args.scalar_count);
        return 0;
    }
    return args.scalars[index];
}

Tensor op_alloc_tensor(TrbRuntime *rt, const uint32_t *shape, int ndims, pto::DataType dtype) { return self(rt)->alloc(shape, ndims, dtype); }
int64_t op_submit(TrbRuntime *rt, int func_id, int kind, const Arg *args) {
    if (args == nullptr || (kind != AIC && kind != AIV)) return self(rt)->fail("submit: null args or a core kind that is neither AIC nor AIV");
    return self(rt)->submit(func_id, kind, *args);
}
int op_scope_begin(TrbRuntime *rt) { return self(rt)->scope_begin(); }
int op_scope_end(TrbRuntime *rt) { return self(rt)->scope_end(); }
void op_report_fatal(TrbRuntime *rt, const char *message) { self(rt)->fail("%s", message ? message : "(no message)"); }

const TrbOps kOps = {kTrbOpsVersion, sizeof(TrbOps), op_tensor_arg, op_scalar_arg, op_alloc_tensor,
                     op_submit, op_scope_begin, op_scope_end, op_report_fatal};

}  // namespace

int run_orchestrator(const KernelArgs &args, Runtime *runtime) {
    Orchestrator o;
    o.ops = &kOps;
    o.runtime = runtime;
    o.common = &runtime->common;
    o.slots = reinterpret_cast<TaskSlot *>(runtime->slots_addr);
    o.tmap = reinterpret_cast<TensorMapEntry *>(runtime->tensormap_addr);
    o.segments = reinterpret_cast<HeapSegment *>(runtime->segments_addr);
    const int thread_index = runtime->common.aicpu_thread_num - 1;
    o.swim = SwimlaneWriter(args, runtime->common.worker_count, thread_index);
    o.scope_stats = CollectorLane(pto::device::collector_region(args, PROFILING_FLAG_SCOPE_STATS, args.scope_stats_data_base),
                                  static_cast<uint32_t>(thread_index));
    o.dep_gen = CollectorLane(pto::device::dep_gen_region(args), static_cast<uint32_t>(thread_index));
    char why[160] = {0};
    const uint64_t load_start = o.swim.now();
    TrbOrchestrationEntry entry = load_orchestration(args, runtime, why, sizeof why);
    o.swim.phase(SWIM_ORCH_PHASE, PHASE_LOAD, load_start, o.swim.now());
    if (entry == nullptr) {
        raise_fatal(o.common, pto::device::FATAL_REPORTED, "orchestration program of callable %d (%s): %s", runtime->callable_id,
                    runtime->orch_entry, why);
    } else {
        const uint64_t orch_start = o.swim.now();
        o.scope_begin();  // the outer scope: the program's top-level allocations live until it returns
        entry(&o, &runtime->orch_args);
        if (o.scope_stats.active() && o.depth == 1) o.record_scope(SCOPE_END);
        o.swim.phase(SWIM_ORCH_PHASE, PHASE_ORCH, orch_start, o.swim.now(), o.next_id);
        if (!o.dead() && o.depth != 1)
            o.fail("%s returned with %d scope(s) still open", runtime->orch_entry, o.depth - 1);
    }
    runtime->orch_done.store(1, std::memory_order_release);
    event_signal();  // schedulers waiting for more work re-check whether the graph is done
    return fatal_raised(o.common) ? o.common->fatal_code.load() : 0;
}

}  // namespace trb
