/* core_seam.h - what a program running on a ptosim simulated core may ask the simulator.
 *
 * The AICore program and the AICPU program are real shared objects that ptosim dlopens and runs on its
 * own threads. On hardware a core knows who it is from special registers and waits for a register by
 * spinning on it; here both are functions of the simulator, so the programs stay the same and only this
 * seam differs between sim and onboard.
 *
 * Resolution: a program dlopened RTLD_LOCAL finds these symbols only if libptosim.so is in the global
 * scope or is one of the program's own DT_NEEDED entries; link programs with -lptosim to be safe (the
 * loader then reuses the already loaded copy). */
#ifndef PTOSIM_CORE_SEAM_H
#define PTOSIM_CORE_SEAM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- AICore identity (valid on a simulated AICore thread; -1 / 0 elsewhere) ---------------------- */

/* The geometry (aic_per_block, aiv_per_block) is the device's configuration (ptosim_config.h). */
/* The launch block this core belongs to: AIC core i is in block i / aic_per_block, AIV core j (counted
 * from the first AIV) in block j / aiv_per_block. */
int ptosim_core_block_idx(void);
/* Logical core id in the launch: [0, block_dim * aic_per_block) are AIC, the rest up to
 * block_dim * cores_per_block AIV. With one AIC per block: [0, block_dim) AIC, then AIV. */
int ptosim_core_logical_id(void);
/* 0 = AIC (cube), 1 = AIV (vector). */
int ptosim_core_type(void);
/* Lane of a core inside its block among the cores of its type (AIV: 0 or 1 with two per block). */
int ptosim_core_subblock_idx(void);
/* block_dim of the running launch. */
int ptosim_core_block_dim(void);
/* Address of this core's register block: the same block the host's register table names for it. */
uint64_t ptosim_core_register_base(void);

/* ---- AICPU identity (valid on a simulated AICPU thread of rtsLaunchCpuKernel; -1 elsewhere) ------ */

/* Index of this thread among the launch's threads, and their number. */
int ptosim_aicpu_thread_idx(void);
int ptosim_aicpu_thread_num(void);

/* ---- Waiting without spinning --------------------------------------------------------------------- */

/* Waits until *addr != old or timeout_ns passed (0 = do not wait, UINT64_MAX = no limit); returns the
 * value last read. Spins briefly, then parks the thread on the address. A writer that changes a watched
 * word must write it as a sequentially consistent atomic store (__atomic_store_n(.., __ATOMIC_SEQ_CST) or
 * an atomic read-modify-write) and then call ptosim_notify_u32, or a parked waiter only sees the change on
 * its next periodic re-check. addr must be 4-byte aligned. */
uint32_t ptosim_wait_u32_change(volatile uint32_t *addr, uint32_t old, uint64_t timeout_ns);
/* Wakes every thread parked on addr. Cheap when nobody waits. */
void ptosim_notify_u32(volatile uint32_t *addr);

/* A per-device word anyone may bump (then ptosim_notify_u32 it) to wake threads that watch many
 * registers at once and park on this word instead of on each register. Per bound device; a thread
 * with no device gets a process-wide word. */
volatile uint32_t *ptosim_device_event_word(void);

/* ---- Per-task kernels ----------------------------------------------------------------------------- */

/* The `kernel_entry` of the kernel ELF image whose bytes start at device_addr (in device memory of the
 * calling thread's device); loaded once per address until that memory is freed. NULL if there is no
 * loadable image there (the reason is in ptosim_last_error). */
void *ptosim_resolve_kernel(uint64_t device_addr);

#ifdef __cplusplus
}
#endif

#endif /* PTOSIM_CORE_SEAM_H */
