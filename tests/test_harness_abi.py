"""The ctypes mirrors match the C++ headers: every offset, size, enum value, constant and C ABI signature is
read from a compiled probe program and compared, and built ChipCallable blobs pass (or fail, with the
expected reason) the C++ `pto::validate_chip_callable`."""

from __future__ import annotations

import ctypes
import enum
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from ptogen import paths
from ptogen.harness import abi
from ptogen.harness.binding import C_API
from ptogen.harness.callable import HEADER_SIZE, Kernel, build_chip_callable

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++")

CXXFLAGS = ["-std=c++17", "-Wall", "-Wextra", "-Werror"]
C_API_HEADER = paths.runtimes_dir() / "include" / "pto" / "pto_runtime_c_api.h"

# (ctypes mirror, C++ type name)
STRUCTS: list[tuple[type[ctypes.Structure], str]] = [
    (abi.ContinuousTensor, "pto::ContinuousTensor"),
    (abi.ChipStorageTaskArgs, "pto::ChipStorageTaskArgs"),
    (abi.CoreCallable, "pto::CoreCallable"),
    (abi.ChipCallable, "pto::ChipCallable"),
    (abi.PtoRunTiming, "PtoRunTiming"),
]
# (Python enum, C++ scope of its enumerators)
ENUMS: list[tuple[type[enum.IntEnum], str]] = [
    (abi.DataType, "pto::DataType::"),
    (abi.ArgDirection, "pto::ArgDirection::"),
    (abi.CoreType, "pto::CoreType::"),
    (abi.PtoError, ""),
]
# Python constant name -> C++ expression
CONSTANTS: dict[str, str] = {
    "MAX_TENSOR_DIMS": "pto::kMaxTensorDims",
    "MAX_TENSOR_ARGS": "pto::kMaxTensorArgs",
    "MAX_SCALAR_ARGS": "pto::kMaxScalarArgs",
    "DATA_TYPE_COUNT": "pto::kDataTypeCount",
    "CHIP_CALLABLE_MAGIC": "pto::kChipCallableMagic",
    "CHIP_CALLABLE_VERSION": "pto::kChipCallableVersion",
    "MAX_SIGNATURE": "pto::kMaxSignature",
    "MAX_CORE_CALLABLES": "pto::kMaxCoreCallables",
    "MAX_FUNC_ID": "pto::kMaxFuncId",
    "MAX_CORE_SIGNATURE": "pto::kMaxCoreSignature",
    "MAX_SYMBOL_NAME": "pto::kMaxSymbolName",
    "MAX_REGISTERED_CALLABLE_IDS": "PTO_MAX_REGISTERED_CALLABLE_IDS",
}
INCLUDES = ["pto/task_args.h", "pto/callable.h", "pto/pto_runtime_c_api.h"]


def compile_cxx(source: str, output: Path, *extra: str) -> Path:
    source_path = output.with_suffix(".cpp")
    source_path.write_text(source)
    command = ["g++", *CXXFLAGS, f"-I{paths.runtimes_dir() / 'include'}", *extra, str(source_path), "-o", str(output)]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, f"{' '.join(command)}\n{result.stderr}"
    return output


def run_probe_program(tmp_path: Path, body: list[str]) -> str:
    """Compiles a program including the ABI headers whose main() runs `body`; returns what it printed."""
    includes = "".join(f'#include "{header}"\n' for header in INCLUDES)
    source = f"{includes}#include <cstddef>\n#include <cstdio>\n#include <type_traits>\n#include <utility>\n{TRAITS}"
    source += "int main() {\n" + "".join(f"    {line}\n" for line in body) + "    return 0;\n}\n"
    probe = compile_cxx(source, tmp_path / "probe")
    return subprocess.run([str(probe)], capture_output=True, text=True, check=True).stdout


def run_probe(tmp_path: Path, body: list[str]) -> dict[str, int]:
    """Runs a probe printing "key value" lines; returns them as a dict."""
    values: dict[str, int] = {}
    for line in run_probe_program(tmp_path, body).splitlines():
        key, value = line.rsplit(" ", 1)
        values[key] = int(value)
    return values


def emit(key: str, expression: str) -> str:
    return f'std::printf("%s %lld\\n", "{key}", static_cast<long long>({expression}));'


def test_struct_layouts_match_the_headers(tmp_path: Path) -> None:
    body, expected = [], {}
    for mirror, cxx in STRUCTS:
        body += [emit(f"{cxx} sizeof", f"sizeof({cxx})"), emit(f"{cxx} alignof", f"alignof({cxx})")]
        expected[f"{cxx} sizeof"] = ctypes.sizeof(mirror)
        expected[f"{cxx} alignof"] = ctypes.alignment(mirror)
        for name, _ in mirror._fields_:
            descriptor = getattr(mirror, name)
            body += [emit(f"{cxx}.{name} offset", f"offsetof({cxx}, {name})"),
                     emit(f"{cxx}.{name} size", f"sizeof(std::declval<{cxx}>().{name})")]
            expected[f"{cxx}.{name} offset"] = descriptor.offset
            expected[f"{cxx}.{name} size"] = descriptor.size
    assert run_probe(tmp_path, body) == expected


def test_enums_and_constants_match_the_headers(tmp_path: Path) -> None:
    body, expected = [], {}
    for mirror, scope in ENUMS:
        for member in mirror:
            body.append(emit(f"{mirror.__name__}.{member.name}", f"{scope}{member.name}"))
            expected[f"{mirror.__name__}.{member.name}"] = int(member)
    for name, cxx in CONSTANTS.items():
        body.append(emit(name, cxx))
        expected[name] = getattr(abi, name)
    body += [emit("sizeof DataType", "sizeof(pto::DataType)"), emit("sizeof ArgDirection", "sizeof(pto::ArgDirection)"),
             emit("sizeof CoreType", "sizeof(pto::CoreType)")]
    expected.update({"sizeof DataType": 4, "sizeof ArgDirection": 1, "sizeof CoreType": 4})
    for member in abi.DataType:
        body.append(emit(f"dtype_size {member.name}", f"pto::dtype_size(pto::DataType::{member.name})"))
        expected[f"dtype_size {member.name}"] = member.itemsize
    assert len(abi.DataType) == abi.DATA_TYPE_COUNT
    assert run_probe(tmp_path, body) == expected


# Describes each parameter of a function pointer type as "ptr", "void" or "i<bytes>"/"u<bytes>".
TRAITS = r"""
template <typename T> void kind() {
    if constexpr (std::is_void_v<T>) std::printf(" void");
    else if constexpr (std::is_pointer_v<T>) std::printf(" ptr");
    else std::printf(" %c%zu", std::is_signed_v<T> ? 'i' : 'u', sizeof(T));
}
template <typename R, typename... A> void describe(const char *name, R (*)(A...)) {
    std::printf("%s", name); kind<R>(); std::printf(" ->"); (kind<A>(), ...); std::printf(" %zu\n", sizeof...(A));
}
"""


def ctypes_kind(type_: object) -> str:
    if type_ is None:
        return "void"
    if type_ in (ctypes.c_void_p, ctypes.c_char_p) or issubclass(type_, ctypes._Pointer):
        return "ptr"
    signed = type_(-1).value < 0
    return f"{'i' if signed else 'u'}{ctypes.sizeof(type_)}"


def test_c_api_table_matches_the_header(tmp_path: Path) -> None:
    header = re.sub(r"/\*.*?\*/", "", C_API_HEADER.read_text(), flags=re.S)
    declared = set(re.findall(r"^[A-Za-z_][\w \t*]*?\b(\w+)\s*\([^;]*\);", header, flags=re.M))
    assert declared == {spec.name for spec in C_API}

    body = [f'describe("{spec.name}", static_cast<decltype(&{spec.name})>(nullptr));' for spec in C_API]
    expected = [f"{spec.name} {ctypes_kind(spec.restype)} ->"
                + "".join(f" {ctypes_kind(arg)}" for arg in spec.argtypes) + f" {len(spec.argtypes)}"
                for spec in C_API]
    assert run_probe_program(tmp_path, body).splitlines() == expected


VALIDATOR = r"""
#include <cstring>
#include "pto/callable.h"

extern "C" int check_chip_callable(const void *blob, size_t size, char *why, size_t why_len) {
    if (size < sizeof(pto::ChipCallable)) { std::strncpy(why, "blob shorter than header", why_len); return 0; }
    const auto *callable = static_cast<const pto::ChipCallable *>(blob);
    if (callable->total_size != size) { std::strncpy(why, "total_size differs from blob size", why_len); return 0; }
    return pto::validate_chip_callable(callable, why, why_len) ? 1 : 0;
}
"""


@pytest.fixture(scope="module")
def validate(tmp_path_factory: pytest.TempPathFactory) -> Callable[[bytes], tuple[bool, str]]:
    library_path = compile_cxx(VALIDATOR, tmp_path_factory.mktemp("validator") / "libvalidate.so",
                               "-shared", "-fPIC")
    function = ctypes.CDLL(str(library_path)).check_chip_callable
    function.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t]
    function.restype = ctypes.c_int

    def run(blob: bytes) -> tuple[bool, str]:
        buffer = ctypes.create_string_buffer(blob, len(blob))  # malloc-aligned, like the runtime's copy
        why = ctypes.create_string_buffer(256)
        ok = function(ctypes.addressof(buffer), len(blob), why, len(why))
        return bool(ok), why.value.decode()

    return run


def sample_blob() -> bytes:
    In, Out = abi.ArgDirection.IN, abi.ArgDirection.OUT
    kernels = [Kernel(7, abi.CoreType.AIV, b"\x7fELF-aiv" * 13, [In, In, Out]),
               Kernel(3, abi.CoreType.AIC, b"\x7fELF-aic" * 5, [In, Out])]
    return build_chip_callable(b"orch-bytes" * 10, "build_graph", [In, In, Out, abi.ArgDirection.SCALAR], kernels,
                               config_name="graph_config")


def test_built_blobs_pass_the_cxx_validator(validate) -> None:
    assert validate(sample_blob()) == (True, "")
    assert validate(build_chip_callable(b"x", "f", [], [])) == (True, "")
    many = [Kernel(i, abi.CoreType(i % 2), bytes([i + 1]) * (i + 1)) for i in range(abi.MAX_CORE_CALLABLES)]
    name = "n" * (abi.MAX_SYMBOL_NAME - 1)
    assert validate(build_chip_callable(b"o", name, [abi.ArgDirection.INOUT] * abi.MAX_SIGNATURE, many, name)) == (
        True, "")


def patched(blob: bytes, offset: int, value: int, width: int) -> bytes:
    data = bytearray(blob)
    data[offset:offset + width] = value.to_bytes(width, "little", signed=value < 0)
    return bytes(data)


def test_corrupted_blobs_fail_the_cxx_validator_with_the_reason(validate) -> None:
    blob = sample_blob()
    child = abi.ChipCallable.children.offset
    kernel = abi.CoreCallable
    assert validate(patched(blob, abi.ChipCallable.magic.offset, 0x12345678, 4)) == (
        False, "callable magic is wrong (not a ChipCallable blob)")
    assert validate(patched(blob, abi.ChipCallable.version.offset, 2, 4)) == (
        False, "callable version is not supported")
    assert validate(patched(blob, child + kernel.offset.offset, len(blob), 8)) == (
        False, "kernel bytes lie outside the callable")
    assert validate(patched(blob, child + kernel.size.offset, len(blob), 8)) == (
        False, "kernel bytes lie outside the callable")
    assert validate(patched(blob, child + kernel.offset.offset, 0, 8)) == (
        False, "kernel bytes lie outside the callable")
    assert validate(patched(blob, abi.ChipCallable.orch_offset.offset, len(blob) - 3, 8)) == (
        False, "orchestration bytes lie outside the callable")
    second = child + ctypes.sizeof(kernel)
    assert validate(patched(blob, second + kernel.func_id.offset, 7, 4)) == (False, "two kernels share one func_id")
    assert validate(patched(blob, child + kernel.core_type.offset, 2, 4)) == (
        False, "kernel core_type is neither AIC nor AIV")
    assert validate(patched(blob, abi.ChipCallable.signature.offset, 4, 1)) == (
        False, "callable signature holds an unknown direction")


def test_payload_layout(validate) -> None:
    blob = sample_blob()
    header = abi.ChipCallable.from_buffer_copy(blob[:HEADER_SIZE])
    assert header.total_size == len(blob)
    assert header.orch_offset % 64 == 0 and header.orch_offset >= HEADER_SIZE
    assert blob[header.orch_offset:header.orch_offset + header.orch_size] == b"orch-bytes" * 10
    offsets = [header.orch_offset]
    for index, (func_id, binary) in enumerate([(7, b"\x7fELF-aiv" * 13), (3, b"\x7fELF-aic" * 5)]):
        child = header.children[index]
        assert (child.func_id, child.offset % 64, child.resolved_addr) == (func_id, 0, 0)
        assert blob[child.offset:child.offset + child.size] == binary
        offsets.append(child.offset)
    assert offsets == sorted(offsets)
    assert (header.func_name, header.config_name) == (b"build_graph", b"graph_config")
    assert list(header.signature[:header.signature_count]) == [1, 1, 2, 0]
    assert list(header.children[0].signature[:header.children[0].signature_count]) == [1, 1, 2]
