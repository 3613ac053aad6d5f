"""Running a scene: compile its programs, pack its ChipCallable, run it for some rounds on a Worker and
check every output against the numpy golden."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ptogen import layout
from ptogen.harness.binding import RunTiming
from ptogen.harness.callable import Kernel as CallableKernel
from ptogen.harness.callable import build_chip_callable
from ptogen.harness.scene import Case, Scene
from ptogen.harness.task_args import TaskArgs
from ptogen.harness.worker import Worker


class GoldenMismatch(AssertionError):
    pass


def scene_build_dir(scene: Scene, arch: str, platform: str = "sim") -> Path:
    """Where the scene's programs are built (the sanitized variant's when PTOGEN_SANITIZE is set)."""
    from ptogen import build as builder

    return builder.scene_dir(arch, scene.runtime, scene.name, platform)


def compiled_program(scene: Scene, arch: str, source: str, platform: str = "sim") -> bytes:
    path = layout.scene_program(scene_build_dir(scene, arch, platform), source)
    if not path.is_file():
        raise FileNotFoundError(f"scene {scene.name}: {path} was not built (run `ptogen build --scene {scene.name}`)")
    return path.read_bytes()


def build_scene(scene: Scene, arch: str, platform: str = "sim") -> bytes:
    """Compiles the scene's programs (cached by content) and returns its ChipCallable blob."""
    from ptogen import build as builder

    builder.build([arch], [scene.runtime], platform=platform, scenes=[scene.name], echo=None)
    return scene_callable(scene, arch, platform)


def scene_callable(scene: Scene, arch: str, platform: str = "sim") -> bytes:
    """The ChipCallable blob of a scene whose programs are built."""
    kernels = [
        CallableKernel(k.func_id, k.core, compiled_program(scene, arch, k.source, platform)) for k in scene.kernels
    ]
    orchestration = compiled_program(scene, arch, scene.orchestration.source, platform)
    return build_chip_callable(orchestration, scene.orchestration.function, scene.orchestration.signature, kernels)


@dataclass
class SceneResult:
    scene: str
    case: str
    rounds: list[RunTiming] = field(default_factory=list)


def check_outputs(scene: Scene, actual: dict[str, Any], expected: dict[str, Any], round_index: int) -> None:
    for name in scene.outputs():
        got, want = actual[name], expected[name]
        if got.shape != want.shape:
            raise GoldenMismatch(f"{scene.name}: output {name!r} has shape {got.shape}, the golden {want.shape}")
        if not np.allclose(got.astype(np.float64), want.astype(np.float64), rtol=scene.rtol, atol=scene.atol):
            diff = np.abs(got.astype(np.float64) - want.astype(np.float64))
            worst = np.unravel_index(int(np.argmax(diff)), diff.shape)
            raise GoldenMismatch(
                f"{scene.name}: output {name!r} differs from the golden in round {round_index}: max |diff| "
                f"{diff.max():.6g} at {tuple(int(i) for i in worst)} (got {got[worst]!r}, want {want[worst]!r}; "
                f"rtol {scene.rtol}, atol {scene.atol})"
            )


def run_scene(worker: Worker, scene: Scene, blob: bytes, case: Case | None = None, rounds: int = 1,
              **config: Any) -> SceneResult:
    case = case or scene.cases[0]
    args = scene.make_args(case.params)
    scene.check_args(args)
    expected = copy.deepcopy(args)
    scene.golden(expected, case.params)
    initial = {name: args[name].copy() for name in scene.outputs()}
    cid = worker.register(blob)
    result = SceneResult(scene.name, case.name)
    try:
        for round_index in range(rounds):
            for name, value in initial.items():  # every round starts from the same outputs
                args[name][...] = value
            task_args = TaskArgs.build([args[n] for n in scene.tensors], [args[n] for n in scene.scalars])
            timing = worker.run(cid, task_args, block_dim=case.block_dim, aicpu_thread_num=case.aicpu_thread_num,
                                **config)
            check_outputs(scene, args, expected, round_index)
            result.rounds.append(timing)
    finally:
        worker.unregister(cid)
    return result
