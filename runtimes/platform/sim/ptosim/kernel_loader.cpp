// kernel_loader.cpp - per-task kernels and the device event word, as the device programs ask for them.
// A kernel's bytes live in device memory (the host uploaded them); on hardware the core jumps to that
// address. Here the core asks ptosim_resolve_kernel, which loads the ELF image found at the address
// once (private file + dlopen) and hands back its `kernel_entry`.
#include <dlfcn.h>
#include <elf.h>
#include <unistd.h>

#include <cstring>

#include "pto/dlopen_bytes.h"
#include "sim_state.h"

namespace ptosim {

namespace {

constexpr const char *kKernelEntry = "kernel_entry";

// The file size of the ELF64 image at `data` (at most `available` bytes), or 0 if it is not one.
uint64_t elf_image_size(const uint8_t *data, uint64_t available) {
    if (available < sizeof(Elf64_Ehdr) || !is_elf(data, available) || data[EI_CLASS] != ELFCLASS64) return 0;
    Elf64_Ehdr eh;
    std::memcpy(&eh, data, sizeof eh);
    uint64_t end = sizeof eh;
    auto extend = [&](uint64_t offset, uint64_t size) {
        if (offset + size > end) end = offset + size;
    };
    extend(eh.e_phoff, static_cast<uint64_t>(eh.e_phnum) * eh.e_phentsize);
    extend(eh.e_shoff, static_cast<uint64_t>(eh.e_shnum) * eh.e_shentsize);
    if (end > available) return 0;
    for (uint16_t i = 0; i < eh.e_shnum && eh.e_shentsize >= sizeof(Elf64_Shdr); ++i) {
        Elf64_Shdr sh;
        std::memcpy(&sh, data + eh.e_shoff + static_cast<uint64_t>(i) * eh.e_shentsize, sizeof sh);
        if (sh.sh_type != SHT_NOBITS) extend(sh.sh_offset, sh.sh_size);
    }
    for (uint16_t i = 0; i < eh.e_phnum && eh.e_phentsize >= sizeof(Elf64_Phdr); ++i) {
        Elf64_Phdr ph;
        std::memcpy(&ph, data + eh.e_phoff + static_cast<uint64_t>(i) * eh.e_phentsize, sizeof ph);
        extend(ph.p_offset, ph.p_filesz);
    }
    return end <= available ? end : 0;
}

std::shared_ptr<LoadedKernel> load_image(const std::string &dir, const uint8_t *data, uint64_t size) {
    auto kernel = std::make_shared<LoadedKernel>();
    std::string why;
    kernel->dl = pto::dlopen_bytes(dir, "kernel_", data, size, &why);
    if (kernel->dl == nullptr) {
        error(ACL_ERROR_RT_AICORE_EXCEPTION, "ptosim_resolve_kernel: cannot load the kernel image: %s", why.c_str());
        return nullptr;
    }
    kernel->entry = ::dlsym(kernel->dl, kKernelEntry);
    if (kernel->entry == nullptr) {
        error(ACL_ERROR_RT_AICORE_EXCEPTION, "ptosim_resolve_kernel: the kernel image has no %s", kKernelEntry);
        return nullptr;
    }
    return kernel;
}

}  // namespace

LoadedKernel::~LoadedKernel() {
    if (dl != nullptr) ::dlclose(dl);
}

void retire_kernels_in(Device &device, uintptr_t base, uint64_t size) {
    // Not unloaded yet: a core may still be running one. The device reset unloads them.
    auto it = device.kernels.lower_bound(base);
    while (it != device.kernels.end() && it->first < base + size) {
        device.retired_kernels.push_back(it->second);
        it = device.kernels.erase(it);
    }
}

}  // namespace ptosim

using namespace ptosim;

extern "C" void *ptosim_resolve_kernel(uint64_t device_addr) {
    try {
        const int device = bound_device();
        if (device < 0) return nullptr;
        const uintptr_t addr = static_cast<uintptr_t>(device_addr);
        {
            std::lock_guard<std::mutex> lock(sim().mu);
            Device &d = device_state(device);
            auto hit = d.kernels.find(addr);
            if (hit != d.kernels.end()) return hit->second->entry;
        }
        // One image loads at a time, and only once: cores that miss together wait for the first one's load
        // instead of each loading a copy and unloading the loser's beside the winner's dlopen (which made
        // ThreadSanitizer report ld.so's own allocator). Recursive: a kernel's constructors may resolve too.
        static std::recursive_mutex load_mu;
        std::lock_guard<std::recursive_mutex> loading(load_mu);
        std::vector<uint8_t> image;
        std::string dir;
        {
            std::lock_guard<std::mutex> lock(sim().mu);
            Device &d = device_state(device);
            auto hit = d.kernels.find(addr);
            if (hit != d.kernels.end()) return hit->second->entry;
            const Allocation *alloc = find_allocation(reinterpret_cast<const void *>(addr), 1, device);
            if (alloc == nullptr) {
                invalid_access(ACL_ERROR_RT_AICORE_EXCEPTION, "ptosim_resolve_kernel: 0x%llx is not device memory of device %d",
                               static_cast<unsigned long long>(device_addr), device);
                return nullptr;
            }
            auto base = sim().allocations.upper_bound(addr);
            --base;
            const uint64_t available = base->first + base->second.size - addr;
            const auto *bytes = reinterpret_cast<const uint8_t *>(addr);
            const uint64_t size = elf_image_size(bytes, available);
            if (size == 0) {
                error(ACL_ERROR_RT_AICORE_EXCEPTION, "ptosim_resolve_kernel: no ELF image at 0x%llx", static_cast<unsigned long long>(device_addr));
                return nullptr;
            }
            image.assign(bytes, bytes + size);
            dir = kernel_dir(device);
        }
        // dlopen outside the model lock: a kernel's constructors may call back into ptosim.
        std::shared_ptr<LoadedKernel> kernel = dir.empty() ? nullptr : load_image(dir, image.data(), image.size());
        if (!kernel) return nullptr;
        std::lock_guard<std::mutex> lock(sim().mu);
        return device_state(device).kernels.emplace(addr, kernel).first->second->entry;
    } catch (...) {
        return nullptr;
    }
}

extern "C" volatile uint32_t *ptosim_device_event_word(void) {
    static uint32_t unbound_word = 0;  // a thread with no device still gets a word that works
    const int device = bound_device();
    return device < 0 ? &unbound_word : &sim().persistent[device].event_word;
}
