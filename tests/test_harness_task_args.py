"""TaskArgs packs numpy arrays and scalars into a ChipStorageTaskArgs, and names what it cannot pack."""

from __future__ import annotations

import ctypes
import struct

import numpy as np
import pytest

from ptogen.harness.abi import MAX_SCALAR_ARGS, MAX_TENSOR_ARGS, ChipStorageTaskArgs, DataType
from ptogen.harness.task_args import DeviceTensor, TaskArgs, TaskArgsError, data_type_of, scalar_bits

NUMPY_DTYPES = [
    (np.float32, DataType.FLOAT32), (np.float16, DataType.FLOAT16), (np.int32, DataType.INT32),
    (np.int16, DataType.INT16), (np.int8, DataType.INT8), (np.uint8, DataType.UINT8), (np.int64, DataType.INT64),
    (np.uint64, DataType.UINT64), (np.uint16, DataType.UINT16), (np.uint32, DataType.UINT32),
]


@pytest.mark.parametrize(("dtype", "expected"), NUMPY_DTYPES)
def test_dtype_mapping(dtype: type, expected: DataType) -> None:
    array = np.zeros((2, 3), dtype=dtype)
    args = TaskArgs.build([array])
    tensor = args.storage.tensors[0]
    assert (tensor.dtype, tensor.data, tensor.ndims, list(tensor.shapes)) == (expected, array.ctypes.data, 2,
                                                                              [2, 3, 0, 0, 0])
    assert tensor.child_memory == 0
    assert expected.itemsize == np.dtype(dtype).itemsize


def test_bfloat16_via_ml_dtypes() -> None:
    ml_dtypes = pytest.importorskip("ml_dtypes")
    assert data_type_of(ml_dtypes.bfloat16) is DataType.BFLOAT16


@pytest.mark.parametrize("dtype", [np.float64, np.bool_, np.complex64, np.dtype(">f4")])
def test_unsupported_dtypes_are_named(dtype: object) -> None:
    with pytest.raises(TaskArgsError, match=rf"tensor 1: dtype {np.dtype(dtype)} "):
        TaskArgs.build([np.zeros(2, np.float32), np.zeros(2, dtype)])


def test_non_contiguous_arrays_are_rejected() -> None:
    base = np.zeros((4, 4), np.float32)
    with pytest.raises(TaskArgsError, match=r"tensor 0 \(shape \(4, 2\)\) is not C-contiguous"):
        TaskArgs.build([base[:, ::2]])
    with pytest.raises(TaskArgsError, match="not C-contiguous"):
        TaskArgs.build([base.T])


def test_dims_limit() -> None:
    TaskArgs.build([np.zeros((1, 2, 1, 2, 1), np.int8)])
    with pytest.raises(TaskArgsError, match="tensor 0 has 6 dims, at most 5"):
        TaskArgs.build([np.zeros((1,) * 6, np.int8)])


def test_count_limits() -> None:
    with pytest.raises(TaskArgsError, match="129 tensors given, at most 128"):
        TaskArgs.build([np.zeros(1, np.int8)] * (MAX_TENSOR_ARGS + 1))
    with pytest.raises(TaskArgsError, match="129 scalars given, at most 128"):
        TaskArgs.build([], [0] * (MAX_SCALAR_ARGS + 1))
    with pytest.raises(TaskArgsError, match="tensor 0 is a list"):
        TaskArgs.build([[1.0, 2.0]])  # type: ignore[list-item]


def test_scalar_packing_rule() -> None:
    assert scalar_bits(5) == 5
    assert scalar_bits(-1) == 0xFFFF_FFFF_FFFF_FFFF
    assert scalar_bits(True) == 1
    assert scalar_bits(np.int16(-2)) == 0xFFFF_FFFF_FFFF_FFFE
    assert scalar_bits(np.uint64(2**64 - 1)) == 2**64 - 1
    assert scalar_bits(np.float32(1.5)) == struct.unpack("<I", struct.pack("<f", 1.5))[0] == 0x3FC00000
    assert scalar_bits(1.5) == struct.unpack("<Q", struct.pack("<d", 1.5))[0] == 0x3FF8000000000000
    assert scalar_bits(np.float64(1.5)) == scalar_bits(np.float16(1.5)) == scalar_bits(1.5)
    with pytest.raises(TaskArgsError, match="does not fit in 64 bits"):
        scalar_bits(2**64)
    with pytest.raises(TaskArgsError, match="does not fit in 64 bits"):
        scalar_bits(-(2**63) - 1)
    with pytest.raises(TaskArgsError, match="scalar 1: scalar '3' of type str"):
        TaskArgs.build([], [1, "3"])  # type: ignore[list-item]


def test_packed_struct_is_what_the_runtime_reads() -> None:
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    b = np.zeros(7, dtype=np.int64)
    args = TaskArgs.build([a, b], [np.float32(2.0), 9])
    raw = ChipStorageTaskArgs.from_address(args.pointer().value)
    assert (raw.tensor_count, raw.scalar_count) == (2, 2)
    assert list(raw.scalars[:2]) == [0x40000000, 9]
    assert raw.tensors[1].data == b.ctypes.data and raw.tensors[1].ndims == 1 and raw.tensors[1].shapes[0] == 7
    assert args.tensors[0] is a  # kept alive with the struct
    assert ctypes.addressof(args.storage) == args.pointer().value


def test_device_tensors_are_passed_as_child_memory() -> None:
    args = TaskArgs.build([DeviceTensor(0x1000, (8, 16), DataType.FLOAT16)])
    tensor = args.storage.tensors[0]
    assert (tensor.data, tensor.child_memory, tensor.dtype, tensor.ndims) == (0x1000, 1, DataType.FLOAT16, 2)
    assert DeviceTensor(0, (8, 16), DataType.FLOAT16).nbytes == 256


def test_zero_dim_array() -> None:
    tensor = TaskArgs.build([np.array(3.0, dtype=np.float32)]).storage.tensors[0]
    assert tensor.ndims == 0
