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
from ptogen.cli.common import ms, select_arches
from ptogen.trace import cli as trace_cli


def cmd_run(args: argparse.Namespace) -> int:
    from ptogen.harness.binding import HostRuntimeError
    from ptogen.harness.runner import GoldenMismatch, run_scene, scene_callable
    from ptogen.harness.scene import SceneError, find_scene
    from ptogen.harness.worker import Worker

    arches = select_arches(load_all(), [args.arch])
    if args.dep_gen and not arches[args.arch].features.dep_gen:
        print(f"ptogen run: arch {args.arch} has no dep_gen collector (features.dep_gen is false)", file=sys.stderr)
        return 2
    try:
        scene = find_scene(args.scene, args.runtime)
        case = scene.case(args.case)
        scene.check_sources()
        profiling, outdir = trace_cli.run_config(args, scene.name)
        # One build: the runtime's programs (ptogen's own build) and the scene's (the user's build folder), then
        # the Worker loads them as they are.
        build.build([args.arch], [scene.runtime], echo=None, models=arches,
                    scene_dirs=[(scene.runtime, scene.folder)], scene_build=args.build_dir)
        blob = scene_callable(scene, args.arch, build_dir=args.build_dir)
        with Worker(args.arch, scene.runtime, device_id=args.device, build=False) as worker:
            result = run_scene(worker, scene, blob, case, rounds=args.rounds, **profiling)
    except (SceneError, build.BuildError, GoldenMismatch, HostRuntimeError) as error:
        print(f"ptogen run: {error}", file=sys.stderr)
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


def _scenes_of(args: argparse.Namespace) -> list:
    """The scenes of `ptogen test [PATH ...]` (default: the shipped examples), of --runtime if given, each once."""
    from ptogen.harness.scene import discover, examples_dir, load_scene_file

    scenes = [load_scene_file(scene_file) for scene_file in discover(args.paths or [examples_dir()])]
    return [scene for scene in scenes if args.runtime is None or scene.runtime == args.runtime]


def cmd_test(args: argparse.Namespace) -> int:
    from ptogen.harness.runner import run_scene, scene_callable
    from ptogen.harness.scene import SceneError
    from ptogen.harness.worker import Worker

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
    try:
        scenes = _scenes_of(args)
    except SceneError as error:
        print(f"ptogen test: {error}", file=sys.stderr)
        return 1
    unbuilt: set[Path] = set()  # scene folders whose programs failed to build
    if not args.prebuilt:
        # One build for every scene: a scene that does not compile is named, and the others still build.
        runtimes = sorted({scene.runtime for scene in scenes}) or None
        try:
            built = build.build([args.arch], runtimes, echo=None, models=arches, keep_going=True,
                                scene_dirs=[(scene.runtime, scene.folder) for scene in scenes],
                                scene_build=args.build_dir)
        except build.BuildError as error:
            print(f"ptogen test: {error}", file=sys.stderr)
            return 1
        if built.diagnostics:
            print("\n".join(built.diagnostics) + "\n")
        unbuilt = {folder for (_, _, folder), programs in built.scene_dirs.items()
                   if not all(built.is_current(path) for path in programs)}
    failures = skipped = 0
    workers: dict[str, Worker] = {}
    try:
        for scene in scenes:
            runtime, name = scene.runtime, scene.name
            for case in scene.cases:
                label = f"{runtime}/{name}:{case.name}"
                # A case sized for a bigger chip is not a failure of this one: it is listed, not run.
                too_big = _exceeds(case.block_dim, arch.cores.max_block_dim, "block_dim") or _exceeds(
                    case.aicpu_thread_num, arch.aicpu.scheduler_threads, "AICPU scheduler threads"
                )
                if too_big:
                    skipped += 1
                    print(f"SKIP  {label:<48} {too_big}")
                    continue
                if scene.folder in unbuilt:
                    failures += 1
                    print(f"FAIL  {label:<48} the scene's programs did not build (the compiler's words are above)")
                    continue
                try:
                    blob = scene_callable(scene, args.arch, build_dir=args.build_dir)
                    if runtime not in workers:
                        workers[runtime] = Worker(
                            args.arch, runtime, device_id=args.device + len(workers), build=False
                        ).init()
                    result = run_scene(workers[runtime], scene, blob, case, rounds=args.rounds)
                    last = result.rounds[-1]
                    print(f"PASS  {label:<48} host {ms(last.host_wall_ns)} ms  device {ms(last.device_wall_ns)} ms")
                except Exception as error:  # a failing scene is reported, and the others still run
                    failures += 1
                    print(f"FAIL  {label:<48} {type(error).__name__}: {error}")
    finally:
        for worker in workers.values():
            worker.close()
    verdict = "all scenes pass" if failures == 0 else f"{failures} failure(s)"
    note = f" ({skipped} case(s) need more than {args.arch} has)" if skipped else ""
    print(f"\n{verdict} on {args.arch}/{layout.platform_dir('sim', build.sanitizers())}{note}")
    return 1 if failures else 0


def _test_sanitized(args: argparse.Namespace, chosen: tuple[str, ...], arches: dict[str, Arch]) -> int:
    """`ptogen test --sanitize S`: build the sanitized programs here, run this same command again in a child
    that preloads the sanitizer runtimes (Python is not instrumented), then name every report it wrote."""
    variant = layout.platform_dir("sim", chosen)
    scenes = _scenes_of(args)
    runtimes = sorted({scene.runtime for scene in scenes}) or None
    start = time.perf_counter()
    print(f"building {args.arch}/{variant} (every program instrumented with {', '.join(chosen)}) ...", flush=True)
    build.build([args.arch], runtimes, echo=None, sanitize=chosen, models=arches,
                scene_dirs=[(scene.runtime, scene.folder) for scene in scenes], scene_build=args.build_dir)
    print(f"built in {time.perf_counter() - start:.1f} s", flush=True)
    log_dir = layout.sanitizer_reports(paths.project_root(), args.arch, chosen)
    shutil.rmtree(log_dir, ignore_errors=True)
    log_dir.mkdir(parents=True)
    env = sanitize.environment(chosen, log_dir) | {"PYTHONUNBUFFERED": "1"}  # its lines up to an abort
    command = [sys.executable, "-m", "ptogen", *args.argv, "--prebuilt"]  # the build above is the one
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


def _exceeds(wanted: int, available: int, what: str) -> str:
    return f"needs {what} {wanted}, the arch has {available}" if wanted > available else ""


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
    _add_build_dir(run)
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
    _add_build_dir(test)
    test.add_argument("--prebuilt", action="store_true", help=argparse.SUPPRESS)  # the sanitized run's child
    test.set_defaults(func=cmd_test)


def _add_build_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--build-dir", type=Path, metavar="DIR", default=Path.cwd() / layout.DEFAULT_SCENE_BUILD,
        help=f"where the scenes' kernels and orchestration are built (default: ./{layout.DEFAULT_SCENE_BUILD}/); "
        "the runtime programs are ptogen's own, built once and shared",
    )
