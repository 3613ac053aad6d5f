// The AICPU's side of a core's life in one run, the same for every runtime variant: boot it through the
// handshake (see handshake.h), and at the end send it EXIT and wait until it says it has exited.
#pragma once

#include <cstdint>

#include "kernel_args.h"
#include "pto/device/handshake.h"

namespace pto::device {

// The base of logical core `core`'s register block, from the run's register table.
inline uint64_t core_base(const KernelArgs &args, int core) { return reinterpret_cast<const uint64_t *>(args.regs)[core]; }

// The AICPU's steps of the boot handshake for one core; false if the core did not answer within the device
// wait budget or the run went fatal meanwhile.
bool boot_core(RuntimeCommon *common, const KernelArgs &args, int core);

// Sends EXIT to `count` cores and waits for each to answer EXITED, within one device wait budget for all of
// them — or, when the run already went fatal (a core may be stuck in its kernel), within one short slice.
void exit_cores(RuntimeCommon *common, const KernelArgs &args, const int *cores, int count);

}  // namespace pto::device
