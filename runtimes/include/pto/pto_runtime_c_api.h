/* The C ABI of libhost_runtime.so, the same for every arch and runtime variant. A consumer dlopens the
 * library and resolves every symbol below; none is optional. Every int-returning entry returns 0 on
 * success and a negative rc on failure (a failing CANN call's code, negated; or a PTO_ERR_* below), never
 * lets an exception escape, and leaves a message naming what went wrong in get_last_error_ctx(). */
#ifndef PTO_RUNTIME_C_API_H
#define PTO_RUNTIME_C_API_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef void *DeviceContextHandle;
typedef void *RuntimeHandle;

typedef struct PtoRunTiming {
    uint64_t host_wall_ns;   /* steady_clock around the run, set on success */
    uint64_t device_wall_ns; /* written by the AICPU program into the device-wall slot */
} PtoRunTiming;

/* ptogen's own error codes. A failing CANN runtime or ACL call comes back as -(its rc) (those codes are
 * >= 100000); a failing driver (hal*) call as -(PTO_DRIVER_ERROR_BASE + its drvError_t), so the small driver
 * codes never read as one of these. */
#define PTO_DRIVER_ERROR_BASE 900000
enum {
    PTO_ERR_INVALID_ARGUMENT = -1,
    PTO_ERR_STATE = -2,          /* call not valid now: not initialised, finalised, initialised twice */
    PTO_ERR_NOT_REGISTERED = -3, /* callable id has no prepared callable */
    PTO_ERR_OUT_OF_MEMORY = -4,  /* host-side allocation failed */
    PTO_ERR_RUNTIME = -5,        /* the runtime variant reported a failure */
    PTO_ERR_INTERNAL = -6,       /* an exception or an impossible state; the message says which */
};

#define PTO_MAX_REGISTERED_CALLABLE_IDS 64

DeviceContextHandle create_device_context(void);
void destroy_device_context(DeviceContextHandle ctx);
size_t get_runtime_size(void);

int simpler_init(DeviceContextHandle ctx, int device_id, const uint8_t *aicpu_binary, size_t aicpu_size,
                 const uint8_t *aicore_binary, size_t aicore_size, const uint8_t *dispatcher_binary,
                 size_t dispatcher_size);
int prepare_callable(DeviceContextHandle ctx, int32_t callable_id, const void *callable);
int run_prepared(DeviceContextHandle ctx, RuntimeHandle runtime, int32_t callable_id, const void *args,
                 int block_dim, int aicpu_thread_num, int enable_l2_swimlane, int enable_dump_tensor,
                 int enable_pmu, int enable_dep_gen, int enable_scope_stats, const char *output_prefix,
                 PtoRunTiming *out_timing);
int unregister_callable(DeviceContextHandle ctx, int32_t callable_id);
int finalize_device(DeviceContextHandle ctx);

void *device_malloc_ctx(DeviceContextHandle ctx, size_t size);
void device_free_ctx(DeviceContextHandle ctx, void *dev_ptr);
int copy_to_device_ctx(DeviceContextHandle ctx, void *dev_ptr, const void *host_ptr, size_t size);
int copy_from_device_ctx(DeviceContextHandle ctx, void *host_ptr, const void *dev_ptr, size_t size);

size_t get_aicpu_dlopen_count(DeviceContextHandle ctx);
size_t get_host_dlopen_count(DeviceContextHandle ctx);

/* Opens an ACL session on arches that have one (see the arch's features.acl_session); otherwise 0. */
int ensure_acl_ready_ctx(DeviceContextHandle ctx, int device_id);

/* The message of the last failure on this context ("" if none); valid until the next call on it. */
const char *get_last_error_ctx(DeviceContextHandle ctx);

#ifdef __cplusplus
}
#endif

#endif /* PTO_RUNTIME_C_API_H */
