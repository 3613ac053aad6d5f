// The device-memory layout every profiling collector shares, so one host mechanism (allocate, arm,
// start, pull, export, release) serves all of them. A collector region is a header followed by `lanes`
// lanes; each lane has exactly one producer (an AICore core or an AICPU thread), so producers never
// contend: a producer appends records to its own lane and counts what did not fit as dropped.
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
    uint32_t kind;            // CollectorKind
    uint32_t lanes;
    uint32_t record_size;     // bytes per record
    uint64_t lane_capacity;   // records per lane
    uint64_t lane_stride;     // bytes from one lane's header to the next
    uint32_t level;           // collector-specific setting (swimlane level, PMU event type)
    uint32_t reserved[7];
};
static_assert(sizeof(CollectorRegionHeader) == 64, "collector header is one cache line");

struct CollectorLaneHeader {
    uint64_t written;  // records appended (<= lane_capacity)
    uint64_t dropped;  // records that found the lane full
    uint64_t reserved[6];
};
static_assert(sizeof(CollectorLaneHeader) == 64, "lane header is one cache line");

// Geometry of one collector for a run; the host sizes the region from it.
struct CollectorGeometry {
    uint32_t lanes;
    uint32_t record_size;
    uint64_t lane_capacity;

    uint64_t lane_stride() const { return sizeof(CollectorLaneHeader) + uint64_t(record_size) * lane_capacity; }
    uint64_t region_bytes() const { return sizeof(CollectorRegionHeader) + uint64_t(lanes) * lane_stride(); }
    uint64_t lane_offset(uint32_t lane) const { return sizeof(CollectorRegionHeader) + uint64_t(lane) * lane_stride(); }
};

// Record sizes and per-lane capacities. Per-core collectors (swimlane, PMU) have one lane per AICore core;
// the others one lane per AICPU thread.
constexpr uint32_t kSwimlaneRecordSize = 64;
constexpr uint64_t kSwimlaneRecordsPerLane = 2048;
constexpr uint32_t kPmuRecordSize = 128;
constexpr uint64_t kPmuRecordsPerLane = 512;
constexpr uint32_t kDumpRecordSize = 256;
constexpr uint64_t kDumpRecordsPerLane = 2048;
constexpr uint32_t kScopeStatsRecordSize = 64;
constexpr uint64_t kScopeStatsRecordsPerLane = 4096;
constexpr uint32_t kDepGenRecordSize = 512;
constexpr uint64_t kDepGenRecordsPerLane = 4096;

}  // namespace pto

// Where a run's collected records go: the host runtime links one implementation, which turns a pulled
// region into the files under `output_prefix`. Returns 0 or a negative rc; writes a reason into `why`.
extern "C" int collector_export(pto::CollectorKind kind, const void *region, size_t region_bytes,
                                const char *output_prefix, uint64_t sys_counter_hz, char *why, size_t why_len);
