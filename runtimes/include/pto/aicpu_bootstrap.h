// How the host places the AICPU program on a device: the protocol between the host runtime and the AICPU
// dispatcher (the one program CANN's AICPU can start by name). The host uploads the dispatcher, the AICPU
// program and a BootstrapBlock pointing at both, then launches the dispatcher's init kernel once; the
// dispatcher writes the program into the device's kernel directory under `aicpu_program_file_name`, where
// the op description the host loads next (rtsBinaryLoadFromFile) finds it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>

namespace pto {

constexpr const char *kBootstrapOpName = "AST_DYN_AICPU";
constexpr const char *kBootstrapKernelName = "DynTileFwkKernelServerInit";
constexpr const char *kBootstrapSoName = "libaicpu_extend_kernels.so";

// 160 bytes, addressed by the dispatcher at fixed offsets.
struct BootstrapBlock {
    uint64_t reserved[12];
    uint64_t dispatcher_addr;  // @96
    uint64_t dispatcher_len;   // @104
    uint64_t device_id;        // @112
    uint64_t program_addr;     // @120
    uint64_t program_len;      // @128
    uint64_t fingerprint;      // @136: names the placed file
    uint64_t reserved_tail[2];
};
static_assert(sizeof(BootstrapBlock) == 160, "BootstrapBlock layout is fixed by the dispatcher");
static_assert(offsetof(BootstrapBlock, dispatcher_addr) == 96, "BootstrapBlock layout is fixed by the dispatcher");

// What the bootstrap launch passes: the kernel args, then the kernel and shared object names it names by
// offset (rtAicpuArgsEx_t::kernelNameAddrOffset / soNameAddrOffset).
struct BootstrapLaunchArgs {
    struct {
        uint64_t unused[5];
        uint64_t block_addr;  // device address of the BootstrapBlock
        uint64_t pad[20];
    } kernel_args;
    char kernel_name[64];
    char so_name[64];
};

// The file name the AICPU program is placed under: unique per program and device.
inline void aicpu_program_file_name(uint64_t fingerprint, int device_id, char *out, size_t out_len) {
    std::snprintf(out, out_len, "ptogen_aicpu_%016llx_%d.so", static_cast<unsigned long long>(fingerprint), device_id);
}

}  // namespace pto
