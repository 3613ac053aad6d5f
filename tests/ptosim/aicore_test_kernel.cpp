// aicore_test_kernel.cpp - the AICore "program" the ptosim tests register and launch.
#include "ptosim/core_seam.h"
#include "test_kernels.h"

extern "C" void aicore_kernel_entry(void *packed) {
    const auto *args = *static_cast<TestCoreArgs *const *>(packed);
    const int id = ptosim_core_logical_id();
    if (args->mode == kRecordIdentity) {
        TestCoreRecord &r = reinterpret_cast<TestCoreRecord *>(args->out_addr)[id];
        r.logical_id = id;
        r.type = ptosim_core_type();
        r.block_idx = ptosim_core_block_idx();
        r.subblock_idx = ptosim_core_subblock_idx();
        r.block_dim = ptosim_core_block_dim();
        r.register_base = ptosim_core_register_base();
        __atomic_store_n(&r.seen, 1u, __ATOMIC_RELEASE);
    } else if (args->mode == kWaitForFlag) {
        auto *flag = reinterpret_cast<volatile uint32_t *>(args->flag_addr);
        while (ptosim_wait_u32_change(flag, 0, UINT64_MAX) == 0) {
        }
    } else if (args->mode == kRegisterEcho) {
        const uint64_t base = ptosim_core_register_base();
        auto *data = reinterpret_cast<volatile uint32_t *>(base + args->reg_data_offset);
        auto *cond = reinterpret_cast<volatile uint32_t *>(base + args->reg_cond_offset);
        uint32_t value = 0;
        while ((value = ptosim_wait_u32_change(data, 0, UINT64_MAX)) == 0) {
        }
        __atomic_store_n(cond, value + 1, __ATOMIC_RELEASE);
        ptosim_notify_u32(cond);
    }
}
