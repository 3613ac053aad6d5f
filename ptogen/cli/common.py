"""What the `ptogen` commands share: choosing arches, reporting unusable ones, and formatting."""

from __future__ import annotations

import argparse
import sys
import typing
from collections.abc import Sequence
from pathlib import Path

from ptogen import layout, paths
from ptogen.arch import Arch, ArchError


def arch_path_parser() -> argparse.ArgumentParser:
    """The parent parser of every command that takes --arch: hook folders outside templates/arches/."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument(
        "--arch-path",
        action="append",
        metavar="DIR",
        help=f"also look for arches in DIR (repeatable; after templates/arches/, before ${paths.ARCH_PATH_ENV}); "
        "their C++ is generated into build/generated/<arch>/",
    )
    return parser


class UsageError(Exception):
    """A user's mistake in the command line, caught before any work: printed as one line, exit 2."""


def check_at_least_one(option: str, value: int) -> None:
    if value < 1:
        raise UsageError(f"{option} {value}: must be at least 1")


def check_device(device: int, needed: int = 1) -> None:
    """`needed` simulated devices from `device` on must exist (ptosim's count, from its header)."""
    from ptogen.harness.ptosim import device_count

    count = device_count()
    if not 0 <= device <= count - needed:
        span = f"0..{count - needed}" + (f" (it takes {needed} devices from there)" if needed > 1 else "")
        raise UsageError(f"--device {device}: outside the simulated devices, choose {span}")


def check_runtime(runtime: str | None) -> None:
    from ptogen import build

    known = build.known_runtimes()
    if runtime is not None and runtime not in known:
        raise UsageError(f"--runtime {runtime}: unknown runtime (known: {', '.join(known) or 'none'})")


def check_arch_paths(directories: Sequence[str]) -> None:
    missing = [d for d in directories if not Path(d).expanduser().is_dir()]
    if missing:
        raise UsageError(f"--arch-path {missing[0]}: no such directory")


def select_arches(arches: typing.Mapping[str, Arch], wanted: Sequence[str] | None) -> dict[str, Arch]:
    if not wanted:
        return dict(arches)
    unknown = [name for name in wanted if name not in arches]
    if unknown:
        known = ", ".join(sorted(arches)) or "none"
        raise SystemExit(f"ptogen: unknown arch {', '.join(unknown)} (known: {known})")
    return {name: arches[name] for name in wanted}


def report_broken(command: str, broken: typing.Mapping[str, ArchError], verb: str) -> None:
    for name, error in sorted(broken.items()):
        print(f"ptogen {command}: arch {name} {verb}:\n{error}", file=sys.stderr)


def comma_separated(values: Sequence[str] | None) -> list[str]:
    return [item.strip() for value in values or () for item in value.split(",") if item.strip()]


def human_size(num_bytes: int) -> str:
    if num_bytes < 1024 * 1024:
        return f"{num_bytes / 1024:.1f} KiB"
    return f"{num_bytes / (1024 * 1024):.1f} MiB"


def ms(ns: int) -> str:
    return f"{ns / 1e6:9.3f}"


def add_build_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--build-dir", type=Path, metavar="DIR", default=Path.cwd() / layout.DEFAULT_SCENE_BUILD,
        help=f"where the scenes' kernels and orchestration are built (default: ./{layout.DEFAULT_SCENE_BUILD}/); "
        "the runtime programs are ptogen's own, built once and shared",
    )
