"""The C ABI of libhost_runtime.so, read from its header: the functions it declares, the CANN API the host
library may import, and the linker version script that exports exactly the C ABI.

The headers are the one statement of both interfaces: the build writes the version script from
runtimes/include/pto/pto_runtime_c_api.h, and the ELF checks (ptogen.elfcheck) compare the built library
with the same parse.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from ptogen import paths


def _strip_comments_and_directives(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.DOTALL)
    text = re.sub(r"//[^\n]*", " ", text)
    # Continued directives first, then every directive line: both branches of an #if are read.
    text = re.sub(r"^\s*#(?:[^\n]*\\\n)*[^\n]*", " ", text, flags=re.MULTILINE)
    return re.sub(r'extern\s+"C"\s*\{', " ", text)


_DECLARATION = re.compile(r"^[A-Za-z_][\w\s\*]*?\b([A-Za-z_]\w*)\s*\((.*)\)\s*$", re.DOTALL)
_NOT_FUNCTIONS = ("typedef", "struct", "enum", "union", "static_assert", "using", "namespace", "static ")


def declared_functions(header: Path) -> frozenset[str]:
    """Every function a C header declares at file scope (typedefs, structs and enums are skipped)."""
    text = _strip_comments_and_directives(header.read_text())
    names: set[str] = set()
    depth = 0
    statement: list[str] = []
    for char in text:
        if char == "{":
            depth += 1
        elif char == "}":
            if depth > 0:
                depth -= 1
            if depth == 0:
                statement.clear()
            continue
        if depth > 0:
            continue
        if char == ";":
            words = " ".join("".join(statement).split())
            statement.clear()
            if words.startswith(_NOT_FUNCTIONS):
                continue
            match = _DECLARATION.match(words)
            if match and "(" not in match.group(0).split(match.group(1))[0]:
                names.add(match.group(1))
        else:
            statement.append(char)
    return frozenset(names)


def c_abi_header(root: Path | None = None) -> Path:
    """runtimes/include/pto/pto_runtime_c_api.h: the C ABI, exactly what libhost_runtime.so exports."""
    return (root or paths.project_root()) / "runtimes" / "include" / "pto" / "pto_runtime_c_api.h"


def c_abi_functions(root: Path | None = None) -> frozenset[str]:
    """The functions of libhost_runtime.so's C ABI, read from runtimes/include/pto/pto_runtime_c_api.h."""
    return declared_functions(c_abi_header(root))


def cann_api_header(root: Path | None = None) -> Path:
    """runtimes/platform/cann/cann_runtime_api.h: the CANN API subset the host library may import."""
    return (root or paths.project_root()) / "runtimes" / "platform" / "cann" / "cann_runtime_api.h"


def cann_api_functions(root: Path | None = None) -> frozenset[str]:
    """The CANN API the host library may import, read from runtimes/platform/cann/cann_runtime_api.h."""
    return declared_functions(cann_api_header(root))


def version_script(functions: Iterable[str]) -> str:
    """A linker version script exporting exactly `functions` and hiding every other symbol."""
    exported = "".join(f"    {name};\n" for name in sorted(functions))
    return "{\n  global:\n" + exported + "  local:\n    *;\n};\n"


def write_version_script(header: Path, target: Path) -> None:
    """The version script of a library whose exports are exactly the functions `header` declares."""
    Path(target).write_text(version_script(declared_functions(Path(header))))
