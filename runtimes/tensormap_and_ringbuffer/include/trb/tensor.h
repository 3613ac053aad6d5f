// The tensor descriptor of the tensormap_and_ringbuffer runtime, shared by orchestration programs and
// incore kernels. A kernel receives `int64_t *args` whose first entries point at one Tensor each (in the
// order the orchestration added them) and whose remaining entries are the task's scalars:
//
//   extern "C" void kernel_entry(int64_t *args) {
//       const trb::Tensor &x = trb::tensor_at(args, 0);
//       float *p = x.data<float>();  ...
//   }
//
// A Tensor is a contiguous view into a device buffer: `addr` is the buffer's start, `offset` the view's
// first element within it. Dependencies are found from the byte range a view covers (begin_byte/end_byte).
#pragma once

#include <cstddef>
#include <cstdint>

#include "pto/task_args.h"

namespace trb {

struct Tensor {
    uint64_t addr;     // device address of the buffer
    uint64_t offset;   // first element of this view, in elements from addr
    uint32_t shape[pto::kMaxTensorDims];
    uint32_t ndims;
    uint32_t dtype;    // pto::DataType
    uint32_t reserved;

    size_t numel() const {
        size_t n = 1;
        for (uint32_t i = 0; i < ndims && i < static_cast<uint32_t>(pto::kMaxTensorDims); ++i) n *= shape[i];
        return n;
    }
    size_t elem_size() const { return pto::dtype_size(static_cast<pto::DataType>(dtype)); }
    size_t nbytes() const { return numel() * elem_size(); }
    uint64_t begin_byte() const { return addr + offset * elem_size(); }
    uint64_t end_byte() const { return begin_byte() + nbytes(); }
    template <typename T>
    T *data() const {
        return reinterpret_cast<T *>(begin_byte());
    }
};
static_assert(sizeof(Tensor) == 48, "Tensor is read by kernels built separately");

// The i-th tensor argument of a kernel.
inline const Tensor &tensor_at(const int64_t *args, int i) { return *reinterpret_cast<const Tensor *>(args[i]); }

// A contiguous view of `count` elements starting `first` elements into `t` (1-D).
inline Tensor slice(const Tensor &t, uint64_t first, uint32_t count) {
    Tensor v = t;
    v.offset = t.offset + first;
    v.ndims = 1;
    v.shape[0] = count;
    return v;
}

// A contiguous view with a new shape starting `first` elements into `t`.
inline Tensor view(const Tensor &t, uint64_t first, const uint32_t *shape, uint32_t ndims) {
    Tensor v = t;
    v.offset = t.offset + first;
    v.ndims = ndims > static_cast<uint32_t>(pto::kMaxTensorDims) ? static_cast<uint32_t>(pto::kMaxTensorDims) : ndims;
    for (uint32_t i = 0; i < v.ndims; ++i) v.shape[i] = shape[i];
    return v;
}

}  // namespace trb
