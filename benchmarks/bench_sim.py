"""The simulator path, measured: cold build of a2a3/sim/host_build_graph, a no-op rebuild, and the per-round
time of vector_example over 100 rounds — printed beside upstream's recorded figures.

Run: python benchmarks/bench_sim.py [--rounds N]. The cold build happens in a scratch copy of the project
with no build/ and no build cache, so nothing of an earlier build is reused.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import describe  # noqa: E402

from ptogen import paths  # noqa: E402

UPSTREAM = {
    "cold": "80 s (a2a3sim, both runtimes)",
    "noop": "1.4 s",
    "round": "~55 ms",
}
COPIED = ("pyproject.toml", "SConstruct", "site_scons", "ptogen", "templates", "generated", "runtimes", "examples")


def timed_build(root: Path) -> float:
    env = dict(os.environ, PTOGEN_ROOT=str(root))
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "ptogen", "build", "--arch", "a2a3", "--runtime", "host_build_graph"],
        check=True, capture_output=True, env=env,
    )
    return time.perf_counter() - start


def rounds_of_vector_example(rounds: int) -> list[float]:
    from ptogen.harness.runner import build_scene, run_scene
    from ptogen.harness.scene import find_scene
    from ptogen.harness.worker import Worker

    scene = find_scene("vector_example", "host_build_graph")
    blob = build_scene(scene, "a2a3")
    with Worker("a2a3", "host_build_graph") as worker:
        result = run_scene(worker, scene, blob, rounds=rounds)
    return [t.host_wall_ns / 1e6 for t in result.rounds]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=100)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ptogen-bench-") as scratch:
        root = Path(scratch)
        for name in COPIED:
            source = paths.project_root() / name
            (shutil.copytree if source.is_dir() else shutil.copy2)(source, root / name)
        cold = timed_build(root)
        noop = timed_build(root)
    per_round = rounds_of_vector_example(args.rounds)
    steady = per_round[1:]

    print(f"machine: {describe()}")
    print(f"{'what':<52}{'ptogen':>14}   upstream")
    print(f"{'cold build a2a3/sim/host_build_graph (+ ptosim)':<52}{cold:>12.1f} s   {UPSTREAM['cold']}")
    print(f"{'no-op rebuild (ptogen build)':<52}{noop:>12.2f} s   {UPSTREAM['noop']}")
    print(f"{'vector_example, round 0 (host wall)':<52}{per_round[0]:>11.3f} ms")
    label = f"vector_example, rounds 1..{len(per_round) - 1}: median"
    print(f"{label:<52}{statistics.median(steady):>11.3f} ms   {UPSTREAM['round']} per extra round")
    print(f"{'  mean / max':<52}{statistics.mean(steady):>11.3f} ms / {max(steady):.3f} ms")


if __name__ == "__main__":
    main()
