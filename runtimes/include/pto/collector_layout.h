// The device-memory layout every profiling collector shares, so one host mechanism (allocate, arm,
// start, drain, export, release) serves all of them. A collector region is a header followed by `lanes`
// lanes; each lane has exactly one producer (an AICore core or an AICPU thread), so producers never
// contend. A lane's records are a ring the host drains while the run is in flight: the producer writes
// record i into slot i % lane_capacity and publishes it by advancing `written`, but only while
// written - consumed < lane_capacity; otherwise the record is counted as dropped (unread records are never
// overwritten). `consumed` is written only by the host's drain thread (every ~1 ms while the run is in
// flight, and once more after the stream fence), which appends the new records to host-side lane vectors.
//
//   region : CollectorRegionHeader | lane 0 | lane 1 | ... | lane (lanes-1)
//   lane   : CollectorLaneHeader | record_size x lane_capacity records | lane_payload_bytes payload arena
//
// The payload arena is for collectors whose records describe bulk data (tensor dump: each record points
// at the bytes of one tensor copy in its own lane's arena, `payload_offset` bytes from the arena's start).
// The producer bumps `payload_used`; a copy that does not fit is not made and is counted in
// `payload_dropped` (bytes), and its record says so (truncated). Collectors without payload have 0 bytes.
//
// The payload arena is not a ring: it is read once, after the run (a lane's arena bounds its tensor bytes).
//
// Records are fixed-size structs below; times are raw system-counter ticks (PLATFORM_PROF_SYS_CNT_FREQ,
// written into the export's summary as sys_counter_hz). The host export writes every lane's drained records
// and arena into files; ptogen.trace turns those into the user-facing formats.
#pragma once

#include <cstddef>
#include <cstdint>

namespace pto {

enum class CollectorKind : uint32_t {
    L2_SWIMLANE = 0,
    DUMP_TENSOR = 1,
    PMU = 2,
    SCOPE_STATS = 3,
    DEP_GEN = 4,
};
constexpr int kCollectorKindCount = 5;

constexpr uint32_t kCollectorMagic = 0x4C4C4F43;  // "COLL"

struct CollectorRegionHeader {
    uint32_t magic;
    uint32_t kind;               // CollectorKind
    uint32_t lanes;
    uint32_t record_size;        // bytes per record
    uint64_t lane_capacity;      // records per lane
    uint64_t lane_stride;        // bytes from one lane's header to the next
    uint32_t level;              // collector-specific setting (swimlane level, PMU event type)
    uint32_t aicore_lanes;       // lanes [0, aicore_lanes) belong to AICore cores, the rest to AICPU threads
    uint64_t lane_payload_bytes; // payload arena bytes per lane (0 = none)
    uint32_t reserved[4];
};
static_assert(sizeof(CollectorRegionHeader) == 64, "collector header is one cache line");

struct CollectorLaneHeader {
    uint64_t written;          // records published so far (producer only); record i is in slot i % lane_capacity
    uint64_t dropped;          // records that found the ring full (producer only)
    uint64_t payload_used;     // payload arena bytes in use
    uint64_t payload_dropped;  // payload bytes that did not fit (their records are marked truncated)
    uint64_t consumed;         // records the host has drained (host only); written - consumed <= lane_capacity
    uint64_t reserved[3];
};
static_assert(sizeof(CollectorLaneHeader) == 64, "lane header is one cache line");

// Geometry of one collector for a run; the host sizes the region from it.
struct CollectorGeometry {
    uint32_t lanes;
    uint32_t record_size;
    uint64_t lane_capacity;
    uint64_t payload_bytes = 0;  // per lane

    uint64_t records_bytes() const { return uint64_t(record_size) * lane_capacity; }
    uint64_t lane_stride() const { return sizeof(CollectorLaneHeader) + records_bytes() + payload_bytes; }
    uint64_t region_bytes() const { return sizeof(CollectorRegionHeader) + uint64_t(lanes) * lane_stride(); }
    uint64_t lane_offset(uint32_t lane) const { return sizeof(CollectorRegionHeader) + uint64_t(lane) * lane_stride(); }
    uint64_t payload_offset(uint32_t lane) const { return lane_offset(lane) + sizeof(CollectorLaneHeader) + records_bytes(); }
};

// Record sizes and per-lane capacities. Per-core collectors (PMU) have one lane per AICore core; the
// swimlane has one lane per core followed by one per AICPU thread; the others one lane per AICPU thread.
constexpr uint32_t kSwimlaneRecordSize = 64;
constexpr uint64_t kSwimlaneRecordsPerLane = 4096;
constexpr uint32_t kPmuRecordSize = 128;
constexpr uint64_t kPmuRecordsPerLane = 2048;
constexpr uint32_t kDumpRecordSize = 256;
constexpr uint64_t kDumpRecordsPerLane = 2048;
constexpr uint64_t kDumpPayloadBytesPerLane = 16ull << 20;
constexpr uint32_t kScopeStatsRecordSize = 64;
constexpr uint64_t kScopeStatsRecordsPerLane = 4096;
constexpr uint32_t kDepGenRecordSize = 512;
constexpr uint64_t kDepGenRecordsPerLane = 4096;

// ---- L2 swimlane (kind field of every record). Lanes [0, cores) are AICore cores, lanes [cores, cores +
// threads) are AICPU threads. Level 1: AICORE_TASK; 2: + AICPU_TASK and EDGES; 3: + SCHED_PHASE;
// 4: + ORCH_PHASE.
enum SwimlaneRecordKind : uint32_t {
    SWIM_AICORE_TASK = 1,  // AICore: the kernel call of one task, start/end around it
    SWIM_AICPU_TASK = 2,   // AICPU scheduler: dispatch (task word written) and finish (FIN observed) of one task
    SWIM_EDGES = 3,        // AICPU: consumers the device released when `task` finished (its real fanout)
    SWIM_SCHED_PHASE = 4,  // AICPU scheduler: one phase of its loop
    SWIM_ORCH_PHASE = 5,   // AICPU orchestrator: one phase of the orchestration
};
enum SwimlanePhase : uint32_t {
    PHASE_BOOT = 1,      // scheduler: booting its cores
    PHASE_COMPLETE = 2,  // scheduler: retiring finished tasks and dispatching ready ones (one loop pass)
    PHASE_IDLE = 3,      // scheduler: parked on the device event
    PHASE_EXIT = 4,      // scheduler: sending EXIT and waiting for its cores
    PHASE_LOAD = 5,      // orchestrator: loading the orchestration program
    PHASE_SUBMIT = 6,    // orchestrator: one submit (task = its id)
    PHASE_ALLOC = 7,     // orchestrator: one heap-ring allocation
    PHASE_WAIT = 8,      // orchestrator: back-pressure wait (task ring, heap ring, full fanout)
    PHASE_SCOPE = 9,     // orchestrator: scope_begin/scope_end bookkeeping
    PHASE_ORCH = 10,     // orchestrator: the whole orchestration program
};

struct SwimlaneRecord {
    uint32_t kind;       // SwimlaneRecordKind
    uint32_t task_id;    // task word (AICORE_TASK, AICPU_TASK, EDGES producer, SUBMIT)
    int32_t func_id;
    uint32_t core;       // AICore logical core (AICORE_TASK, AICPU_TASK), else the AICPU thread index
    uint64_t start;      // counter ticks: kernel start / dispatch / phase start
    uint64_t end;        // counter ticks: kernel end / finish observed / phase end
    uint32_t core_type;  // pto::device::CoreKind (AICORE_TASK, AICPU_TASK)
    uint32_t phase;      // SwimlanePhase
    uint32_t count;      // tasks retired/dispatched in a phase; consumer count of EDGES
    uint32_t count2;     // tasks dispatched in a COMPLETE phase
    uint32_t consumers[4];  // EDGES: up to 4 consumer ids per record (a task with more emits several)
};
static_assert(sizeof(SwimlaneRecord) == kSwimlaneRecordSize, "swimlane record size");
constexpr uint32_t kSwimlaneEdgesPerRecord = 4;

// ---- PMU: one record per task per core. On the simulator only the cycle count exists (system-counter
// ticks spent in the kernel call); the event counters are absent and `event_count` is 0.
struct PmuRecord {
    uint32_t task_id;
    int32_t func_id;
    uint32_t core;
    uint32_t core_type;
    uint64_t start;          // counter ticks
    uint64_t total_cycles;   // counter ticks in the kernel call
    uint32_t event_type;     // the run's PMU event type
    uint32_t event_count;    // valid entries of events[] (0: the platform has no event counters)
    uint64_t events[10];
    uint64_t reserved;
};
static_assert(sizeof(PmuRecord) == kPmuRecordSize, "PMU record size");

// ---- Tensor dump: one record per tensor argument of a task; inputs copied when the task is dispatched
// (stage BEFORE), outputs when its finish is observed (stage AFTER). The payload is the view's bytes.
enum DumpRole : uint32_t { DUMP_IN = 1, DUMP_OUT = 2, DUMP_INOUT = 3 };
enum DumpStage : uint32_t { DUMP_BEFORE = 1, DUMP_AFTER = 2 };
struct DumpRecord {
    uint32_t task_id;
    int32_t func_id;
    uint32_t arg_index;
    uint32_t role;            // DumpRole
    uint32_t stage;           // DumpStage
    uint32_t dtype;           // pto::DataType
    uint32_t ndims;
    uint32_t truncated;       // 1: the payload did not fit the lane's arena and was not copied
    uint32_t shape[8];
    uint64_t device_addr;     // first byte of the view
    uint64_t offset;          // view offset in elements from its buffer
    uint64_t payload_offset;  // in this lane's payload arena
    uint64_t payload_size;    // bytes of the view (copied unless truncated)
    uint64_t timestamp;       // counter ticks
    uint8_t reserved[152];
};
static_assert(sizeof(DumpRecord) == kDumpRecordSize, "dump record size");

// ---- Scope stats (tensormap_and_ringbuffer orchestrator): one record at each scope begin and end.
enum ScopeEvent : uint32_t { SCOPE_BEGIN = 1, SCOPE_END = 2 };
struct ScopeStatsRecord {
    uint32_t event;            // ScopeEvent
    uint32_t depth;            // depth after begin / before end (outer scope = 1)
    uint64_t serial;           // the scope's serial number
    uint64_t timestamp;        // counter ticks
    uint32_t tasks_submitted;  // tasks submitted so far
    uint32_t task_ring_used;   // live task-ring slots (submitted - completed prefix)
    uint32_t task_ring_capacity;
    uint32_t tensormap_used;
    uint32_t tensormap_capacity;
    uint32_t reserved0;
    uint64_t heap_used;        // heap-ring bytes in use
    uint64_t heap_capacity;
};
static_assert(sizeof(ScopeStatsRecord) == kScopeStatsRecordSize, "scope stats record size");

// ---- dep_gen: SUBMIT records are the inputs of every tensormap_and_ringbuffer submit (the host replays
// them into edges with the TensorMap rules); EDGES records are a host_build_graph task's explicit successors.
enum DepGenRecordKind : uint32_t { DEPGEN_SUBMIT = 1, DEPGEN_EDGES = 2 };
struct DepGenTensor {
    uint64_t begin;   // byte range the task touches
    uint64_t end;
    uint32_t role;    // DumpRole
    uint32_t reserved;
};
constexpr uint32_t kDepGenMaxTensors = 16;
constexpr uint32_t kDepGenMaxSuccessors = 120;
struct DepGenRecord {
    uint32_t kind;       // DepGenRecordKind
    uint32_t task_id;
    int32_t func_id;
    uint32_t core_type;
    uint32_t count;      // tensors (SUBMIT) or successors in this record (EDGES)
    uint32_t reserved[3];
    union {
        DepGenTensor tensors[kDepGenMaxTensors];
        uint32_t successors[kDepGenMaxSuccessors];
    };
};
static_assert(sizeof(DepGenRecord) == kDepGenRecordSize, "dep_gen record size");

}  // namespace pto

// One lane as the host drained it: its records in order (records_count x header.record_size bytes), the
// producer's counters, and its payload arena's used bytes (read after the run).
struct CollectorLaneExport {
    const uint8_t *records;
    uint64_t records_count;
    uint64_t dropped;
    const uint8_t *payload;
    uint64_t payload_used;
    uint64_t payload_dropped;
};

// Where a run's collected records go: the host runtime links one implementation, which turns the drained
// lanes into the files under `output_prefix`. Returns 0 or a negative rc; writes a reason into `why`.
extern "C" int collector_export(pto::CollectorKind kind, const pto::CollectorRegionHeader *header,
                                const CollectorLaneExport *lanes, const char *output_prefix, uint64_t sys_counter_hz,
                                char *why, size_t why_len);
