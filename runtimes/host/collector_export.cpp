// Turns a run's drained collector lanes into files under the run's output prefix. This is the raw export
// that every collector shares: `<kind>.bin` holds the drained records, lane by lane; `<kind>.payload.bin` the
// lanes' payload arenas (collectors that have one); `<kind>.json` says where each lane's part starts and
// what it wrote and dropped. The user-facing views (Chrome trace, tensor dump manifest, PMU CSV, scope
// stats JSONL, deps.json) are built from these files by ptogen.trace (pto/collector_layout.h: records).
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <string>
#include <sys/stat.h>

#include "pto/collector_layout.h"

namespace {

const char *kind_name(pto::CollectorKind kind) {
    switch (kind) {
        case pto::CollectorKind::L2_SWIMLANE: return "l2_swimlane";
        case pto::CollectorKind::DUMP_TENSOR: return "dump_tensor";
        case pto::CollectorKind::PMU: return "pmu";
        case pto::CollectorKind::SCOPE_STATS: return "scope_stats";
        case pto::CollectorKind::DEP_GEN: return "dep_gen";
    }
    return "unknown";
}

int reason(char *why, size_t why_len, const std::string &text) {
    if (why_len) std::snprintf(why, why_len, "%s", text.c_str());
    return -1;
}

// mkdir -p: the prefix is the user's choice and may not exist yet.
bool make_directories(const std::string &path) {
    std::string partial;
    for (size_t i = 0; i <= path.size(); ++i) {
        if (i == path.size() || path[i] == '/') {
            if (!partial.empty() && ::mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST) return false;
        }
        if (i < path.size()) partial += path[i];
    }
    return true;
}

}  // namespace

extern "C" int collector_export(pto::CollectorKind kind, const pto::CollectorRegionHeader *header,
                                const CollectorLaneExport *lanes, const char *output_prefix, uint64_t sys_counter_hz,
                                char *why, size_t why_len) {
    if (header == nullptr || (header->lanes != 0 && lanes == nullptr)) return reason(why, why_len, "no region header or lanes");
    if (header->magic != pto::kCollectorMagic) return reason(why, why_len, "the region header lost its magic (overwritten?)");
    if (output_prefix == nullptr || *output_prefix == '\0') return reason(why, why_len, "no output prefix");
    const std::string dir = output_prefix;
    if (!make_directories(dir)) return reason(why, why_len, "cannot create " + dir + ": " + std::strerror(errno));

    const std::string base = dir + "/" + kind_name(kind);
    FILE *records = std::fopen((base + ".bin").c_str(), "wb");
    FILE *summary = std::fopen((base + ".json").c_str(), "w");
    FILE *payload = header->lane_payload_bytes ? std::fopen((base + ".payload.bin").c_str(), "wb") : nullptr;
    if (records == nullptr || summary == nullptr || (header->lane_payload_bytes && payload == nullptr)) {
        if (records) std::fclose(records);
        if (summary) std::fclose(summary);
        if (payload) std::fclose(payload);
        return reason(why, why_len, "cannot write " + base + ".{bin,json,payload.bin}");
    }
    std::fprintf(summary,
                 "{\"collector\": \"%s\", \"record_size\": %u, \"lane_capacity\": %" PRIu64 ", \"level\": %u, "
                 "\"sys_counter_hz\": %" PRIu64 ", \"lane_payload_bytes\": %" PRIu64 ", \"aicore_lanes\": %u, \"lanes\": [",
                 kind_name(kind), header->record_size, header->lane_capacity, header->level, sys_counter_hz,
                 header->lane_payload_bytes, header->aicore_lanes);
    uint64_t offset_in_file = 0;
    uint64_t payload_in_file = 0;
    bool ok = true;
    for (uint32_t lane = 0; lane < header->lanes; ++lane) {
        const CollectorLaneExport &l = lanes[lane];
        const uint64_t size = l.records_count * header->record_size;
        ok = ok && (size == 0 || std::fwrite(l.records, 1, size, records) == size);
        const uint64_t used = l.payload_used < header->lane_payload_bytes ? l.payload_used : header->lane_payload_bytes;
        if (payload != nullptr) ok = ok && (used == 0 || std::fwrite(l.payload, 1, used, payload) == used);
        std::fprintf(summary,
                     "%s{\"lane\": %u, \"records\": %" PRIu64 ", \"dropped\": %" PRIu64 ", \"offset\": %" PRIu64
                     ", \"payload_bytes\": %" PRIu64 ", \"payload_offset\": %" PRIu64 ", \"payload_dropped\": %" PRIu64 "}",
                     lane ? ", " : "", lane, l.records_count, l.dropped, offset_in_file, used, payload_in_file,
                     l.payload_dropped);
        offset_in_file += size;
        payload_in_file += used;
    }
    std::fprintf(summary, "]}\n");
    ok = std::fclose(records) == 0 && ok;
    ok = std::fclose(summary) == 0 && ok;
    if (payload != nullptr) ok = std::fclose(payload) == 0 && ok;
    return ok ? 0 : reason(why, why_len, "short write to " + base + ".bin");
}
