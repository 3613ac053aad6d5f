// Loading a shared object that is held in memory: the host's orchestration programs, the AICPU's
// device-side orchestration, and the simulator's kernels and AICore programs all arrive as bytes. dlopen
// needs a file, so the bytes go to a private temporary file, which is unlinked as soon as it is mapped.
#pragma once

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <string>
#include <unistd.h>
#include <vector>

namespace pto {

// The directory private temporary files go to by default: $TMPDIR, else /tmp.
inline std::string temp_directory() {
    const char *tmp = std::getenv("TMPDIR");
    return tmp && *tmp ? tmp : "/tmp";
}

// dlopen(RTLD_NOW | RTLD_LOCAL) of `size` bytes at `data`, through `dir`/`stem`XXXXXX.so. Returns the handle,
// or nullptr with the reason in *why.
inline void *dlopen_bytes(const std::string &dir, const char *stem, const void *data, uint64_t size, std::string *why) {
    std::string pattern = dir + "/" + stem + "XXXXXX.so";
    std::vector<char> path(pattern.begin(), pattern.end());
    path.push_back('\0');
    const int fd = ::mkstemps(path.data(), 3);
    if (fd < 0) {
        *why = "cannot create a temporary file in " + dir + ": " + std::strerror(errno);
        return nullptr;
    }
    const auto *bytes = static_cast<const char *>(data);
    uint64_t done = 0;
    while (done < size) {
        const ssize_t n = ::write(fd, bytes + done, size - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        done += static_cast<uint64_t>(n);
    }
    ::close(fd);
    void *handle = done == size ? ::dlopen(path.data(), RTLD_NOW | RTLD_LOCAL) : nullptr;
    if (handle == nullptr) {
        const char *reason = done == size ? ::dlerror() : nullptr;
        *why = reason ? reason : "short write to " + std::string(path.data());
    }
    ::unlink(path.data());  // the mapping stays; the file is not needed once loaded
    return handle;
}

}  // namespace pto
