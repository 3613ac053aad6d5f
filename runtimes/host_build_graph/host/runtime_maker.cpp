// host_build_graph's host part: the plug of pto/runtime_variant.h. The orchestration program is loaded
// on the host once per callable; every run calls it on a fresh Runtime, which it fills with tasks and
// edges through the ops table; after the run, recorded outputs are copied back and every device buffer
// the orchestration allocated for the run is freed.
#include <cstdarg>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <new>
#include <string>
#include <unistd.h>
#include <utility>
#include <vector>

#include "hbg/orchestration_api.h"
#include "hbg/runtime.h"
#include "pto/dlopen_bytes.h"
#include "pto/runtime_variant.h"

using pto::device::CORE_AIC;
using pto::device::CORE_AIV;

struct HbgHostState {
    OrchestrationRuntime orchestration;  // first: the ops receive a pointer to it
    Runtime *runtime = nullptr;
    pto::HostApi api{};
    const pto::BoundCallable *bound = nullptr;
    std::vector<std::pair<int32_t, int32_t>> edges;
    struct OutputPair {
        void *host;
        void *dev;
        size_t size;
    };
    std::vector<OutputPair> outputs;
    std::vector<void *> allocations;  // this run's device buffers, freed after it
    const void *device_image = nullptr;  // the device copy of the Runtime, for the post-run check

    int error(const char *format, ...) __attribute__((format(printf, 2, 3))) {
        char message[512];
        va_list args;
        va_start(args, format);
        std::vsnprintf(message, sizeof message, format, args);
        va_end(args);
        api.report_error(api.runner, message);
        return -1;
    }

    void free_allocations() {
        for (void *dev : allocations) api.device_free(api.runner, dev);
        allocations.clear();
    }
};

namespace {

HbgHostState *state_of(OrchestrationRuntime *rt) { return reinterpret_cast<HbgHostState *>(rt); }

int op_add_task(OrchestrationRuntime *rt, const uint64_t *args, int num_args, int func_id, int core_type) {
    HbgHostState *s = state_of(rt);
    Runtime *r = s->runtime;
    if (r->task_count >= hbg::MAX_TASKS) return s->error("add_task: the graph already holds %d tasks, the most one run may have", hbg::MAX_TASKS);
    if (num_args < 0 || num_args > hbg::MAX_ARGS) return s->error("add_task: %d arguments; a task takes 0..%d", num_args, hbg::MAX_ARGS);
    if (num_args > 0 && args == nullptr) return s->error("add_task: args is null");
    if (core_type != HBG_AIC && core_type != HBG_AIV) return s->error("add_task: core_type %d is neither AIC (0) nor AIV (1)", core_type);
    if (func_id < 0 || func_id >= pto::kMaxFuncId || s->bound->kernel_addrs[func_id] == 0)
        return s->error("add_task: func_id %d names no kernel of this callable", func_id);
    const int id = r->task_count++;
    hbg::Task &task = r->tasks[id];
    task.func_id = func_id;
    task.core_type = core_type == HBG_AIC ? CORE_AIC : CORE_AIV;
    task.num_args = num_args;
    task.function_addr = s->bound->kernel_addrs[func_id];
    std::memcpy(task.args, args, sizeof(uint64_t) * static_cast<size_t>(num_args));
    return id;
}

int op_add_successor(OrchestrationRuntime *rt, int from_task, int to_task) {
    HbgHostState *s = state_of(rt);
    const int n = s->runtime->task_count;
    if (from_task < 0 || from_task >= n || to_task < 0 || to_task >= n)
        return s->error("add_successor(%d, %d): the graph has tasks 0..%d", from_task, to_task, n - 1);
    if (from_task == to_task) return s->error("add_successor(%d, %d): a task cannot follow itself", from_task, to_task);
    if (s->edges.size() >= static_cast<size_t>(hbg::MAX_EDGES)) return s->error("add_successor: more than %d edges", hbg::MAX_EDGES);
    s->edges.emplace_back(from_task, to_task);
    return 0;
}

void *op_device_malloc(OrchestrationRuntime *rt, size_t size) {
    HbgHostState *s = state_of(rt);
    void *dev = s->api.device_malloc(s->api.runner, size);
    if (dev != nullptr) s->allocations.push_back(dev);
    return dev;
}

int op_device_free(OrchestrationRuntime *rt, void *dev) {
    HbgHostState *s = state_of(rt);
    for (auto it = s->allocations.begin(); it != s->allocations.end(); ++it) {
        if (*it == dev) {
            s->allocations.erase(it);
            s->api.device_free(s->api.runner, dev);
            return 0;
        }
    }
    return s->error("device_free: %p was not allocated by this orchestration run", dev);
}

int op_copy_to_device(OrchestrationRuntime *rt, void *dev, const void *host, size_t size) {
    HbgHostState *s = state_of(rt);
    return s->api.copy_to_device(s->api.runner, dev, host, size);
}

int op_record_tensor_pair(OrchestrationRuntime *rt, void *host, void *dev, size_t size) {
    HbgHostState *s = state_of(rt);
    if (host == nullptr || dev == nullptr) return s->error("record_tensor_pair: null pointer");
    s->outputs.push_back({host, dev, size});
    return 0;
}

int op_task_count(OrchestrationRuntime *rt) { return state_of(rt)->runtime->task_count; }

void op_report_error(OrchestrationRuntime *rt, const char *message) { state_of(rt)->error("orchestration: %s", message); }

const OrchestrationOps kOps = {op_add_task, op_add_successor, op_device_malloc, op_device_free, op_copy_to_device,
                               op_record_tensor_pair, op_task_count, op_report_error};

}  // namespace

extern "C" {

size_t runtime_variant_size(void) { return sizeof(Runtime); }

const char *runtime_variant_name(void) { return "host_build_graph"; }

int prepare_callable_impl(const pto::ChipCallable *callable, const pto::HostApi *api, pto::CallableArtifacts *out) {
    *out = pto::CallableArtifacts{};
    out->orch_location = pto::OrchLocation::HOST;
    auto fail = [&](const std::string &message) {
        api->report_error(api->runner, message.c_str());
        return -1;
    };
    if (callable->orch_size == 0) return fail("prepare_callable: the callable has no orchestration program");
    std::string why;
    void *handle = pto::dlopen_bytes(pto::temp_directory(), "ptogen_hbg_orch_",
                                     reinterpret_cast<const char *>(callable) + callable->orch_offset, callable->orch_size, &why);
    if (handle == nullptr) return fail("prepare_callable: the orchestration program does not load: " + why);
    void *entry = dlsym(handle, callable->func_name);
    if (entry == nullptr) {
        dlclose(handle);
        return fail(std::string("prepare_callable: the orchestration program has no symbol '") + callable->func_name + "'");
    }
    out->host_orch_handle = handle;
    out->host_orch_fn = entry;
    return 0;
}

void release_callable_impl(pto::CallableArtifacts *artifacts) {
    if (artifacts->host_orch_handle != nullptr) dlclose(artifacts->host_orch_handle);
    artifacts->host_orch_handle = nullptr;
    artifacts->host_orch_fn = nullptr;
}

Runtime *runtime_construct(void *buffer, size_t buffer_size, const pto::HostApi *api) {
    if (buffer == nullptr || buffer_size < sizeof(Runtime)) return nullptr;
    auto *state = new (std::nothrow) HbgHostState();
    if (state == nullptr) return nullptr;
    auto *runtime = new (buffer) Runtime();
    state->orchestration.ops = &kOps;
    state->runtime = runtime;
    state->api = *api;
    runtime->host = state;
    return runtime;
}

int bind_callable_to_runtime_impl(Runtime *runtime, const pto::BoundCallable *bound, const pto::ChipStorageTaskArgs *args) {
    HbgHostState *state = runtime->host;
    state->bound = bound;
    if (bound->artifacts == nullptr || bound->artifacts->host_orch_fn == nullptr)
        return state->error("run: callable %d has no loaded orchestration program", bound->callable_id);
    if (args->tensor_count > pto::kMaxTensorArgs || args->scalar_count > pto::kMaxScalarArgs)
        return state->error("run: %u tensors and %u scalars exceed the argument limits", args->tensor_count, args->scalar_count);
    // The signature lists tensors first, then scalars: the run must bring as many of each.
    const uint32_t expected = bound->callable->signature_count;
    uint32_t expected_tensors = 0;
    for (uint32_t i = 0; i < expected; ++i)
        if (bound->callable->signature[i] != static_cast<uint8_t>(pto::ArgDirection::SCALAR)) expected_tensors += 1;
    if (expected != 0 && (args->tensor_count != expected_tensors || args->scalar_count != expected - expected_tensors))
        return state->error("run: callable %d takes %u tensors and %u scalars, got %u tensors and %u scalars", bound->callable_id,
                            expected_tensors, expected - expected_tensors, args->tensor_count, args->scalar_count);
    auto entry = reinterpret_cast<OrchestrationEntry>(bound->artifacts->host_orch_fn);
    const int rc = entry(&state->orchestration, args);
    if (rc != 0) return state->error("run: the orchestration program returned %d", rc);
    return 0;
}

int runtime_prepare_launch(Runtime *runtime, const pto::LaunchShape *shape) {
    HbgHostState *state = runtime->host;
    if (shape->num_aicore > PLATFORM_MAX_CORES) return state->error("launch: %d cores exceed the arch's %d", shape->num_aicore, PLATFORM_MAX_CORES);
    pto::device::RuntimeCommon &common = runtime->common;
    common.worker_count = shape->num_aicore;
    common.block_dim = shape->block_dim;
    common.aicpu_thread_num = shape->aicpu_thread_num;
    for (int core = 0; core < shape->num_aicore; ++core)
        common.workers[core].core_type = core < shape->block_dim ? CORE_AIC : CORE_AIV;
    // Successor lists laid out contiguously per task (counting sort by source), fanin counted per target.
    std::vector<int32_t> begin(static_cast<size_t>(runtime->task_count) + 1, 0);
    for (const auto &edge : state->edges) begin[static_cast<size_t>(edge.first) + 1] += 1;
    for (int i = 0; i < runtime->task_count; ++i) begin[i + 1] += begin[i];
    std::vector<int32_t> cursor(begin.begin(), begin.end() - 1);
    for (const auto &edge : state->edges) {
        runtime->successors[cursor[edge.first]++] = edge.second;
        runtime->tasks[edge.second].fanin.fetch_add(1, std::memory_order_relaxed);
    }
    for (int i = 0; i < runtime->task_count; ++i) {
        runtime->tasks[i].successor_begin = begin[i];
        runtime->tasks[i].successor_count = begin[i + 1] - begin[i];
    }
    runtime->edge_count = static_cast<int32_t>(state->edges.size());
    state->device_image = shape->device_image;
    return 0;
}

int validate_runtime_impl(Runtime *runtime) {
    HbgHostState *state = runtime->host;
    // The schedulers' own account of the run: every task must have completed on the device.
    int32_t completed = -1;
    const auto *image = static_cast<const char *>(state->device_image);
    if (image == nullptr ||
        state->api.copy_from_device(state->api.runner, &completed, image + offsetof(Runtime, completed), sizeof completed) != 0)
        return state->error("validate: cannot read the run's completion count back from the device");
    if (completed != runtime->task_count)
        return state->error("validate: %d of %d tasks completed on the device", completed, runtime->task_count);
    int rc = 0;
    for (const auto &pair : state->outputs) {
        if (state->api.copy_from_device(state->api.runner, pair.host, pair.dev, pair.size) != 0 && rc == 0) rc = -1;
    }
    state->outputs.clear();
    state->free_allocations();
    return rc;
}

void runtime_destroy(Runtime *runtime) {
    HbgHostState *state = runtime->host;
    if (state != nullptr) {
        state->free_allocations();  // a run that failed before validate still frees what it allocated
        delete state;
    }
    runtime->~Runtime();
}

}  // extern "C"
