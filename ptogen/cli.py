"""The `ptogen` command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from ptogen import build, generate, paths
from ptogen.arch import Arch, ArchError, load_all


def _select(arches: dict[str, Arch], wanted: Sequence[str] | None) -> dict[str, Arch]:
    if not wanted:
        return arches
    unknown = [name for name in wanted if name not in arches]
    if unknown:
        known = ", ".join(sorted(arches)) or "none"
        raise SystemExit(f"ptogen: unknown arch {', '.join(unknown)} (known: {known})")
    return {name: arches[name] for name in wanted}


def _relative(path) -> str:
    try:
        return str(path.relative_to(paths.project_root()))
    except ValueError:
        return str(path)


def cmd_generate(args: argparse.Namespace) -> int:
    arches = _select(load_all(), args.arch)
    if args.check:
        problems = [s for s in generate.compare(arches) if s.state != "fresh"]
        for status in problems:
            print(f"{status.state}: {_relative(status.path)}")
        if problems:
            print(f"ptogen: generated/ is stale ({len(problems)} file(s)); run `ptogen generate`", file=sys.stderr)
            return 1
        print(f"generated/ is fresh for {', '.join(sorted(arches))}")
        return 0
    changed = generate.write(arches)
    for status in changed:
        verb = "removed" if status.state == "extra" else "wrote"
        print(f"{verb} {_relative(status.path)}")
    if not changed:
        print(f"generated/ already fresh for {', '.join(sorted(arches))}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    arches = _select(load_all(), args.arch)
    header = ("arch", "blocks", "cores", "aicpu", "counter", "pmu", "dep_gen", "ffts", "kargs copy", "hooks")
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
                ", ".join(hooks) or "(defaults)",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[-1])
    print("\naicpu = scheduling/launched threads; kargs copy = when the device KernelArgs copy is made")
    return 0


def _comma_separated(values: Sequence[str] | None) -> list[str]:
    return [item.strip() for value in values or () for item in value.split(",") if item.strip()]


def _size(num_bytes: int) -> str:
    if num_bytes < 1024 * 1024:
        return f"{num_bytes / 1024:.1f} KiB"
    return f"{num_bytes / (1024 * 1024):.1f} MiB"


def cmd_build(args: argparse.Namespace) -> int:
    try:
        result = build.build(
            _comma_separated(args.arch) or None,
            _comma_separated(args.runtime) or None,
            platform=args.platform,
            jobs=args.jobs,
            scenes=_comma_separated(args.scene),
            verbose=args.verbose,
        )
    except build.BuildError as error:
        print(f"ptogen build: {error}", file=sys.stderr)
        return 1
    for path in result.regenerated:
        print(f"regenerated {_relative(path)}")
    shown: set[Path] = set()
    for (arch, runtime), found in sorted(result.artifacts.items()):
        rows: list[tuple[str, Path, str]] = []
        for name, path in found.items():
            rows.append((name, path, " (shared by the arch's runtimes)" if path in shown else ""))
            shown.add(path)
        for (s_arch, s_runtime, scene), programs in sorted(result.scenes.items()):
            if (s_arch, s_runtime) == (arch, runtime):
                rows += [(f"{scene}:{path.stem}", path, "") for path in programs]
        name_width = max(len(name) for name, _, _ in rows)
        path_width = max(len(_relative(path)) for _, path, _ in rows)
        print(f"\n{arch}/{result.platform}/{runtime}:")
        for name, path, note in rows:
            print(f"  {name:<{name_width}}  {_relative(path):<{path_width}}  {_size(path.stat().st_size):>10}{note}")
    if result.up_to_date:
        work = "everything up to date"
    else:
        work = f"{len(result.built)} compile/link step(s), {len(result.from_cache)} from build/cache"
    print(f"\nbuilt in {result.seconds:.1f} s ({work})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ptogen", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="emit generated/<arch>/ from the templates and hook folders")
    gen.add_argument("--arch", action="append", help="only this arch (repeatable); default: all")
    gen.add_argument("--check", action="store_true", help="write nothing; exit 1 listing stale files")
    gen.set_defaults(func=cmd_generate)

    lst = sub.add_parser("list", help="the arches found and their key constants")
    lst.add_argument("--arch", action="append", help="only this arch (repeatable)")
    lst.set_defaults(func=cmd_list)

    bld = sub.add_parser("build", help="regenerate if stale, then build the host, AICPU and AICore programs")
    bld.add_argument("--arch", action="append", help="arch to build (repeatable or comma list); default: all")
    bld.add_argument("--runtime", action="append", help="runtime variant (repeatable or comma list); default: all")
    bld.add_argument("--platform", default="sim", choices=build.PLATFORMS, help="default: sim")
    bld.add_argument("-j", "--jobs", type=int, help="parallel compile jobs; default: one per CPU")
    bld.add_argument("--scene", action="append", help="also build examples/<scene>/ kernels and orchestration")
    bld.add_argument("-v", "--verbose", action="store_true", help="show the compiler commands and why each runs")
    bld.set_defaults(func=cmd_build)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ArchError as error:
        print(f"ptogen: invalid arch hook folder:\n{error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
