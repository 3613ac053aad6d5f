// The AICPU's view of one core's dispatch slots: at most one task word running (ACKed) and one pending
// (written to DATA_MAIN_BASE, not yet ACKed). Reading COND tells which words finished; the rules follow
// from the core taking words in the order they were written (see handshake.h).
#pragma once

#include <cstdint>

#include "pto/device/handshake.h"

namespace pto::device {

struct CoreSlots {
    static constexpr uint32_t kNone = 0xFFFFFFFFu;
    uint32_t running = kNone;
    uint32_t pending = kNone;

    bool idle() const { return running == kNone && pending == kNone; }
    // A second word may be queued behind a running one, never behind an unacknowledged one.
    bool can_accept(bool single_issue) const {
        return pending == kNone && (running == kNone || !single_issue);
    }
    void dispatched(uint32_t word) { pending = word; }

    // Applies one COND reading; writes the words it proves finished into `finished` (at most 2) and
    // returns how many. A word nobody dispatched sets `*protocol_error`.
    int observe(uint32_t cond, uint32_t finished[2], bool *protocol_error) {
        int count = 0;
        if (cond == COND_IDLE || cond == COND_EXITED) return 0;
        const uint32_t word = cond_word(cond);
        const bool fin = cond_is_fin(cond);
        if (pending != kNone && word == pending) {
            if (running != kNone) finished[count++] = running;  // the core moved on: running is done
            running = pending;
            pending = kNone;
            if (fin) {
                finished[count++] = running;
                running = kNone;
            }
        } else if (running != kNone && word == running) {
            if (fin) {
                finished[count++] = running;
                running = kNone;
            }
        } else if (!fin) {
            // An ACK of a word in neither slot: the core took something nobody dispatched to it.
            // (A FIN of a word in neither slot is the last finished word, still on display: harmless.)
            *protocol_error = true;
        }
        return count;
    }
};

}  // namespace pto::device
