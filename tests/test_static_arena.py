"""The static arena when an allocation fails: each of its three regions (gm_heap, gm_sm, runtime_arena) made
to fail with ptosim's fault injection, in a context's first run and in a run that re-sizes the region. The
run fails with a named error; afterwards no arena region is live (all three released, not just the one that
failed); the next run with good sizes allocates all three again — every cached size was zeroed with its
region — and matches the golden."""

from __future__ import annotations

import pytest
from test_round_reuse import compile_probe

from ptogen.arch import load_all
from ptogen.harness.binding import RuntimeCallError
from ptogen.harness.runner import build_scene, check_outputs
from ptogen.harness.scene import Case, find_scene
from ptogen.harness.task_args import TaskArgs
from ptogen.harness.worker import Worker

RUNTIME = "tensormap_and_ringbuffer"
ARCHES = sorted(load_all())
DEVICE = 5
REGIONS = ("gm_heap", "gm_sm", "runtime_arena")  # the order setup_static_arena commits them in
RT_ERROR_MEMORY_ALLOCATION = 207001
TASK_RING, HEAP = 64, 1 << 20
CASE = Case("default", {"n": 16384}, block_dim=3, aicpu_thread_num=4)
LARGER = Case("larger", {"n": 32768}, block_dim=3, aicpu_thread_num=4)


@pytest.fixture(scope="module")
def sizes(tmp_path_factory):
    probes = {}

    def get(arch: str):
        if arch not in probes:
            probes[arch] = compile_probe(arch, tmp_path_factory.mktemp(f"probe-{arch}"))
        return probes[arch]

    return get


def run_case(worker: Worker, cid: int, case: Case) -> None:
    scene = find_scene("vector_example", RUNTIME)
    args = scene.make_args(case.params)
    expected = {k: v.copy() for k, v in args.items()}
    scene.golden(expected, case.params)
    worker.run(cid, TaskArgs.build([args[n] for n in scene.tensors], []), block_dim=case.block_dim,
               aicpu_thread_num=case.aicpu_thread_num)
    check_outputs(scene, args, expected, 0)


def live(worker: Worker) -> tuple[int, int]:
    report = worker.ptosim.report()
    return int(report["live_allocations"]), int(report["live_bytes"])


@pytest.mark.parametrize("arch", ARCHES)
@pytest.mark.parametrize("phase", ["first-run", "re-size"])
@pytest.mark.parametrize("region", REGIONS)
def test_failed_region_releases_all_three(sizes, arch, phase, region, monkeypatch):
    scene = find_scene("vector_example", RUNTIME)
    blob = build_scene(scene, arch)
    size = sizes(arch)
    monkeypatch.setenv("PTO_TRB_TASK_RING", str(TASK_RING))
    monkeypatch.setenv("PTO_TRB_HEAP_BYTES", str(HEAP))
    arena = 3 * 16384 * 4  # a, b, f of vector_example: float32, multiples of the arena alignment
    good_regions = HEAP + size.sm_bytes(TASK_RING, HEAP) + arena
    cores = load_all()[arch].cores
    slots = size.runtime + CASE.block_dim * (cores.aic_per_block + cores.aiv_per_block) * 8 + size.kernel_args
    with Worker(arch, RUNTIME, device_id=DEVICE) as worker:
        sim = worker.ptosim
        cid = worker.register(blob)
        try:
            if phase == "first-run":
                # In a context's first run the device-wall slot is allocated, then the three regions in order.
                nth, failing_case = 2 + REGIONS.index(region), CASE
                baseline_allocations, baseline_bytes = live(worker)
                baseline_allocations, baseline_bytes = baseline_allocations + 1, baseline_bytes + 8
            else:
                run_case(worker, cid, CASE)
                allocations, live_bytes = live(worker)
                baseline_allocations, baseline_bytes = allocations - 3, live_bytes - good_regions
                # Grow exactly the region under test: its allocation is the run's first.
                failing_case = LARGER if region == "runtime_arena" else CASE
                if region == "gm_heap":
                    monkeypatch.setenv("PTO_TRB_HEAP_BYTES", str(2 * HEAP))
                if region == "gm_sm":
                    monkeypatch.setenv("PTO_TRB_TASK_RING", str(2 * TASK_RING))
                nth = 1
            sim.fail_nth_call("rtMalloc", nth, RT_ERROR_MEMORY_ALLOCATION)
            try:
                with pytest.raises(RuntimeCallError, match=rf"the static arena region {region}: rtMalloc failed.*"
                                                          r"cannot set up the static arena"):
                    run_case(worker, cid, failing_case)
            finally:
                sim.fail_nth_call("rtMalloc", 0, 0)  # disarm, had the fault not fired
            # No region is live: what remains is exactly what lives outside the arena.
            assert live(worker) == (baseline_allocations, baseline_bytes)

            # Good sizes again: all three regions are allocated anew (and, in a first run, the run's slots).
            monkeypatch.setenv("PTO_TRB_TASK_RING", str(TASK_RING))
            monkeypatch.setenv("PTO_TRB_HEAP_BYTES", str(HEAP))
            mallocs = sim.calls("rtMalloc")
            run_case(worker, cid, CASE)
            allocated = sim.calls("rtMalloc") - mallocs
            allocations, live_bytes = live(worker)
            if phase == "first-run":
                assert allocated == 3 + 3
                assert (allocations, live_bytes) == (baseline_allocations + 6, baseline_bytes + good_regions + slots)
            else:
                assert allocated == 3
                assert (allocations, live_bytes) == (baseline_allocations + 3, baseline_bytes + good_regions)
            run_case(worker, cid, CASE)
            assert sim.calls("rtMalloc") - mallocs == allocated, "the round after allocates nothing"
        finally:
            worker.unregister(cid)
