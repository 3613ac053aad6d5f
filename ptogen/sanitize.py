"""Sanitized builds and the process they run in: which sanitizers a build is instrumented with and the name of
its variant, the environment of a child process that preloads their runtimes (Python is not instrumented;
the harness knows which build to load from PTOGEN_SANITIZE, set together with the preload), and the reports
they write. Why each option is what it is, and what ThreadSanitizer still finds: docs/sanitizers.md.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path

ENV = "PTOGEN_SANITIZE"
# sanitizer -> (short name in variant folders, the GCC runtime a process must preload, its options variable)
SANITIZERS: dict[str, tuple[str, str, str]] = {
    "address": ("asan", "libasan.so", "ASAN_OPTIONS"),
    "thread": ("tsan", "libtsan.so", "TSAN_OPTIONS"),
    "undefined": ("ubsan", "libubsan.so", "UBSAN_OPTIONS"),
}
OPTIONS = {
    "ASAN_OPTIONS": "detect_leaks=0:abort_on_error=1",
    "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
    "TSAN_OPTIONS": "halt_on_error=1:second_deadlock_stack=1",
}
# Every name a report file can start with (log_path=<dir>/<name> writes <dir>/<name>.<pid>).
REPORT_PREFIX = "report"


class SanitizeError(ValueError):
    """A sanitizer list that cannot be built or run."""


def parse(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """"address,undefined" (or a list of such) -> the sanitizers in canonical order; () for none."""
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else list(value)
    names = {name.strip() for item in items for name in item.split(",") if name.strip()}
    unknown = sorted(names - set(SANITIZERS))
    if unknown:
        raise SanitizeError(f"unknown sanitizer {', '.join(unknown)} (known: {', '.join(SANITIZERS)})")
    if {"address", "thread"} <= names:
        raise SanitizeError("address and thread cannot be combined (build them as two variants)")
    return tuple(name for name in SANITIZERS if name in names)


def from_environment() -> tuple[str, ...]:
    """The sanitized build this process loads: PTOGEN_SANITIZE, set with the preload by environment()."""
    return parse(os.environ.get(ENV))


def label(sanitizers: Iterable[str]) -> str:
    """("address", "undefined") -> "asan+ubsan": the suffix of the variant's platform folder."""
    return "+".join(SANITIZERS[name][0] for name in sanitizers)


@cache
def runtime_library(name: str) -> Path:
    """Where the compiler keeps a sanitizer runtime (g++ -print-file-name=libasan.so)."""
    cxx = os.environ.get("CXX", "g++")
    try:
        done = subprocess.run([cxx, f"-print-file-name={name}"], capture_output=True, text=True, check=False)
    except OSError as error:
        raise SanitizeError(f"cannot ask {cxx} where {name} is: {error}") from error
    path = Path(done.stdout.strip())
    if not path.is_absolute() or not path.exists():
        raise SanitizeError(f"{cxx} has no {name} (install the compiler's sanitizer runtime, e.g. libasan8)")
    return path.resolve()


def runtime_libraries(sanitizers: Iterable[str]) -> list[Path]:
    return [runtime_library(SANITIZERS[name][1]) for name in sanitizers]


def environment(sanitizers: Iterable[str], log_dir: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a process that loads the sanitized build: the runtimes preloaded (ASan or TSan first,
    as they require), each sanitizer's options with its reports written under log_dir, PTOGEN_SANITIZE set."""
    chosen = parse(list(sanitizers))
    env = dict(os.environ if base is None else base)
    preload = [str(path) for path in runtime_libraries(chosen)]
    env["LD_PRELOAD"] = " ".join(preload + [p for p in env.get("LD_PRELOAD", "").split() if p not in preload])
    for name in chosen:
        variable = SANITIZERS[name][2]
        env[variable] = f"{OPTIONS[variable]}:log_path={log_dir / REPORT_PREFIX}"
    env[ENV] = ",".join(chosen)
    return env


def without_preload(env: Mapping[str, str]) -> dict[str, str]:
    """env for a tool run from a sanitized process (SCons, the compiler): no sanitizer runtime preloaded."""
    runtimes = {SANITIZERS[name][1].removesuffix(".so") for name in SANITIZERS}
    cleaned = dict(env)
    kept = [p for p in cleaned.get("LD_PRELOAD", "").split() if not Path(p).name.startswith(tuple(runtimes))]
    if kept:
        cleaned["LD_PRELOAD"] = " ".join(kept)
    else:
        cleaned.pop("LD_PRELOAD", None)
    return cleaned


def loaded_runtimes() -> set[str]:
    """The sanitizer runtimes mapped into this process (their names without the version: "libasan")."""
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return set()
    found = set()
    for name in SANITIZERS.values():
        stem = name[1].removesuffix(".so")
        if f"/{stem}.so" in maps:
            found.add(stem)
    return found


def _missing(sanitizers: Iterable[str]) -> list[str]:
    loaded = loaded_runtimes()
    return [SANITIZERS[n][1] for n in sanitizers if SANITIZERS[n][1].removesuffix(".so") not in loaded]


def is_loaded(sanitizers: Iterable[str]) -> bool:
    """Whether every runtime of `sanitizers` is mapped into this process (it can load their programs)."""
    return not _missing(sanitizers)


def check_loadable(sanitizers: Iterable[str]) -> None:
    """Raises naming what is missing when this process cannot load programs built with `sanitizers`."""
    sanitizers = list(sanitizers)
    missing = _missing(sanitizers)
    if missing:
        raise SanitizeError(
            f"{ENV}={','.join(sanitizers)} but {', '.join(missing)} is not preloaded into this process: run "
            f"`ptogen test --sanitize {','.join(sanitizers)}`, or set LD_PRELOAD as ptogen.sanitize.environment() does"
        )


def reports(log_dir: Path) -> list[Path]:
    """The report files the sanitizers wrote under log_dir, oldest first."""
    if not log_dir.is_dir():
        return []
    return sorted(log_dir.glob(f"{REPORT_PREFIX}.*"), key=lambda p: p.stat().st_mtime_ns)


def summary(report: Path) -> str:
    """The line naming a finding: the SUMMARY line a sanitizer ends its report with, else its first error line."""
    lines = report.read_text(errors="replace").splitlines()
    for line in lines:
        if line.startswith("SUMMARY:"):
            return line.removeprefix("SUMMARY: ").strip()
    for line in lines:
        if "runtime error:" in line or "ERROR:" in line or "WARNING:" in line:
            return line.strip()
    return lines[0].strip() if lines else "(empty report)"
