"""The `ptogen` command: one module a group of commands (arches, builds, scenes; `ptogen trace` lives with
the trace converter), each adding its own subparsers."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ptogen import __version__, paths, progress
from ptogen.arch import ArchError
from ptogen.cli import arch_commands, build_commands, scene_commands
from ptogen.cli.common import UsageError, arch_path_parser, check_arch_paths

EXIT_INTERNAL_ERROR = 70  # EX_SOFTWARE (sysexits.h)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ptogen", description=__doc__)
    parser.add_argument("--version", action="version", version=f"ptogen {__version__}")
    debug_help = "show an error's traceback instead of one line"
    parser.add_argument("--debug", action="store_true", help=debug_help)
    sub = parser.add_subparsers(dest="command", required=True)
    arch_path = arch_path_parser()
    arch_commands.add_parsers(sub, arch_path)
    build_commands.add_parsers(sub, arch_path)
    scene_commands.add_parsers(sub, arch_path)
    for command in sub.choices.values():  # also after the command's name; SUPPRESS keeps a leading one
        command.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=debug_help)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # `ptogen test --sanitize` runs itself again
    shown = progress.enabled()
    progress.enable()  # every build a command runs shows its steps on stderr (restored: main may be called in-process)
    try:
        if getattr(args, "arch_path", None):
            check_arch_paths(args.arch_path)
            paths.add_arch_path(args.arch_path)
        return args.func(args)
    except UsageError as error:  # rejected before any work: the value and what is allowed
        if args.debug:
            raise
        print(f"ptogen {args.command}: {error}", file=sys.stderr)
        return 2
    except ArchError as error:  # the arch a command named is unusable: its problems, each at its line
        if args.debug:
            raise
        print(f"ptogen: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        if args.debug:
            raise
        print(f"ptogen {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # a bug of ptogen's, not the user's: one line unless asked for the traceback
        if args.debug:
            raise
        print(f"ptogen: internal error: {type(error).__name__}: {error} (run with --debug "
              "for the traceback)", file=sys.stderr)
        return EXIT_INTERNAL_ERROR
    finally:
        progress.enable(shown)
