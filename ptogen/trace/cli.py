"""The profiling flags of `ptogen run` and the `ptogen trace` subcommand."""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path
from typing import Any


def add_run_arguments(run: argparse.ArgumentParser) -> None:
    group = run.add_argument_group("profiling (files land in one output directory per `ptogen run`)")
    group.add_argument("--trace", action="store_true", help="L2 swimlane: trace.json (Chrome Trace Event Format)")
    group.add_argument("--level", type=int, choices=(1, 2, 3, 4), default=None,
                       help="swimlane level: 1 AICore tasks, 2 + AICPU dispatch/finish, 3 + scheduler phases, "
                            "4 + orchestrator phases (default 4; implies --trace)")
    group.add_argument("--dump-tensor", action="store_true", help="tensor_dump/tensor_dump.{bin,json}")
    group.add_argument("--pmu", action="store_true", help="pmu.csv: cycles per task (event counters where they exist)")
    group.add_argument("--scope-stats", action="store_true", help="scope_stats.jsonl (tensormap_and_ringbuffer)")
    group.add_argument("--dep-gen", action="store_true", help="deps.json: the run's task graph (arches with dep_gen)")
    group.add_argument("--out", type=Path, help="output directory (default ./outputs/<scene>_<arch>_<timestamp>/)")


def profiling_requested(args: argparse.Namespace) -> bool:
    return bool(args.trace or args.level or args.dump_tensor or args.pmu or args.scope_stats or args.dep_gen)


def new_output_dir(parent: Path, stem: str) -> Path:
    """A directory no other run has: `<stem>_<timestamp>`, then `_2`, `_3`... when runs start in the same second.
    Made here with exist_ok=False, so two concurrent runs can never both take one name."""
    parent.mkdir(parents=True, exist_ok=True)
    base = f"{stem}_{time.strftime('%Y%m%d_%H%M%S')}"
    for attempt in itertools.count(1):
        candidate = parent / (base if attempt == 1 else f"{base}_{attempt}")
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        return candidate.resolve()
    raise AssertionError("unreachable")


def run_config(args: argparse.Namespace, scene_name: str) -> tuple[dict[str, Any], Path | None]:
    """The run_prepared profiling arguments the flags ask for, and the output directory (None: no profiling)."""
    if not profiling_requested(args):
        return {}, None
    outdir = Path(args.out).resolve() if args.out else new_output_dir(Path.cwd() / "outputs",
                                                                       f"{scene_name}_{args.arch}")
    config: dict[str, Any] = {
        "swimlane": (args.level or 4) if (args.trace or args.level) else 0,
        "dump_tensor": bool(args.dump_tensor),
        "pmu": 2 if args.pmu else 0,
        "scope_stats": bool(args.scope_stats),
        "dep_gen": bool(args.dep_gen),
        "output_prefix": str(outdir),
    }
    return config, outdir


def report_outputs(outdir: Path, scene: Any, rounds: int) -> int:
    """Builds the user-facing files from the run's raw exports and prints what was written."""
    from ptogen.trace.convert import convert_run
    from ptogen.trace.render import render_png

    names = {k.func_id: Path(k.source).stem for k in scene.kernels}
    result = convert_run(outdir, func_names=names, runtime=scene.runtime, title=scene.name)
    if (outdir / "trace.json").is_file() and result.kernel_events:
        result.files.append(render_png(outdir / "trace.json"))
    note = f" (the last of {rounds} rounds)" if rounds > 1 else ""
    print(f"profiling output{note}: {outdir}")
    for path in result.files:
        print(f"  {path.relative_to(outdir)}")
    if (outdir / "trace.json").is_file():
        print(f"  trace.json: {result.kernel_events} kernel events, {result.flows} dependency arrows "
              "(open in https://ui.perfetto.dev or chrome://tracing)")
    for line in result.notes:
        print(f"  note: {line}")
    return 0


def add_trace_parser(sub: Any) -> None:
    trace = sub.add_parser("trace", help="render a profiled run's swimlane as a PNG and check its trace.json")
    trace.add_argument("outdir", type=Path, help="the output directory of `ptogen run ... --trace`")
    trace.add_argument("-o", "--output", type=Path, help="PNG path (default OUTDIR/swimlane.png)")
    trace.set_defaults(func=cmd_trace)


def cmd_trace(args: argparse.Namespace) -> int:
    import json

    from ptogen.trace.convert import convert_run
    from ptogen.trace.render import RenderError, render_png
    from ptogen.trace.validate import validate_trace

    outdir: Path = args.outdir
    trace_path = outdir / "trace.json"
    if not trace_path.is_file() and (outdir / "l2_swimlane.json").is_file():
        convert_run(outdir)  # raw exports only (a run through the C API): build the views first
    try:
        png = render_png(outdir, args.output)
    except (RenderError, OSError, ValueError) as error:
        print(f"ptogen trace: {error}", file=sys.stderr)
        return 1
    problems = validate_trace(json.loads(trace_path.read_text()))
    print(f"wrote {png}")
    if problems:
        print(f"{trace_path}: {len(problems)} Trace Event Format problem(s):", file=sys.stderr)
        for problem in problems[:20]:
            print(f"  {problem}", file=sys.stderr)
        return 1
    print(f"{trace_path}: valid Trace Event Format")
    return 0
