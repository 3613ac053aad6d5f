// The AICPU <-> AICore protocol, shared by every runtime variant.
//
// Boot, per core, through the core's Handshake record in the Runtime image:
//   1. AICPU sets aicpu_ready;                  2. AICore waits for it;
//   3. AICore writes physical_core_id, sets aicore_regs_ready;
//   4. AICPU sets aicpu_regs_ready once it holds the core's register base;
//   5. AICore writes COND = IDLE and its core_type, then aicore_done = logical id + 1.
// Dispatch goes through two 32-bit registers of the core's register block, not shared memory:
//   DATA_MAIN_BASE (AICPU -> AICore): a task word, or IDLE / EXIT;
//   COND (AICore -> AICPU): bit 31 = state (0 ACK: received, 1 FIN: done), bits 30..0 = the task word.
// The AICore skips IDLE and the word it saw last; after an ACK the AICPU may pre-write the next word
// (the core's "pending" slot) while the "running" one executes; seeing the pending word ACKed or
// FINished means the running one finished.
#pragma once

#include <atomic>
#include <cstdint>

#include "platform_config.h"

namespace pto::device {

constexpr uint32_t AICPU_IDLE_TASK_ID = 0x7FFFFFFDu;
constexpr uint32_t AICORE_EXIT_SIGNAL = 0x7FFFFFF0u;
constexpr uint32_t TASK_WORD_MASK = 0x7FFFFFFFu;
constexpr uint32_t COND_FIN_BIT = 0x80000000u;
// The largest task word a runtime may dispatch: every value above is a sentinel.
constexpr uint32_t MAX_TASK_WORD = AICORE_EXIT_SIGNAL - 1;

constexpr uint32_t cond_ack(uint32_t word) { return word & TASK_WORD_MASK; }
constexpr uint32_t cond_fin(uint32_t word) { return COND_FIN_BIT | (word & TASK_WORD_MASK); }
constexpr bool cond_is_fin(uint32_t cond) { return (cond & COND_FIN_BIT) != 0; }
constexpr uint32_t cond_word(uint32_t cond) { return cond & TASK_WORD_MASK; }
constexpr uint32_t COND_IDLE = cond_fin(0x7FFFFFFFu);
constexpr uint32_t COND_EXITED = cond_fin(0x7FFFFFFEu);

enum CoreKind : uint32_t { CORE_AIC = 0, CORE_AIV = 1 };

struct alignas(64) Handshake {
    volatile uint32_t aicpu_ready;
    volatile uint32_t aicore_done;      // logical id + 1 once the core is serving
    volatile uint64_t task;             // variant-specific per-core pointer (0 if unused)
    volatile uint32_t core_type;        // CoreKind
    volatile uint32_t physical_core_id;
    volatile uint32_t aicpu_regs_ready;
    volatile uint32_t aicore_regs_ready;
};

// Fatal codes a device program reports through RuntimeCommon::fatal_code.
enum FatalCode : int32_t {
    FATAL_NONE = 0,
    FATAL_HANG = 1,           // no task finished within the device wait budget (wait_budget.h)
    FATAL_BAD_TASK = 2,       // a task names no kernel or an impossible core
    FATAL_PROTOCOL = 3,       // a core answered with a word nobody dispatched
    FATAL_REPORTED = 4,       // a kernel or orchestration reported a fatal error
    FATAL_BOOT_TIMEOUT = 5,   // a core never completed the boot handshake
};

// The part of every variant's Runtime the shared device code uses; each variant's Runtime starts with it.
struct RuntimeCommon {
    Handshake workers[PLATFORM_MAX_CORES];
    int32_t worker_count;       // cores in this launch (block_dim * cores per block)
    int32_t block_dim;
    int32_t aicpu_thread_num;   // AICPU threads that run the variant; the rest leave at the gate
    int32_t reserved0;
    std::atomic<int32_t> threads_claimed;   // exec threads take their index from here
    std::atomic<int32_t> threads_finished;
    std::atomic<int32_t> fatal_code;        // FatalCode; first writer wins
    int32_t reserved1;
    uint64_t start_counter;                 // system counter when the init entry ran
    char fatal_message[224];
};

}  // namespace pto::device
