// host_build_graph's AICore side: a task word is the task's index in the Runtime image; the task holds
// its kernel's device address and its raw arguments.
#include "hbg/runtime.h"
#include "kernel_args.h"
#include "pto/device/collector.h"
#include "pto/device/fatal.h"
#include "pto/device/platform.h"
#include "pto/device/variant.h"

namespace pto::device {

void aicore_variant_run_task(const KernelArgs &args, Runtime *runtime, int core, uint32_t task_word) {
    if (task_word >= static_cast<uint32_t>(runtime->task_count)) {
        raise_fatal(&runtime->common, FATAL_BAD_TASK, "AICore %d was given task %u of %d", core, task_word, runtime->task_count);
        return;
    }
    hbg::Task &task = runtime->tasks[task_word];
    const KernelTiming timing = kernel_timing_begin(args);
    const int rc = call_kernel(task.function_addr, reinterpret_cast<int64_t *>(task.args));
    kernel_timing_end(args, timing, core, task.core_type, task_word, task.func_id);
    if (rc != 0)
        raise_fatal(&runtime->common, FATAL_BAD_TASK,
                    "task %u: the kernel of func_id %d at device address 0x%llx cannot be run (not a loadable shared "
                    "object, or no kernel_entry symbol)",
                    task_word, task.func_id, static_cast<unsigned long long>(task.function_addr));
}

}  // namespace pto::device
