// The AICPU program's entry points, as the host launches them: `simpler_aicpu_init` on one thread, then
// `simpler_aicpu_exec` on every launched thread. Threads beyond the run's aicpu_thread_num leave at the
// gate (the launch over-provisions on arches whose AICPU affinity needs it).
#include <cstdint>

#include "kernel_args.h"
#include "pto/device/handshake.h"
#include "pto/device/platform.h"
#include "pto/device/variant.h"
#include "pto/device/wait_budget.h"  // counter_ns

using namespace pto::device;

extern "C" int simpler_aicpu_init(void *raw_args) {
    const KernelArgs &args = *static_cast<const KernelArgs *>(raw_args);
    if (args.runtime_args == 0) return 1;
    RuntimeCommon *common = runtime_common(args.runtime_args);
    common->start_counter = sys_counter();
    return aicpu_variant_init(args, reinterpret_cast<Runtime *>(args.runtime_args)) == 0 ? 0 : 1;
}

extern "C" int simpler_aicpu_exec(void *raw_args) {
    const KernelArgs &args = *static_cast<const KernelArgs *>(raw_args);
    if (args.runtime_args == 0) return 1;
    RuntimeCommon *common = runtime_common(args.runtime_args);
    const int index = common->threads_claimed.fetch_add(1, std::memory_order_acq_rel);
    if (index >= common->aicpu_thread_num) return 0;  // the gate
    const int rc = aicpu_variant_run(args, reinterpret_cast<Runtime *>(args.runtime_args), index);
    if (common->threads_finished.fetch_add(1, std::memory_order_acq_rel) + 1 == common->aicpu_thread_num &&
        args.device_wall_data_base != 0) {
        // The last scheduler out measures the run; the host reads the slot after the stream fence.
        *reinterpret_cast<volatile uint64_t *>(args.device_wall_data_base) = counter_ns(sys_counter() - common->start_counter);
    }
    return rc == 0 && common->fatal_code.load() == FATAL_NONE ? 0 : 1;
}
