// arch_config.cpp - one arch's constants for the ptosim checks, read from that arch's generated
// platform_config.h. Compiled once per arch (-I generated/<arch>); every copy registers its arch, so one
// check driver links them all. The header is included inside an unnamed namespace: its inline constants
// would otherwise have external linkage and the arches' copies would be merged by the linker.
#include <cstdint>

#include "test_arch.h"

namespace {

#include "platform_config.h"

TestArch make() {
    TestArch a;
    a.name = PLATFORM_ARCH_NAME;
    a.max_block_dim = PLATFORM_MAX_BLOCKDIM;
    a.aic_per_block = PLATFORM_AIC_PER_BLOCKDIM;
    a.aiv_per_block = PLATFORM_AIV_PER_BLOCKDIM;
    a.cores_per_block = PLATFORM_CORES_PER_BLOCKDIM;
    a.physical_aicores = PLATFORM_MAX_PHYSICAL_CORES;
    a.reg_block_size = PLATFORM_REG_BLOCK_SIZE;
    a.reg_data_main_base = REG_SPR_DATA_MAIN_BASE;
    a.reg_cond = REG_SPR_COND;
    a.op_execute_timeout_us = PLATFORM_OP_EXECUTE_TIMEOUT_US;
    return a;
}

const TestArchRegistrar registrar(make());

}  // namespace
