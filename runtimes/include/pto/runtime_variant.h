// The plug between the generated DeviceRunner and a runtime variant (host_build_graph,
// tensormap_and_ringbuffer, ...). The DeviceRunner never sees a variant's `Runtime` layout: it asks the
// variant for its size, constructs it in the caller's buffer, binds a prepared callable and the run's
// arguments into it, shapes it for the launch, copies its image to the device, and lets the variant copy
// results back. Each variant's host part defines these entry points; exactly one is linked into a
// libhost_runtime.so.
#pragma once

#include <cstddef>
#include <cstdint>

#include "pto/callable.h"
#include "pto/task_args.h"

struct Runtime;  // defined by the variant

namespace pto {

// Services of the runner that owns the current call, for the variant's host code. `runner` is passed
// back as the first argument of every function, so no thread-local "current runner" is needed.
struct HostApi {
    void *runner;
    void *(*device_malloc)(void *runner, size_t size);
    void (*device_free)(void *runner, void *dev);
    int (*copy_to_device)(void *runner, void *dev, const void *host, size_t size);
    int (*copy_from_device)(void *runner, void *host, const void *dev, size_t size);
    // Three persistent regions; equal-or-smaller requests are no-ops, 0 releases a region.
    int (*setup_static_arena)(void *runner, size_t gm_heap, size_t gm_sm, size_t runtime_arena);
    void *(*acquire_pooled_gm_heap)(void *runner);
    void *(*acquire_pooled_gm_sm)(void *runner);
    void *(*acquire_pooled_runtime_arena)(void *runner);
    // A retained, grow-only host staging buffer (never shrinks, freed at finalize).
    void *(*host_staging)(void *runner, size_t size);
    // Appends a formatted reason to the runner's last error (what the harness shows the user).
    void (*report_error)(void *runner, const char *message);
};

// Where the orchestration program of a callable runs.
enum class OrchLocation : uint32_t { HOST = 0, DEVICE = 1 };

// What a variant keeps per prepared callable (host side).
struct CallableArtifacts {
    OrchLocation orch_location;
    void *host_orch_handle;  // HOST: the dlopen handle of the orchestration program
    void *host_orch_fn;      // HOST: its entry point
};

// A prepared callable, replayed onto each fresh Runtime.
struct BoundCallable {
    int32_t callable_id;
    const ChipCallable *callable;             // host copy, valid for the call
    uint64_t kernel_addrs[kMaxFuncId];        // func_id -> device code address (0 = none)
    const CallableArtifacts *artifacts;
    uint64_t dev_orch_so_addr;                // DEVICE: orchestration bytes in device memory
    uint64_t dev_orch_so_size;
    int first_sighting;                       // DEVICE: non-zero on the first run of this id (load it)
};

// The launch geometry the DeviceRunner resolved for this run.
struct LaunchShape {
    int block_dim;
    int aic_per_block;
    int aiv_per_block;
    int num_aicore;       // block_dim * (aic_per_block + aiv_per_block)
    int aicpu_thread_num; // threads that run the variant's AICPU program
    const void *device_image;  // where the Runtime image is copied for this run (device address)
};

}  // namespace pto

extern "C" {

// sizeof(Runtime): the caller's buffer for `runtime_construct` must hold this many bytes.
size_t runtime_variant_size(void);
const char *runtime_variant_name(void);

// Once per callable id: variant-specific staging (HOST: load the orchestration program).
int prepare_callable_impl(const pto::ChipCallable *callable, const pto::HostApi *api,
                          pto::CallableArtifacts *out);
// Undo `prepare_callable_impl` (HOST: dlclose). Safe on a zeroed `CallableArtifacts`.
void release_callable_impl(pto::CallableArtifacts *artifacts);

// Per run: construct, bind, shape, validate (copy back + free per-run memory), destroy.
Runtime *runtime_construct(void *buffer, size_t buffer_size, const pto::HostApi *api);
int bind_callable_to_runtime_impl(Runtime *runtime, const pto::BoundCallable *bound,
                                  const pto::ChipStorageTaskArgs *args);
int runtime_prepare_launch(Runtime *runtime, const pto::LaunchShape *shape);
int validate_runtime_impl(Runtime *runtime);
void runtime_destroy(Runtime *runtime);

}
