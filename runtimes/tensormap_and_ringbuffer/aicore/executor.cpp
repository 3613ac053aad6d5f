// tensormap_and_ringbuffer's AICore side: a task word is the task's id; its slot in the task ring holds
// the kernel's device address and the kernel's args (Tensor pointers into the slot, then scalars).
#include "kernel_args.h"
#include "pto/device/collector.h"
#include "pto/device/fatal.h"
#include "pto/device/platform.h"
#include "pto/device/variant.h"
#include "trb/runtime.h"

namespace pto::device {

void aicore_variant_run_task(const KernelArgs &args, Runtime *runtime, int core, uint32_t task_word) {
    if (task_word >= runtime->submitted.load(std::memory_order_acquire)) {
        raise_fatal(&runtime->common, FATAL_BAD_TASK, "AICore %d was given task %u of %u submitted", core, task_word,
                    runtime->submitted.load());
        return;
    }
    trb::TaskSlot &task = reinterpret_cast<trb::TaskSlot *>(runtime->slots_addr)[task_word % runtime->task_capacity];
    const KernelTiming timing = kernel_timing_begin(args);
    const int rc = call_kernel(task.function_addr, task.args);
    kernel_timing_end(args, timing, core, task.core_kind, task_word, task.func_id);
    if (rc != 0)
        raise_fatal(&runtime->common, FATAL_BAD_TASK, "task %u: no kernel at device address 0x%llx (func_id %d)", task_word,
                    static_cast<unsigned long long>(task.function_addr), task.func_id);
}

}  // namespace pto::device
