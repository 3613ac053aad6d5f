/* ptosim_config.h - the chip generation a simulated device is: ptosim itself is arch-independent (one
 * libptosim.so serves every arch in a process), and each device gets its geometry at run time, the way a
 * real driver serves a device of some chip generation.
 *
 * Configure a device before anything that needs its geometry: AICore launches (blockDim bound, core
 * identities, register blocks), halGetDeviceInfoByBuff (occupancy), halMemCtl / halResMap (register
 * windows), aclrtGetStreamResLimit. Those fail on an unconfigured device with ptosim_last_error() saying
 * "device N has no arch configuration; call ptosim_configure_device first". Memory, streams, the AICPU
 * path and AICore registration do not need it.
 *
 * The configuration survives rtDeviceReset (the device still is that chip), but after a reset (or
 * before the device holds any state) it may be changed. Thread-safe. */
#ifndef PTOSIM_CONFIG_H
#define PTOSIM_CONFIG_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Simulated devices are ids 0 .. PTOSIM_MAX_DEVICES - 1 (the harness reads this line to check a user's
 * device id before any work). */
#define PTOSIM_MAX_DEVICES 16

typedef struct PtosimDeviceConfig {
    char arch[16];                /* arch name, NUL-terminated, non-empty ("a2a3"); used in logs and the report */
    int32_t max_block_dim;        /* blocks one AICore launch may span */
    int32_t aic_per_block;        /* cube cores per block */
    int32_t aiv_per_block;        /* vector cores per block */
    int32_t physical_aicores;     /* physical AICore clusters (>= max_block_dim): occupancy bits, register file */
    uint32_t register_block_size; /* bytes of one core's register block (multiple of 4, >= 64) */
} PtosimDeviceConfig;

/* Return codes of the two calls below (ptosim_last_error() says which field or why). */
#define PTOSIM_CONFIG_OK 0
#define PTOSIM_CONFIG_INVALID (-1)      /* bad device id, null pointer or an invalid field */
#define PTOSIM_CONFIG_CONFLICT (-2)     /* the device holds state under a different configuration */
#define PTOSIM_CONFIG_UNCONFIGURED (-3) /* ptosim_device_config: the device has no configuration */
#define PTOSIM_CONFIG_NO_MEMORY (-4)    /* the register file could not be mapped */

/* Gives device `device_id` its geometry. Validation: every count > 0, physical_aicores >= max_block_dim,
 * register_block_size a multiple of 4 and >= 64, arch non-empty and NUL-terminated (plus sanity upper
 * bounds: aic_per_block + aiv_per_block <= 16, physical_aicores <= 4096, register_block_size <= 1 MiB).
 * The same configuration again is a no-op. A different one is refused (PTOSIM_CONFIG_CONFLICT) while the
 * device holds state: live allocations, streams (and so queued or running launches), AICPU binaries,
 * AICore registrations, host registrations or loaded kernels; rtDeviceReset clears that state. A change
 * zeroes the device's register file. */
int ptosim_configure_device(int32_t device_id, const PtosimDeviceConfig *config);

/* Copies the configuration of `device_id` to *out: 0, or PTOSIM_CONFIG_UNCONFIGURED / _INVALID. */
int ptosim_device_config(int32_t device_id, PtosimDeviceConfig *out);

#ifdef __cplusplus
}
#endif

#endif /* PTOSIM_CONFIG_H */
