// The API a tensormap_and_ringbuffer orchestration program builds its task graph with. The program runs
// on the last AICPU thread of a run, loaded from device memory; it reaches the runtime only through the
// ops table behind `TrbRuntime`, so it has no link-time dependency on the runtime.
//
//   extern "C" void my_orchestration(TrbRuntime *rt, const pto::ChipStorageTaskArgs *args);
//
// `args` holds the run's arguments with DEVICE addresses. Dependencies are never written by hand: the
// runtime orders tasks by the byte ranges their tensors cover (a reader waits for earlier writers of an
// overlapping range, a writer for earlier readers and writers of it).
//
//   trb::Tensor a = tensor_arg(rt, 0);                      // an argument of the run
//   trb::Tensor c = alloc_tensor(rt, shape, 1, pto::DataType::FLOAT32);  // from the heap ring
//   trb::Arg p; p.add_input(a); p.add_output(c); p.add_scalar(n);
//   submit_aiv(rt, KERNEL_ADD, p);
//   TRB_SCOPE(rt) { ... }                                  // buffers allocated inside die with the scope
//
// A runtime-allocated tensor may be used by tasks submitted before the scope it was allocated in ends;
// its memory is reused once that scope ended and every task submitted before the end completed. After a
// fatal error (report_fatal, or one the runtime raised) every call is a no-op and returns failure.
#pragma once

#include <cstdint>
#include <cstring>

#include "pto/task_args.h"
#include "trb/config.h"
#include "trb/tensor.h"

namespace trb {

enum class Dir : uint8_t { IN = 1, OUT = 2, INOUT = 3 };
enum CoreKind : int { AIC = 0, AIV = 1 };

// The arguments of one task: tensors (with how the task uses them) then scalars.
struct Arg {
    uint32_t tensor_count = 0;
    uint32_t scalar_count = 0;
    bool overflow = false;  // more than kMaxTaskTensors / kMaxTaskScalars were added: submit refuses it
    Tensor tensors[kMaxTaskTensors];
    Dir dirs[kMaxTaskTensors];
    uint64_t scalars[kMaxTaskScalars];

    void add_input(const Tensor &t) { add(t, Dir::IN); }
    void add_output(const Tensor &t) { add(t, Dir::OUT); }
    void add_inout(const Tensor &t) { add(t, Dir::INOUT); }
    void add_scalar(uint64_t value) {
        if (scalar_count >= static_cast<uint32_t>(kMaxTaskScalars)) {
            overflow = true;
            return;
        }
        scalars[scalar_count++] = value;
    }
    void add_scalar_f32(float value) {
        uint32_t bits;
        std::memcpy(&bits, &value, sizeof bits);
        add_scalar(bits);
    }

private:
    void add(const Tensor &t, Dir dir) {
        if (tensor_count >= static_cast<uint32_t>(kMaxTaskTensors)) {
            overflow = true;
            return;
        }
        dirs[tensor_count] = dir;
        tensors[tensor_count++] = t;
    }
};

}  // namespace trb

struct TrbRuntime;

struct TrbOps {
    uint32_t version;  // kTrbOpsVersion: a program built against another layout is refused
    uint32_t size;
    trb::Tensor (*tensor_arg)(TrbRuntime *rt, int index);
    uint64_t (*scalar_arg)(TrbRuntime *rt, int index);
    // A tensor from the heap ring (addr 0 on failure, after which the run is fatal).
    trb::Tensor (*alloc_tensor)(TrbRuntime *rt, const uint32_t *shape, int ndims, pto::DataType dtype);
    // Returns the task id (>= 0) or -1.
    int64_t (*submit)(TrbRuntime *rt, int func_id, int core_kind, const trb::Arg *args);
    int (*scope_begin)(TrbRuntime *rt);
    int (*scope_end)(TrbRuntime *rt);
    void (*report_fatal)(TrbRuntime *rt, const char *message);
};

constexpr uint32_t kTrbOpsVersion = 1;

struct TrbRuntime {
    const TrbOps *ops;
};

using TrbOrchestrationEntry = void (*)(TrbRuntime *rt, const pto::ChipStorageTaskArgs *args);

inline trb::Tensor tensor_arg(TrbRuntime *rt, int index) { return rt->ops->tensor_arg(rt, index); }
inline uint64_t scalar_arg(TrbRuntime *rt, int index) { return rt->ops->scalar_arg(rt, index); }
inline trb::Tensor alloc_tensor(TrbRuntime *rt, const uint32_t *shape, int ndims, pto::DataType dtype) {
    return rt->ops->alloc_tensor(rt, shape, ndims, dtype);
}
// A heap tensor shaped like `like` (same shape and dtype).
inline trb::Tensor alloc_like(TrbRuntime *rt, const trb::Tensor &like) {
    return rt->ops->alloc_tensor(rt, like.shape, static_cast<int>(like.ndims), static_cast<pto::DataType>(like.dtype));
}
inline int64_t submit_aic(TrbRuntime *rt, int func_id, const trb::Arg &args) { return rt->ops->submit(rt, func_id, trb::AIC, &args); }
inline int64_t submit_aiv(TrbRuntime *rt, int func_id, const trb::Arg &args) { return rt->ops->submit(rt, func_id, trb::AIV, &args); }
inline int scope_begin(TrbRuntime *rt) { return rt->ops->scope_begin(rt); }
inline int scope_end(TrbRuntime *rt) { return rt->ops->scope_end(rt); }
inline void report_fatal(TrbRuntime *rt, const char *message) { rt->ops->report_fatal(rt, message); }

namespace trb {

// Opens a scope for its lifetime; TRB_SCOPE(rt) { ... } runs the block once inside it.
class ScopeGuard {
public:
    explicit ScopeGuard(TrbRuntime *rt) : rt_(rt) { scope_begin(rt_); }
    ~ScopeGuard() { scope_end(rt_); }
    ScopeGuard(const ScopeGuard &) = delete;
    ScopeGuard &operator=(const ScopeGuard &) = delete;
    bool enter_once() { return !entered_ && (entered_ = true); }

private:
    TrbRuntime *rt_;
    bool entered_ = false;
};

}  // namespace trb

#define TRB_SCOPE_CAT2(a, b) a##b
#define TRB_SCOPE_CAT(a, b) TRB_SCOPE_CAT2(a, b)
#define TRB_SCOPE(rt) for (::trb::ScopeGuard TRB_SCOPE_CAT(trb_scope_, __LINE__)(rt); TRB_SCOPE_CAT(trb_scope_, __LINE__).enter_once();)
