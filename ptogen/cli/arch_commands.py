"""`ptogen generate`, `ptogen list` and `ptogen new-arch`: the commands about arches themselves."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from ptogen import generate, newarch, paths
from ptogen.arch import ArchError, load_all, model
from ptogen.cli.common import report_broken, select_arches


def cmd_generate(args: argparse.Namespace) -> int:
    found = load_all()
    arches = select_arches(found, args.arch)
    # An arch whose hook folder is invalid or whose templates do not render is reported with its problems;
    # the others are still checked or written.
    broken: dict[str, ArchError] = {} if args.arch else dict(found.broken)
    done: list[str] = []
    statuses: list[generate.FileStatus] = []
    shipped = _shipped(arches) if not args.check else []
    if shipped:  # an installed ptogen uses the generated/ it was installed with, and never rewrites it
        print(
            f"ptogen generate: {', '.join(shipped)}: shipped generated with this install "
            f"({paths.generated_dir()}), which is never rewritten; to change an arch, scaffold your own "
            "(`ptogen new-arch NAME --from ARCH --into DIR`) or work in a checkout",
            file=sys.stderr,
        )
        arches = {name: arch for name, arch in arches.items() if name not in shipped}
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
        report_broken("generate", broken, "cannot be generated")
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
    report_broken("generate", broken, "not generated")
    return 2 if broken else 1 if shipped else 0


def _shipped(arches: dict[str, model.Arch]) -> list[str]:
    """The arches of an installed tree's templates/arches/ (none in a checkout)."""
    if not paths.installed():
        return []
    from ptogen.arch.loader import discover

    folders = discover()
    return sorted(name for name in arches if paths.is_repo_arch(folders[name]))


def cmd_list(args: argparse.Namespace) -> int:
    found = load_all()
    arches = select_arches(found, args.arch)
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
    report_broken("list", broken, "is unusable")
    return 2 if broken else 0


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


def add_parsers(sub: argparse._SubParsersAction, arch_path: argparse.ArgumentParser) -> None:
    gen = sub.add_parser(
        "generate", parents=[arch_path], help="emit generated/<arch>/ from the templates and hook folders"
    )
    gen.add_argument("--arch", action="append", help="only this arch (repeatable); default: all")
    gen.add_argument("--check", action="store_true", help="write nothing; exit 1 listing stale files")
    gen.set_defaults(func=cmd_generate)

    lst = sub.add_parser("list", parents=[arch_path], help="the arches found and their key constants")
    lst.add_argument("--arch", action="append", help="only this arch (repeatable)")
    lst.set_defaults(func=cmd_list)

    new = sub.add_parser(
        "new-arch",
        parents=[arch_path],
        help="scaffold templates/arches/NAME/: every constant, and the hook blocks an existing arch writes",
    )
    new.add_argument("name", help="the new arch's name (a lower-case identifier)")
    new.add_argument("--from", dest="source", required=True, metavar="ARCH", help="the arch to copy")
    new.add_argument("--into", metavar="DIR", help="create DIR/NAME/ instead (an arch outside the checkout)")
    new.set_defaults(func=cmd_new_arch)
