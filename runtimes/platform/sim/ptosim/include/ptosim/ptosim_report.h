/* ptosim_report.h - what ptosim saw: counters a test reads (through ctypes or C) to assert lifecycle
 * facts, and fault injection for fault-sweep tests. Every function is thread-safe. */
#ifndef PTOSIM_REPORT_H
#define PTOSIM_REPORT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* "live_*" fields describe the current state and are not cleared by ptosim_counters_reset; every other
 * field counts events since process start or the last reset. */
typedef struct PtosimReport {
    /* memory */
    uint64_t live_allocations;
    uint64_t live_bytes;
    uint64_t allocations;          /* successful rtMalloc / aclrtMalloc */
    uint64_t frees;                /* successful rtFree / aclrtFree */
    uint64_t bytes_h2d;
    uint64_t bytes_d2h;
    uint64_t bytes_d2d;
    uint64_t invalid_accesses;     /* free of an unknown/freed pointer, copy outside a live allocation, ... */
    uint64_t host_registrations_live;
    uint64_t freed_while_host_registered;
    /* streams */
    uint64_t streams_created;
    uint64_t streams_destroyed;
    uint64_t streams_live;
    uint64_t pending_at_destroy;   /* streams destroyed while work was queued or running */
    uint64_t stream_sync_timeouts;
    uint64_t stream_errors;        /* commands that put a stream in error */
    /* programs */
    uint64_t aicpu_bootstraps;     /* AICPU programs placed in a device's kernel directory */
    uint64_t aicpu_launches;       /* rtsLaunchCpuKernel commands executed */
    uint64_t aicpu_exceptions;
    uint64_t bin_handles_live;     /* rtsBinaryLoadFromFile handles not yet unloaded */
    uint64_t aicore_registrations; /* successful rtRegisterAllKernel */
    uint64_t aicore_registrations_max_per_content;
    uint64_t aicore_registrations_live;
    uint64_t aicore_launches;      /* rtKernelLaunchWithHandleV2 commands executed */
    uint64_t aicore_timeouts;
    uint64_t threads_abandoned;    /* core or stream threads left running (detached) after a timeout */
    /* devices */
    uint64_t device_resets;
    uint64_t leaked_allocations_at_reset;
    uint64_t leaked_bytes_at_reset;
    uint64_t leaked_streams_at_reset;
    uint64_t leaked_bin_handles_at_reset;
    uint64_t leaked_host_registrations_at_reset;
    /* fault injection */
    uint64_t faults_injected;
    /* cores */
    uint64_t core_threads_created; /* simulated core threads (AICore and AICPU) created, every device */
    uint64_t core_threads_live;    /* core threads alive now: parked, running, or lost and still in a kernel */
} PtosimReport;

/* Fills *out (out_size = sizeof(PtosimReport) of the caller; a smaller size gets a prefix). 0 on success. */
int ptosim_report_get(PtosimReport *out, size_t out_size);
/* The report as a JSON object, with "calls": {api: count} and "aicore_registrations_by_content":
 * {fnv1a64 hex: count} added. The string stays valid until the calling thread's next call of this. */
const char *ptosim_report_json(void);
/* How often `api` (e.g. "rtMalloc") was called since the last reset. */
uint64_t ptosim_call_count(const char *api);
/* Clears every event counter and call count (live state stays). */
void ptosim_counters_reset(void);

/* The n-th call (1 = the next one) of `api` from now on fails with `rc` and does nothing else. One
 * arming per api; n <= 0 disarms. The environment variable PTOSIM_FAIL="api:n:rc[,api:n:rc...]" arms the
 * same way before the first call. Returns 0, or -1 for a null/empty api. */
int ptosim_fail_nth_call(const char *api, int n, int rc);

/* The message of the last error ptosim returned to the calling thread ("" if none). */
const char *ptosim_last_error(void);

#ifdef __cplusplus
}
#endif

#endif /* PTOSIM_REPORT_H */
