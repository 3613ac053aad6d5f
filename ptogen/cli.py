"""The `ptogen` command."""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import statistics
import subprocess
import sys
import time
import typing
from collections.abc import Sequence
from pathlib import Path

from ptogen import build, generate, layout, newarch, paths, sanitize, toolchains
from ptogen.arch import Arch, ArchError, load_all, model
from ptogen.trace import cli as trace_cli


def _select(arches: dict[str, Arch], wanted: Sequence[str] | None) -> dict[str, Arch]:
    if not wanted:
        return arches
    unknown = [name for name in wanted if name not in arches]
    if unknown:
        known = ", ".join(sorted(arches)) or "none"
        raise SystemExit(f"ptogen: unknown arch {', '.join(unknown)} (known: {known})")
    return {name: arches[name] for name in wanted}



def _report_broken(command: str, broken: dict[str, ArchError], verb: str) -> None:
    for name, error in sorted(broken.items()):
        print(f"ptogen {command}: arch {name} {verb}:\n{error}", file=sys.stderr)


def _report_broken(command: str, broken: typing.Mapping[str, ArchError], verb: str) -> None:
    for name, error in sorted(broken.items()):
        print(f"ptogen {command}: arch {name} {verb}:\n{error}", file=sys.stderr)


def cmd_generate(args: argparse.Namespace) -> int:
    found = load_all()
    arches = _select(found, args.arch)
    # An arch whose hook folder is invalid or whose templates do not render is reported with its problems;
    # the others are still checked or written.
    broken: dict[str, ArchError] = {} if args.arch else dict(found.broken)
    done: list[str] = []
    statuses: list[generate.FileStatus] = []
    for name, arch in sorted(arches.items()):
        try:
            statuses += generate.compare({name: arch}) if args.check else generate.write({name: arch})
            done.append(name)
        except ArchError as error:
            broken[name] = error
    if args.check:
        stale = [status for status in statuses if status.state != "fresh"]
        for status in stale:
            print(f"{status.state}: {paths.display(status.path)}")
        _report_broken("generate", broken, "cannot be generated")
        if stale:
            print(f"ptogen: generated/ is stale ({len(stale)} file(s)); run `ptogen generate`", file=sys.stderr)
            return 1
        if done:
            print(f"generated/ is fresh for {', '.join(done)}")
        return 2 if broken else 0
    for status in statuses:
        verb = "removed" if status.state == "extra" else "wrote"
        print(f"{verb} {paths.display(status.path)}")
    if not statuses and done:
        print(f"generated/ already fresh for {', '.join(done)}")
    _report_broken("generate", broken, "not generated")
    return 2 if broken else 0


def cmd_list(args: argparse.Namespace) -> int:
    found = load_all()
    arches = _select(found, args.arch)
    broken = {} if args.arch else found.broken
    header = (
        "arch", "blocks", "cores", "aicpu", "counter", "pmu", "dep_gen", "ffts", "kargs copy", "strategies", "hooks"
    )
    rows = [header]
    for name, arch in sorted(arches.items()):
        hooks = sorted(block for hook in arch.hooks for block in hook.blocks)
        rows.append(
            (
                name,
                f"{arch.cores.max_block_dim} x {arch.cores.aic_per_block}+{arch.cores.aiv_per_block}",
                str(arch.cores.max_cores),
                f"{arch.aicpu.scheduler_threads}/{arch.aicpu.launch_threads}",
                f"{arch.timing.sys_counter_hz / 1e6:g} MHz",
                str(arch.registers.pmu_counter_count),
                "yes" if arch.features.dep_gen else "no",
                "yes" if arch.features.ffts else "no",
                arch.kernel_args.device_copy.replace("_", " "),
                ", ".join(arch.strategy_choices.values()),
                ", ".join(hooks) or "(none)",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[-1])
    for name, error in sorted(broken.items()):
        print(f"{name.ljust(widths[0])}  unusable: {len(error.problems)} problem(s) in its hook folder (below)")
    print(
        "\naicpu = scheduling/launched threads; kargs copy = when the device KernelArgs copy is made;"
        f" strategies = {', '.join(f.name for f in dataclasses.fields(model.Strategies))}"
    )
    _report_broken("list", broken, "is unusable")
    return 2 if broken else 0


def _comma_separated(values: Sequence[str] | None) -> list[str]:
    return [item.strip() for value in values or () for item in value.split(",") if item.strip()]


def _size(num_bytes: int) -> str:
    if num_bytes < 1024 * 1024:
        return f"{num_bytes / 1024:.1f} KiB"
    return f"{num_bytes / (1024 * 1024):.1f} MiB"


def cmd_build(args: argparse.Namespace) -> int:
    # Building every arch skips one whose hook folder is invalid, and says so; naming it reports its problems.
    broken = {} if args.arch else load_all().broken
    _report_broken("build", broken, "skipped")
    try:
        result = build.build(
            _comma_separated(args.arch) or None,
            _comma_separated(args.runtime) or None,
            platform=args.platform,
            jobs=args.jobs,
            scenes=_comma_separated(args.scene),
            parts=_comma_separated(args.part) or None,
            verbose=args.verbose,
            sanitize=_comma_separated(args.sanitize) or None,
        )
    except build.BuildError as error:
        print(f"ptogen build: {error}", file=sys.stderr)
        return 1
    for path in result.regenerated:
        print(f"regenerated {paths.display(path)}")
    shown: set[Path] = set()
    for (arch, runtime), found in sorted(result.artifacts.items()):
        rows: list[tuple[str, Path, str]] = []
        for name, path in found.items():
            if not path.is_file():  # a part not asked for, or one this machine cannot build (listed below)
                continue
            rows.append((name, path, " (shared by the arch's runtimes)" if path in shown else ""))
            shown.add(path)
        for (s_arch, s_runtime, scene), programs in sorted(result.scenes.items()):
            if (s_arch, s_runtime) == (arch, runtime):
                rows += [(f"{scene}:{path.stem}", path, "") for path in programs]
        if not rows:
            continue
        name_width = max(len(name) for name, _, _ in rows)
        path_width = max(len(paths.display(path)) for _, path, _ in rows)
        print(f"\n{arch}/{layout.platform_dir(result.platform, result.sanitize)}/{runtime}:")
        for name, path, note in rows:
            size = _size(path.stat().st_size)
            print(f"  {name:<{name_width}}  {paths.display(path):<{path_width}}  {size:>10}{note}")
    if result.up_to_date:
        work = "everything up to date"
    else:
        work = f"{len(result.built)} compile/link step(s), {len(result.from_cache)} from build/cache"
    print(f"\nbuilt in {result.seconds:.1f} s ({work}); ELF checks passed for {len(result.checked)} program(s)")
    for target, reason in result.unlinked.items():
        print(f"note: {target}: {reason}")
    for target, reason in result.unbuilt.items():
        print(f"ptogen build: error: {target} not built: {reason}", file=sys.stderr)
    return 1 if result.unbuilt or broken else 0


def _ms(ns: int) -> str:
    return f"{ns / 1e6:9.3f}"


def cmd_run(args: argparse.Namespace) -> int:
    from ptogen.harness.binding import HostRuntimeError
    from ptogen.harness.runner import GoldenMismatch, run_scene, scene_callable
    from ptogen.harness.scene import SceneError, find_scene
    from ptogen.harness.worker import Worker

    arches = _select(load_all(), [args.arch])
    if args.dep_gen and not arches[args.arch].features.dep_gen:
        print(f"ptogen run: arch {args.arch} has no dep_gen collector (features.dep_gen is false)", file=sys.stderr)
        return 2
    try:
        scene = find_scene(args.scene, args.runtime)
        case = scene.case(args.case)
        profiling, outdir = trace_cli.run_config(args, scene.name)
        # One build: the runtime's programs and the scene's, then the Worker loads them as they are.
        build.build([args.arch], [scene.runtime], scenes=[scene.name], echo=None, models=arches)
        blob = scene_callable(scene, args.arch)
        with Worker(args.arch, scene.runtime, device_id=args.device, build=False) as worker:
            result = run_scene(worker, scene, blob, case, rounds=args.rounds, **profiling)
    except (SceneError, build.BuildError, GoldenMismatch, HostRuntimeError) as error:
        print(f"ptogen run: {error}", file=sys.stderr)
        return 1
    print(f"{scene.runtime}/{scene.name} case {case.name} on {args.arch}/sim: block_dim {case.block_dim or 'auto'}, "
          f"{case.aicpu_thread_num} AICPU thread(s)")
    print(f"{'round':>5}  {'host ms':>9}  {'device ms':>9}")
    for index, timing in enumerate(result.rounds):
        print(f"{index:>5}  {_ms(timing.host_wall_ns)}  {_ms(timing.device_wall_ns)}")
    if len(result.rounds) > 1:
        steady = statistics.median(t.host_wall_ns for t in result.rounds[1:])
        print(f"median host ms over rounds 1..{len(result.rounds) - 1}: {steady / 1e6:.3f}")
    print(f"golden: all {len(result.rounds)} round(s) match (rtol {scene.rtol}, atol {scene.atol})")
    if outdir is not None:
        return trace_cli.report_outputs(outdir, scene, len(result.rounds))
    return 0


def cmd_test(args: argparse.Namespace) -> int:
    from ptogen.harness.runner import run_scene, scene_callable
    from ptogen.harness.scene import load_scene_file, scene_folders
    from ptogen.harness.worker import Worker

    arches = _select(load_all(), [args.arch])
    arch = arches[args.arch]
    if args.sanitize:
        try:
            chosen = sanitize.parse(args.sanitize)
            if chosen != sanitize.from_environment() or not sanitize.is_loaded(chosen):
                return _test_sanitized(args, chosen, arches)  # here: not yet the child that preloads the runtimes
        except (sanitize.SanitizeError, build.BuildError) as error:
            print(f"ptogen test: {error}", file=sys.stderr)
            return 1
    folders = sorted(scene_folders(args.runtime).items())
    unbuilt: set[tuple[str, str]] = set()  # (runtime, scene) whose programs failed to build
    if not args.prebuilt:
        # One build for every scene: a scene that does not compile is named, and the others still build.
        runtimes = sorted({runtime for (runtime, _), _ in folders}) or None
        try:
            built = build.build([args.arch], runtimes, scenes=sorted({name for (_, name), _ in folders}), echo=None,
                                models=arches, keep_going=True)
        except build.BuildError as error:
            print(f"ptogen test: {error}", file=sys.stderr)
            return 1
        if built.diagnostics:
            print("\n".join(built.diagnostics) + "\n")
        unbuilt = {(runtime, scene) for (_, runtime, scene), programs in built.scenes.items()
                   if not all(built.is_current(path) for path in programs)}
    failures = skipped = 0
    workers: dict[str, Worker] = {}
    try:
        for (runtime, name), folder in folders:
            scene = load_scene_file(folder / "scene.py")
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
                if (runtime, name) in unbuilt:
                    failures += 1
                    print(f"FAIL  {label:<48} the scene's programs did not build (the compiler's words are above)")
                    continue
                try:
                    blob = scene_callable(scene, args.arch)
                    if runtime not in workers:
                        workers[runtime] = Worker(
                            args.arch, runtime, device_id=args.device + len(workers), build=False
                        ).init()
                    result = run_scene(workers[runtime], scene, blob, case, rounds=args.rounds)
                    last = result.rounds[-1]
                    print(f"PASS  {label:<48} host {_ms(last.host_wall_ns)} ms  device {_ms(last.device_wall_ns)} ms")
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
    from ptogen.harness.scene import scene_folders

    variant = layout.platform_dir("sim", chosen)
    folders = scene_folders(args.runtime)
    runtimes = sorted({runtime for runtime, _ in folders}) or None
    start = time.perf_counter()
    print(f"building {args.arch}/{variant} (every program instrumented with {', '.join(chosen)}) ...", flush=True)
    build.build([args.arch], runtimes, scenes=sorted({name for _, name in folders}), echo=None, sanitize=chosen,
                models=arches)
    print(f"built in {time.perf_counter() - start:.1f} s", flush=True)
    log_dir = layout.sanitizer_reports(paths.project_root(), args.arch, chosen)
    shutil.rmtree(log_dir, ignore_errors=True)
    log_dir.mkdir(parents=True)
    env = sanitize.environment(chosen, log_dir) | {"PYTHONUNBUFFERED": "1"}  # its lines up to an abort
    command = [sys.executable, "-m", "ptogen.cli", *args.argv, "--prebuilt"]  # the build above is the one
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


def cmd_new_arch(args: argparse.Namespace) -> int:
    try:
        made = newarch.scaffold(args.name, args.source, Path(args.into) if args.into else None)
    except newarch.NewArchError as error:
        print(f"ptogen new-arch: {error}", file=sys.stderr)
        return 1
    for path in made.files:
        print(f"wrote {paths.display(path)}")
    external = not paths.is_repo_arch(made.folder)
    arch_path = f" --arch-path {made.folder.parent}" if external else ""
    print(f"\n{args.name} generates what {args.source} generates (but its name). Next: edit "
          f"{paths.display(made.folder / 'arch.toml')}, then\n"
          f"  ptogen generate --arch {args.name}{arch_path}\n"
          f"  ptogen build --arch {args.name}{arch_path}\n"
          f"  ptogen test --arch {args.name}{arch_path}\n"
          "(docs/adding-an-arch.md walks through it)")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    platforms = [args.platform] if args.platform else list(build.PLATFORMS)
    missing_any = False
    for platform in platforms:
        print(f"{platform}:")
        tools = toolchains.for_platform(platform)
        width = max(len(tool.name) for tool in tools)
        for tool in tools:
            if tool.found:
                version = toolchains.scons_version(tool) if tool.name == "scons" else tool.version()
                print(f"  found    {tool.name:<{width}}  {version or '(version unknown)'}  [{tool.path}]")
            else:
                missing_any = True
                print(f"  missing  {tool.name:<{width}}  needed for {tool.builds}; {tool.install}")
        verdict = _platform_verdict(platform, tools)
        print(f"  -> {verdict}\n")
    return 1 if missing_any and args.strict else 0


def _platform_verdict(platform: str, tools: list[toolchains.Tool]) -> str:
    found = {tool.name: tool.found for tool in tools}
    if all(found.values()):
        return f"ptogen build --platform {platform} builds every program"
    if platform == "sim":
        return "sim cannot build: install what is missing above"
    cross = toolchains.cross_cxx()
    parts = []
    if found.get(cross.name):
        parts.append("the AICPU program and dispatcher (aarch64)")
    parts.append("the host library (linked)" if toolchains.cann_home() else "the host library's objects (not linked)")
    if toolchains.ccec().found:
        parts.append("the AICore program")
    return "builds " + ", ".join(parts) + "; the rest needs what is missing above"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ptogen", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    # Every command that takes --arch also takes --arch-path: hook folders outside templates/arches/.
    arch_path = argparse.ArgumentParser(add_help=False)
    arch_path.add_argument(
        "--arch-path",
        action="append",
        metavar="DIR",
        help=f"also look for arches in DIR (repeatable; after templates/arches/, before ${paths.ARCH_PATH_ENV}); "
        "their C++ is generated into build/generated/<arch>/",
    )

    gen = sub.add_parser(
        "generate", parents=[arch_path], help="emit generated/<arch>/ from the templates and hook folders"
    )
    gen.add_argument("--arch", action="append", help="only this arch (repeatable); default: all")
    gen.add_argument("--check", action="store_true", help="write nothing; exit 1 listing stale files")
    gen.set_defaults(func=cmd_generate)

    lst = sub.add_parser("list", parents=[arch_path], help="the arches found and their key constants")
    lst.add_argument("--arch", action="append", help="only this arch (repeatable)")
    lst.set_defaults(func=cmd_list)

    bld = sub.add_parser(
        "build", parents=[arch_path], help="regenerate if stale, then build the host, AICPU and AICore programs"
    )
    bld.add_argument("--arch", action="append", help="arch to build (repeatable or comma list); default: all")
    bld.add_argument("--runtime", action="append", help="runtime variant (repeatable or comma list); default: all")
    bld.add_argument("--platform", default="sim", choices=build.PLATFORMS, help="default: sim")
    bld.add_argument("-j", "--jobs", type=int, help="parallel compile jobs; default: one per CPU")
    bld.add_argument("--scene", action="append", help="also build examples/<scene>/ kernels and orchestration")
    bld.add_argument(
        "--part", action="append", help=f"only these programs (repeatable or comma list): {', '.join(build.PARTS)}"
    )
    bld.add_argument("-v", "--verbose", action="store_true", help="show the compiler commands and why each runs")
    bld.add_argument(
        "--sanitize",
        action="append",
        metavar="S[,T]",
        help="sim: build every program instrumented (address, undefined, thread) into build/<arch>/sim-<label>/",
    )
    bld.set_defaults(func=cmd_build)
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
    test.set_defaults(func=cmd_test)

    new = sub.add_parser(
        "new-arch",
        parents=[arch_path],
        help="scaffold templates/arches/NAME/: every constant, and the hook blocks an existing arch writes",
    )
    new.add_argument("name", help="the new arch's name (a lower-case identifier)")
    new.add_argument("--from", dest="source", required=True, metavar="ARCH", help="the arch to copy")
    new.add_argument("--into", metavar="DIR", help="create DIR/NAME/ instead (an arch outside the checkout)")
    new.set_defaults(func=cmd_new_arch)

    doctor = sub.add_parser("doctor", help="which toolchains each platform needs, which are found, what to install")
    doctor.add_argument("--platform", choices=build.PLATFORMS, help="only this platform")
    doctor.add_argument("--strict", action="store_true", help="exit 1 when anything is missing")
    doctor.set_defaults(func=cmd_doctor)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # `ptogen test --sanitize` runs itself again
    if getattr(args, "arch_path", None):
        paths.add_arch_path(args.arch_path)
    try:
        return args.func(args)
    except ArchError as error:  # the arch a command named is unusable: its problems, each at its line
        print(f"ptogen: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
