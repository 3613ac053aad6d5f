// Arguments of one run as the host hands them over: tensors (host pointers + shape + dtype) and scalars.
// Shared by the harness (ctypes mirrors this layout), the host runtime and the runtime variants, so it is
// plain standard-layout C++ with fixed-width fields and static_asserted sizes.
#pragma once

#include <cstddef>
#include <cstdint>

namespace pto {

enum class DataType : uint32_t {
    FLOAT32 = 0,
    FLOAT16 = 1,
    INT32 = 2,
    INT16 = 3,
    INT8 = 4,
    UINT8 = 5,
    BFLOAT16 = 6,
    INT64 = 7,
    UINT64 = 8,
    UINT16 = 9,
    UINT32 = 10,
};
constexpr uint32_t kDataTypeCount = 11;

// How an argument flows: IN is copied to the device before a run, OUT back after it, INOUT both ways.
enum class ArgDirection : uint8_t { SCALAR = 0, IN = 1, OUT = 2, INOUT = 3 };

constexpr int kMaxTensorDims = 5;
constexpr int kMaxTensorArgs = 128;
constexpr int kMaxScalarArgs = 128;

inline size_t dtype_size(DataType t) {
    switch (t) {
        case DataType::FLOAT32: case DataType::INT32: case DataType::UINT32: return 4;
        case DataType::FLOAT16: case DataType::BFLOAT16: case DataType::INT16: case DataType::UINT16: return 2;
        case DataType::INT8: case DataType::UINT8: return 1;
        case DataType::INT64: case DataType::UINT64: return 8;
    }
    return 0;
}

struct ContinuousTensor {
    uint64_t data;                    // host address (the runtime rebinds it to a device address per run)
    uint32_t shapes[kMaxTensorDims];  // extents, outermost first; only the first `ndims` are meaningful
    uint32_t ndims;
    uint32_t dtype;                   // DataType
    uint32_t child_memory;            // non-zero: `data` is already a device address, never copied
    uint32_t reserved;

    size_t element_count() const {
        size_t n = 1;
        for (uint32_t i = 0; i < ndims && i < kMaxTensorDims; ++i) n *= shapes[i];
        return n;
    }
    size_t nbytes() const { return element_count() * dtype_size(static_cast<DataType>(dtype)); }
};
static_assert(sizeof(ContinuousTensor) == 48, "ContinuousTensor is part of the harness ABI");

struct ChipStorageTaskArgs {
    uint32_t tensor_count;
    uint32_t scalar_count;
    ContinuousTensor tensors[kMaxTensorArgs];
    uint64_t scalars[kMaxScalarArgs];
};
static_assert(sizeof(ChipStorageTaskArgs) == 8 + 48 * kMaxTensorArgs + 8 * kMaxScalarArgs,
              "ChipStorageTaskArgs is part of the harness ABI");

}  // namespace pto
