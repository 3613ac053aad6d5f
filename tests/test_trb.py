"""The tensormap_and_ringbuffer runtime: its scenes on every arch (also run by test_scenes.py), ring
back-pressure with tiny rings, deadlocks that end in a named fatal error instead of a hang, argument and
launch checks, and what a prepared callable costs per registration and per round."""

from __future__ import annotations

import pytest

from ptogen.arch import load_all
from ptogen.harness.binding import RuntimeCallError
from ptogen.harness.runner import build_scene, run_scene
from ptogen.harness.scene import Case, find_scene
from ptogen.harness.task_args import TaskArgs
from ptogen.harness.worker import Worker

RUNTIME = "tensormap_and_ringbuffer"
ARCHES = sorted(load_all())
# Device ids no other test module uses: a device is one chip of one arch, and a failed run leaves its
# context unusable, so the deadlock tests each take a fresh one.
DEVICE_BASE = 10  # 10, 11: the module's workers; 12, 13: deadlocks; 14: the prepared-callable counters


@pytest.fixture(scope="module")
def workers():
    opened: dict[str, Worker] = {}

    def get(arch: str) -> Worker:
        if arch not in opened:
            opened[arch] = Worker(arch, RUNTIME, device_id=DEVICE_BASE + len(opened)).init()
        return opened[arch]

    yield get
    for worker in opened.values():
        worker.close()


def scene_and_blob(name: str, arch: str):
    scene = find_scene(name, RUNTIME)
    return scene, build_scene(scene, arch)


@pytest.mark.parametrize("arch", ARCHES)
@pytest.mark.parametrize("name", ["vector_example", "dependency_only", "ring_pressure"])
def test_scene_matches_golden(workers, arch, name):
    scene, blob = scene_and_blob(name, arch)
    result = run_scene(workers(arch), scene, blob, rounds=3)
    assert len(result.rounds) == 3


@pytest.mark.parametrize("arch", ARCHES)
def test_graph_larger_than_tiny_rings_completes(workers, arch, monkeypatch):
    # 3 task slots and room for two rows' intermediates: 256 tasks only complete if the orchestrator
    # waits for completions to reuse slots and heap bytes, and never overwrites a live one.
    monkeypatch.setenv("PTO_TRB_TASK_RING", "3")
    monkeypatch.setenv("PTO_TRB_HEAP_BYTES", "2048")
    scene, blob = scene_and_blob("ring_pressure", arch)
    tiny = Case("tiny", {"rows": 128, "n": 256}, block_dim=2, aicpu_thread_num=3)
    run_scene(workers(arch), scene, blob, tiny, rounds=2)
    # The chain of in-place writes and the write after read, with one task slot.
    monkeypatch.setenv("PTO_TRB_TASK_RING", "1")
    scene, blob = scene_and_blob("dependency_only", arch)
    run_scene(workers(arch), scene, blob, Case("one", {"n": 1024, "steps": 40, "parts": 8}, block_dim=3,
                                                aicpu_thread_num=4), rounds=2)


@pytest.mark.parametrize(
    ("mode", "heap", "reason"),
    [
        (1, "4096", r"heap ring deadlock: alloc_tensor needs 1024 bytes, but the heap ring \(4096 bytes.*still open"),
        (2, None, r"heap ring deadlock: alloc_tensor needs 17179869184 bytes, more than the whole heap ring"),
    ],
    ids=["scope-holds-the-heap", "buffer-larger-than-heap"],
)
def test_deadlock_is_a_named_fatal_error(mode, heap, reason, monkeypatch):
    arch = ARCHES[0]
    if heap is not None:
        monkeypatch.setenv("PTO_TRB_HEAP_BYTES", heap)
    scene, blob = scene_and_blob("ring_pressure", arch)
    with Worker(arch, RUNTIME, device_id=DEVICE_BASE + 1 + mode) as worker:
        with pytest.raises(RuntimeCallError, match=reason):
            run_scene(worker, scene, blob, Case("misuse", {"rows": 16, "n": 256, "mode": mode}, block_dim=2,
                                                aicpu_thread_num=3))


def test_launch_and_argument_checks(workers):
    arch = ARCHES[0]
    scene, blob = scene_and_blob("vector_example", arch)
    worker = workers(arch)
    args = scene.make_args(scene.cases[0].params)
    tensors = [args[n] for n in scene.tensors]
    cid = worker.register(blob)
    try:
        with pytest.raises(RuntimeCallError, match=r"needs aicpu_thread_num >= 2.*got 1"):
            worker.run(cid, TaskArgs.build(tensors, []), block_dim=3, aicpu_thread_num=1)
        with pytest.raises(RuntimeCallError, match=r"takes 3 arguments, got 2 tensors \+ 0 scalars"):
            worker.run(cid, TaskArgs.build(tensors[:2], []), block_dim=3, aicpu_thread_num=4)
        wrong_kind = r"argument 2 of build_vector_example is a scalar, the signature says OUT"
        with pytest.raises(RuntimeCallError, match=wrong_kind):
            worker.run(cid, TaskArgs.build(tensors[:2], [7]), block_dim=3, aicpu_thread_num=4)
        # A rejected run leaves the context usable.
        worker.run(cid, TaskArgs.build(tensors, []), block_dim=3, aicpu_thread_num=4)
        assert (args["f"] == 47).all()
    finally:
        worker.unregister(cid)


def test_prepared_callable_loads_once_per_sighting_and_uploads_once(arch=ARCHES[0]):
    scene, blob = scene_and_blob("vector_example", arch)
    case = scene.cases[0]
    with Worker(arch, RUNTIME, device_id=DEVICE_BASE + 4) as worker:
        sim, ctx = worker.ptosim, worker.context

        def run(cid):
            args = scene.make_args(case.params)
            worker.run(cid, TaskArgs.build([args[n] for n in scene.tensors], []), block_dim=case.block_dim,
                       aicpu_thread_num=case.aicpu_thread_num)
            assert (args["f"] == 47).all()

        mallocs = sim.calls("rtMalloc")
        a = worker.register(blob)
        assert sim.calls("rtMalloc") - mallocs == 2, "one kernel upload and one staged orchestration program"
        run(a)  # first round: the static arena and the per-run slots are allocated
        assert ctx.aicpu_dlopen_count == 1
        mallocs = sim.calls("rtMalloc")
        for _ in range(5):
            run(a)
        assert sim.calls("rtMalloc") == mallocs, "rounds after the first allocate no device memory"
        assert ctx.aicpu_dlopen_count == 1, "the orchestration program is loaded once per callable id"

        # The same callable under a second id: kernels and orchestration bytes are shared, the AICPU loads
        # the program for the new id on its first run only.
        b = worker.register(blob)
        assert sim.calls("rtMalloc") == mallocs
        run(b)
        run(b)
        run(a)
        assert ctx.aicpu_dlopen_count == 2
        assert ctx.host_dlopen_count == 0

        # Unregister both, register again: the kernel upload is still deduplicated (by content), the
        # orchestration bytes are staged again, and the first run of the id loads it again.
        worker.unregister(a)
        worker.unregister(b)
        mallocs = sim.calls("rtMalloc")
        c = worker.register(blob)
        assert sim.calls("rtMalloc") - mallocs == 1
        run(c)
        run(c)
        assert ctx.aicpu_dlopen_count == 3
        worker.unregister(c)
