// The API a host_build_graph orchestration program builds its task graph with. The program is a shared
// object loaded on the host; it reaches the runtime only through the ops table below, so it has no
// link-time dependency on the runtime library.
//
//   extern "C" int my_orchestration(OrchestrationRuntime *rt, const pto::ChipStorageTaskArgs *args);
//
// The orchestration owns the data movement: it allocates device buffers, copies inputs in, records
// which buffers to copy back into which host tensors, and adds tasks whose args are raw device
// pointers and scalars. Dependencies are explicit (add_successor).
#pragma once

#include <cstddef>
#include <cstdint>

#include "pto/task_args.h"

struct OrchestrationRuntime;

struct OrchestrationOps {
    // Returns the new task's id (>= 0) or a negative error.
    int (*add_task)(OrchestrationRuntime *rt, const uint64_t *args, int num_args, int func_id, int core_type);
    int (*add_successor)(OrchestrationRuntime *rt, int from_task, int to_task);
    void *(*device_malloc)(OrchestrationRuntime *rt, size_t size);
    int (*device_free)(OrchestrationRuntime *rt, void *dev);
    int (*copy_to_device)(OrchestrationRuntime *rt, void *dev, const void *host, size_t size);
    // After the run, `size` bytes at `dev` are copied into `host`.
    int (*record_tensor_pair)(OrchestrationRuntime *rt, void *host, void *dev, size_t size);
    int (*task_count)(OrchestrationRuntime *rt);
    void (*report_error)(OrchestrationRuntime *rt, const char *message);
};

struct OrchestrationRuntime {
    const OrchestrationOps *ops;
};

using OrchestrationEntry = int (*)(OrchestrationRuntime *rt, const pto::ChipStorageTaskArgs *args);

enum HbgCoreType : int { HBG_AIC = 0, HBG_AIV = 1 };

inline int add_task(OrchestrationRuntime *rt, const uint64_t *args, int num_args, int func_id, int core_type) {
    return rt->ops->add_task(rt, args, num_args, func_id, core_type);
}
inline int add_successor(OrchestrationRuntime *rt, int from_task, int to_task) {
    return rt->ops->add_successor(rt, from_task, to_task);
}
inline void *device_malloc(OrchestrationRuntime *rt, size_t size) { return rt->ops->device_malloc(rt, size); }
inline int device_free(OrchestrationRuntime *rt, void *dev) { return rt->ops->device_free(rt, dev); }
inline int copy_to_device(OrchestrationRuntime *rt, void *dev, const void *host, size_t size) {
    return rt->ops->copy_to_device(rt, dev, host, size);
}
inline int record_tensor_pair(OrchestrationRuntime *rt, void *host, void *dev, size_t size) {
    return rt->ops->record_tensor_pair(rt, host, dev, size);
}
inline int task_count(OrchestrationRuntime *rt) { return rt->ops->task_count(rt); }
inline void report_error(OrchestrationRuntime *rt, const char *message) { rt->ops->report_error(rt, message); }
