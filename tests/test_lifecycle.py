"""Lifecycle facts of the generated DeviceRunner, read from the simulator's counters: what simpler_init
creates, what 50 runs do not create again, and what finalize leaves behind."""

from __future__ import annotations

import pytest

from ptogen import build as builder
from ptogen.arch import load_all
from ptogen.harness.ptosim import Ptosim
from ptogen.harness.runner import build_scene, run_scene
from ptogen.harness.scene import find_scene
from ptogen.harness.worker import Worker

ARCHES = sorted(load_all())
RUNS = 50


def live(report: dict, key: str) -> int:
    return int(report[key])


@pytest.mark.parametrize("arch", ARCHES)
def test_device_runner_lifecycle(arch):
    scene = find_scene("vector_example", "host_build_graph")
    blob = build_scene(scene, arch)
    builder.build([arch], ["host_build_graph"])
    sim = Ptosim(builder.artifacts(arch, "host_build_graph").ptosim)
    sim.reset_counters()
    before = sim.report()
    # Device 15 is used by no other test in the process, so this context is the one that bootstraps the AICPU
    # program there (the bootstrap is remembered per device and program for the life of a process).
    worker = Worker(arch, "host_build_graph", device_id=15, build=False).init()
    try:
        after_init = sim.report()
        # Eager init: both streams and the AICPU program exist before any run.
        assert after_init["streams_created"] == 2
        assert live(after_init, "streams_live") - live(before, "streams_live") == 2
        assert after_init["aicpu_bootstraps"] == 1
        assert sim.calls("rtsFuncGetByName") == 2
        assert after_init["aicore_registrations"] == 0  # the AICore program registers lazily

        run_scene(worker, scene, blob, rounds=RUNS)
        after_runs = sim.report()
        assert after_runs["streams_created"] == 2, "a run created a stream"
        assert sim.calls("rtStreamCreate") == 2
        assert sim.calls("rtRegisterAllKernel") == 1, "the AICore program must be registered exactly once"
        assert after_runs["aicore_launches"] == RUNS and after_runs["aicpu_launches"] == 2 * RUNS
    finally:
        worker.close()
    after_finalize = sim.report()
    assert after_finalize["streams_destroyed"] == 2
    assert live(after_finalize, "streams_live") == live(before, "streams_live")
    assert after_finalize["pending_at_destroy"] == 0
    assert live(after_finalize, "live_allocations") == live(before, "live_allocations") == 0
    assert after_finalize["invalid_accesses"] == 0


@pytest.mark.parametrize("arch", ARCHES[:1])
def test_second_finalize_is_a_no_op(arch):
    worker = Worker(arch, "host_build_graph", device_id=4).init()
    context = worker.context
    context.finalize()
    calls_after_first = {api: worker.ptosim.calls(api) for api in ("rtStreamDestroy", "rtFree", "rtDeviceReset")}
    context.finalize()  # must succeed and touch nothing
    assert {api: worker.ptosim.calls(api) for api in calls_after_first} == calls_after_first
    context.destroy()
