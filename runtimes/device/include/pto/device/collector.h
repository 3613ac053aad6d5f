// Device-side recording into the collector regions (layout: pto/collector_layout.h). Every producer owns
// one lane, a ring the host drains while the run is in flight: the producer fills a slot, then publishes
// it by moving `written` (release order); it reads the host's `consumed` (acquire order) to know which
// slots are free. No locks, and no read-modify-write atomics. Recording happens only when the run's
// enable_profiling_flag has the collector's bit and the host gave the region's address; otherwise every
// helper below is a flag test and a return.
#pragma once

#include <cstdint>
#include <cstring>

#include "kernel_args.h"
#include "platform_config.h"
#include "pto/collector_layout.h"
#include "pto/device/platform.h"

namespace pto::device {

// The region of one collector for this run, or 0 when the run does not enable it.
inline uint64_t collector_region(const KernelArgs &args, uint32_t flag, uint64_t base) {
    return (args.enable_profiling_flag & flag) != 0 ? base : 0;
}

// dep_gen exists only on arches whose KernelArgs has a dep_gen_base field; the host leaves it 0 unless the
// run enables dep_gen.
inline uint64_t dep_gen_region(const KernelArgs &args) {
    const uint64_t *field = kernel_args_dep_gen_base(const_cast<KernelArgs &>(args));
    return field != nullptr ? *field : 0;
}

inline uint32_t collector_level(uint64_t region) {
    return region == 0 ? 0 : reinterpret_cast<const CollectorRegionHeader *>(region)->level;
}

// One producer's lane. Default-constructed = inactive: append() returns nullptr without counting.
class CollectorLane {
public:
    CollectorLane() = default;
    CollectorLane(uint64_t region, uint32_t lane) {
        if (region == 0) return;
        const auto *header = reinterpret_cast<const CollectorRegionHeader *>(region);
        if (header->magic != kCollectorMagic || lane >= header->lanes) return;
        auto *base = reinterpret_cast<uint8_t *>(region) + sizeof(CollectorRegionHeader) + uint64_t(lane) * header->lane_stride;
        lane_ = reinterpret_cast<CollectorLaneHeader *>(base);
        records_ = base + sizeof(CollectorLaneHeader);
        record_size_ = header->record_size;
        capacity_ = header->lane_capacity;
        payload_ = records_ + uint64_t(record_size_) * capacity_;
        payload_capacity_ = header->lane_payload_bytes;
    }

    bool active() const { return lane_ != nullptr; }

    // The next record slot, zeroed, or nullptr (counted as dropped) when the ring holds `capacity` records
    // the host has not consumed yet: unread records are never overwritten. The record becomes visible to
    // the host's drain only at commit(), so the caller fills it first.
    template <typename Record>
    Record *append() {
        if (lane_ == nullptr) return nullptr;
        commit();  // a slot the caller forgot to commit is published now
        const uint64_t written = lane_->written;  // this producer is its only writer
        const uint64_t consumed = __atomic_load_n(&lane_->consumed, __ATOMIC_ACQUIRE);  // the host's
        if (written - consumed >= capacity_) {
            lane_->dropped += 1;
            return nullptr;
        }
        auto *record = reinterpret_cast<Record *>(records_ + (written % capacity_) * record_size_);
        auto *words = reinterpret_cast<uint64_t *>(record);  // record sizes are multiples of 8; no libc on AICore
        for (uint32_t i = 0; i < record_size_ / 8; ++i) words[i] = 0;
        pending_ = true;
        return record;
    }

    // Publishes the record append() returned: `written` moves past it with release order, so a host that
    // reads `written` sees the record's bytes. A no-op when there is nothing pending.
    void commit() {
        if (!pending_) return;
        pending_ = false;
        __atomic_store_n(&lane_->written, lane_->written + 1, __ATOMIC_RELEASE);
    }

    // Copies `size` bytes into the lane's payload arena; returns the arena offset, or ~0 when it does not
    // fit (the bytes are counted in payload_dropped).
    uint64_t copy_payload(const void *source, uint64_t size) {
        if (lane_ == nullptr) return ~0ull;
        if (payload_capacity_ - lane_->payload_used < size) {
            lane_->payload_dropped += size;
            return ~0ull;
        }
        const uint64_t at = lane_->payload_used;
        std::memcpy(payload_ + at, source, size);
        lane_->payload_used = at + size;
        return at;
    }

private:
    CollectorLaneHeader *lane_ = nullptr;
    uint8_t *records_ = nullptr;
    uint8_t *payload_ = nullptr;
    uint32_t record_size_ = 0;
    uint64_t capacity_ = 0;
    uint64_t payload_capacity_ = 0;
    bool pending_ = false;
};

// ---- AICore: the kernel call of one task, timed by the executor. Writes the swimlane record (lane =
// core) and the PMU record (lane = core) when those collectors are on.
struct KernelTiming {
    uint64_t start = 0;
    bool on = false;
};

inline KernelTiming kernel_timing_begin(const KernelArgs &args) {
    KernelTiming t;
    t.on = (args.enable_profiling_flag & (PROFILING_FLAG_L2_SWIMLANE | PROFILING_FLAG_PMU)) != 0;
    if (t.on) t.start = sys_counter();
    return t;
}

inline void kernel_timing_end(const KernelArgs &args, const KernelTiming &t, int core, uint32_t core_type, uint32_t task,
                              int32_t func_id) {
    if (!t.on) return;
    const uint64_t end = sys_counter();
    CollectorLane swim(collector_region(args, PROFILING_FLAG_L2_SWIMLANE, args.l2_perf_data_base), static_cast<uint32_t>(core));
    if (auto *r = swim.append<SwimlaneRecord>()) {
        r->kind = SWIM_AICORE_TASK;
        r->task_id = task;
        r->func_id = func_id;
        r->core = static_cast<uint32_t>(core);
        r->core_type = core_type;
        r->start = t.start;
        r->end = end;
        swim.commit();
    }
    const uint64_t pmu_region = collector_region(args, PROFILING_FLAG_PMU, args.pmu_data_base);
    CollectorLane pmu(pmu_region, static_cast<uint32_t>(core));
    if (auto *r = pmu.append<PmuRecord>()) {
        r->task_id = task;
        r->func_id = func_id;
        r->core = static_cast<uint32_t>(core);
        r->core_type = core_type;
        r->start = t.start;
        r->total_cycles = end - t.start;  // the system counter is the only cycle source the platform has here
        r->event_type = collector_level(pmu_region);
        r->event_count = 0;               // no event counters: absent, never invented
        pmu.commit();
    }
}

// ---- AICPU: one thread's swimlane lane (lane = worker_count + thread index) and what it records by level.
class SwimlaneWriter {
public:
    SwimlaneWriter() = default;
    SwimlaneWriter(const KernelArgs &args, int worker_count, int thread_index) : thread_(static_cast<uint32_t>(thread_index)) {
        const uint64_t region = collector_region(args, PROFILING_FLAG_L2_SWIMLANE, args.l2_perf_data_base);
        level_ = collector_level(region);
        if (level_ >= 2) lane_ = CollectorLane(region, static_cast<uint32_t>(worker_count + thread_index));
        if (!lane_.active()) level_ = 0;
    }

    // Level 2: the AICPU's view of each task. Level 3: scheduler phases. Level 4: orchestrator phases.
    bool tasks() const { return level_ >= 2; }
    bool sched_phases() const { return level_ >= 3; }
    bool orch_phases() const { return level_ >= 4; }
    uint64_t now() const { return level_ >= 2 ? sys_counter() : 0; }

    void task(uint32_t task, int32_t func_id, int core, uint32_t core_type, uint64_t dispatch, uint64_t finish) {
        if (!tasks()) return;
        if (auto *r = lane_.append<SwimlaneRecord>()) {
            r->kind = SWIM_AICPU_TASK;
            r->task_id = task;
            r->func_id = func_id;
            r->core = static_cast<uint32_t>(core);
            r->core_type = core_type;
            r->start = dispatch;
            r->end = finish;
            lane_.commit();
        }
    }

    template <typename Id>
    void edges(uint32_t task, const Id *consumers, int count) {
        if (!tasks()) return;
        for (int at = 0; at < count; at += static_cast<int>(kSwimlaneEdgesPerRecord)) {
            auto *r = lane_.append<SwimlaneRecord>();
            if (r == nullptr) return;
            r->kind = SWIM_EDGES;
            r->task_id = task;
            r->core = thread_;
            const int n = count - at < static_cast<int>(kSwimlaneEdgesPerRecord) ? count - at : static_cast<int>(kSwimlaneEdgesPerRecord);
            r->count = static_cast<uint32_t>(n);
            for (int k = 0; k < n; ++k) r->consumers[k] = static_cast<uint32_t>(consumers[at + k]);
            lane_.commit();
        }
    }

    void phase(uint32_t kind, uint32_t phase, uint64_t start, uint64_t end, uint32_t task = 0, uint32_t count = 0,
               uint32_t count2 = 0) {
        if ((kind == SWIM_SCHED_PHASE && !sched_phases()) || (kind == SWIM_ORCH_PHASE && !orch_phases())) return;
        if (auto *r = lane_.append<SwimlaneRecord>()) {
            r->kind = kind;
            r->phase = phase;
            r->task_id = task;
            r->core = thread_;
            r->start = start;
            r->end = end;
            r->count = count;
            r->count2 = count2;
            lane_.commit();
        }
    }

private:
    CollectorLane lane_;
    uint32_t level_ = 0;
    uint32_t thread_ = 0;
};

// When each of a core's (at most two) in-flight task words was dispatched, for the level-2 records.
struct DispatchTimes {
    uint32_t word[2] = {0xFFFFFFFFu, 0xFFFFFFFFu};
    uint64_t at[2] = {0, 0};
    void put(uint32_t w, uint64_t t, uint32_t running) {
        const int k = word[0] == running ? 1 : 0;
        word[k] = w;
        at[k] = t;
    }
    uint64_t take(uint32_t w) const { return word[0] == w ? at[0] : word[1] == w ? at[1] : 0; }
};

}  // namespace pto::device
