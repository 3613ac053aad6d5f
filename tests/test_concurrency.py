"""Workers in threads: two Workers on two devices run at the same time and both pass; one Worker used from
two threads serialises its calls (each context holds one lock for every entry point) and stays correct."""

from __future__ import annotations

import threading

import numpy as np

from ptogen.harness.runner import build_scene, run_scene
from ptogen.harness.scene import find_scene
from ptogen.harness.task_args import TaskArgs
from ptogen.harness.worker import Worker

ARCH = "a2a3"
ROUNDS = 10


def run_threads(targets) -> list[BaseException]:
    errors: list[BaseException] = []

    def guarded(target):
        try:
            target()
        except BaseException as error:  # collected and re-raised in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_two_workers_on_two_devices_run_concurrently():
    scenes = [find_scene("vector_example", "host_build_graph"), find_scene("many_tasks", "host_build_graph")]
    blobs = [build_scene(scene, ARCH) for scene in scenes]
    workers = [Worker(ARCH, "host_build_graph", device_id=device).init() for device in (10, 11)]
    try:
        errors = run_threads(
            [
                lambda w=w, s=s, b=b: run_scene(w, s, b, rounds=ROUNDS)
                for w, s, b in zip(workers, scenes, blobs, strict=True)
            ]
        )
    finally:
        for worker in workers:
            worker.close()
    assert errors == []


def test_one_worker_from_two_threads_serialises():
    scene = find_scene("vector_example", "host_build_graph")
    blob = build_scene(scene, ARCH)
    case = scene.cases[0]
    with Worker(ARCH, "host_build_graph", device_id=12) as worker:
        cid = worker.register(blob)
        outputs = []

        def rounds():
            args = scene.make_args(case.params)
            for _ in range(ROUNDS):
                args["f"][:] = 0
                worker.run(
                    cid,
                    TaskArgs.build([args[n] for n in scene.tensors]),
                    block_dim=case.block_dim,
                    aicpu_thread_num=case.aicpu_thread_num,
                )
                outputs.append(args["f"].copy())

        assert run_threads([rounds, rounds]) == []
    assert len(outputs) == 2 * ROUNDS
    assert all(np.all(out == 42.0) for out in outputs)
