"""The toolchains a build needs, where they are, and what to install when one is missing.

One place answers "can this machine build platform P?": the SConstruct asks it which compilers to use,
`ptogen build` uses it to word a missing toolchain, and `ptogen doctor` prints it. Finding a tool never runs
it; `version()` does, on demand.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

CANN_ENV = "ASCEND_HOME_PATH"
CROSS_CXX_ENV = "PTOGEN_AARCH64_CXX"
CROSS_CXX = "aarch64-linux-gnu-g++"
CROSS_PACKAGE = "g++-aarch64-linux-gnu"


@dataclass(frozen=True)
class Tool:
    name: str  # what the user knows it as: "g++", "aarch64-linux-gnu-g++", "ccec", "ASCEND_HOME_PATH"
    path: Path | None  # where it was found; None when missing
    builds: str  # what it is needed for
    install: str  # how to get it when missing

    @property
    def found(self) -> bool:
        return self.path is not None

    def version(self) -> str:
        """Its version line (a CANN toolkit's from its version file); "" when missing or unknown."""
        if self.path is None:
            return ""
        if self.path.is_dir():
            return cann_version(self.path)
        try:
            done = subprocess.run(
                [str(self.path), "--version"], capture_output=True, text=True, timeout=20, check=False
            )
        except (OSError, subprocess.SubprocessError):
            return ""
        lines = [line.strip() for line in (done.stdout or done.stderr).splitlines() if line.strip()]
        return lines[0] if lines else ""


def _which(name: str) -> Path | None:
    found = shutil.which(name)
    return Path(found) if found else None


def cann_home() -> Path | None:
    value = os.environ.get(CANN_ENV, "").strip()
    return Path(value) if value and Path(value).is_dir() else None


def cann_version(home: Path) -> str:
    for candidate in ("version.cfg", "version.info", "compiler/version.info", "runtime/version.info"):
        path = home / candidate
        if path.is_file():
            for line in path.read_text(errors="replace").splitlines():
                if line.lower().startswith(("version=", "version:")):
                    return f"CANN {line.split('=', 1)[-1].split(':', 1)[-1].strip()}"
    return f"CANN at {home}"


def host_cxx() -> Tool:
    name = os.environ.get("CXX", "g++")
    return Tool(name, _which(name), "the host library and, on sim, every program", "apt-get install g++")


def scons() -> Tool:
    path = _which("scons")
    if path is None:
        try:
            import SCons  # noqa: F401  (ptogen build runs it as `python -m SCons`)

            path = Path(SCons.__file__).parent
            return Tool("scons", path, "the build graph", "pip install scons")
        except ImportError:
            pass
    return Tool("scons", path, "the build graph", "pip install scons")


def cross_cxx() -> Tool:
    name = os.environ.get(CROSS_CXX_ENV, CROSS_CXX)
    return Tool(
        name,
        _which(name),
        "the onboard AICPU program and dispatcher (aarch64)",
        f"apt-get install {CROSS_PACKAGE} (or set {CROSS_CXX_ENV})",
    )


def ccec() -> Tool:
    path = _which("ccec")
    home = cann_home()
    if path is None and home is not None:
        for candidate in (home / "compiler" / "ccec_compiler" / "bin" / "ccec", home / "bin" / "ccec"):
            if candidate.is_file():
                path = candidate
                break
    return Tool("ccec", path, "the onboard AICore program", f"install the CANN toolkit and set {CANN_ENV}")


def cann() -> Tool:
    return Tool(
        CANN_ENV,
        cann_home(),
        "linking the onboard host library (CANN headers, libascendcl, libruntime)",
        f"install the CANN toolkit and set {CANN_ENV}, e.g. by sourcing ascend-toolkit/set_env.sh",
    )


def scons_version(tool: Tool) -> str:
    try:
        import SCons

        return f"SCons {SCons.__version__}"
    except ImportError:
        return tool.version()


def for_platform(platform: str) -> list[Tool]:
    """The tools a build of `platform` uses, in the order the build needs them."""
    if platform == "sim":
        return [host_cxx(), scons()]
    return [host_cxx(), scons(), cross_cxx(), ccec(), cann()]


def cann_include_dirs(home: Path) -> list[Path]:
    """Where CANN keeps runtime/, acl/ and ascend_hal.h (see runtimes/platform/cann/README.md)."""
    candidates = [
        home / "include",
        home / "include" / "experiment" / "runtime",
        home / "include" / "experiment" / "ascend_hal" / "driver",
        home / "include" / "experiment" / "slog",
        home / "include" / "experiment",
    ]
    return [path for path in candidates if path.is_dir()]


def cann_library_dirs(home: Path) -> list[Path]:
    candidates = [home / "lib64", home / "runtime" / "lib64"]
    candidates += [folder / "stub" for folder in candidates]
    return [path for path in candidates if path.is_dir()]


def cann_libraries(home: Path) -> list[str]:
    """The CANN libraries the host library links: ascendcl and runtime always, the driver and log when present."""
    libraries = ["ascendcl", "runtime"]
    dirs = cann_library_dirs(home)
    for optional in ("ascend_hal", "unified_dlog", "ascendalog"):
        if any((d / f"lib{optional}.so").exists() for d in dirs):
            libraries.append(optional)
    return libraries
