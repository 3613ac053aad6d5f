"""The tensormap_and_ringbuffer runtime on the simulation, measured and printed beside upstream's figures:

- the steady-state per-round time of vector_example over 100 rounds (upstream ~55 ms per round);
- one run of a 500-task bgemm (scene bgemm, case bench500: 250 AIC GEMM + 250 AIV add tasks of 64 x 64
  tiles) on a fresh Worker, its first round (upstream 4.7 s);
- the per-round time of chains of 10, 100, 1000 and 10000 dependent in-place tasks (scene chain), and
  whether the time grows at most linearly with the task count (time per task roughly flat).

Every round is checked against its golden. Target: >= 20x upstream on the first two.

Run: python benchmarks/bench_trb.py [--arch a2a3] [--rounds 100] [--chain-rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import describe  # noqa: E402

from ptogen.harness.runner import build_scene, run_scene  # noqa: E402
from ptogen.harness.scene import find_scene  # noqa: E402
from ptogen.harness.worker import Worker  # noqa: E402

RUNTIME = "tensormap_and_ringbuffer"
UPSTREAM_ROUND_MS = 55.0  # vector_example, per extra round
UPSTREAM_BGEMM_S = 4.7  # benchmark_bgemm Case0, 500 tasks
TARGET = 20.0
CHAINS = (10, 100, 1000, 10000)


def host_ms(result) -> list[float]:
    return [t.host_wall_ns / 1e6 for t in result.rounds]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", default="a2a3")
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--chain-rounds", type=int, default=5)
    args = parser.parse_args()

    vector, bgemm, chain = (find_scene(name, RUNTIME) for name in ("vector_example", "bgemm", "chain"))
    blobs = {scene.name: build_scene(scene, args.arch) for scene in (vector, bgemm, chain)}

    with Worker(args.arch, RUNTIME, device_id=0) as worker:
        rounds = host_ms(run_scene(worker, vector, blobs["vector_example"], rounds=args.rounds))
    steady = statistics.median(rounds[1:])

    with Worker(args.arch, RUNTIME, device_id=1) as worker:
        result = run_scene(worker, bgemm, blobs["bgemm"], bgemm.case("bench500"), rounds=3)
    bgemm_ms = host_ms(result)
    params = bgemm.case("bench500").params
    tasks = 2 * params["batch"] * params["grid_m"] * params["grid_n"] * params["grid_k"]

    chain_ms: dict[int, float] = {}
    with Worker(args.arch, RUNTIME, device_id=2) as worker:
        for length in CHAINS:
            result = run_scene(worker, chain, blobs["chain"], chain.case(f"len{length}"), rounds=args.chain_rounds + 1)
            chain_ms[length] = statistics.median(host_ms(result)[1:])

    print(f"machine: {describe()}")
    print(f"arch {args.arch}, simulation; host wall time per round, every round golden-checked")
    print(f"{'what':<58}{'ptogen':>12}{'upstream':>12}{'ratio':>10}")
    label = f"vector_example, rounds 1..{len(rounds) - 1}: median"
    ratio = UPSTREAM_ROUND_MS / steady
    print(f"{label:<58}{steady:>9.3f} ms{UPSTREAM_ROUND_MS:>9.0f} ms{ratio:>9.0f}x")
    print(f"{'  round 0 / mean / max of the rest':<58}{rounds[0]:>9.3f} ms   "
          f"{statistics.mean(rounds[1:]):.3f} / {max(rounds[1:]):.3f} ms")
    bgemm_ratio = UPSTREAM_BGEMM_S * 1e3 / bgemm_ms[0]
    label = f"bgemm bench500 ({tasks} tasks), one run (first round)"
    print(f"{label:<58}{bgemm_ms[0]:>9.1f} ms{UPSTREAM_BGEMM_S:>10.1f} s{bgemm_ratio:>9.0f}x")
    print(f"{'  later rounds':<58}{' / '.join(f'{t:.1f}' for t in bgemm_ms[1:])} ms")
    verdict = "met" if ratio >= TARGET and bgemm_ratio >= TARGET else "NOT met"
    print(f"target >= {TARGET:.0f}x upstream on both: {verdict}")
    print()
    print(f"chain of dependent in-place tasks, median of {args.chain_rounds} rounds after the first:")
    print(f"{'tasks':>8}{'ms per round':>15}{'us per task':>14}")
    per_task = {n: chain_ms[n] * 1e3 / n for n in CHAINS}
    for n in CHAINS:
        print(f"{n:>8}{chain_ms[n]:>15.3f}{per_task[n]:>14.2f}")
    # At most linear: from 100 tasks on (below that the fixed per-round cost dominates), the time per task
    # does not grow by more than half at each tenfold step.
    growth = [per_task[b] / per_task[a] for a, b in zip(CHAINS[1:], CHAINS[2:], strict=False)]
    linear = all(g <= 1.5 for g in growth)
    steps = ", ".join(f"{a}->{b}: x{g:.2f}" for (a, b), g in zip(zip(CHAINS[1:], CHAINS[2:], strict=False), growth,
                                                                   strict=False))
    print(f"time per task across tenfold steps ({steps}): growth {'is' if linear else 'is NOT'} at most linear")


if __name__ == "__main__":
    main()
