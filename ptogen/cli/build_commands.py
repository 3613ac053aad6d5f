"""`ptogen build` and `ptogen doctor`: building the programs, and what this machine can build."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ptogen import build, layout, paths, toolchains
from ptogen.arch import load_all
from ptogen.cli.common import add_build_dir, comma_separated, human_size, report_broken


def _scene_dirs(wanted: list[str], runtimes: list[str] | None) -> dict[Path, tuple[str, str]]:
    """Scene folder -> (runtime, scene name) for `--scene PATH|NAME`: a path is that scene; a name is the scene
    of that name of every runtime asked (all by default) that has one, found as `ptogen run` finds it."""
    from ptogen.harness.scene import SceneError, find_scene, looks_like_path

    found: dict[Path, tuple[str, str]] = {}
    for name in wanted:
        if looks_like_path(name):
            scenes = [find_scene(name)]
        else:
            scenes = []
            for runtime in runtimes or build.known_runtimes():
                try:
                    scenes.append(find_scene(name, runtime))
                except SceneError:
                    continue
            if not scenes:
                find_scene(name)  # no runtime has it: the lookup's own message names what there is
        for scene in scenes:
            found[scene.folder.resolve()] = (scene.runtime, scene.name)
    return found


def cmd_build(args: argparse.Namespace) -> int:
    from ptogen.harness.scene import SceneError

    # Building every arch skips one whose hook folder is invalid, and says so; naming it reports its problems.
    broken = {} if args.arch else load_all().broken
    report_broken("build", broken, "skipped")
    runtimes = comma_separated(args.runtime) or None
    try:
        scenes = _scene_dirs(comma_separated(args.scene), runtimes)
        result = build.build(
            comma_separated(args.arch) or None,
            runtimes,
            platform=args.platform,
            jobs=args.jobs,
            parts=comma_separated(args.part) or None,
            verbose=args.verbose,
            sanitize=comma_separated(args.sanitize) or None,
            scene_dirs=[(runtime, folder) for folder, (runtime, _) in scenes.items()],
            scene_build=args.build_dir,
        )
    except (build.BuildError, SceneError) as error:
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
        for (s_arch, s_runtime, folder), programs in sorted(result.scene_dirs.items()):
            if (s_arch, s_runtime) == (arch, runtime):
                scene = scenes[folder.resolve()][1]
                rows += [(f"{scene}:{path.stem}", path, "") for path in programs]
        if not rows:
            continue
        name_width = max(len(name) for name, _, _ in rows)
        path_width = max(len(paths.display(path)) for _, path, _ in rows)
        print(f"\n{arch}/{layout.platform_dir(result.platform, result.sanitize)}/{runtime}:")
        for name, path, note in rows:
            size = human_size(path.stat().st_size)
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


def add_parsers(sub: argparse._SubParsersAction, arch_path: argparse.ArgumentParser) -> None:
    bld = sub.add_parser(
        "build", parents=[arch_path], help="regenerate if stale, then build the host, AICPU and AICore programs"
    )
    bld.add_argument("--arch", action="append", help="arch to build (repeatable or comma list); default: all")
    bld.add_argument("--runtime", action="append", help="runtime variant (repeatable or comma list); default: all")
    bld.add_argument("--platform", default="sim", choices=build.PLATFORMS, help="default: sim")
    bld.add_argument("-j", "--jobs", type=int, help="parallel compile jobs; default: one per CPU")
    bld.add_argument(
        "--scene", action="append", metavar="PATH|NAME",
        help="also build this scene's kernels and orchestration into --build-dir (a folder, its scene.py, or a "
        "name as `ptogen run` takes it)",
    )
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
    add_build_dir(bld)
    bld.set_defaults(func=cmd_build)
    doctor = sub.add_parser("doctor", help="which toolchains each platform needs, which are found, what to install")
    doctor.add_argument("--platform", choices=build.PLATFORMS, help="only this platform")
    doctor.add_argument("--strict", action="store_true", help="exit 1 when anything is missing")
    doctor.set_defaults(func=cmd_doctor)
