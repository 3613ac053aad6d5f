// Loading the orchestration program on the AICPU. Its bytes are in device memory; dlopen needs a file, so
// they go to a private temp file (mkstemps), which is unlinked as soon as it is loaded. The process keeps
// one loaded program per (device, callable id) for as long as the AICPU program stays loaded, and loads
// again only when the host marks the run as the first sighting of that id (a new registration), or when
// nothing is loaded (a fresh AICPU program, or a load that failed). The replaced program is closed then:
// a callable id runs one program at a time on one device.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <mutex>
#include <string>
#include <unistd.h>

#include "aicpu_parts.h"
#include "pto/dlopen_bytes.h"

namespace trb {

namespace {

constexpr int kMaxDevices = 64;
constexpr int kMaxCallables = 64;

struct Loaded {
    void *handle = nullptr;
    TrbOrchestrationEntry entry = nullptr;
};

std::mutex g_mutex;
Loaded g_table[kMaxDevices][kMaxCallables];

void set_why(char *why, size_t len, const char *format, const char *detail) {
    std::snprintf(why, len, format, detail ? detail : "?");
}

}  // namespace

TrbOrchestrationEntry load_orchestration(const KernelArgs &args, Runtime *runtime, char *why, size_t why_len) {
    const int device = static_cast<int>(args.device_id);
    const int cid = runtime->callable_id;
    if (device < 0 || device >= kMaxDevices || cid < 0 || cid >= kMaxCallables) {
        set_why(why, why_len, "%s", "device or callable id out of range");
        return nullptr;
    }
    std::lock_guard<std::mutex> lock(g_mutex);
    Loaded &slot = g_table[device][cid];
    if (slot.handle != nullptr && runtime->first_sighting == 0) return slot.entry;
    // Whatever this id ran before is stale now, even if loading its successor fails below.
    if (slot.handle != nullptr) ::dlclose(slot.handle);
    slot = Loaded{};

    std::string reason;
    void *handle = pto::dlopen_bytes(pto::temp_directory(), "ptogen_trb_orch_",
                                     reinterpret_cast<const void *>(runtime->orch_so_addr), runtime->orch_so_size, &reason);
    if (handle == nullptr) {
        set_why(why, why_len, "dlopen failed: %s", reason.c_str());
        return nullptr;
    }
    void *entry = ::dlsym(handle, runtime->orch_entry);
    if (entry == nullptr) {
        ::dlclose(handle);
        set_why(why, why_len, "the program has no symbol '%s'", runtime->orch_entry);
        return nullptr;
    }
    slot.handle = handle;
    slot.entry = reinterpret_cast<TrbOrchestrationEntry>(entry);
    return slot.entry;
}

}  // namespace trb
