"""Arguments of one run: numpy arrays and scalars packed into a `ChipStorageTaskArgs`.

Tensors are passed by host address: the runtime copies IN/INOUT tensors to the device before a run and
OUT/INOUT tensors back after it, so every array must stay alive and unmoved for as long as the args are
used. `TaskArgs` holds a reference to each array for exactly that reason.

Scalars travel as 64-bit words (`uint64_t scalars[]`). The packing rule:

- `bool`, `int` and numpy integers: two's complement in 64 bits (so -1 becomes 0xFFFF_FFFF_FFFF_FFFF);
  values outside [-2**63, 2**64) are rejected.
- `numpy.float32`: the IEEE-754 binary32 bits, zero-extended (a kernel reads them back as a `float`).
- any other float (`float`, `numpy.float64`, `numpy.float16`): the IEEE-754 binary64 bits (a `double`).

So a kernel expecting a `float` scalar must be handed `np.float32(x)`, not a bare Python float.
"""

from __future__ import annotations

import ctypes
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ptogen.harness.abi import (
    MAX_SCALAR_ARGS,
    MAX_TENSOR_ARGS,
    MAX_TENSOR_DIMS,
    ChipStorageTaskArgs,
    ContinuousTensor,
    DataType,
)

Scalar = int | float | np.integer | np.floating


class TaskArgsError(ValueError):
    """The arrays or scalars cannot be packed into a ChipStorageTaskArgs; the message names which."""


def _dtype_table() -> dict[np.dtype, DataType]:
    table = {
        np.dtype(np.float32): DataType.FLOAT32,
        np.dtype(np.float16): DataType.FLOAT16,
        np.dtype(np.int32): DataType.INT32,
        np.dtype(np.int16): DataType.INT16,
        np.dtype(np.int8): DataType.INT8,
        np.dtype(np.uint8): DataType.UINT8,
        np.dtype(np.int64): DataType.INT64,
        np.dtype(np.uint64): DataType.UINT64,
        np.dtype(np.uint16): DataType.UINT16,
        np.dtype(np.uint32): DataType.UINT32,
    }
    try:
        import ml_dtypes
    except ImportError:
        pass
    else:
        table[np.dtype(ml_dtypes.bfloat16)] = DataType.BFLOAT16
    return table


_DTYPES: dict[np.dtype, DataType] = _dtype_table()  # read-only after import


def data_type_of(dtype: np.dtype | type) -> DataType:
    """The DataType of a numpy dtype; TaskArgsError names the dtype when there is none."""
    dt = np.dtype(dtype)
    if not dt.isnative:
        raise TaskArgsError(f"dtype {dt} is not in native byte order")
    found = _DTYPES.get(dt)
    if found is None:
        supported = ", ".join(str(d) for d in _DTYPES)
        hint = "" if "bfloat16" in supported else " (bfloat16 needs the ml_dtypes package)"
        raise TaskArgsError(f"dtype {dt} has no DataType; supported: {supported}{hint}")
    return found


def scalar_bits(value: Scalar) -> int:
    """The 64-bit word a scalar travels as (see the module docstring for the rule)."""
    if isinstance(value, np.float32):
        return struct.unpack("<I", struct.pack("<f", float(value)))[0]
    if isinstance(value, float | np.floating):
        return struct.unpack("<Q", struct.pack("<d", float(value)))[0]
    if isinstance(value, bool | int | np.integer | np.bool_):
        number = int(value)
        if not -(1 << 63) <= number < (1 << 64):
            raise TaskArgsError(f"scalar {number} does not fit in 64 bits")
        return number & 0xFFFF_FFFF_FFFF_FFFF
    raise TaskArgsError(f"scalar {value!r} of type {type(value).__name__} is neither an int nor a float")


@dataclass(frozen=True)
class DeviceTensor:
    """A tensor already in device memory (e.g. from `DeviceContext.malloc`): passed with child_memory set,
    so the runtime uses the address as is and copies nothing."""

    address: int
    shape: tuple[int, ...]
    dtype: DataType

    def __post_init__(self) -> None:
        object.__setattr__(self, "shape", tuple(int(extent) for extent in self.shape))
        object.__setattr__(self, "dtype", DataType(self.dtype))

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) * self.dtype.itemsize


def _fill_shape(tensor_index: int, slot: ContinuousTensor, shape: Sequence[int]) -> None:
    if len(shape) > MAX_TENSOR_DIMS:
        raise TaskArgsError(f"tensor {tensor_index} has {len(shape)} dims, at most {MAX_TENSOR_DIMS} are allowed")
    for axis, extent in enumerate(shape):
        if not 0 <= extent < (1 << 32):
            raise TaskArgsError(f"tensor {tensor_index}: extent {extent} of axis {axis} does not fit in 32 bits")
        slot.shapes[axis] = extent
    slot.ndims = len(shape)


@dataclass
class TaskArgs:
    """A packed ChipStorageTaskArgs and the arrays it points into (kept alive as long as this object)."""

    storage: ChipStorageTaskArgs
    tensors: tuple[np.ndarray | DeviceTensor, ...] = field(repr=False)
    scalars: tuple[int, ...]

    @classmethod
    def build(cls, tensors: Sequence[np.ndarray | DeviceTensor], scalars: Sequence[Scalar] = ()) -> TaskArgs:
        """Packs host arrays (C-contiguous, at most 5 dims, a supported dtype) or device tensors, and scalars."""
        tensors = tuple(tensors)
        if len(tensors) > MAX_TENSOR_ARGS:
            raise TaskArgsError(f"{len(tensors)} tensors given, at most {MAX_TENSOR_ARGS} are allowed")
        if len(scalars) > MAX_SCALAR_ARGS:
            raise TaskArgsError(f"{len(scalars)} scalars given, at most {MAX_SCALAR_ARGS} are allowed")
        storage = ChipStorageTaskArgs()
        for index, tensor in enumerate(tensors):
            slot = storage.tensors[index]
            if isinstance(tensor, DeviceTensor):
                _fill_shape(index, slot, tensor.shape)
                slot.data = tensor.address
                slot.dtype = tensor.dtype
                slot.child_memory = 1
                continue
            if not isinstance(tensor, np.ndarray):
                raise TaskArgsError(f"tensor {index} is a {type(tensor).__name__}, not a numpy array or DeviceTensor")
            if not tensor.flags.c_contiguous:
                raise TaskArgsError(f"tensor {index} (shape {tensor.shape}) is not C-contiguous; "
                                    "pass np.ascontiguousarray(a) and read results from that copy")
            try:
                dtype = data_type_of(tensor.dtype)
            except TaskArgsError as error:
                raise TaskArgsError(f"tensor {index}: {error}") from None
            _fill_shape(index, slot, tensor.shape)
            slot.data = tensor.ctypes.data
            slot.dtype = dtype
        storage.tensor_count = len(tensors)
        words = []
        for index, value in enumerate(scalars):
            try:
                words.append(scalar_bits(value))
            except TaskArgsError as error:
                raise TaskArgsError(f"scalar {index}: {error}") from None
        for index, word in enumerate(words):
            storage.scalars[index] = word
        storage.scalar_count = len(words)
        return cls(storage=storage, tensors=tensors, scalars=tuple(words))

    def pointer(self) -> ctypes.c_void_p:
        """The address of the packed struct, valid while this object lives."""
        return ctypes.c_void_p(ctypes.addressof(self.storage))
