"""Simulated cores live with their device: 1000 runs on one Worker create no thread after the first runs,
and resetting the device (the Worker's finalize) ends every core thread it had. Counted in a fresh process,
so no other test's threads (a hung kernel's core, say) come or go while it counts."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ptogen import build as builder
from ptogen.harness.runner import build_scene
from ptogen.harness.scene import find_scene

PROBE = r"""
import json, os, sys
from ptogen.harness.runner import build_scene, run_scene
from ptogen.harness.scene import find_scene
from ptogen.harness.worker import Worker

def threads():
    return len(os.listdir("/proc/self/task"))

arch, runtime, scene_name = sys.argv[1:4]
scene = find_scene(scene_name, runtime)
blob = build_scene(scene, arch)
counts = {"before": threads()}
worker = Worker(arch, runtime, device_id=3, build=False).init()
try:
    sim = worker.ptosim
    run_scene(worker, scene, blob, rounds=1)
    counts["run_1"] = threads()
    run_scene(worker, scene, blob, rounds=9)
    counts["run_10"] = threads()
    created_at_10 = sim.report()["core_threads_created"]
    run_scene(worker, scene, blob, rounds=990)
    counts["run_1000"] = threads()
    report = sim.report()
    counts["created_10_to_1000"] = report["core_threads_created"] - created_at_10
    counts["live_running"] = report["core_threads_live"]
    counts["aicore_launches"] = report["aicore_launches"]
finally:
    worker.close()
counts["after_reset"] = threads()
counts["live_after_reset"] = sim.report()["core_threads_live"]
print(json.dumps(counts))
"""


@pytest.mark.parametrize("runtime", ["host_build_graph", "tensormap_and_ringbuffer"])
def test_core_threads_are_created_once_and_end_at_reset(runtime):
    arch, scene_name = "a2a3", "vector_example"
    build_scene(find_scene(scene_name, runtime), arch)
    builder.build([arch], [runtime])
    done = subprocess.run([sys.executable, "-c", PROBE, arch, runtime, scene_name], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    counts = json.loads(done.stdout.strip().splitlines()[-1])
    assert counts["aicore_launches"] >= 1000, counts
    # The first run made the device's cores; later runs reuse them.
    assert counts["run_1"] > counts["before"], counts
    assert counts["run_10"] == counts["run_1000"], counts
    assert counts["created_10_to_1000"] == 0, counts
    assert counts["live_running"] > 0, counts
    assert counts["run_1000"] - counts["before"] >= counts["live_running"], counts  # parked, they are still threads
    # The reset ended every core thread (and the streams' workers) the Worker had.
    assert counts["live_after_reset"] == 0, counts
    assert counts["after_reset"] == counts["before"], counts
