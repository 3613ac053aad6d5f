// test_kernels.h - the argument blocks shared by the test programs and the tiny AICPU / AICore test
// kernels they launch through ptosim.
#pragma once

#include <cstdint>

// Args of the AICPU test kernel (the AICPU launch hands over a private copy of this host struct).
struct TestCpuArgs {
    uint64_t counter_addr;  // device uint32_t: every thread adds 1
    uint64_t mask_addr;     // device uint64_t: every thread sets bit (1 << its ptosim_aicpu_thread_idx)
    uint64_t order_addr;    // device TestOrderLog: thread 0 appends `tag`
    uint32_t sleep_ms;      // thread 0 sleeps this long first
    uint32_t tag;
    int32_t ret;            // what every thread returns
    uint32_t reserved;
};

struct TestOrderLog {
    uint32_t count;
    uint32_t tags[31];
};

// What each simulated AICore core writes about itself (mode kRecordIdentity).
struct TestCoreRecord {
    int32_t logical_id;
    int32_t type;
    int32_t block_idx;
    int32_t subblock_idx;
    int32_t block_dim;
    uint32_t seen;
    uint64_t register_base;
};

enum TestCoreMode : uint32_t {
    kRecordIdentity = 0,  // out_addr: TestCoreRecord[cores], indexed by logical id
    kWaitForFlag = 1,     // park on the device uint32_t at flag_addr until it is nonzero
    kRegisterEcho = 2,    // wait for DATA_MAIN_BASE != 0 in the own register block, then COND = it + 1
};

// The AICore test kernel's args: a device copy, reached through the packed {TestCoreArgs*} struct.
struct TestCoreArgs {
    uint64_t out_addr;
    uint64_t flag_addr;
    uint32_t mode;
    uint32_t reg_data_offset;  // REG_SPR_DATA_MAIN_BASE of the arch
    uint32_t reg_cond_offset;  // REG_SPR_COND of the arch
    uint32_t reserved;
};
