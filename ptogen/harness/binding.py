"""ctypes binding of libhost_runtime.so's C ABI (runtimes/include/pto/pto_runtime_c_api.h).

`HostRuntime` loads one library (RTLD_LOCAL, so two arches' runtimes can be loaded side by side),
resolves every symbol of the ABI up front (the header says none is optional) and turns a negative rc into
a `RuntimeCallError` naming the call, the rc and the context's last error message. `DeviceContext` is
one device context of that library with a Pythonic surface; use it as a context manager so it is
finalized and destroyed even when a run fails.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from ptogen.harness.abi import ChipStorageTaskArgs, PtoRunTiming, describe_rc
from ptogen.harness.task_args import TaskArgs

_ptr = ctypes.c_void_p


@dataclass(frozen=True)
class CFunction:
    """One entry of the C ABI: its symbol, ctypes return type (None for void) and argument types."""

    name: str
    restype: Any
    argtypes: tuple[Any, ...]


C_API: tuple[CFunction, ...] = (
    CFunction("create_device_context", _ptr, ()),
    CFunction("destroy_device_context", None, (_ptr,)),
    CFunction("get_runtime_size", ctypes.c_size_t, ()),
    CFunction("simpler_init", ctypes.c_int, (_ptr, ctypes.c_int, _ptr, ctypes.c_size_t, _ptr, ctypes.c_size_t,
                                             _ptr, ctypes.c_size_t)),
    CFunction("prepare_callable", ctypes.c_int, (_ptr, ctypes.c_int32, _ptr)),
    CFunction("run_prepared", ctypes.c_int, (_ptr, _ptr, ctypes.c_int32, _ptr) + (ctypes.c_int,) * 7
              + (ctypes.c_char_p, ctypes.POINTER(PtoRunTiming))),
    CFunction("unregister_callable", ctypes.c_int, (_ptr, ctypes.c_int32)),
    CFunction("finalize_device", ctypes.c_int, (_ptr,)),
    CFunction("device_malloc_ctx", _ptr, (_ptr, ctypes.c_size_t)),
    CFunction("device_free_ctx", None, (_ptr, _ptr)),
    CFunction("copy_to_device_ctx", ctypes.c_int, (_ptr, _ptr, _ptr, ctypes.c_size_t)),
    CFunction("copy_from_device_ctx", ctypes.c_int, (_ptr, _ptr, _ptr, ctypes.c_size_t)),
    CFunction("get_aicpu_dlopen_count", ctypes.c_size_t, (_ptr,)),
    CFunction("get_host_dlopen_count", ctypes.c_size_t, (_ptr,)),
    CFunction("ensure_acl_ready_ctx", ctypes.c_int, (_ptr, ctypes.c_int)),
    CFunction("get_last_error_ctx", ctypes.c_char_p, (_ptr,)),
)


class HostRuntimeError(RuntimeError):
    """The host runtime library could not be used: not loadable, a symbol missing, a call failed."""


class RuntimeCallError(HostRuntimeError):
    """A C ABI call returned a negative rc."""

    def __init__(self, call: str, rc: int, message: str) -> None:
        self.call = call
        self.rc = rc
        self.message = message
        super().__init__(call, rc, message)

    def __str__(self) -> str:
        text = f"{self.call} failed: rc={self.rc} ({describe_rc(self.rc)})"
        return f"{text}: {self.message}" if self.message else f"{text}; the runtime left no message"


def resolve_symbols(library: ctypes.CDLL, path: Path) -> dict[str, Callable[..., Any]]:
    """Every function of C_API from `library`, typed; HostRuntimeError names each missing symbol."""
    functions: dict[str, Callable[..., Any]] = {}
    missing: list[str] = []
    for spec in C_API:
        try:
            function = getattr(library, spec.name)
        except AttributeError:
            missing.append(spec.name)
            continue
        function.restype = spec.restype
        function.argtypes = list(spec.argtypes)
        functions[spec.name] = function
    if missing:
        raise HostRuntimeError(f"{path} does not export {', '.join(missing)} "
                               f"(the C ABI of pto_runtime_c_api.h requires every symbol)")
    return functions


class HostRuntime:
    """One loaded libhost_runtime.so; `context()` makes a DeviceContext on it."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise HostRuntimeError(f"host runtime library {self.path} does not exist")
        try:
            self._library = ctypes.CDLL(str(self.path.resolve()), mode=os.RTLD_NOW | os.RTLD_LOCAL)
        except OSError as error:
            raise HostRuntimeError(f"cannot load host runtime library {self.path}: {error}") from None
        self._functions: Mapping[str, Callable[..., Any]] = MappingProxyType(resolve_symbols(self._library, self.path))

    @classmethod
    def from_functions(cls, path: str | os.PathLike[str], functions: Mapping[str, Callable[..., Any]]) -> HostRuntime:
        """A HostRuntime over an already-resolved function table (e.g. a library loaded by other means)."""
        missing = [spec.name for spec in C_API if spec.name not in functions]
        if missing:
            raise HostRuntimeError(f"{path}: function table lacks {', '.join(missing)}")
        runtime = cls.__new__(cls)
        runtime.path = Path(path)
        runtime._library = None
        runtime._functions = MappingProxyType(dict(functions))
        return runtime

    def __repr__(self) -> str:
        return f"HostRuntime({str(self.path)!r})"

    def raw(self, name: str) -> Callable[..., Any]:
        """The typed ctypes function of a C ABI symbol, unchecked."""
        return self._functions[name]

    def last_error(self, ctx: int | None) -> str:
        text = self._functions["get_last_error_ctx"](ctx)
        if text is None:
            return ""
        return text.decode("utf-8", errors="replace") if isinstance(text, bytes) else str(text)

    def call(self, name: str, ctx: int | None, *args: Any) -> int:
        """Calls an int-returning entry with `ctx` first; a negative rc raises RuntimeCallError."""
        rc = int(self._functions[name](ctx, *args))
        if rc < 0:
            raise RuntimeCallError(name, rc, self.last_error(ctx))
        return rc

    def get_runtime_size(self) -> int:
        return int(self._functions["get_runtime_size"]())

    def context(self) -> DeviceContext:
        return DeviceContext(self)


@dataclass(frozen=True)
class RunTiming:
    host_wall_ns: int
    device_wall_ns: int


def _c_int(name: str, value: int) -> int:
    """`value` if it fits a C int; ctypes would silently truncate it (turning 2**32 into callable id 0)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise HostRuntimeError(f"{name} must be an int, got {value!r}")
    if not -(1 << 31) <= value < (1 << 31):
        raise HostRuntimeError(f"{name} {value} does not fit in a 32-bit int")
    return value


def _host_buffer(data: Any, *, writable: bool) -> tuple[int, int, Any]:
    """(address, size in bytes, keep-alive object) of a contiguous host buffer (numpy array, bytes, ...)."""
    array = data if isinstance(data, np.ndarray) else np.frombuffer(data, dtype=np.uint8)
    if not array.flags.c_contiguous:
        raise HostRuntimeError("host buffer is not C-contiguous")
    if writable and not array.flags.writeable:
        raise HostRuntimeError("host buffer to copy into is read-only")
    return array.ctypes.data, array.nbytes, array


class DeviceContext:
    """One device context of a HostRuntime. The Runtime buffer of `get_runtime_size()` bytes is allocated
    once here and reused by every run."""

    RUNTIME_BUFFER_ALIGNMENT = 64

    def __init__(self, runtime: HostRuntime) -> None:
        self.runtime = runtime
        size = runtime.get_runtime_size()
        handle = runtime.raw("create_device_context")()
        if not handle:
            raise HostRuntimeError(f"create_device_context returned NULL ({runtime.path})")
        self._handle: int | None = handle
        # Over-allocate so the Runtime image can start on an aligned address whatever the allocator gives.
        self._runtime_storage = ctypes.create_string_buffer(size + self.RUNTIME_BUFFER_ALIGNMENT)
        base = ctypes.addressof(self._runtime_storage)
        self._runtime_buffer = base + (-base % self.RUNTIME_BUFFER_ALIGNMENT)
        self.runtime_size = size
        self._keep_alive: dict[str, bytes] = {}
        self._callables: dict[int, Any] = {}

    @property
    def handle(self) -> int:
        if self._handle is None:
            raise HostRuntimeError("device context is destroyed")
        return self._handle

    @property
    def runtime_buffer_address(self) -> int:
        return self._runtime_buffer

    def last_error(self) -> str:
        return self.runtime.last_error(self.handle)

    def init(self, device_id: int, aicpu: bytes, aicore: bytes, dispatcher: bytes = b"") -> None:
        self._keep_alive.update(aicpu=bytes(aicpu), aicore=bytes(aicore), dispatcher=bytes(dispatcher))
        binaries = [self._keep_alive[key] for key in ("aicpu", "aicore", "dispatcher")]
        args: list[Any] = []
        for binary in binaries:
            args += [binary or None, len(binary)]
        self.runtime.call("simpler_init", self.handle, _c_int("device_id", device_id), *args)

    def ensure_acl_ready(self, device_id: int) -> None:
        self.runtime.call("ensure_acl_ready_ctx", self.handle, _c_int("device_id", device_id))

    def prepare_callable(self, callable_id: int, blob: bytes) -> None:
        buffer = ctypes.create_string_buffer(bytes(blob), len(blob))
        self.runtime.call("prepare_callable", self.handle, _c_int("callable_id", callable_id),
                          ctypes.addressof(buffer))
        self._callables[callable_id] = buffer

    def run_prepared(self, callable_id: int, task_args: TaskArgs | ChipStorageTaskArgs, block_dim: int = 0,
                     aicpu_thread_num: int = 1, swimlane: int = 0, dump_tensor: bool = False, pmu: int = 0,
                     dep_gen: bool = False, scope_stats: bool = False, output_prefix: str = "") -> RunTiming:
        storage = task_args.storage if isinstance(task_args, TaskArgs) else task_args
        if not isinstance(storage, ChipStorageTaskArgs):
            raise HostRuntimeError(f"task_args must be TaskArgs or ChipStorageTaskArgs, got {type(task_args).__name__}")
        flags = [_c_int(name, int(value) if isinstance(value, bool) else value) for name, value in (
            ("block_dim", block_dim), ("aicpu_thread_num", aicpu_thread_num), ("swimlane", swimlane),
            ("dump_tensor", dump_tensor), ("pmu", pmu), ("dep_gen", dep_gen), ("scope_stats", scope_stats))]
        timing = PtoRunTiming()
        self.runtime.call("run_prepared", self.handle, self._runtime_buffer, _c_int("callable_id", callable_id),
                          ctypes.addressof(storage), *flags, os.fsencode(output_prefix), ctypes.byref(timing))
        return RunTiming(host_wall_ns=timing.host_wall_ns, device_wall_ns=timing.device_wall_ns)

    def unregister_callable(self, callable_id: int) -> None:
        self.runtime.call("unregister_callable", self.handle, _c_int("callable_id", callable_id))
        self._callables.pop(callable_id, None)

    def finalize(self) -> None:
        self.runtime.call("finalize_device", self.handle)
        self._callables.clear()

    def destroy(self) -> None:
        """Destroys the context (idempotent); the C side finalizes it first if needed."""
        if self._handle is not None:
            handle, self._handle = self._handle, None
            self.runtime.raw("destroy_device_context")(handle)

    def close(self) -> None:
        """Finalizes then destroys; destroys even when finalize fails (and then re-raises)."""
        if self._handle is None:
            return
        try:
            self.finalize()
        finally:
            self.destroy()

    def __enter__(self) -> DeviceContext:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def malloc(self, size: int) -> int:
        address = self.runtime.raw("device_malloc_ctx")(self.handle, size)
        if not address:
            raise HostRuntimeError(f"device_malloc_ctx({size}) returned NULL: {self.last_error() or 'no message'}")
        return int(address)

    def free(self, device_address: int) -> None:
        self.runtime.raw("device_free_ctx")(self.handle, device_address)

    def copy_to(self, device_address: int, source: Any, size: int | None = None) -> None:
        """Copies a host buffer (numpy array, bytes, ...) to device memory; `size` defaults to all of it."""
        address, nbytes, _keep = _host_buffer(source, writable=False)
        self.runtime.call("copy_to_device_ctx", self.handle, device_address, address, _checked_size(size, nbytes))

    def copy_from(self, destination: Any, device_address: int, size: int | None = None) -> None:
        """Copies device memory into a writable host buffer (numpy array, bytearray, ...)."""
        address, nbytes, _keep = _host_buffer(destination, writable=True)
        self.runtime.call("copy_from_device_ctx", self.handle, address, device_address, _checked_size(size, nbytes))

    @property
    def aicpu_dlopen_count(self) -> int:
        return int(self.runtime.raw("get_aicpu_dlopen_count")(self.handle))

    @property
    def host_dlopen_count(self) -> int:
        return int(self.runtime.raw("get_host_dlopen_count")(self.handle))


def _checked_size(size: int | None, available: int) -> int:
    if size is None:
        return available
    if not 0 <= size <= available:
        raise HostRuntimeError(f"copy of {size} bytes does not fit the {available}-byte host buffer")
    return size
