// The AICPU dispatcher: the one program the AICPU starts by name during bootstrap. It copies the AICPU
// program named by the BootstrapBlock into the device's AICPU kernel directory, where the op description
// the host loads next finds it by file name.
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include "pto/aicpu_bootstrap.h"

namespace {

// Where the device looks for AICPU kernels; a simulator or a test points it elsewhere.
std::string kernel_directory() {
    const char *override_dir = std::getenv("PTO_AICPU_KERNEL_DIR");
    return override_dir && *override_dir ? override_dir : "/usr/lib64/aicpu_kernels/0/aicpu_kernels_device";
}

}  // namespace

extern "C" int DynTileFwkKernelServerInit(void *raw_args) {
    const auto *launch = static_cast<const pto::BootstrapLaunchArgs *>(raw_args);
    if (launch == nullptr || launch->kernel_args.block_addr == 0) return 1;
    const auto *block = reinterpret_cast<const pto::BootstrapBlock *>(launch->kernel_args.block_addr);
    if (block->program_addr == 0 || block->program_len == 0) return 2;
    char name[128];
    pto::aicpu_program_file_name(block->fingerprint, static_cast<int>(block->device_id), name, sizeof name);
    const std::string path = kernel_directory() + "/" + name;
    const std::string temp = path + ".partial";
    // Written beside the target and renamed: a reader never sees half a program.
    int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0755);
    if (fd < 0) return 3;
    const auto *bytes = reinterpret_cast<const uint8_t *>(block->program_addr);
    uint64_t done = 0;
    while (done < block->program_len) {
        ssize_t n = ::write(fd, bytes + done, block->program_len - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            ::close(fd);
            ::unlink(temp.c_str());
            return 4;
        }
        done += static_cast<uint64_t>(n);
    }
    ::close(fd);
    return ::rename(temp.c_str(), path.c_str()) == 0 ? 0 : 5;
}
