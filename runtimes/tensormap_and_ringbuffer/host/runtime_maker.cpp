// tensormap_and_ringbuffer's host part: the plug of pto/runtime_variant.h. The orchestration program runs
// on the device (the DeviceRunner stages its bytes once per build-id); per run the host only
//   1. checks the arguments against the callable's signature,
//   2. places the tensor arguments in the runtime arena of the static arena: the arena persists across
//      runs and only grows, so a run that fits what earlier runs used allocates no device memory. Tensors
//      are laid out IN, INOUT, OUT, so the bytes to copy in (IN, INOUT) and back (INOUT, OUT) are each one
//      contiguous range: one H2D and one D2H per run, staged through the runner's retained host buffer;
//   3. fills the small Runtime image (ring geometry, kernel table, orchestration location, arguments at
//      device addresses).
// After the run, validate reads the device's account of it back from the image and copies results back.
#include <cerrno>
#include <cstdarg>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#include "pto/runtime_variant.h"
#include "trb/runtime.h"

using pto::ArgDirection;
using pto::device::CORE_AIC;
using pto::device::CORE_AIV;

namespace {

constexpr uint64_t kArenaAlign = 512;

uint64_t align_up(uint64_t v) { return (v + kArenaAlign - 1) / kArenaAlign * kArenaAlign; }

__attribute__((format(printf, 2, 3))) int error(Runtime *runtime, const char *format, ...) {
    char message[512];
    va_list args;
    va_start(args, format);
    std::vsnprintf(message, sizeof message, format, args);
    va_end(args);
    runtime->api.report_error(runtime->api.runner, message);
    return -1;
}

// A positive integer from the environment, or `fallback` when unset; false when set but malformed.
bool env_size(const char *name, uint64_t fallback, uint64_t minimum, uint64_t *out) {
    const char *text = std::getenv(name);
    if (text == nullptr || *text == '\0') {
        *out = fallback;
        return true;
    }
    char *end = nullptr;
    errno = 0;
    const unsigned long long value = std::strtoull(text, &end, 0);
    if (errno != 0 || end == text || *end != '\0' || value < minimum) return false;
    *out = value;
    return true;
}

const char *direction_name(uint8_t d) {
    switch (static_cast<ArgDirection>(d)) {
        case ArgDirection::SCALAR: return "SCALAR";
        case ArgDirection::IN: return "IN";
        case ArgDirection::OUT: return "OUT";
        case ArgDirection::INOUT: return "INOUT";
    }
    return "?";
}

int check_arguments(Runtime *runtime, const pto::BoundCallable *bound, const pto::ChipStorageTaskArgs *args) {
    const pto::ChipCallable *callable = bound->callable;
    const int cid = bound->callable_id;
    if (args->tensor_count > pto::kMaxTensorArgs || args->scalar_count > pto::kMaxScalarArgs)
        return error(runtime, "run: %u tensors and %u scalars exceed the argument limits (%d, %d)", args->tensor_count,
                     args->scalar_count, pto::kMaxTensorArgs, pto::kMaxScalarArgs);
    const uint32_t given = args->tensor_count + args->scalar_count;
    if (given != callable->signature_count)
        return error(runtime, "run: callable %d (%s) takes %u arguments, got %u tensors + %u scalars", cid, callable->func_name,
                     callable->signature_count, args->tensor_count, args->scalar_count);
    for (uint32_t i = 0; i < given; ++i) {
        const uint8_t want = callable->signature[i];
        const bool is_tensor = i < args->tensor_count;
        if (is_tensor && want == static_cast<uint8_t>(ArgDirection::SCALAR))
            return error(runtime, "run: argument %u of %s is a tensor, the signature says SCALAR", i, callable->func_name);
        if (!is_tensor && want != static_cast<uint8_t>(ArgDirection::SCALAR))
            return error(runtime, "run: argument %u of %s is a scalar, the signature says %s tensor", i, callable->func_name,
                         direction_name(want));
        if (!is_tensor) continue;
        const pto::ContinuousTensor &t = args->tensors[i];
        if (t.dtype >= pto::kDataTypeCount)
            return error(runtime, "run: tensor argument %u of %s has an unknown dtype %u", i, callable->func_name, t.dtype);
        if (t.ndims > static_cast<uint32_t>(pto::kMaxTensorDims))
            return error(runtime, "run: tensor argument %u of %s has %u dims (at most %d)", i, callable->func_name, t.ndims,
                         pto::kMaxTensorDims);
        if (t.nbytes() != 0 && t.data == 0)
            return error(runtime, "run: tensor argument %u of %s has %zu bytes at a null address", i, callable->func_name,
                         t.nbytes());
    }
    return 0;
}

// Places every host tensor in the arena (IN, INOUT, OUT order) and rewrites its address; fills the copy
// ranges. Returns the arena bytes the run needs.
// Each copy range ends at the last byte of its last tensor, so the bytes copied are the tensors' bytes plus
// only the alignment gaps between consecutive tensors of the range (none when their sizes are multiples of
// kArenaAlign).
uint64_t plan_arena(Runtime *runtime, const pto::ChipCallable *callable, pto::ChipStorageTaskArgs *dev_args) {
    const ArgDirection order[3] = {ArgDirection::IN, ArgDirection::INOUT, ArgDirection::OUT};
    uint64_t at = 0, end = 0;  // end: the last tensor byte placed so far
    runtime->copy_back_count = 0;
    for (ArgDirection kind : order) {
        if (kind == ArgDirection::INOUT) runtime->copy_back_begin = at;
        if (kind == ArgDirection::OUT) runtime->copy_in_end = end;
        for (uint32_t i = 0; i < dev_args->tensor_count; ++i) {
            pto::ContinuousTensor &t = dev_args->tensors[i];
            if (t.child_memory != 0 || callable->signature[i] != static_cast<uint8_t>(kind)) continue;
            const uint64_t host = t.data;
            t.data = at;  // an arena offset until the arena's base is known
            if (kind != ArgDirection::IN) runtime->copy_back[runtime->copy_back_count++] = TrbCopyPlan{host, at, t.nbytes()};
            end = at + t.nbytes();
            at += align_up(t.nbytes() == 0 ? 1 : t.nbytes());
        }
    }
    runtime->copy_in_begin = 0;
    runtime->copy_back_end = end > runtime->copy_back_begin ? end : runtime->copy_back_begin;
    return at;
}

}  // namespace

extern "C" {

size_t runtime_variant_size(void) { return sizeof(Runtime); }

const char *runtime_variant_name(void) { return "tensormap_and_ringbuffer"; }

int prepare_callable_impl(const pto::ChipCallable *callable, const pto::HostApi *api, pto::CallableArtifacts *out) {
    *out = pto::CallableArtifacts{};
    out->orch_location = pto::OrchLocation::DEVICE;  // the DeviceRunner stages the bytes; the AICPU loads them
    if (callable->orch_size == 0) {
        api->report_error(api->runner, "prepare_callable: the callable has no orchestration program");
        return -1;
    }
    if (callable->func_name[0] == '\0') {
        api->report_error(api->runner, "prepare_callable: the callable names no orchestration entry (func_name)");
        return -1;
    }
    return 0;
}

// Nothing host-side to undo: the DeviceRunner owns the staged bytes, and reads orch_location after this
// call to release them, so the artifacts are left as they are.
void release_callable_impl(pto::CallableArtifacts *) {}

Runtime *runtime_construct(void *buffer, size_t buffer_size, const pto::HostApi *api) {
    if (buffer == nullptr || buffer_size < sizeof(Runtime)) return nullptr;
    auto *runtime = new (buffer) Runtime();
    runtime->api = *api;
    return runtime;
}

int bind_callable_to_runtime_impl(Runtime *runtime, const pto::BoundCallable *bound, const pto::ChipStorageTaskArgs *args) {
    const pto::HostApi &api = runtime->api;
    const pto::ChipCallable *callable = bound->callable;
    if (bound->dev_orch_so_addr == 0 || bound->dev_orch_so_size == 0)
        return error(runtime, "run: callable %d has no orchestration program in device memory", bound->callable_id);
    if (int rc = check_arguments(runtime, bound, args)) return rc;

    uint64_t task_ring = 0, heap_bytes = 0;
    if (!env_size("PTO_TRB_TASK_RING", trb::kDefaultTaskRing, 1, &task_ring) || task_ring > (1u << 24))
        return error(runtime, "run: PTO_TRB_TASK_RING='%s' is not a task count in [1, %u]", std::getenv("PTO_TRB_TASK_RING"), 1u << 24);
    if (!env_size("PTO_TRB_HEAP_BYTES", trb::kDefaultHeapBytes, trb::kHeapAlign, &heap_bytes))
        return error(runtime, "run: PTO_TRB_HEAP_BYTES='%s' is not a byte count of at least %llu", std::getenv("PTO_TRB_HEAP_BYTES"),
                     static_cast<unsigned long long>(trb::kHeapAlign));
    heap_bytes = heap_bytes / trb::kHeapAlign * trb::kHeapAlign;
    const trb::SmLayout sm = trb::SmLayout::of(static_cast<uint32_t>(task_ring), heap_bytes);

    runtime->orch_args = *args;
    const uint64_t arena_bytes = plan_arena(runtime, callable, &runtime->orch_args);
    // Every run asks; a request that fits what is there allocates nothing.
    if (api.setup_static_arena(api.runner, heap_bytes, sm.total, arena_bytes == 0 ? kArenaAlign : arena_bytes) != 0)
        return error(runtime, "run: cannot set up the static arena (heap %llu B, rings %llu B, arguments %llu B)",
                     static_cast<unsigned long long>(heap_bytes), static_cast<unsigned long long>(sm.total),
                     static_cast<unsigned long long>(arena_bytes));
    const auto heap = reinterpret_cast<uint64_t>(api.acquire_pooled_gm_heap(api.runner));
    const auto sm_base = reinterpret_cast<uint64_t>(api.acquire_pooled_gm_sm(api.runner));
    runtime->arena_base = reinterpret_cast<uint64_t>(api.acquire_pooled_runtime_arena(api.runner));
    if (heap == 0 || sm_base == 0 || runtime->arena_base == 0) return error(runtime, "run: the static arena has an empty region");
    for (uint32_t i = 0; i < runtime->orch_args.tensor_count; ++i)
        if (runtime->orch_args.tensors[i].child_memory == 0) runtime->orch_args.tensors[i].data += runtime->arena_base;

    // Inputs: gathered into the staging buffer at their arena offsets, then one copy.
    if (runtime->copy_in_end > runtime->copy_in_begin) {
        auto *staging = static_cast<uint8_t *>(api.host_staging(api.runner, arena_bytes));
        if (staging == nullptr) return error(runtime, "run: no host staging buffer of %llu bytes", static_cast<unsigned long long>(arena_bytes));
        for (uint32_t i = 0; i < args->tensor_count; ++i) {
            const uint8_t dir = callable->signature[i];
            const pto::ContinuousTensor &t = args->tensors[i];
            if (t.child_memory != 0 || (dir != static_cast<uint8_t>(ArgDirection::IN) && dir != static_cast<uint8_t>(ArgDirection::INOUT)))
                continue;
            std::memcpy(staging + (runtime->orch_args.tensors[i].data - runtime->arena_base), reinterpret_cast<const void *>(t.data), t.nbytes());
        }
        const uint64_t n = runtime->copy_in_end - runtime->copy_in_begin;
        if (api.copy_to_device(api.runner, reinterpret_cast<void *>(runtime->arena_base + runtime->copy_in_begin),
                               staging + runtime->copy_in_begin, n) != 0)
            return error(runtime, "run: copying %llu bytes of inputs to the device failed", static_cast<unsigned long long>(n));
    }

    runtime->task_capacity = static_cast<uint32_t>(task_ring);
    runtime->tensormap_capacity = sm.tensormap_capacity;
    runtime->segment_capacity = sm.segment_capacity;
    runtime->heap_bytes = heap_bytes;
    runtime->heap_addr = heap;
    runtime->slots_addr = sm_base + sm.slots;
    runtime->tensormap_addr = sm_base + sm.tensormap;
    runtime->segments_addr = sm_base + sm.segments;
    for (int k = 0; k < 2; ++k) {
        runtime->ready[k].capacity = static_cast<uint32_t>(task_ring);
        runtime->ready[k].ids_addr = sm_base + sm.ready_ids[k];
    }
    runtime->orch_so_addr = bound->dev_orch_so_addr;
    runtime->orch_so_size = bound->dev_orch_so_size;
    runtime->callable_id = bound->callable_id;
    runtime->first_sighting = bound->first_sighting;
    std::memcpy(runtime->orch_entry, callable->func_name, sizeof runtime->orch_entry);
    std::memcpy(runtime->kernel_addrs, bound->kernel_addrs, sizeof runtime->kernel_addrs);
    std::memset(runtime->kernel_kind, trb::kNoKernel, sizeof runtime->kernel_kind);
    for (uint32_t i = 0; i < callable->child_count; ++i) {
        const pto::CoreCallable &k = callable->children[i];
        runtime->kernel_kind[k.func_id] = k.core_type == static_cast<uint32_t>(pto::CoreType::AIC) ? CORE_AIC : CORE_AIV;
    }
    return 0;
}

int runtime_prepare_launch(Runtime *runtime, const pto::LaunchShape *shape) {
    if (shape->aicpu_thread_num < 2)
        return error(runtime, "launch: tensormap_and_ringbuffer needs aicpu_thread_num >= 2 (threads 0..n-2 schedule, thread n-1 "
                              "runs the orchestration); got %d", shape->aicpu_thread_num);
    if (shape->num_aicore > PLATFORM_MAX_CORES)
        return error(runtime, "launch: %d cores exceed the arch's %d", shape->num_aicore, PLATFORM_MAX_CORES);
    pto::device::RuntimeCommon &common = runtime->common;
    common.worker_count = shape->num_aicore;
    common.block_dim = shape->block_dim;
    common.aicpu_thread_num = shape->aicpu_thread_num;
    for (int core = 0; core < shape->num_aicore; ++core)
        common.workers[core].core_type = core < shape->block_dim ? CORE_AIC : CORE_AIV;
    runtime->device_image = shape->device_image;
    return 0;
}

int validate_runtime_impl(Runtime *runtime) {
    const pto::HostApi &api = runtime->api;
    const auto *image = static_cast<const char *>(runtime->device_image);
    struct {
        int32_t fatal_code;
        char fatal_message[sizeof runtime->common.fatal_message];
        uint32_t submitted, completed, orch_done;
    } outcome{};
    if (image == nullptr ||
        api.copy_from_device(api.runner, &outcome.fatal_code, image + offsetof(Runtime, common.fatal_code), sizeof(int32_t)) != 0 ||
        api.copy_from_device(api.runner, outcome.fatal_message, image + offsetof(Runtime, common.fatal_message),
                             sizeof outcome.fatal_message) != 0 ||
        api.copy_from_device(api.runner, &outcome.submitted, image + offsetof(Runtime, submitted), sizeof(uint32_t)) != 0 ||
        api.copy_from_device(api.runner, &outcome.completed, image + offsetof(Runtime, completed), sizeof(uint32_t)) != 0 ||
        api.copy_from_device(api.runner, &outcome.orch_done, image + offsetof(Runtime, orch_done), sizeof(uint32_t)) != 0)
        return error(runtime, "validate: cannot read the run's outcome back from the device");
    outcome.fatal_message[sizeof outcome.fatal_message - 1] = '\0';
    if (outcome.fatal_code != pto::device::FATAL_NONE)
        return error(runtime, "validate: the device reported fatal error %d: %s", outcome.fatal_code, outcome.fatal_message);
    if (outcome.orch_done == 0) return error(runtime, "validate: the orchestration did not finish on the device");
    if (outcome.completed != outcome.submitted)
        return error(runtime, "validate: %u of %u submitted tasks completed on the device", outcome.completed, outcome.submitted);

    // Outputs: one copy of the INOUT + OUT range into the staging buffer, then scattered to the host tensors.
    const uint64_t n = runtime->copy_back_end - runtime->copy_back_begin;
    if (n == 0) return 0;
    auto *staging = static_cast<uint8_t *>(api.host_staging(api.runner, runtime->copy_back_end));
    if (staging == nullptr) return error(runtime, "validate: no host staging buffer of %llu bytes", static_cast<unsigned long long>(n));
    if (api.copy_from_device(api.runner, staging + runtime->copy_back_begin,
                             reinterpret_cast<const void *>(runtime->arena_base + runtime->copy_back_begin), n) != 0)
        return error(runtime, "validate: copying %llu bytes of outputs back failed", static_cast<unsigned long long>(n));
    for (uint32_t i = 0; i < runtime->copy_back_count; ++i) {
        const TrbCopyPlan &p = runtime->copy_back[i];
        std::memcpy(reinterpret_cast<void *>(p.host), staging + p.arena_at, p.size);
    }
    return 0;
}

void runtime_destroy(Runtime *runtime) { runtime->~Runtime(); }

}  // extern "C"
