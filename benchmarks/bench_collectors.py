"""Overhead of the level-1 L2 swimlane: a 500-task bgemm (tensormap_and_ringbuffer scene bgemm, case bench500:
250 AIC GEMM + 250 AIV add tasks) run with the swimlane off and at level 1, alternating, on one context.

    python benchmarks/bench_collectors.py [--arch a2a3] [--runs 10]

Prints host and device time per mode (median over the runs) and the overhead of level 1, and the cost of the
host-side conversion to trace.json. The first run of each mode is a warm-up and is not counted."""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

from ptogen.harness.runner import build_scene, run_scene
from ptogen.harness.scene import find_scene
from ptogen.harness.worker import Worker
from ptogen.trace import convert_run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", default="a2a3")
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    scene = find_scene("bgemm", "tensormap_and_ringbuffer")
    case = scene.case("bench500")
    blob = build_scene(scene, args.arch)
    times: dict[str, list[tuple[float, float]]] = {"off": [], "level 1": []}
    with tempfile.TemporaryDirectory() as scratch, Worker(args.arch, scene.runtime, device_id=1) as worker:
        out = Path(scratch) / "trace"
        for index in range(args.runs + 1):
            for mode in times:
                config = {"swimlane": 1, "output_prefix": str(out)} if mode == "level 1" else {}
                timing = run_scene(worker, scene, blob, case, **config).rounds[0]
                if index > 0:
                    times[mode].append((timing.host_wall_ns / 1e6, timing.device_wall_ns / 1e6))
        start = time.perf_counter()
        converted = convert_run(out)
        convert_ms = (time.perf_counter() - start) * 1e3

    cpus = len(os.sched_getaffinity(0))
    print(f"bgemm bench500 on {args.arch}/sim ({converted.kernel_events} kernel events per traced run), "
          f"{args.runs} runs per mode, {cpus} CPU(s), {platform.processor() or platform.machine()}")
    print(f"{'mode':<8}  {'host ms (median)':>16}  {'device ms (median)':>18}")
    medians = {}
    for mode, samples in times.items():
        host = statistics.median(s[0] for s in samples)
        device = statistics.median(s[1] for s in samples)
        medians[mode] = (host, device)
        print(f"{mode:<8}  {host:>16.2f}  {device:>18.2f}")
    (host_off, dev_off), (host_on, dev_on) = medians["off"], medians["level 1"]
    print(f"level-1 overhead: device {dev_on - dev_off:+.2f} ms ({(dev_on / dev_off - 1) * 100:+.1f} %), "
          f"host {host_on - host_off:+.2f} ms ({(host_on / host_off - 1) * 100:+.1f} %; with the pull and raw export)")
    print(f"trace.json conversion (host, after the run): {convert_ms:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
