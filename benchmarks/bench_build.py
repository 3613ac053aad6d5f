"""A no-op build, measured: `ptogen build --arch a2a3` when everything is up to date (the median of several runs
after a warm build), printed beside upstream's Ninja no-op and ptogen's earlier recorded figure.

Run: python benchmarks/bench_build.py [--runs N] [--against REV]. With --against, the same command of the
checkout at git revision REV (extracted into a scratch folder, sharing build/cache so its warm build is
mostly fetched) is timed side by side, runs alternating, so both see the same load. Wall time is what a user
waits; CPU time (user + system of the command and its children) is what the build costs, and moves less
when other work shares the machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import describe  # noqa: E402

from ptogen import layout, paths  # noqa: E402

COMMAND = ("build", "--arch", "a2a3")
# Recorded figures: upstream simpler HEAD (a2a3sim, Ninja) and ptogen before its build layout was redone,
# measured side by side on a 2-core machine in Dec 2026.
UPSTREAM_NINJA_NOOP = 0.43
PTOGEN_DEC_2026_NOOP = 0.64


def timed(root: Path, python_path: str | None) -> tuple[float, float]:
    """(wall, cpu) seconds of one `ptogen build` in `root`, run with that checkout's own ptogen."""
    env = {k: v for k, v in os.environ.items() if k not in ("PTOGEN_ROOT", "SCONSFLAGS")}
    if python_path is not None:
        env["PYTHONPATH"] = python_path
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    # ptogen.cli.main is the entry point in every revision (`python -m ptogen` is newer than some).
    entry = "import sys; from ptogen.cli import main; sys.exit(main())"
    subprocess.run([sys.executable, "-c", entry, *COMMAND], cwd=root, env=env, check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def extract(revision: str, into: Path) -> Path:
    """The checkout at `revision`, sharing this checkout's build/cache."""
    archive = subprocess.run(["git", "-C", str(paths.project_root()), "archive", revision], capture_output=True,
                             check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    layout.build_dir(into).mkdir()
    layout.cache_dir(into).symlink_to(layout.cache_dir(paths.project_root()))
    return into


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--against", metavar="REV", help="also time the checkout at this git revision")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ptogen-bench-build-") as scratch:
        trees = {"ptogen (this checkout)": (paths.project_root(), None)}
        if args.against:
            base = extract(args.against, Path(scratch))
            trees[f"ptogen at {args.against}"] = (base, str(base))
        for root, python_path in trees.values():
            timed(root, python_path)  # the warm build; the runs below find everything up to date
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in trees}
        for _ in range(args.runs):
            for name, (root, python_path) in trees.items():
                samples[name].append(timed(root, python_path))

    print(f"no-op `ptogen {' '.join(COMMAND)}`, median of {args.runs} runs after a warm build")
    print(f"machine: {describe()}; load average {os.getloadavg()[0]:.1f}\n")
    print(f"{'':<36}{'wall':>10}{'cpu':>10}")
    for name, runs in samples.items():
        wall = statistics.median(w for w, _ in runs)
        cpu = statistics.median(c for _, c in runs)
        print(f"{name:<36}{wall:>9.2f}s{cpu:>9.2f}s")
    print(f"{'ptogen, Dec 2026 (recorded)':<36}{PTOGEN_DEC_2026_NOOP:>9.2f}s")
    print(f"{'upstream simpler + Ninja (recorded)':<36}{UPSTREAM_NINJA_NOOP:>9.2f}s")
    print("\nrecorded: measured side by side on a 2-core machine in Dec 2026; not re-measured here")


if __name__ == "__main__":
    main()
