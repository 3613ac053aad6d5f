"""`ptogen run` and `ptogen test`: scenes on the CPU simulation, checked against their goldens."""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
import typing
from pathlib import Path

from ptogen import build, layout, paths, sanitize
from ptogen.arch import Arch, load_all
from ptogen.cli.common import (
    UsageError,
    add_build_dir,
    check_at_least_one,
    check_device,
    check_runtime,
    ms,
    select_arches,
)
from ptogen.trace import cli as trace_cli

if typing.TYPE_CHECKING:  # the harness imports numpy: loaded by the commands that run scenes, not at start-up
    from ptogen.harness.scene import Scene


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
        scene.check_sources()
        unfit = too_big(case, arches[args.arch])
        if unfit:
            raise UsageError(f"case {case.name} of {scene.name} {unfit}")
        profiling, outdir = trace_cli.run_config(args, scene.name)
        # One build: the runtime's programs (ptogen's own build) and the scene's (the user's build folder), then
        # the Worker loads them as they are.
        build.build([args.arch], [scene.runtime], echo=None, models=arches,
                    scene_dirs=[(scene.runtime, scene.folder)], scene_build=args.build_dir)
        blob = scene_callable(scene, args.arch, build_dir=args.build_dir)
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


def _scenes_of(args: argparse.Namespace) -> tuple[list[Path], list[Scene]]:
    """The scene folders of `ptogen test [PATH ...]` (default: the shipped examples), of --runtime if given, and
    the scenes among them that load. A folder whose scene.py does not load is kept: the suite reports it as
    one FAIL line with its reason, and the others still run."""
    from ptogen.harness.scene import SceneError, discover, examples_dir, load_scene_file

    folders: list[Path] = []
    scenes: list[Scene] = []
    for scene_file in discover(args.paths or [examples_dir()]):
        try:
            scene = load_scene_file(scene_file)
        except SceneError:
            folders.append(scene_file.parent)
            continue
        if args.runtime is None or scene.runtime == args.runtime:
            folders.append(scene_file.parent)
            scenes.append(scene)
    return folders, scenes


def cmd_test(args: argparse.Namespace) -> int:
    from ptogen.harness.scene import SceneError
    from ptogen.harness.suite import FAIL, PASS, SKIP, run_suite

    check_at_least_one("--rounds", args.rounds)
    check_runtime(args.runtime)
    try:
        folders, scenes = _scenes_of(args)
    except SceneError as error:  # a PATH that holds no scene
        print(f"ptogen test: {error}", file=sys.stderr)
        return 1
    check_device(args.device, needed=max(1, len({scene.runtime for scene in scenes})))  # one per runtime
    arches = select_arches(load_all(), [args.arch])
    arch = arches[args.arch]
    if args.sanitize:
        try:
            chosen = sanitize.parse(args.sanitize)
            if chosen != sanitize.from_environment() or not sanitize.is_loaded(chosen):
                return _test_sanitized(args, chosen, arches)  # here: not yet the child that preloads the runtimes
        except (sanitize.SanitizeError, build.BuildError, SceneError) as error:
            print(f"ptogen test: {error}", file=sys.stderr)
            return 1
    if not folders:
        print(f"ptogen test: no scenes{' for runtime ' + args.runtime if args.runtime else ''}", file=sys.stderr)
        return 1
    if args.prebuilt:  # the sanitized run's child: its parent built, and names what did not build
        unbuilt = [Path(folder) for folder in args.unbuilt or ()]
    else:
        try:
            unbuilt = _build_scenes(args, arches, scenes)
        except build.BuildError as error:
            print(f"ptogen test: {error}", file=sys.stderr)
            return 1
    counts = {PASS: 0, FAIL: 0, SKIP: 0}
    failed = []
    start = time.perf_counter()
    for result in run_suite(folders, arch, rounds=args.rounds, first_device=args.device, unbuilt=unbuilt,
                            build_dir=args.build_dir):
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


def _build_scenes(args: argparse.Namespace, arches: dict[str, Arch], scenes: list[Scene],
                  sanitizers: tuple[str, ...] | None = None) -> list[Path]:
    """One build for every scene's programs (into the user's --build-dir) and their runtimes' (ptogen's own): a
    scene that does not compile is named with the compiler's words, printed once, and the others still build.
    Returns the folders of those that did not. `sanitizers` None: as PTOGEN_SANITIZE says (the build's default)."""
    runtimes = sorted({scene.runtime for scene in scenes}) or None
    built = build.build([args.arch], runtimes, echo=None, sanitize=sanitizers, models=arches, keep_going=True,
                        scene_dirs=[(scene.runtime, scene.folder) for scene in scenes], scene_build=args.build_dir)
    if built.diagnostics:
        print("\n".join(built.diagnostics) + "\n")
    return [folder for (_, _, folder), programs in built.scene_dirs.items()
            if not all(built.is_current(path) for path in programs)]


def _test_sanitized(args: argparse.Namespace, chosen: tuple[str, ...], arches: dict[str, Arch]) -> int:
    """`ptogen test --sanitize S`: build the sanitized programs here, run this same command again in a child
    that preloads the sanitizer runtimes (Python is not instrumented), then name every report it wrote."""
    variant = layout.platform_dir("sim", chosen)
    start = time.perf_counter()
    print(f"building {args.arch}/{variant} (every program instrumented with {', '.join(chosen)}) ...", flush=True)
    unbuilt = _build_scenes(args, arches, _scenes_of(args)[1], chosen)
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
    run.add_argument(
        "scene", help="a scene folder or its scene.py (anywhere), or a scene name: looked up in the folders of "
        "$PTOGEN_SCENE_PATH, then in the shipped examples"
    )
    run.add_argument("--arch", required=True)
    run.add_argument("--runtime", help="the scene's runtime, when several runtimes have a scene of that name")
    run.add_argument("--case", help="case name (default: the scene's first)")
    run.add_argument("--rounds", type=int, default=1, help="runs of the prepared callable (default 1)")
    run.add_argument("--device", type=int, default=0, help="simulated device id (default 0)")
    add_build_dir(run)
    trace_cli.add_run_arguments(run)
    run.set_defaults(func=cmd_run)
    trace_cli.add_trace_parser(sub)

    test = sub.add_parser(
        "test", parents=[arch_path], help="run every scene of an arch (every case) and check each golden"
    )
    test.add_argument(
        "paths", nargs="*", metavar="PATH",
        help="scene folders, scene.py files, or folders searched recursively for scene.py (default: the shipped "
        "examples)",
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
    add_build_dir(test)
    test.add_argument("--prebuilt", action="store_true", help=argparse.SUPPRESS)  # the sanitized run's child
    test.add_argument("--unbuilt", action="append", help=argparse.SUPPRESS)  # its scenes that did not build
    test.set_defaults(func=cmd_test)
