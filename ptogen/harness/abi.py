"""ctypes mirrors of the harness ABI: runtimes/include/pto/{task_args.h, callable.h, pto_runtime_c_api.h}.

The C++ headers are the source of truth; these mirrors follow them field for field, in the same order and
with the same fixed-width types, so ctypes' native alignment reproduces the C++ layout. The sizes below
repeat the headers' static_asserts, and tests/test_harness_abi.py compiles the headers and compares every
offset, size, enum value and constant with this module, so drift fails a test instead of corrupting a run.
"""

from __future__ import annotations

import ctypes
import enum

# task_args.h
MAX_TENSOR_DIMS = 5
MAX_TENSOR_ARGS = 128
MAX_SCALAR_ARGS = 128
DATA_TYPE_COUNT = 11

# callable.h
CHIP_CALLABLE_MAGIC = 0x4C435450  # "PTCL" little-endian
CHIP_CALLABLE_VERSION = 1
MAX_SIGNATURE = 128
MAX_CORE_CALLABLES = 64
MAX_FUNC_ID = 1024
MAX_CORE_SIGNATURE = 16
MAX_SYMBOL_NAME = 64  # bytes including the terminating NUL

# pto_runtime_c_api.h
MAX_REGISTERED_CALLABLE_IDS = 64


class DataType(enum.IntEnum):
    FLOAT32 = 0
    FLOAT16 = 1
    INT32 = 2
    INT16 = 3
    INT8 = 4
    UINT8 = 5
    BFLOAT16 = 6
    INT64 = 7
    UINT64 = 8
    UINT16 = 9
    UINT32 = 10

    @property
    def itemsize(self) -> int:
        """Bytes per element, as `pto::dtype_size`."""
        return _DTYPE_SIZES[self]


_DTYPE_SIZES: dict[DataType, int] = {
    DataType.FLOAT32: 4, DataType.INT32: 4, DataType.UINT32: 4,
    DataType.FLOAT16: 2, DataType.BFLOAT16: 2, DataType.INT16: 2, DataType.UINT16: 2,
    DataType.INT8: 1, DataType.UINT8: 1,
    DataType.INT64: 8, DataType.UINT64: 8,
}


class ArgDirection(enum.IntEnum):
    """How an argument flows: IN is copied to the device before a run, OUT back after it, INOUT both."""

    SCALAR = 0
    IN = 1
    OUT = 2
    INOUT = 3


class CoreType(enum.IntEnum):
    AIC = 0
    AIV = 1


class PtoError(enum.IntEnum):
    """ptogen's own rc values; any other negative rc is a failing CANN call's code, negated."""

    PTO_ERR_INVALID_ARGUMENT = -1
    PTO_ERR_STATE = -2
    PTO_ERR_NOT_REGISTERED = -3
    PTO_ERR_OUT_OF_MEMORY = -4
    PTO_ERR_RUNTIME = -5
    PTO_ERR_INTERNAL = -6


# A failing driver (hal*) call comes back as -(PTO_DRIVER_ERROR_BASE + its drvError_t).
PTO_DRIVER_ERROR_BASE = 900000


def describe_rc(rc: int) -> str:
    """Names an rc: "PTO_ERR_STATE" for ptogen's codes, "driver error N" or "CANN error N" for the others."""
    if rc == 0:
        return "ok"
    if rc in PtoError._value2member_map_:
        return PtoError(rc).name
    if rc <= -PTO_DRIVER_ERROR_BASE:
        return f"driver error {-rc - PTO_DRIVER_ERROR_BASE}"
    if rc < 0:
        return f"CANN error {-rc}"
    return f"unexpected positive rc {rc}"


class ContinuousTensor(ctypes.Structure):
    _fields_ = [
        ("data", ctypes.c_uint64),
        ("shapes", ctypes.c_uint32 * MAX_TENSOR_DIMS),
        ("ndims", ctypes.c_uint32),
        ("dtype", ctypes.c_uint32),
        ("child_memory", ctypes.c_uint32),
        ("reserved", ctypes.c_uint32),
    ]


class ChipStorageTaskArgs(ctypes.Structure):
    _fields_ = [
        ("tensor_count", ctypes.c_uint32),
        ("scalar_count", ctypes.c_uint32),
        ("tensors", ContinuousTensor * MAX_TENSOR_ARGS),
        ("scalars", ctypes.c_uint64 * MAX_SCALAR_ARGS),
    ]


class CoreCallable(ctypes.Structure):
    _fields_ = [
        ("func_id", ctypes.c_int32),
        ("core_type", ctypes.c_uint32),
        ("offset", ctypes.c_uint64),
        ("size", ctypes.c_uint64),
        ("resolved_addr", ctypes.c_uint64),
        ("signature", ctypes.c_uint8 * MAX_CORE_SIGNATURE),
        ("signature_count", ctypes.c_uint32),
        ("reserved", ctypes.c_uint32),
    ]


class ChipCallable(ctypes.Structure):
    _fields_ = [
        ("magic", ctypes.c_uint32),
        ("version", ctypes.c_uint32),
        ("total_size", ctypes.c_uint64),
        ("signature", ctypes.c_uint8 * MAX_SIGNATURE),
        ("signature_count", ctypes.c_uint32),
        ("child_count", ctypes.c_uint32),
        ("func_name", ctypes.c_char * MAX_SYMBOL_NAME),
        ("config_name", ctypes.c_char * MAX_SYMBOL_NAME),
        ("orch_offset", ctypes.c_uint64),
        ("orch_size", ctypes.c_uint64),
        ("children", CoreCallable * MAX_CORE_CALLABLES),
    ]


class PtoRunTiming(ctypes.Structure):
    _fields_ = [
        ("host_wall_ns", ctypes.c_uint64),
        ("device_wall_ns", ctypes.c_uint64),
    ]


# The headers' static_asserts, repeated so an edit of a mirror that breaks them fails on import.
assert ctypes.sizeof(ContinuousTensor) == 48
assert ctypes.sizeof(ChipStorageTaskArgs) == 8 + 48 * MAX_TENSOR_ARGS + 8 * MAX_SCALAR_ARGS
assert ctypes.sizeof(CoreCallable) == 56
assert ctypes.sizeof(ChipCallable) == 16 + 128 + 8 + 128 + 16 + 56 * MAX_CORE_CALLABLES
