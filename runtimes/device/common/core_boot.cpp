// The boot handshake and exit of a run's cores, AICPU side (see core_boot.h).
#include "pto/device/core_boot.h"

#include "platform_config.h"
#include "pto/device/fatal.h"
#include "pto/device/platform.h"
#include "pto/device/wait_budget.h"

namespace pto::device {

namespace {

// Waits until `flag` holds `wanted`; false on timeout or a fatal error.
bool wait_flag(RuntimeCommon *common, volatile uint32_t *flag, uint32_t wanted, uint64_t start) {
    uint32_t value = flag_read(flag);
    while (value != wanted) {
        if (fatal_raised(common) || wait_budget_spent(start)) return false;
        value = flag_wait_change(flag, value, DEVICE_WAIT_SLICE_NS);
    }
    return true;
}

}  // namespace

bool boot_core(RuntimeCommon *common, const KernelArgs &args, int core) {
    Handshake &hs = common->workers[core];
    // The register may still hold the previous run's EXIT: clear it before the core may look.
    reg_write(core_base(args, core), REG_SPR_DATA_MAIN_BASE, AICPU_IDLE_TASK_ID);
    flag_write(&hs.aicpu_ready, 1);
    const uint64_t start = sys_counter();
    if (!wait_flag(common, &hs.aicore_regs_ready, 1, start)) return false;
    flag_write(&hs.aicpu_regs_ready, 1);
    return wait_flag(common, &hs.aicore_done, static_cast<uint32_t>(core + 1), start);
}

void exit_cores(RuntimeCommon *common, const KernelArgs &args, const int *cores, int count) {
    for (int i = 0; i < count; ++i) reg_write(core_base(args, cores[i]), REG_SPR_DATA_MAIN_BASE, AICORE_EXIT_SIGNAL);
    const uint64_t budget = fatal_raised(common) ? DEVICE_WAIT_SLICE_NS : DEVICE_WAIT_BUDGET_NS;
    const uint64_t start = sys_counter();
    for (int i = 0; i < count; ++i) {
        const uint64_t base = core_base(args, cores[i]);
        uint32_t cond = reg_read(base, REG_SPR_COND);
        while (cond != COND_EXITED && counter_ns(sys_counter() - start) < budget)
            cond = reg_wait_change(base, REG_SPR_COND, cond, DEVICE_WAIT_SLICE_NS);
    }
}

}  // namespace pto::device
