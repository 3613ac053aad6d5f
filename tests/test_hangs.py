"""A kernel that never finishes: the run ends with the timeout, finalize does not touch the errored stream
again, and the process can still run work on a new context."""

from __future__ import annotations

import subprocess

import pytest
from conftest import HANGING_KERNEL, vector_example_with_kernel

from ptogen import build as builder
from ptogen.harness.binding import RuntimeCallError
from ptogen.harness.runner import build_scene, run_scene
from ptogen.harness.task_args import TaskArgs
from ptogen.harness.worker import Worker


@pytest.fixture(scope="module")
def hanging_kernel(tmp_path_factory) -> bytes:
    folder = tmp_path_factory.mktemp("hang")
    source = folder / "hang.cpp"
    source.write_text(HANGING_KERNEL)
    library = folder / "hang.so"
    subprocess.run(["g++", "-shared", "-fPIC", "-O2", "-o", str(library), str(source)], check=True)
    return library.read_bytes()


@pytest.mark.parametrize("arch", ["a2a3", "a5"])
def test_a_hung_kernel_times_out_and_leaves_the_process_usable(arch, hanging_kernel):
    scene, blob = vector_example_with_kernel(arch, hanging_kernel)  # both add_scalar tasks hang
    case = scene.cases[0]
    worker = Worker(arch, "host_build_graph", device_id=6).init()
    sim = worker.ptosim
    try:
        cid = worker.register(blob)
        args = scene.make_args(case.params)
        task_args = TaskArgs.build([args[n] for n in scene.tensors])
        with pytest.raises(RuntimeCallError) as caught:
            worker.run(cid, task_args, block_dim=case.block_dim, aicpu_thread_num=case.aicpu_thread_num)
        message = str(caught.value)
        # The AICore op timeout is the cause; the device program's own account follows it.
        assert caught.value.rc == -507014, message
        assert "AICore stream" in message and "no task finished" in message
        syncs = sim.calls("aclrtSynchronizeStreamWithTimeout")
        before = sim.report()
    finally:
        worker.close()
    after = sim.report()
    assert sim.calls("aclrtSynchronizeStreamWithTimeout") == syncs, "finalize synchronised an errored stream"
    assert after["pending_at_destroy"] == before["pending_at_destroy"]
    assert after["streams_live"] == 0 and after["live_allocations"] == 0

    # Not wedged: a new context in the same process runs the real scene.
    fresh = Worker(arch, "host_build_graph", device_id=7, build=False).init()
    try:
        run_scene(fresh, scene, build_scene(scene, arch), rounds=1)
    finally:
        fresh.close()
    assert builder.artifacts(arch, "host_build_graph")  # the build itself was untouched
