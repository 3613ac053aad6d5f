"""`python -m ptogen.trace OUTDIR [-o PNG]`: the same as `ptogen trace`."""

from __future__ import annotations

import argparse
import sys

from ptogen.trace.cli import add_trace_parser


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ptogen.trace")
    sub = parser.add_subparsers(dest="command", required=True)
    add_trace_parser(sub)
    args = parser.parse_args(["trace", *(sys.argv[1:] if argv is None else argv)])
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
