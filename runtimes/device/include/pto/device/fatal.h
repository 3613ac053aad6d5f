// Recording a fatal condition in the Runtime image: the first reporter wins, everyone else sees it and
// winds down (schedulers send EXIT to their cores, cores stop waiting).
#pragma once

#include <cstdarg>
#include <cstdio>

#include "pto/device/handshake.h"
#include "pto/device/platform.h"

namespace pto::device {

inline bool fatal_raised(const RuntimeCommon *common) { return common->fatal_code.load(std::memory_order_acquire) != FATAL_NONE; }

__attribute__((format(printf, 3, 4))) inline int raise_fatal(RuntimeCommon *common, FatalCode code, const char *format, ...) {
    int32_t expected = FATAL_NONE;
    if (common->fatal_code.compare_exchange_strong(expected, code, std::memory_order_acq_rel)) {
        // Only the winner writes the message; the host reads it after the run has ended.
        va_list args;
        va_start(args, format);
        std::vsnprintf(common->fatal_message, sizeof common->fatal_message, format, args);
        va_end(args);
    }
    event_signal();  // wake every scheduler so it notices
    return code;
}

}  // namespace pto::device
