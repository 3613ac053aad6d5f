// The ChipCallable blob: one orchestration program plus the incore kernels it launches, built by the
// harness and handed to `prepare_callable`. Everything is addressed by offsets from the blob's start so
// the same bytes can be uploaded to the device as one buffer and the kernels found inside it there.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "pto/task_args.h"

namespace pto {

constexpr uint32_t kChipCallableMagic = 0x4C435450;  // "PTCL" little-endian
constexpr uint32_t kChipCallableVersion = 1;
constexpr int kMaxSignature = 128;
constexpr int kMaxCoreCallables = 64;
constexpr int kMaxFuncId = 1024;
constexpr int kMaxCoreSignature = 16;
constexpr int kMaxSymbolName = 64;

enum class CoreType : uint32_t { AIC = 0, AIV = 1 };

struct CoreCallable {
    int32_t func_id;         // the id the orchestration launches it by, in [0, kMaxFuncId)
    uint32_t core_type;      // CoreType
    uint64_t offset;         // kernel binary bytes, from the blob's start
    uint64_t size;
    uint64_t resolved_addr;  // device address of the kernel's code, patched in the device copy at upload
    uint8_t signature[kMaxCoreSignature];  // ArgDirection per kernel argument
    uint32_t signature_count;
    uint32_t reserved;
};
static_assert(sizeof(CoreCallable) == 56, "CoreCallable is part of the harness ABI");

struct ChipCallable {
    uint32_t magic;
    uint32_t version;
    uint64_t total_size;  // header + every payload; the upload copies exactly this many bytes
    uint8_t signature[kMaxSignature];  // ArgDirection per orchestration argument
    uint32_t signature_count;
    uint32_t child_count;
    char func_name[kMaxSymbolName];    // orchestration entry symbol
    char config_name[kMaxSymbolName];  // optional config symbol ("" if none)
    uint64_t orch_offset;              // orchestration shared object bytes
    uint64_t orch_size;
    CoreCallable children[kMaxCoreCallables];
};
static_assert(sizeof(ChipCallable) == 16 + 128 + 8 + 128 + 16 + 56 * kMaxCoreCallables,
              "ChipCallable is part of the harness ABI");

// Checks a blob before anything trusts it; on failure writes a reason naming the bad field.
inline bool validate_chip_callable(const ChipCallable *c, char *why, size_t why_len) {
    auto fail = [&](const char *msg) {
        if (why_len) { std::strncpy(why, msg, why_len - 1); why[why_len - 1] = '\0'; }
        return false;
    };
    if (c == nullptr) return fail("callable is null");
    if (c->magic != kChipCallableMagic) return fail("callable magic is wrong (not a ChipCallable blob)");
    if (c->version != kChipCallableVersion) return fail("callable version is not supported");
    if (c->total_size < sizeof(ChipCallable)) return fail("callable total_size is smaller than its header");
    if (c->signature_count > kMaxSignature) return fail("callable signature_count exceeds 128");
    if (c->child_count > kMaxCoreCallables) return fail("callable child_count exceeds 64");
    if (std::memchr(c->func_name, 0, kMaxSymbolName) == nullptr) return fail("callable func_name is not terminated");
    if (std::memchr(c->config_name, 0, kMaxSymbolName) == nullptr) return fail("callable config_name is not terminated");
    auto in_bounds = [&](uint64_t off, uint64_t size) {
        return off >= sizeof(ChipCallable) && size <= c->total_size && off <= c->total_size - size;
    };
    if (c->orch_size != 0 && !in_bounds(c->orch_offset, c->orch_size)) return fail("orchestration bytes lie outside the callable");
    for (uint32_t i = 0; i < c->signature_count; ++i)
        if (c->signature[i] > static_cast<uint8_t>(ArgDirection::INOUT)) return fail("callable signature holds an unknown direction");
    for (uint32_t i = 0; i < c->child_count; ++i) {
        const CoreCallable &k = c->children[i];
        if (k.func_id < 0 || k.func_id >= kMaxFuncId) return fail("kernel func_id is outside [0, 1024)");
        if (k.core_type > static_cast<uint32_t>(CoreType::AIV)) return fail("kernel core_type is neither AIC nor AIV");
        if (k.size == 0 || !in_bounds(k.offset, k.size)) return fail("kernel bytes lie outside the callable");
        if (k.signature_count > kMaxCoreSignature) return fail("kernel signature_count exceeds 16");
        for (uint32_t j = 0; j < i; ++j)
            if (c->children[j].func_id == k.func_id) return fail("two kernels share one func_id");
    }
    return true;
}

}  // namespace pto
