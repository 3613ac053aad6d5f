// report.cpp - per-API call counts, fault injection, and the report a test reads.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "ptosim/ptosim_report.h"
#include "sim_state.h"

namespace ptosim {

namespace {

struct Arm {
    int remaining;  // calls until the failing one (1 = the next)
    int rc;
};

struct CallBook {
    std::mutex mu;
    std::map<std::string, uint64_t> calls;
    std::map<std::string, Arm> arms;
};

CallBook &book() {
    static CallBook *instance = new CallBook();
    return *instance;
}

void arm(CallBook &b, const std::string &api, int n, int rc) {
    if (n <= 0)
        b.arms.erase(api);
    else
        b.arms[api] = Arm{n, rc};
}

// PTOSIM_FAIL="api:n:rc[,api:n:rc...]", read once, before the first call is counted.
void arm_from_environment(CallBook &b) {
    const char *spec = std::getenv("PTOSIM_FAIL");
    if (spec == nullptr) return;
    std::string all(spec);
    size_t start = 0;
    while (start < all.size()) {
        size_t end = all.find(',', start);
        if (end == std::string::npos) end = all.size();
        const std::string item = all.substr(start, end - start);
        const size_t c1 = item.find(':'), c2 = item.rfind(':');
        if (c1 != std::string::npos && c2 != c1) {
            arm(b, item.substr(0, c1), std::atoi(item.substr(c1 + 1, c2 - c1 - 1).c_str()),
                std::atoi(item.substr(c2 + 1).c_str()));
        } else {
            std::fprintf(stderr, "[ptosim] ignoring malformed PTOSIM_FAIL entry '%s' (want api:n:rc)\n", item.c_str());
        }
        start = end + 1;
    }
}

// A JSON string literal of an arch name (which may hold any byte but NUL).
std::string json_string(const char *text) {
    std::string out = "\"";
    for (const char *p = text; *p != '\0'; ++p) {
        const unsigned char ch = static_cast<unsigned char>(*p);
        if (ch == '"' || ch == '\\') {
            out += '\\';
            out += static_cast<char>(ch);
        } else if (ch < 0x20 || ch >= 0x7f) {
            char buffer[8];
            std::snprintf(buffer, sizeof buffer, "\\u%04x", ch);
            out += buffer;
        } else {
            out += static_cast<char>(ch);
        }
    }
    return out + "\"";
}

void append_field(std::string &out, const char *name, uint64_t value) {
    char buffer[96];
    std::snprintf(buffer, sizeof buffer, "\"%s\": %llu, ", name, static_cast<unsigned long long>(value));
    out += buffer;
}

}  // namespace

int count_call_and_fault(const char *api, int *fault_rc) {
    CallBook &b = book();
    std::lock_guard<std::mutex> lock(b.mu);
    static bool environment_read = false;
    if (!environment_read) {
        environment_read = true;
        arm_from_environment(b);
    }
    b.calls[api] += 1;
    auto it = b.arms.find(api);
    if (it == b.arms.end() || --it->second.remaining > 0) return 0;
    *fault_rc = it->second.rc;
    b.arms.erase(it);
    counters().faults_injected += 1;
    return 1;
}

}  // namespace ptosim

using namespace ptosim;

extern "C" int ptosim_report_get(PtosimReport *out, size_t out_size) {
    if (out == nullptr) return -1;
    PtosimReport r{};
    Counters &c = counters();
    {
        std::lock_guard<std::mutex> lock(sim().mu);
        r.live_allocations = sim().allocations.size();
        r.live_bytes = sim().live_bytes;
        for (auto &entry : sim().devices) {
            r.streams_live += entry.second.streams.size();
            r.bin_handles_live += entry.second.binaries.size();
            r.aicore_registrations_live += entry.second.registrations.size();
            r.host_registrations_live += entry.second.host_registrations.size();
        }
        for (auto &entry : sim().registrations_by_content)
            if (entry.second > r.aicore_registrations_max_per_content) r.aicore_registrations_max_per_content = entry.second;
    }
    r.allocations = c.allocations;
    r.frees = c.frees;
    r.bytes_h2d = c.bytes_h2d;
    r.bytes_d2h = c.bytes_d2h;
    r.bytes_d2d = c.bytes_d2d;
    r.invalid_accesses = c.invalid_accesses;
    r.freed_while_host_registered = c.freed_while_host_registered;
    r.streams_created = c.streams_created;
    r.streams_destroyed = c.streams_destroyed;
    r.pending_at_destroy = c.pending_at_destroy;
    r.stream_sync_timeouts = c.stream_sync_timeouts;
    r.stream_errors = c.stream_errors;
    r.aicpu_bootstraps = c.aicpu_bootstraps;
    r.aicpu_launches = c.aicpu_launches;
    r.aicpu_exceptions = c.aicpu_exceptions;
    r.aicore_registrations = c.aicore_registrations;
    r.aicore_launches = c.aicore_launches;
    r.aicore_timeouts = c.aicore_timeouts;
    r.threads_abandoned = c.threads_abandoned;
    r.device_resets = c.device_resets;
    r.leaked_allocations_at_reset = c.leaked_allocations_at_reset;
    r.leaked_bytes_at_reset = c.leaked_bytes_at_reset;
    r.leaked_streams_at_reset = c.leaked_streams_at_reset;
    r.leaked_bin_handles_at_reset = c.leaked_bin_handles_at_reset;
    r.leaked_host_registrations_at_reset = c.leaked_host_registrations_at_reset;
    r.faults_injected = c.faults_injected;
    r.core_threads_created = c.core_threads_created;
    r.core_threads_live = core_threads_live();
    std::memcpy(out, &r, out_size < sizeof r ? out_size : sizeof r);
    return 0;
}

extern "C" const char *ptosim_report_json(void) {
    static thread_local std::string json;
    try {
        PtosimReport r{};
        ptosim_report_get(&r, sizeof r);
        json = "{";
        // "arch": the calling thread's device's; "device_archs": every configured device's.
        const Geometry *bound = geometry(bound_device());
        json += "\"arch\": " + json_string(bound ? bound->config.arch : "") + ", \"device_archs\": {";
        bool first_device = true;
        for (int device = 0; device < kMaxDevices; ++device) {
            const Geometry *g = geometry(device);
            if (g == nullptr) continue;
            json += (first_device ? "\"" : ", \"") + std::to_string(device) + "\": " + json_string(g->config.arch);
            first_device = false;
        }
        json += "}, ";
#define PTOSIM_FIELD(name) append_field(json, #name, r.name)
        PTOSIM_FIELD(live_allocations); PTOSIM_FIELD(live_bytes); PTOSIM_FIELD(allocations); PTOSIM_FIELD(frees);
        PTOSIM_FIELD(bytes_h2d); PTOSIM_FIELD(bytes_d2h); PTOSIM_FIELD(bytes_d2d); PTOSIM_FIELD(invalid_accesses);
        PTOSIM_FIELD(host_registrations_live); PTOSIM_FIELD(freed_while_host_registered);
        PTOSIM_FIELD(streams_created); PTOSIM_FIELD(streams_destroyed); PTOSIM_FIELD(streams_live);
        PTOSIM_FIELD(pending_at_destroy); PTOSIM_FIELD(stream_sync_timeouts); PTOSIM_FIELD(stream_errors);
        PTOSIM_FIELD(aicpu_bootstraps); PTOSIM_FIELD(aicpu_launches); PTOSIM_FIELD(aicpu_exceptions);
        PTOSIM_FIELD(bin_handles_live); PTOSIM_FIELD(aicore_registrations);
        PTOSIM_FIELD(aicore_registrations_max_per_content); PTOSIM_FIELD(aicore_registrations_live);
        PTOSIM_FIELD(aicore_launches); PTOSIM_FIELD(aicore_timeouts); PTOSIM_FIELD(threads_abandoned);
        PTOSIM_FIELD(device_resets); PTOSIM_FIELD(leaked_allocations_at_reset); PTOSIM_FIELD(leaked_bytes_at_reset);
        PTOSIM_FIELD(leaked_streams_at_reset); PTOSIM_FIELD(leaked_bin_handles_at_reset);
        PTOSIM_FIELD(leaked_host_registrations_at_reset); PTOSIM_FIELD(faults_injected);
        PTOSIM_FIELD(core_threads_created); PTOSIM_FIELD(core_threads_live);
#undef PTOSIM_FIELD
        json += "\"calls\": {";
        {
            std::lock_guard<std::mutex> lock(book().mu);
            bool first = true;
            for (auto &entry : book().calls) {
                json += (first ? "\"" : ", \"") + entry.first + "\": " + std::to_string(entry.second);
                first = false;
            }
        }
        json += "}, \"aicore_registrations_by_content\": {";
        {
            std::lock_guard<std::mutex> lock(sim().mu);
            bool first = true;
            for (auto &entry : sim().registrations_by_content) {
                char key[24];
                std::snprintf(key, sizeof key, "%016llx", static_cast<unsigned long long>(entry.first));
                json += (first ? "\"" : ", \"") + std::string(key) + "\": " + std::to_string(entry.second);
                first = false;
            }
        }
        json += "}}";
    } catch (...) {
        json = "{}";
    }
    return json.c_str();
}

extern "C" uint64_t ptosim_call_count(const char *api) {
    if (api == nullptr) return 0;
    try {
        std::lock_guard<std::mutex> lock(book().mu);
        auto it = book().calls.find(api);
        return it == book().calls.end() ? 0 : it->second;
    } catch (...) {
        return 0;
    }
}

extern "C" void ptosim_counters_reset(void) {
    {
        std::lock_guard<std::mutex> lock(book().mu);
        book().calls.clear();
    }
    {
        std::lock_guard<std::mutex> lock(sim().mu);
        sim().registrations_by_content.clear();
    }
    Counters &c = counters();
    for (std::atomic<uint64_t> *field :
         {&c.allocations, &c.frees, &c.bytes_h2d, &c.bytes_d2h, &c.bytes_d2d, &c.invalid_accesses,
          &c.freed_while_host_registered, &c.streams_created, &c.streams_destroyed, &c.pending_at_destroy,
          &c.stream_sync_timeouts, &c.stream_errors, &c.aicpu_bootstraps, &c.aicpu_launches, &c.aicpu_exceptions,
          &c.aicore_registrations, &c.aicore_launches, &c.aicore_timeouts, &c.threads_abandoned, &c.device_resets,
          &c.leaked_allocations_at_reset, &c.leaked_bytes_at_reset, &c.leaked_streams_at_reset,
          &c.leaked_bin_handles_at_reset, &c.leaked_host_registrations_at_reset, &c.faults_injected, &c.core_threads_created})
        field->store(0);
}

extern "C" int ptosim_fail_nth_call(const char *api, int n, int rc) {
    if (api == nullptr || *api == '\0') return -1;
    try {
        std::lock_guard<std::mutex> lock(book().mu);
        arm(book(), api, n, rc);
        return 0;
    } catch (...) {
        return -1;
    }
}

extern "C" const char *ptosim_last_error(void) { return last_error_message(); }
