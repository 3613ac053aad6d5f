"""`ptogen run` and `ptogen test`: scenes on the CPU simulation, checked against their goldens."""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from ptogen import build, layout, paths, sanitize
from ptogen.arch import Arch, load_all
from ptogen.cli.common import UsageError, check_at_least_one, check_device, check_runtime, ms, select_arches
from ptogen.trace import cli as trace_cli


def cmd_run(args: argparse.Namespace) -> int:
    from ptogen.harness.binding import HostRuntimeError
    from ptogen.harness.runner import GoldenMismatch, run_scene, scene_callable
    from ptogen.harness.scene import SceneError, error_line_in, find_scene
    from ptogen.harness.suite import too_big
    from ptogen.harness.task_args import TaskArgsError
    from ptogen.harness.worker import Worker, WorkerError

    check_at_least_one("--rounds", args.rounds)
    check_device(args.device)
    check_runtime(args.runtime)
    arches = select_arches(load_all(), [args.arch])
    if args.dep_gen and not arches[args.arch].features.dep_gen:
        print(f"ptogen run: arch {args.arch} has no dep_gen collector (features.dep_gen is false)", file=sys.stderr)
        return 2
    outdir = scene = None
    try:
        scene = find_scene(args.scene, args.runtime)
        case = scene.case(args.case)
        unfit = too_big(case, arches[args.arch])
        if unfit:
            raise UsageError(f"case {case.name} of {scene.name} {unfit}")
        profiling, outdir = trace_cli.run_config(args, scene.name)
        # One build: the runtime's programs and the scene's, then the Worker loads them as they are.
        build.build([args.arch], [scene.runtime], scenes=[scene.name], echo=None, models=arches)
        blob = scene_callable(scene, args.arch)
        with Worker(args.arch, scene.runtime, device_id=args.device, build=False) as worker:
            result = run_scene(worker, scene, blob, case, rounds=args.rounds, **profiling)
    except (SceneError, build.BuildError, GoldenMismatch, HostRuntimeError, WorkerError, TaskArgsError,
            FileNotFoundError) as error:
        if outdir is not None and outdir.is_dir() and not any(outdir.iterdir()):
            outdir.rmdir()  # made for this run, which wrote nothing
        print(f"ptogen run: {error}", file=sys.stderr)
        return 1
    except Exception as error:  # raised in the scene's own make_args or golden: the user's line, not ours
        line = error_line_in(error, scene.folder / "scene.py") if scene is not None else None
        if line is None or getattr(args, "debug", False):
            raise
        print(f"ptogen run: {paths.display(scene.folder / 'scene.py')}:{line}: {type(error).__name__}: {error}",
              file=sys.stderr)
        return 1
    print(f"{scene.runtime}/{scene.name} case {case.name} on {args.arch}/sim: block_dim {case.block_dim or 'auto'}, "
          f"{case.aicpu_thread_num} AICPU thread(s)")
    print(f"{'round':>5}  {'host ms':>9}  {'device ms':>9}")
    for index, timing in enumerate(result.rounds):
        print(f"{index:>5}  {ms(timing.host_wall_ns)}  {ms(timing.device_wall_ns)}")
    if len(result.rounds) > 1:
        steady = statistics.median(t.host_wall_ns for t in result.rounds[1:])
        print(f"median host ms over rounds 1..{len(result.rounds) - 1}: {steady / 1e6:.3f}")
    print(f"golden: all {len(result.rounds)} round(s) match (rtol {scene.rtol}, atol {scene.atol})")
    if outdir is not None:
        return trace_cli.report_outputs(outdir, scene, len(result.rounds))
    return 0


def cmd_test(args: argparse.Namespace) -> int:
    from ptogen.harness.scene import scene_folders
    from ptogen.harness.suite import FAIL, PASS, SKIP, run_suite

    check_at_least_one("--rounds", args.rounds)
    check_runtime(args.runtime)
    folders = sorted(scene_folders(args.runtime).items())
    check_device(args.device, needed=max(1, len({runtime for (runtime, _), _ in folders})))  # one per runtime
    arches = select_arches(load_all(), [args.arch])
    arch = arches[args.arch]
    if args.sanitize:
        try:
            chosen = sanitize.parse(args.sanitize)
            if chosen != sanitize.from_environment() or not sanitize.is_loaded(chosen):
                return _test_sanitized(args, chosen, arches)  # here: not yet the child that preloads the runtimes
        except (sanitize.SanitizeError, build.BuildError) as error:
            print(f"ptogen test: {error}", file=sys.stderr)
            return 1
    if not folders:
        print(f"ptogen test: no scenes{' for runtime ' + args.runtime if args.runtime else ''}", file=sys.stderr)
        return 1
    if args.prebuilt:  # the sanitized run's child: its parent built, and names what did not build
        unbuilt = [Path(folder) for folder in args.unbuilt or ()]
    else:
        try:
            unbuilt = _build_scenes(args, arches, folders)
        except build.BuildError as error:
            print(f"ptogen test: {error}", file=sys.stderr)
            return 1
    counts = {PASS: 0, FAIL: 0, SKIP: 0}
    failed = []
    start = time.perf_counter()
    for result in run_suite([folder for _, folder in folders], arch, rounds=args.rounds, first_device=args.device,
                            unbuilt=unbuilt):
        counts[result.status] += 1
        line = f"{result.status}  {result.label:<48} {result.seconds:7.2f} s"
        if result.timing is not None:
            line += f"  host {ms(result.timing.host_wall_ns)} ms  device {ms(result.timing.device_wall_ns)} ms"
        print(f"{line}  {result.reason}".rstrip().replace("\n", "\n      "), flush=True)  # later lines indented
        if result.status == FAIL:
            failed.append(result)
    where = f"{args.arch}/{layout.platform_dir('sim', build.sanitizers())}"
    note = f" (they need more than {args.arch} has)" if counts[SKIP] else ""
    print(f"\n{counts[PASS]} passed, {counts[FAIL]} failed, {counts[SKIP]} skipped{note} "
          f"in {time.perf_counter() - start:.1f} s")
    for result in failed:
        print(f"  FAIL  {result.label}: {result.reason}")
    print(f"{'all scenes pass' if not failed else f'{len(failed)} failure(s)'} on {where}")
    return 1 if failed else 0


def _build_scenes(args: argparse.Namespace, arches: dict[str, Arch], folders: list[tuple[tuple[str, str], Path]],
                  sanitizers: tuple[str, ...] | None = None) -> list[Path]:
    """One build for every scene's programs and their runtimes': a scene that does not compile is named with
    the compiler's words, printed once, and the others still build. Returns the folders of those that did not.
    `sanitizers` None: as PTOGEN_SANITIZE says (the build's default)."""
    runtimes = sorted({runtime for (runtime, _), _ in folders}) or None
    built = build.build([args.arch], runtimes, scenes=sorted({name for (_, name), _ in folders}), echo=None,
                        sanitize=sanitizers, models=arches, keep_going=True)
    if built.diagnostics:
        print("\n".join(built.diagnostics) + "\n")
    failed = {(runtime, name) for (_, runtime, name), programs in built.scenes.items()
              if not all(built.is_current(path) for path in programs)}
    return [folder for key, folder in folders if key in failed]


def _test_sanitized(args: argparse.Namespace, chosen: tuple[str, ...], arches: dict[str, Arch]) -> int:
    """`ptogen test --sanitize S`: build the sanitized programs here, run this same command again in a child
    that preloads the sanitizer runtimes (Python is not instrumented), then name every report it wrote."""
    from ptogen.harness.scene import scene_folders

    variant = layout.platform_dir("sim", chosen)
    start = time.perf_counter()
    print(f"building {args.arch}/{variant} (every program instrumented with {', '.join(chosen)}) ...", flush=True)
    unbuilt = _build_scenes(args, arches, sorted(scene_folders(args.runtime).items()), chosen)
    print(f"built in {time.perf_counter() - start:.1f} s", flush=True)
    log_dir = layout.sanitizer_reports(paths.project_root(), args.arch, chosen)
    shutil.rmtree(log_dir, ignore_errors=True)
    log_dir.mkdir(parents=True)
    env = sanitize.environment(chosen, log_dir) | {"PYTHONUNBUFFERED": "1"}  # its lines up to an abort
    command = [sys.executable, "-m", "ptogen", *args.argv, "--prebuilt"]  # the build above is the one
    command += [item for folder in unbuilt for item in ("--unbuilt", str(folder))]  # they fail, not run stale
    returncode = subprocess.run(command, env=env, check=False).returncode
    found = sanitize.reports(log_dir)
    for report in found:
        print(f"\n==== {paths.display(report)}\n{report.read_text(errors='replace').rstrip()}")
    if found:
        print(f"\n{len(found)} sanitizer report(s) on {args.arch}/{variant}:")
        for report in found:
            print(f"  {sanitize.summary(report)}  [{paths.display(report)}]")
        return 1
    if returncode < 0:
        print(f"\nthe sanitized run died of signal {-returncode} without a sanitizer report")
        return 1
    print(f"no sanitizer reports on {args.arch}/{variant} ({', '.join(chosen)})")
    return returncode


def add_parsers(sub: argparse._SubParsersAction, arch_path: argparse.ArgumentParser) -> None:
    run = sub.add_parser(
        "run", parents=[arch_path], help="run one scene on the CPU simulation and check it against its golden"
    )
    run.add_argument("scene")
    run.add_argument("--arch", required=True)
    run.add_argument("--runtime", help="the scene's runtime, when several runtimes have a scene of that name")
    run.add_argument("--case", help="case name (default: the scene's first)")
    run.add_argument("--rounds", type=int, default=1, help="runs of the prepared callable (default 1)")
    run.add_argument("--device", type=int, default=0, help="simulated device id (default 0)")
    trace_cli.add_run_arguments(run)
    run.set_defaults(func=cmd_run)
    trace_cli.add_trace_parser(sub)

    test = sub.add_parser(
        "test", parents=[arch_path], help="run every scene of an arch (every case) and check each golden"
    )
    test.add_argument("--arch", required=True)
    test.add_argument("--runtime", help="only this runtime's scenes")
    test.add_argument("--rounds", type=int, default=2)
    test.add_argument("--device", type=int, default=0, help="first simulated device id (one per runtime)")
    test.add_argument(
        "--sanitize",
        metavar="S[,T]",
        help="run on the sanitized build (address, undefined, thread) in a child that preloads the sanitizer "
        "runtimes; any report fails the run and is named",
    )
    test.add_argument("--prebuilt", action="store_true", help=argparse.SUPPRESS)  # the sanitized run's child
    test.add_argument("--unbuilt", action="append", help=argparse.SUPPRESS)  # its scenes that did not build
    test.set_defaults(func=cmd_test)
