"""Builds the ChipCallable blob handed to `prepare_callable` (layout: runtimes/include/pto/callable.h).

The blob is the `ChipCallable` header, then the orchestration program's bytes, then each kernel's bytes,
every payload starting on a 64-byte boundary (so the device copy keeps each kernel's code aligned).
Every rule `pto::validate_chip_callable` enforces is checked here first, with a message naming the
offending input, so a bad callable fails in Python rather than as a bare rc from the runtime.
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ptogen.harness.abi import (
    CHIP_CALLABLE_MAGIC,
    CHIP_CALLABLE_VERSION,
    MAX_CORE_CALLABLES,
    MAX_CORE_SIGNATURE,
    MAX_FUNC_ID,
    MAX_SIGNATURE,
    MAX_SYMBOL_NAME,
    ArgDirection,
    ChipCallable,
    CoreType,
)

PAYLOAD_ALIGNMENT = 64
HEADER_SIZE = ctypes.sizeof(ChipCallable)


class CallableError(ValueError):
    """A ChipCallable cannot be built from these inputs; the message names the input."""


def _directions(signature: Iterable[ArgDirection | int], what: str) -> tuple[ArgDirection, ...]:
    result = []
    for index, entry in enumerate(signature):
        try:
            result.append(ArgDirection(entry))
        except ValueError:
            raise CallableError(f"{what} signature[{index}] = {entry!r} is not an ArgDirection "
                                f"({', '.join(d.name for d in ArgDirection)})") from None
    return tuple(result)


@dataclass(frozen=True)
class Kernel:
    """One incore kernel of a callable: the id the orchestration launches it by, its core and its code."""

    func_id: int
    core_type: CoreType
    binary: bytes = field(repr=False)
    signature: Sequence[ArgDirection] = ()

    def __post_init__(self) -> None:
        if isinstance(self.func_id, bool) or not isinstance(self.func_id, int):
            raise CallableError(f"kernel func_id must be an int, got {self.func_id!r}")
        if not 0 <= self.func_id < MAX_FUNC_ID:
            raise CallableError(f"kernel func_id {self.func_id} is outside [0, {MAX_FUNC_ID})")
        try:
            object.__setattr__(self, "core_type", CoreType(self.core_type))
        except ValueError:
            raise CallableError(f"kernel {self.func_id}: core_type {self.core_type!r} is neither AIC nor AIV") from None
        if not isinstance(self.binary, bytes | bytearray | memoryview):
            raise CallableError(f"kernel {self.func_id}: binary must be bytes, got {type(self.binary).__name__}")
        object.__setattr__(self, "binary", bytes(self.binary))
        if not self.binary:
            raise CallableError(f"kernel {self.func_id}: binary is empty")
        signature = _directions(self.signature, f"kernel {self.func_id}")
        if len(signature) > MAX_CORE_SIGNATURE:
            raise CallableError(f"kernel {self.func_id}: signature has {len(signature)} entries, "
                                f"at most {MAX_CORE_SIGNATURE} are allowed")
        object.__setattr__(self, "signature", signature)


def _symbol(name: str, what: str, *, required: bool) -> bytes:
    if not isinstance(name, str):
        raise CallableError(f"{what} must be a str, got {type(name).__name__}")
    encoded = name.encode("utf-8")
    if required and not encoded:
        raise CallableError(f"{what} is empty")
    if b"\0" in encoded:
        raise CallableError(f"{what} {name!r} contains a NUL byte")
    if len(encoded) >= MAX_SYMBOL_NAME:
        raise CallableError(f"{what} {name!r} is {len(encoded)} bytes long; at most {MAX_SYMBOL_NAME - 1} fit")
    return encoded


def _align(offset: int) -> int:
    return (offset + PAYLOAD_ALIGNMENT - 1) // PAYLOAD_ALIGNMENT * PAYLOAD_ALIGNMENT


def build_chip_callable(orchestration: bytes, func_name: str, signature: Sequence[ArgDirection | int],
                        kernels: Sequence[Kernel], config_name: str = "") -> bytes:
    """The ChipCallable blob for one orchestration program and the kernels it launches.

    `orchestration` is the orchestration shared object's bytes and `func_name` its entry symbol;
    `signature` gives the direction of each orchestration argument; `config_name` optionally names a
    config symbol in the same program. Kernels are stored in the order given.
    """
    if not isinstance(orchestration, bytes | bytearray | memoryview):
        raise CallableError(f"orchestration must be bytes, got {type(orchestration).__name__}")
    orchestration = bytes(orchestration)
    if not orchestration:
        raise CallableError("orchestration is empty (the callable needs the program defining its entry)")
    func_name_bytes = _symbol(func_name, "func_name", required=True)
    config_name_bytes = _symbol(config_name, "config_name", required=False)
    directions = _directions(signature, "callable")
    if len(directions) > MAX_SIGNATURE:
        raise CallableError(f"callable signature has {len(directions)} entries, at most {MAX_SIGNATURE} are allowed")
    kernels = list(kernels)
    if len(kernels) > MAX_CORE_CALLABLES:
        raise CallableError(f"callable has {len(kernels)} kernels, at most {MAX_CORE_CALLABLES} are allowed")
    seen: set[int] = set()
    for kernel in kernels:
        if not isinstance(kernel, Kernel):
            raise CallableError(f"kernels must hold Kernel objects, got {type(kernel).__name__}")
        if kernel.func_id in seen:
            raise CallableError(f"two kernels share func_id {kernel.func_id}")
        seen.add(kernel.func_id)

    header = ChipCallable()
    header.magic = CHIP_CALLABLE_MAGIC
    header.version = CHIP_CALLABLE_VERSION
    header.signature_count = len(directions)
    for index, direction in enumerate(directions):
        header.signature[index] = direction
    header.child_count = len(kernels)
    header.func_name = func_name_bytes
    header.config_name = config_name_bytes

    payloads: list[tuple[int, bytes]] = []
    cursor = _align(HEADER_SIZE)
    header.orch_offset = cursor
    header.orch_size = len(orchestration)
    payloads.append((cursor, orchestration))
    cursor += len(orchestration)
    for index, kernel in enumerate(kernels):
        cursor = _align(cursor)
        child = header.children[index]
        child.func_id = kernel.func_id
        child.core_type = kernel.core_type
        child.offset = cursor
        child.size = len(kernel.binary)
        child.resolved_addr = 0
        child.signature_count = len(kernel.signature)
        for position, direction in enumerate(kernel.signature):
            child.signature[position] = direction
        payloads.append((cursor, kernel.binary))
        cursor += len(kernel.binary)
    header.total_size = cursor

    blob = bytearray(cursor)
    blob[:HEADER_SIZE] = bytes(header)
    for offset, payload in payloads:
        blob[offset:offset + len(payload)] = payload
    return bytes(blob)


def read_chip_callable(blob: bytes) -> ChipCallable:
    """A copy of a blob's header, for inspection (it is not validated)."""
    if len(blob) < HEADER_SIZE:
        raise CallableError(f"blob of {len(blob)} bytes is shorter than the {HEADER_SIZE}-byte ChipCallable header")
    return ChipCallable.from_buffer_copy(blob[:HEADER_SIZE])
