"""ELF checks of every program a build produces, so a wrong binary fails the build instead of a device.

For each program: the machine it was built for (x86-64 on sim, AArch64 for the onboard AICPU programs), the
entry points its loader resolves by name, what it exports (the host library exactly the C ABI of
runtimes/include/pto/pto_runtime_c_api.h, nothing else), what it leaves undefined (only the C/C++ runtime
libraries, by the versioned library that provides each symbol, plus the CANN API for the host and the ptosim
seam for sim device programs) and a GNU build-id (how the runtime and a profiler tell binaries apart).

Each failed check is a `Finding` whose text names the file and the reason, e.g.
"libhost_runtime.so exports foo, which is not part of the C ABI".
"""

from __future__ import annotations

import dataclasses
import functools
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile
from elftools.elf.gnuversions import GNUVerNeedSection, GNUVerSymSection
from elftools.elf.sections import NoteSection, SymbolTableSection

from ptogen import c_abi

# Libraries whose versioned symbols any program may import: the C and C++ runtimes a toolchain links by itself.
SYSTEM_LIBRARIES = re.compile(
    r"^(libc\.so\.6|libm\.so\.6|libdl\.so\.2|libpthread\.so\.0|librt\.so\.1|libstdc\+\+\.so\.6|libgcc_s\.so\.1"
    r"|ld-linux[-\w.]*\.so\.\d+)$"
)
# Weak, unversioned references the toolchain's start files leave in every shared object; null when absent.
TOOLCHAIN_WEAK_REFERENCES = frozenset(
    {"__gmon_start__", "_ITM_registerTMCloneTable", "_ITM_deregisterTMCloneTable", "__cxa_finalize"}
)
# A sanitized build's programs also call their sanitizer runtime: its hooks, and the C library functions it
# intercepts, which the linker then binds to it unversioned. Those are what the runtime libraries export.
SANITIZER_LIBRARIES = re.compile(r"^lib(asan|ubsan|tsan|lsan)\.so\.\d+$")
MACHINES = {"x86_64": "EM_X86_64", "aarch64": "EM_AARCH64"}
MACHINE_NAMES = {"EM_X86_64": "x86-64", "EM_AARCH64": "AArch64"}


@dataclass(frozen=True)
class Finding:
    path: Path
    check: str  # "machine", "exports", "undefined", "build-id", "elf"
    message: str  # names the file: "libhost_runtime.so exports foo, which is not part of the C ABI"

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Expectation:
    """What one program must look like."""

    machine: str  # "EM_X86_64" or "EM_AARCH64"
    required_exports: frozenset[str]
    exact_exports: bool = False  # exports nothing besides required_exports (the host library's C ABI)
    abi_name: str = "the C ABI"
    allowed_undefined: frozenset[str] = frozenset()
    allowed_undefined_prefixes: tuple[str, ...] = ()
    build_id: bool = True
    relocatable: bool = False  # an object file (the onboard AICore program): checks its symbol table
    sanitized: bool = False  # may import from the sanitizer runtimes (a sanitized build)


# ---------------------------------------------------------------------------------------------------------------
# Reading an ELF file.


@dataclass
class _Symbols:
    defined: set[str] = field(default_factory=set)
    # name -> (binding, providing library or None when unversioned)
    undefined: dict[str, tuple[str, str | None]] = field(default_factory=dict)


def _version_libraries(elf: ELFFile) -> dict[int, str]:
    """Version index -> the library that provides it (from .gnu.version_r)."""
    libraries: dict[int, str] = {}
    for section in elf.iter_sections():
        if isinstance(section, GNUVerNeedSection):
            for verneed, auxiliaries in section.iter_versions():
                for aux in auxiliaries:
                    libraries[aux["vna_other"]] = verneed.name
    return libraries


def _symbols(elf: ELFFile, relocatable: bool) -> _Symbols:
    table = elf.get_section_by_name(".symtab" if relocatable else ".dynsym")
    found = _Symbols()
    if not isinstance(table, SymbolTableSection):
        return found
    versions = next((s for s in elf.iter_sections() if isinstance(s, GNUVerSymSection)), None)
    libraries = _version_libraries(elf)
    for index, symbol in enumerate(table.iter_symbols()):
        bind = symbol["st_info"]["bind"]
        if not symbol.name or symbol["st_info"]["type"] in ("STT_FILE", "STT_SECTION"):
            continue
        if symbol["st_shndx"] == "SHN_UNDEF":
            library = None
            if versions is not None and not relocatable:
                ndx = versions.get_symbol(index)["ndx"]
                library = libraries.get(ndx) if isinstance(ndx, int) else None
            found.undefined[symbol.name] = (bind, library)
        elif bind in ("STB_GLOBAL", "STB_WEAK", "STB_GNU_UNIQUE") and symbol["st_other"]["visibility"] in (
            "STV_DEFAULT",
            "STV_PROTECTED",
        ):
            found.defined.add(symbol.name)
    return found


def _has_build_id(elf: ELFFile) -> bool:
    for section in elf.iter_sections():
        if isinstance(section, NoteSection):
            if any(note["n_type"] == "NT_GNU_BUILD_ID" for note in section.iter_notes()):
                return True
    return False


def _list(names: Iterable[str], limit: int = 6) -> str:
    ordered = sorted(names)
    shown = ", ".join(ordered[:limit])
    return shown + (f" and {len(ordered) - limit} more" if len(ordered) > limit else "")


def check(path: Path, expect: Expectation) -> list[Finding]:
    """Every way `path` differs from `expect`, one finding per check that fails."""
    path = Path(path)
    name = path.name
    try:
        elf = ELFFile(io.BytesIO(path.read_bytes()))
    except (OSError, ELFError) as error:
        return [Finding(path, "elf", f"{name} is not a readable ELF file ({error})")]
    findings: list[Finding] = []

    machine = elf.header["e_machine"]
    if machine != expect.machine:
        findings.append(
            Finding(
                path,
                "machine",
                f"{name} is built for {MACHINE_NAMES.get(machine, machine)}, "
                f"expected {MACHINE_NAMES.get(expect.machine, expect.machine)}",
            )
        )

    symbols = _symbols(elf, expect.relocatable)
    missing = expect.required_exports - symbols.defined
    if missing:
        findings.append(Finding(path, "exports", f"{name} does not export {_list(missing)}, which it must"))
    if expect.exact_exports:
        extra = symbols.defined - expect.required_exports
        if extra:
            which = "which is" if len(extra) == 1 else "which are"
            text = f"{name} exports {_list(extra)}, {which} not part of {expect.abi_name}"
            findings.append(Finding(path, "exports", text))

    if not expect.relocatable:
        disallowed = []
        for symbol, (bind, library) in sorted(symbols.undefined.items()):
            if library is not None and SYSTEM_LIBRARIES.match(library):
                continue
            if library is not None and expect.sanitized and SANITIZER_LIBRARIES.match(library):
                continue
            if library is None and bind == "STB_WEAK" and symbol in TOOLCHAIN_WEAK_REFERENCES:
                continue
            if symbol in expect.allowed_undefined or symbol.startswith(expect.allowed_undefined_prefixes):
                continue
            disallowed.append(f"{symbol} (from {library})" if library else symbol)
        if disallowed:
            findings.append(
                Finding(path, "undefined", f"{name} needs {_list(disallowed)}, which nothing it may link provides")
            )

    if expect.build_id and not expect.relocatable and not _has_build_id(elf):
        findings.append(Finding(path, "build-id", f"{name} has no GNU build-id (link with -Wl,--build-id)"))
    return findings


# ---------------------------------------------------------------------------------------------------------------
# What each program of a build must look like.

AICPU_ENTRIES = frozenset({"simpler_aicpu_init", "simpler_aicpu_exec"})
AICORE_ENTRIES = frozenset({"aicore_kernel_entry"})
DISPATCHER_ENTRIES = frozenset({"DynTileFwkKernelServerInit"})
SIM_SEAM_PREFIX = "ptosim_"


def expectations(platform: str, root: Path | None = None) -> dict[str, Expectation]:
    """Program role ("host", "aicpu", "aicore", "dispatcher") -> what it must look like on `platform`."""
    host_machine = "EM_X86_64" if platform == "sim" else _native_machine()
    device_machine = "EM_X86_64" if platform == "sim" else "EM_AARCH64"
    seam = (SIM_SEAM_PREFIX,) if platform == "sim" else ()
    return {
        "host": Expectation(
            host_machine,
            c_abi.c_abi_functions(root),
            exact_exports=True,
            abi_name="the C ABI (runtimes/include/pto/pto_runtime_c_api.h)",
            allowed_undefined=c_abi.cann_api_functions(root),
        ),
        "aicpu": Expectation(device_machine, AICPU_ENTRIES, allowed_undefined_prefixes=seam),
        "aicore": Expectation(
            "EM_X86_64" if platform == "sim" else "EM_AARCH64",
            AICORE_ENTRIES,
            allowed_undefined_prefixes=seam,
            relocatable=platform != "sim",
        ),
        "dispatcher": Expectation(device_machine, DISPATCHER_ENTRIES),
    }


@functools.cache
def sanitizer_exports(sanitizers: tuple[str, ...]) -> frozenset[str]:
    """Every symbol the runtime libraries of `sanitizers` export (g++'s libasan.so, libubsan.so, libtsan.so)."""
    from ptogen import sanitize

    names: set[str] = set()
    for library in sanitize.runtime_libraries(sanitizers):
        names |= _symbols(ELFFile(io.BytesIO(library.read_bytes())), relocatable=False).defined
    return frozenset(names)


def _native_machine() -> str:
    import platform as host_platform

    return MACHINES.get(host_platform.machine(), "EM_X86_64")


def check_programs(
    programs: Sequence[tuple[str, Path]], platform: str, root: Path | None = None, *, sanitizers: Sequence[str] = ()
) -> list[Finding]:
    """Checks each (role, path) of a build; roles without an expectation (ptosim, scene programs) are skipped.
    A build instrumented with `sanitizers` may also import what their runtime libraries export.

    The onboard AICore program is compiled by CANN's ccec for the AICore, not for a CPU: only its entry is
    checked there, never its machine.
    """
    expected = expectations(platform, root)
    findings: list[Finding] = []
    for role, path in programs:
        expectation = expected.get(role)
        if expectation is None:
            continue
        if sanitizers:
            expectation = dataclasses.replace(
                expectation,
                allowed_undefined=expectation.allowed_undefined | sanitizer_exports(tuple(sanitizers)),
                sanitized=True,
            )
        found = check(path, expectation)
        if role == "aicore" and platform != "sim":
            found = [f for f in found if f.check != "machine"]
        findings.extend(found)
    return findings
