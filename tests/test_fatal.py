"""A fatal error reported through the runtime's fatal path (the orchestration's report_fatal) comes back as
a named error of the run, not an abort, and the process keeps working."""

from __future__ import annotations

import numpy as np
import pytest

from ptogen.harness.binding import RuntimeCallError
from ptogen.harness.runner import build_scene, run_scene
from ptogen.harness.scene import find_scene
from ptogen.harness.task_args import TaskArgs
from ptogen.harness.worker import Worker


@pytest.mark.parametrize("arch", ["a2a3", "a5"])
def test_orchestration_fatal_is_a_named_error(arch):
    scene = find_scene("paged_attention", "tensormap_and_ringbuffer")
    blob = build_scene(scene, arch)
    case = scene.cases[0]
    with Worker(arch, scene.runtime, device_id=7) as worker:
        cid = worker.register(blob)
        args = scene.make_args(case.params)
        args["block_table"][0, 0] = np.int32(1_000_000)  # names a block the cache does not have
        task_args = TaskArgs.build([args[n] for n in scene.tensors], [args[n] for n in scene.scalars])
        with pytest.raises(RuntimeCallError) as caught:
            worker.run(cid, task_args, block_dim=case.block_dim, aicpu_thread_num=case.aicpu_thread_num)
        assert "the block table names a block outside the cache" in str(caught.value)
        worker.unregister(cid)
    # The process is fine: a new context runs the scene and matches the golden.
    with Worker(arch, scene.runtime, device_id=7, build=False) as worker:
        run_scene(worker, scene, blob)
