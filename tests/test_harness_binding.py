"""The binding's own logic: loading errors name the library and each missing symbol, and a negative rc
becomes a RuntimeCallError naming the call, the rc and the context's last error message.

The calls themselves are exercised against a built libhost_runtime.so by the end-to-end suites."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from ptogen.harness.abi import PtoError, describe_rc
from ptogen.harness.binding import C_API, HostRuntime, HostRuntimeError, RuntimeCallError


def test_describe_rc() -> None:
    assert describe_rc(0) == "ok"
    assert describe_rc(-3) == "PTO_ERR_NOT_REGISTERED"
    assert describe_rc(-6) == "PTO_ERR_INTERNAL"
    assert describe_rc(-507899) == "CANN error 507899"
    assert [describe_rc(int(code)) for code in PtoError] == [code.name for code in PtoError]


def test_call_error_text() -> None:
    error = RuntimeCallError("prepare_callable", -3, "callable id 9 has no prepared callable")
    assert str(error) == ("prepare_callable failed: rc=-3 (PTO_ERR_NOT_REGISTERED): "
                          "callable id 9 has no prepared callable")
    assert (error.call, error.rc, error.message) == ("prepare_callable", -3, "callable id 9 has no prepared callable")
    assert str(RuntimeCallError("simpler_init", -107001, "")) == (
        "simpler_init failed: rc=-107001 (CANN error 107001); the runtime left no message")
    assert isinstance(error, HostRuntimeError)


def function_table(rcs: dict[str, int], messages: dict[int, bytes]) -> dict[str, object]:
    """In-process stand-ins: each int entry returns its rc; get_last_error_ctx returns the context's text."""

    def returning(rc: int) -> Callable[..., int]:
        return lambda *args: rc

    table: dict[str, object] = {spec.name: returning(rcs.get(spec.name, 0)) for spec in C_API}
    table["get_last_error_ctx"] = lambda ctx: messages.get(ctx)
    return table


def test_negative_rc_raises_with_the_context_message() -> None:
    runtime = HostRuntime.from_functions("fake.so", function_table(
        {"run_prepared": -2, "copy_to_device_ctx": -507011, "finalize_device": 0}, {7: b"run before simpler_init"}))
    with pytest.raises(RuntimeCallError) as caught:
        runtime.call("run_prepared", 7, None, 0)
    assert str(caught.value) == "run_prepared failed: rc=-2 (PTO_ERR_STATE): run before simpler_init"
    with pytest.raises(RuntimeCallError, match=r"^copy_to_device_ctx failed: rc=-507011 \(CANN error 507011\); "
                                               "the runtime left no message$"):
        runtime.call("copy_to_device_ctx", 8, 0, 0, 0)
    assert runtime.call("finalize_device", 7) == 0


def test_function_table_must_be_complete() -> None:
    table = function_table({}, {})
    del table["run_prepared"], table["get_last_error_ctx"]
    with pytest.raises(HostRuntimeError, match="fake.so: function table lacks run_prepared, get_last_error_ctx"):
        HostRuntime.from_functions("fake.so", table)


def test_missing_library(tmp_path: Path) -> None:
    with pytest.raises(HostRuntimeError, match="libhost_runtime.so does not exist"):
        HostRuntime(tmp_path / "libhost_runtime.so")


def test_unloadable_library(tmp_path: Path) -> None:
    path = tmp_path / "libhost_runtime.so"
    path.write_bytes(b"not an ELF file")
    with pytest.raises(HostRuntimeError, match="cannot load host runtime library .*libhost_runtime.so"):
        HostRuntime(path)


@pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++")
def test_every_missing_symbol_is_named(tmp_path: Path) -> None:
    source = tmp_path / "partial.cpp"
    source.write_text('#include <cstddef>\nextern "C" size_t get_runtime_size(void) { return 64; }\n'
                      'extern "C" void *create_device_context(void) { return nullptr; }\n')
    library = tmp_path / "libpartial.so"
    subprocess.run(["g++", "-shared", "-fPIC", str(source), "-o", str(library)], check=True)
    with pytest.raises(HostRuntimeError) as caught:
        HostRuntime(library)
    missing = [spec.name for spec in C_API if spec.name not in ("get_runtime_size", "create_device_context")]
    assert str(caught.value) == (f"{library} does not export {', '.join(missing)} "
                                 "(the C ABI of pto_runtime_c_api.h requires every symbol)")
