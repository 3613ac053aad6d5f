"""The `ptogen` command: one module a group of commands (arches, builds, scenes; `ptogen trace` lives with
the trace converter), each adding its own subparsers."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ptogen import __version__, paths, progress
from ptogen.arch import ArchError
from ptogen.cli import arch_commands, build_commands, scene_commands
from ptogen.cli.common import arch_path_parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ptogen", description=__doc__)
    parser.add_argument("--version", action="version", version=f"ptogen {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    arch_path = arch_path_parser()
    arch_commands.add_parsers(sub, arch_path)
    build_commands.add_parsers(sub, arch_path)
    scene_commands.add_parsers(sub, arch_path)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # `ptogen test --sanitize` runs itself again
    if getattr(args, "arch_path", None):
        paths.add_arch_path(args.arch_path)
    shown = progress.enabled()
    progress.enable()  # every build a command runs shows its steps on stderr (restored: main may be called in-process)
    try:
        return args.func(args)
    except ArchError as error:  # the arch a command named is unusable: its problems, each at its line
        print(f"ptogen: {error}", file=sys.stderr)
        return 2
    finally:
        progress.enable(shown)
