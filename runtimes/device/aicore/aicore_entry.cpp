// The AICore program's entry: boot handshake with the AICPU, then serve task words from DATA_MAIN_BASE
// until EXIT. Every core of the launch runs this; cores beyond the run's worker count return at once.
#include <cstdint>

#include "kernel_args.h"
#include "platform_config.h"
#include "pto/device/fatal.h"
#include "pto/device/handshake.h"
#include "pto/device/platform.h"
#include "pto/device/variant.h"
#include "pto/device/wait_budget.h"

using namespace pto::device;

namespace {

// Waits for a boot handshake flag to leave 0; false if the run went fatal or the AICPU never answered
// (its launch failed): a core does not outlive the device wait budget waiting for a partner.
bool wait_flag_set(RuntimeCommon *common, volatile uint32_t *flag) {
    const uint64_t start = sys_counter();
    while (flag_read(flag) == 0) {
        if (fatal_raised(common) || wait_budget_spent(start)) return false;
        flag_wait_change(flag, 0, DEVICE_WAIT_SLICE_NS);
    }
    return true;
}

}  // namespace

extern "C" void aicore_kernel_entry(void *packed_args) {
    const KernelArgs &args = **static_cast<KernelArgs *const *>(packed_args);
    RuntimeCommon *common = runtime_common(args.runtime_args);
    const int core = core_logical_id();
    if (core < 0 || core >= common->worker_count) return;
    const uint64_t regs = core_register_base();
    Handshake &hs = common->workers[core];

    if (!wait_flag_set(common, &hs.aicpu_ready)) return;
    hs.physical_core_id = static_cast<uint32_t>(core);
    flag_write(&hs.aicore_regs_ready, 1);
    if (!wait_flag_set(common, &hs.aicpu_regs_ready)) return;
    reg_write(regs, REG_SPR_COND, COND_IDLE);
    hs.core_type = core < common->block_dim ? CORE_AIC : CORE_AIV;
    flag_write(&hs.aicore_done, static_cast<uint32_t>(core + 1));

    Runtime *runtime = reinterpret_cast<Runtime *>(args.runtime_args);
    uint32_t last = AICPU_IDLE_TASK_ID;
    for (;;) {
        const uint32_t word = reg_read(regs, REG_SPR_DATA_MAIN_BASE);
        if (word == AICORE_EXIT_SIGNAL) break;
        if (word == AICPU_IDLE_TASK_ID || word == last) {
            if (fatal_raised(common)) break;
            reg_wait_change(regs, REG_SPR_DATA_MAIN_BASE, word, DEVICE_WAIT_SLICE_NS);
            continue;
        }
        reg_write(regs, REG_SPR_COND, cond_ack(word));
        aicore_variant_run_task(args, runtime, core, word);
        reg_write(regs, REG_SPR_COND, cond_fin(word));
        last = word;
    }
    reg_write(regs, REG_SPR_COND, COND_EXITED);
}
