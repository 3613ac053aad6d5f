// aicpu_test_kernel.cpp - the AICPU "program" the ptosim tests place through the bootstrap and launch.
#include <chrono>
#include <thread>

#include "ptosim/core_seam.h"
#include "test_kernels.h"

extern "C" int ptosim_test_cpu_entry(void *raw) {
    const auto *args = static_cast<const TestCpuArgs *>(raw);
    const int idx = ptosim_aicpu_thread_idx();
    if (idx == 0 && args->sleep_ms != 0) std::this_thread::sleep_for(std::chrono::milliseconds(args->sleep_ms));
    if (args->counter_addr != 0) __atomic_add_fetch(reinterpret_cast<uint32_t *>(args->counter_addr), 1u, __ATOMIC_SEQ_CST);
    if (args->mask_addr != 0 && idx >= 0)
        __atomic_or_fetch(reinterpret_cast<uint64_t *>(args->mask_addr), 1ull << idx, __ATOMIC_SEQ_CST);
    if (args->order_addr != 0 && idx == 0) {
        auto *log = reinterpret_cast<TestOrderLog *>(args->order_addr);
        if (log->count < 31) log->tags[log->count++] = args->tag;
    }
    return args->ret;
}

// A second entry, so one op description can name two functions like the runtime's init/exec pair.
extern "C" int ptosim_test_cpu_noop(void *) { return 0; }

// A per-task kernel entry, found by ptosim_resolve_kernel when these bytes sit in device memory.
extern "C" void kernel_entry(int64_t *args) { args[0] = 42; }
