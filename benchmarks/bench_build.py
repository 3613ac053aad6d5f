"""A no-op build, measured: `ptogen build --arch a2a3` when everything is up to date (the median of several runs
after a warm build), beside upstream simpler's own no-op rebuild of its a2a3 sim runtimes when given a checkout.

Run: python benchmarks/bench_build.py [--runs N] [--against REV] [--upstream DIR]

--against REV  also times the same command of the checkout at git revision REV (extracted into a scratch
               folder, sharing build/cache so its warm build is mostly fetched).
--upstream DIR also times upstream simpler (a git checkout of github.com/hw-native-sys/simpler in DIR). Its
               a2a3sim runtime programs are built once with upstream's own builder,
                   python simpler_setup/build_runtimes.py --platforms a2a3sim
               with CMAKE_GENERATOR=Ninja and its build folders under DIR/build/bench-ninja/ (so a build
               of the user's own under DIR/build/cache is left alone); then three no-op commands are timed:
               that same builder (per build folder: a CMake configure, then `cmake --build`), `cmake --build`
               of each build folder, and `ninja -C` of each build folder (Ninja alone, the floor under both).
               Needs, besides g++: cmake >= 3.16 and ninja on PATH (`apt-get install cmake ninja-build`, or
               `pip install cmake ninja`) and git (upstream keys its build cache on the checkout's HEAD). The
               builder runs under this script's Python and, for a sim build, imports only upstream's own tree
               and the standard library, so nothing of upstream is installed. The first run pays upstream's
               cold build (minutes); later runs find it warm.

All runs alternate between the contenders, so all see the same load. Wall time is what a user waits; CPU time
(user + system of the command and its children) is what the build costs, and moves less when other work shares
the machine. Nothing of upstream is part of this project: the benchmark only runs upstream's own commands in
the folder it is given.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import describe  # noqa: E402

from ptogen import layout, paths  # noqa: E402

COMMAND = ("build", "--arch", "a2a3")
# Recorded figures: upstream simpler HEAD (a2a3sim, Ninja) and ptogen before its build layout was redone,
# measured side by side on a 2-core machine in Dec 2026.
UPSTREAM_NINJA_NOOP = 0.43
PTOGEN_DEC_2026_NOOP = 0.64

UPSTREAM_BUILDER = Path("simpler_setup") / "build_runtimes.py"
UPSTREAM_PLATFORM = "a2a3sim"
# Upstream's builder takes its cache and output folders as options; ours sit beside its defaults
# (build/cache, build/lib) so that a Makefile build the user already has there is neither reused nor wiped.
UPSTREAM_BENCH_DIR = Path("build") / "bench-ninja"


@dataclass(frozen=True)
class Step:
    """One command of a timed run: what to run, where, with which environment."""

    argv: tuple[str, ...]
    cwd: Path
    env: dict[str, str]


class BenchError(Exception):
    """A contender's command failed: reported as a message, not a traceback."""


def run(step: Step) -> None:
    result = subprocess.run(step.argv, cwd=step.cwd, env=step.env, capture_output=True, text=True)
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip().splitlines()
        tail = "\n  ".join(output[-20:])
        raise BenchError(f"`{' '.join(step.argv)}` in {step.cwd} exited with {result.returncode}:\n  {tail}")


def timed(steps: list[Step]) -> tuple[float, float]:
    """(wall, cpu) seconds of running `steps` one after another."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    for step in steps:
        run(step)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def ptogen_steps(root: Path, python_path: str | None) -> list[Step]:
    """One `ptogen build` in `root`, run with that checkout's own ptogen."""
    env = {k: v for k, v in os.environ.items() if k not in ("PTOGEN_ROOT", "SCONSFLAGS")}
    if python_path is not None:
        env["PYTHONPATH"] = python_path
    # ptogen.cli.main is the entry point in every revision (`python -m ptogen` is newer than some).
    entry = "import sys; from ptogen.cli import main; sys.exit(main())"
    return [Step((sys.executable, "-c", entry, *COMMAND), root, env)]


def extract(revision: str, into: Path) -> Path:
    """The checkout at `revision`, sharing this checkout's build/cache."""
    archive = subprocess.run(["git", "-C", str(paths.project_root()), "archive", revision], capture_output=True,
                             check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    layout.build_dir(into).mkdir()
    layout.cache_dir(into).symlink_to(layout.cache_dir(paths.project_root()))
    return into


@dataclass(frozen=True)
class Upstream:
    """An upstream simpler checkout and the build folders its builder keeps for the a2a3 sim runtimes."""

    root: Path

    @property
    def cache(self) -> Path:
        return self.root / UPSTREAM_BENCH_DIR / "cache"

    def builder(self) -> Step:
        env = {k: v for k, v in os.environ.items() if k != "CMAKE_GENERATOR"}
        env["CMAKE_GENERATOR"] = "Ninja"
        argv = (sys.executable, str(UPSTREAM_BUILDER), "--platforms", UPSTREAM_PLATFORM,
                "--cache-dir", str(self.cache), "--lib-dir", str(self.root / UPSTREAM_BENCH_DIR / "lib"))
        return Step(argv, self.root, env)

    def build_dirs(self) -> list[Path]:
        """Every CMake build folder the builder configured (the shared sim context and each runtime's parts)."""
        return sorted(ninja_file.parent for ninja_file in self.cache.rglob("build.ninja"))

    def per_dir(self, *tool: str) -> list[Step]:
        return [Step((*tool, str(folder)), self.root, dict(os.environ)) for folder in self.build_dirs()]

    def products(self) -> dict[Path, int]:
        """Modification times of every object and program in the build folders: a change means a compile or link
        ran. (Not .ninja_log: a no-op Ninja run there still logs CMake's glob check of CONFIGURE_DEPENDS sources.)"""
        return {path: path.stat().st_mtime_ns for path in self.cache.rglob("*")
                if path.suffix in (".o", ".so") and path.is_file()}

    def commit(self) -> str:
        result = subprocess.run(["git", "-C", str(self.root), "log", "-1", "--format=%H (%cs)"],
                                capture_output=True, text=True)
        return result.stdout.strip() or "unknown commit (not a git checkout)"


def check_upstream(parser: argparse.ArgumentParser, folder: str) -> Upstream:
    root = Path(folder).resolve()
    if not (root / UPSTREAM_BUILDER).is_file():
        parser.error(f"--upstream {folder}: no {UPSTREAM_BUILDER} there; give a checkout of hw-native-sys/simpler")
    missing = [tool for tool in ("cmake", "ninja", "git") if shutil.which(tool) is None]
    if missing:
        parser.error(f"--upstream needs {', '.join(missing)} on PATH "
                     "(apt-get install cmake ninja-build git, or pip install cmake ninja)")
    return Upstream(root)


def measure(contenders: dict[str, list[Step]], runs: int) -> dict[str, list[tuple[float, float]]]:
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in contenders}
    for _ in range(runs):
        for name, steps in contenders.items():
            samples[name].append(timed(steps))
    return samples


def report(samples: dict[str, list[tuple[float, float]]], upstream: Upstream | None, runs: int,
           upstream_did_work: bool) -> None:
    subject = f"no-op `ptogen {' '.join(COMMAND)}`"
    if upstream is not None:
        subject += f" beside upstream simpler's no-op rebuild of its {UPSTREAM_PLATFORM} runtimes (CMake + Ninja)"
    print(f"{subject}, median of {runs} runs each after a warm build, runs alternating")
    print(f"machine: {describe()}; load average {os.getloadavg()[0]:.1f}")
    if upstream is not None:
        print(f"upstream: {upstream.root} at {upstream.commit()}")
    print()
    width = max(len(name) for name in [*samples, "upstream simpler + Ninja (recorded)"]) + 2
    ours = statistics.median(w for w, _ in samples["ptogen (this checkout)"])
    print(f"{'':<{width}}{'wall':>9}{'cpu':>9}{'vs ptogen':>11}")
    for name, measured in samples.items():
        wall = statistics.median(w for w, _ in measured)
        cpu = statistics.median(c for _, c in measured)
        print(f"{name:<{width}}{wall:>8.2f}s{cpu:>8.2f}s{wall / ours:>10.2f}x")
    for name, wall in (("ptogen, Dec 2026 (recorded)", PTOGEN_DEC_2026_NOOP),
                       ("upstream simpler + Ninja (recorded)", UPSTREAM_NINJA_NOOP)):
        print(f"{name:<{width}}{wall:>8.2f}s{'':>9}{wall / ours:>10.2f}x")
    print("\nvs ptogen: the row's median wall time over ptogen's (above 1x, ptogen is faster)")
    print("recorded: measured side by side on a 2-core machine in Dec 2026; not re-measured here")
    if upstream is None:
        return
    folders = [str(folder.relative_to(upstream.cache)) for folder in upstream.build_dirs()]
    print(f"\nupstream, what was timed (its build folders under {upstream.cache.relative_to(upstream.root)}/: "
          f"{', '.join(folders)}):")
    print(f"  build_runtimes.py  `python {' '.join(upstream.builder().argv[1:4])}` with CMAKE_GENERATOR=Ninja, what"
          " upstream runs to rebuild: per folder a CMake configure, then `cmake --build . --parallel N`")
    print("  cmake --build      `cmake --build <folder>` for each folder, one after another")
    print("  ninja -C           `ninja -C <folder>` for each folder: Ninja alone, without CMake or the Python builder")
    if upstream_did_work:
        print("WARNING: upstream's objects or programs changed during the timed runs, so some upstream runs were"
              " not no-ops (is DIR a git checkout? upstream's builder wipes its cache when it cannot read HEAD)")
    else:
        print("checked: no upstream object or program changed during the timed runs (nothing compiled or linked)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--against", metavar="REV", help="also time the checkout at this git revision")
    parser.add_argument("--upstream", metavar="DIR", help="also time upstream simpler's no-op rebuild in DIR")
    args = parser.parse_args()
    upstream = check_upstream(parser, args.upstream) if args.upstream else None
    products: dict[Path, int] = {}

    with tempfile.TemporaryDirectory(prefix="ptogen-bench-build-") as scratch:
        contenders = {"ptogen (this checkout)": ptogen_steps(paths.project_root(), None)}
        if args.against:
            base = extract(args.against, Path(scratch))
            contenders[f"ptogen at {args.against}"] = ptogen_steps(base, str(base))
        try:
            for steps in contenders.values():
                timed(steps)  # the warm build; the runs below find everything up to date
            if upstream is not None:
                print(f"warm build of upstream's {UPSTREAM_PLATFORM} runtimes in {upstream.root} "
                      "(minutes if cold) ...", flush=True)
                timed([upstream.builder()])
                folders = len(upstream.build_dirs())
                if folders == 0:
                    raise BenchError(f"upstream's builder left no build.ninja under {upstream.cache}")
                contenders["upstream build_runtimes.py"] = [upstream.builder()]
                contenders[f"upstream cmake --build, {folders} folders"] = upstream.per_dir("cmake", "--build")
                contenders[f"upstream ninja -C, {folders} folders"] = upstream.per_dir("ninja", "-C")
                products = upstream.products()
            samples = measure(contenders, args.runs)
        except BenchError as error:
            print(f"bench_build: {error}", file=sys.stderr)
            return 1
    report(samples, upstream, args.runs, upstream is not None and upstream.products() != products)
    return 0


if __name__ == "__main__":
    sys.exit(main())
