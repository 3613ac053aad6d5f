"""build_chip_callable rejects what the C++ validator would reject, with a message naming the input."""

from __future__ import annotations

import pytest

from ptogen.harness.abi import MAX_CORE_CALLABLES, MAX_SIGNATURE, ArgDirection, CoreType
from ptogen.harness.callable import CallableError, Kernel, build_chip_callable, read_chip_callable

IN, OUT = ArgDirection.IN, ArgDirection.OUT


def kernel(func_id: int = 0, **overrides: object) -> Kernel:
    fields: dict[str, object] = {"func_id": func_id, "core_type": CoreType.AIV, "binary": b"code", "signature": ()}
    fields.update(overrides)
    return Kernel(**fields)  # type: ignore[arg-type]


def test_duplicate_func_id_is_named() -> None:
    with pytest.raises(CallableError, match="two kernels share func_id 5"):
        build_chip_callable(b"orch", "entry", [IN], [kernel(5), kernel(1), kernel(5)])


@pytest.mark.parametrize(("field", "name"), [("func_name", "f" * 64), ("config_name", "c" * 64),
                                              ("func_name", "é" * 32)])
def test_names_too_long(field: str, name: str) -> None:
    names = {"func_name": "entry", "config_name": "", field: name}
    with pytest.raises(CallableError, match=f"{field} .* is 64 bytes long; at most 63 fit"):
        build_chip_callable(b"orch", names["func_name"], [], [], config_name=names["config_name"])


def test_longest_names_fit() -> None:
    blob = build_chip_callable(b"orch", "f" * 63, [], [], config_name="c" * 63)
    header = read_chip_callable(blob)
    assert (header.func_name, header.config_name) == (b"f" * 63, b"c" * 63)


def test_too_many_kernels() -> None:
    kernels = [kernel(i) for i in range(MAX_CORE_CALLABLES + 1)]
    with pytest.raises(CallableError, match="65 kernels, at most 64"):
        build_chip_callable(b"orch", "entry", [], kernels)


def test_too_many_signature_entries() -> None:
    with pytest.raises(CallableError, match="129 entries, at most 128"):
        build_chip_callable(b"orch", "entry", [IN] * (MAX_SIGNATURE + 1), [])
    with pytest.raises(CallableError, match="kernel 2: signature has 17 entries, at most 16"):
        kernel(2, signature=[OUT] * 17)


@pytest.mark.parametrize(("overrides", "message"), [
    ({"func_id": 1024}, r"func_id 1024 is outside \[0, 1024\)"),
    ({"func_id": -1}, r"func_id -1 is outside"),
    ({"func_id": True}, "func_id must be an int"),
    ({"core_type": 2}, "core_type 2 is neither AIC nor AIV"),
    ({"binary": b""}, "binary is empty"),
    ({"binary": "text"}, "binary must be bytes"),
    ({"signature": [1, 9]}, r"kernel 0 signature\[1\] = 9 is not an ArgDirection"),
])
def test_bad_kernels(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(CallableError, match=message):
        kernel(**overrides)


@pytest.mark.parametrize(("args", "message"), [
    ((b"", "entry", [], []), "orchestration is empty"),
    ((b"o", "", [], []), "func_name is empty"),
    ((b"o", "a\0b", [], []), "contains a NUL byte"),
    ((b"o", "entry", [IN, 7], []), r"callable signature\[1\] = 7 is not an ArgDirection"),
    ((b"o", "entry", [], [object()]), "kernels must hold Kernel objects"),
])
def test_bad_callables(args: tuple, message: str) -> None:
    with pytest.raises(CallableError, match=message):
        build_chip_callable(*args)


def test_kernel_normalises_its_fields() -> None:
    k = Kernel(3, 0, bytearray(b"xy"), [1, 2])
    assert (k.core_type, k.binary, k.signature) == (CoreType.AIC, b"xy", (IN, OUT))
    assert "xy" not in repr(k)


def test_read_rejects_short_blobs() -> None:
    with pytest.raises(CallableError, match="shorter than the 3880-byte ChipCallable header"):
        read_chip_callable(b"PTCL")
