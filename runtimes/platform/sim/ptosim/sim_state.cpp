// sim_state.cpp - the process-wide model, error reporting, and the per-device resources that outlive a
// device reset (kernel directory, register file).
#include "sim_state.h"

#include <dirent.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <elf.h>

namespace ptosim {

namespace {

thread_local int t_device = -1;
thread_local std::string t_last_error;

bool verbose() {
    static const bool on = [] {
        const char *v = std::getenv("PTOSIM_VERBOSE");
        return v != nullptr && *v != '\0' && std::strcmp(v, "0") != 0;
    }();
    return on;
}

int record(int rc, bool always_print, const char *format, va_list args) {
    char buffer[1024];
    std::vsnprintf(buffer, sizeof buffer, format, args);
    t_last_error = buffer;
    if (always_print || verbose()) {
        // The prefix names the calling thread's device and its arch, when it has them (lock-free).
        const Geometry *g = geometry(t_device);
        if (t_device < 0)
            std::fprintf(stderr, "[ptosim] %s (rc %d)\n", buffer, rc);
        else
            std::fprintf(stderr, "[ptosim dev%d %s] %s (rc %d)\n", t_device, g ? g->config.arch : "unconfigured", buffer, rc);
    }
    return rc;
}

// Kernel directories are private to this process and removed when it exits; the placed programs stay
// for the whole process, as a device keeps its kernel directory across resets. A process that dies
// without exiting (a signal, an abort) cannot remove its own, so each name carries its pid
// (ptosim_dev<N>_pid<P>_XXXXXX) and the next process to make one removes those whose process is gone.
// They hold only flat files (placed programs, and the bytes of loaded ones until dlopen maps them).
void remove_flat_dir(const std::string &path) {
    if (DIR *dir = ::opendir(path.c_str())) {
        while (dirent *entry = ::readdir(dir)) {
            if (std::strcmp(entry->d_name, ".") == 0 || std::strcmp(entry->d_name, "..") == 0) continue;
            ::unlink((path + "/" + entry->d_name).c_str());
        }
        ::closedir(dir);
    }
    ::rmdir(path.c_str());
}

void remove_kernel_dirs() {
    for (DevicePersistent &p : sim().persistent)
        if (!p.kernel_dir.empty()) remove_flat_dir(p.kernel_dir);
}

// The pid in a kernel directory's name, or -1 when the name is not one of ours.
pid_t owner_of(const char *name) {
    const char *at = std::strstr(name, "_pid");
    if (std::strncmp(name, "ptosim_dev", 10) != 0 || at == nullptr) return -1;
    char *end = nullptr;
    const long pid = std::strtol(at + 4, &end, 10);
    return end != at + 4 && *end == '_' && pid > 0 ? static_cast<pid_t>(pid) : -1;
}

// Removes the kernel directories under tmp of this user's processes that no longer exist. A pid reused by
// a live process keeps its folder until a later sweep finds that process gone too.
void sweep_dead_kernel_dirs(const std::string &tmp) {
    DIR *dir = ::opendir(tmp.c_str());
    if (dir == nullptr) return;
    while (dirent *entry = ::readdir(dir)) {
        const pid_t owner = owner_of(entry->d_name);
        if (owner < 0 || owner == ::getpid()) continue;
        const std::string path = tmp + "/" + entry->d_name;
        struct stat info {};
        if (::lstat(path.c_str(), &info) != 0 || !S_ISDIR(info.st_mode) || info.st_uid != ::getuid()) continue;
        if (::kill(owner, 0) != 0 && errno == ESRCH) remove_flat_dir(path);
    }
    ::closedir(dir);
}

}  // namespace

Sim &sim() {
    static Sim *instance = new Sim();
    return *instance;
}

Counters &counters() {
    static Counters *instance = new Counters();
    return *instance;
}

int bound_device() { return t_device; }
void bind_device(int device) { t_device = device; }

const char *last_error_message() { return t_last_error.c_str(); }

int error(int rc, const char *format, ...) {
    va_list args;
    va_start(args, format);
    record(rc, false, format, args);
    va_end(args);
    return rc;
}

int device_exception(int rc, const char *format, ...) {
    va_list args;
    va_start(args, format);
    record(rc, true, format, args);
    va_end(args);
    return rc;
}

int invalid_access(int rc, const char *format, ...) {
    counters().invalid_accesses += 1;
    va_list args;
    va_start(args, format);
    record(rc, true, format, args);
    va_end(args);
    return rc;
}

Device &device_state(int device) { return sim().devices[device]; }

void device_thread_started(int device) { sim().persistent[device].threads_running.fetch_add(1); }

void device_thread_finished(int device) {
    DevicePersistent &p = sim().persistent[device];
    if (p.threads_running.fetch_sub(1) != 1) return;
    std::vector<void *> freed;
    std::vector<std::shared_ptr<void>> unloaded;  // dropped after the lock: their destructors dlclose
    {
        std::lock_guard<std::mutex> lock(sim().mu);
        if (p.threads_running.load() != 0) return;  // another thread started meanwhile: it may use them
        freed.swap(p.quarantine);
        unloaded.swap(p.code_quarantine);
    }
    for (void *memory : freed) std::free(memory);
}

void release_device_memory(int device, void *memory) {
    DevicePersistent &p = sim().persistent[device];
    if (p.threads_running.load() > 0)
        p.quarantine.push_back(memory);
    else
        std::free(memory);
}

const Allocation *find_allocation(const void *addr, uint64_t size, int device) {
    const uintptr_t a = reinterpret_cast<uintptr_t>(addr);
    auto &allocs = sim().allocations;
    auto it = allocs.upper_bound(a);
    if (it == allocs.begin()) return nullptr;
    --it;
    const uint64_t offset = a - it->first;
    if (it->second.device != device || offset >= it->second.size || size > it->second.size - offset) return nullptr;
    return &it->second;
}

std::string kernel_dir(int device) {
    DevicePersistent &p = sim().persistent[device];
    if (!p.kernel_dir.empty()) return p.kernel_dir;
    const char *tmp_env = std::getenv("TMPDIR");
    const std::string tmp = tmp_env && *tmp_env ? tmp_env : "/tmp";
    static const bool swept = (sweep_dead_kernel_dirs(tmp), true);  // once per process, before its first
    (void)swept;
    std::string pattern = tmp + "/ptosim_dev" + std::to_string(device) + "_pid" + std::to_string(::getpid()) + "_XXXXXX";
    std::vector<char> name(pattern.begin(), pattern.end());
    name.push_back('\0');
    if (::mkdtemp(name.data()) == nullptr) return "";
    static bool cleanup_registered = false;
    if (!cleanup_registered) cleanup_registered = std::atexit(remove_kernel_dirs) == 0;
    p.kernel_dir = name.data();
    return p.kernel_dir;
}

const Geometry *geometry(int device) {
    if (device < 0 || device >= kMaxDevices) return nullptr;
    return sim().persistent[device].geometry.load(std::memory_order_acquire);
}

const Geometry *require_geometry(const char *api, int device, int rc, int *rc_out) {
    const Geometry *g = geometry(device);
    if (g == nullptr)
        *rc_out = error(rc, "%s: device %d has no arch configuration; call ptosim_configure_device first", api, device);
    return g;
}

uint8_t *register_file(int device) {
    // Mapped by ptosim_configure_device; registers are hardware, so they exist as long as the process
    // and a detached core thread or a stale host table never touches unmapped memory.
    if (geometry(device) == nullptr) return nullptr;
    return sim().persistent[device].registers;
}

uint64_t fnv1a64(const void *data, size_t size) {
    uint64_t h = 1469598103934665603ull;
    const auto *p = static_cast<const uint8_t *>(data);
    for (size_t i = 0; i < size; ++i) h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

bool is_elf(const void *data, uint64_t size) {
    return data != nullptr && size >= 4 && std::memcmp(data, "\x7f" "ELF", 4) == 0;
}

// The loader of a real device rejects an image whose headers or loadable segments run past its end; the
// host's dlopen would map such a file and fault on first touch, taking the whole process with it.
const char *elf_image_problem(const void *data, uint64_t size) {
    if (!is_elf(data, size)) return "not an ELF file";
    const auto *bytes = static_cast<const uint8_t *>(data);
    if (size < sizeof(Elf64_Ehdr) || bytes[EI_CLASS] != ELFCLASS64) return "not a 64-bit ELF file";
    Elf64_Ehdr eh;
    std::memcpy(&eh, bytes, sizeof eh);
    auto table_fits = [&](uint64_t offset, uint64_t count, uint64_t entry) {
        return offset <= size && count * entry <= size - offset;
    };
    if (eh.e_phentsize != sizeof(Elf64_Phdr) || !table_fits(eh.e_phoff, eh.e_phnum, sizeof(Elf64_Phdr)))
        return "its program headers lie outside the image (truncated?)";
    if (eh.e_shnum != 0 && (eh.e_shentsize != sizeof(Elf64_Shdr) || !table_fits(eh.e_shoff, eh.e_shnum, sizeof(Elf64_Shdr))))
        return "its section headers lie outside the image (truncated?)";
    for (uint16_t i = 0; i < eh.e_phnum; ++i) {
        Elf64_Phdr ph;
        std::memcpy(&ph, bytes + eh.e_phoff + i * sizeof(Elf64_Phdr), sizeof ph);
        if (ph.p_type == PT_LOAD && (ph.p_offset > size || ph.p_filesz > size - ph.p_offset))
            return "a loadable segment lies outside the image (truncated?)";
    }
    return nullptr;
}

}  // namespace ptosim
