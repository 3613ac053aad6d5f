"""The Python harness: ctypes mirrors of the ABI, the ChipCallable and task-argument builders, and the
binding of a built libhost_runtime.so."""

from ptogen.harness.abi import ArgDirection, CoreType, DataType, PtoError, describe_rc
from ptogen.harness.binding import DeviceContext, HostRuntime, HostRuntimeError, RuntimeCallError, RunTiming
from ptogen.harness.callable import CallableError, Kernel, build_chip_callable, read_chip_callable
from ptogen.harness.task_args import DeviceTensor, TaskArgs, TaskArgsError, data_type_of, scalar_bits

__all__ = [
    "ArgDirection",
    "CallableError",
    "CoreType",
    "DataType",
    "DeviceContext",
    "DeviceTensor",
    "HostRuntime",
    "HostRuntimeError",
    "Kernel",
    "PtoError",
    "RunTiming",
    "RuntimeCallError",
    "TaskArgs",
    "TaskArgsError",
    "build_chip_callable",
    "data_type_of",
    "describe_rc",
    "read_chip_callable",
    "scalar_bits",
]
