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
from ptogen.harness.scene import Case, Scene, SceneError, load_scene
from ptogen.harness.task_args import TaskArgs
from ptogen.harness.worker import Worker


class GoldenMismatch(AssertionError):
    pass


def default_build_dir() -> Path:
    """Where a scene's programs are built unless the caller chooses: build/ptogen/ under the current directory."""
    return Path.cwd() / layout.DEFAULT_SCENE_BUILD


def scene_build_dir(scene: Scene, arch: str, platform: str = "sim", build_dir: Path | None = None) -> Path:
    """Where the scene's programs are built under `build_dir` (the sanitized variant's when PTOGEN_SANITIZE is
    set): one folder per scene folder, so scenes of one name in different folders never share programs."""
    from ptogen import build as builder

    root = Path(build_dir) if build_dir is not None else default_build_dir()
    return layout.user_scene_dir(root, arch, platform, scene.runtime, scene.folder, builder.sanitizers())


def compiled_program(scene: Scene, arch: str, source: str, platform: str = "sim",
                     build_dir: Path | None = None) -> bytes:
    scene.check_sources()  # a wrong source path names the missing file, not the program it would become
    path = layout.scene_program(scene_build_dir(scene, arch, platform, build_dir), source)
    if not path.is_file():
        raise SceneError(f"scene {scene.name}: {source} is not built: no {path} (build_scene builds it)")
    return path.read_bytes()


def build_scene(scene: Scene, arch: str, platform: str = "sim", build_dir: Path | None = None) -> bytes:
    """Compiles the scene's programs into `build_dir` (default: default_build_dir()) — the runtime's programs
    into ptogen's own build, once for every scene — and returns its ChipCallable blob."""
    from ptogen import build as builder

    scene.check_sources()
    root = Path(build_dir) if build_dir is not None else default_build_dir()
    builder.build([arch], [scene.runtime], platform=platform, scene_dirs=[(scene.runtime, scene.folder)],
                  scene_build=root, echo=None)
    return scene_callable(scene, arch, platform, root)


def scene_callable(scene: Scene, arch: str, platform: str = "sim", build_dir: Path | None = None) -> bytes:
    """The ChipCallable blob of a scene whose programs are built."""
    kernels = [
        CallableKernel(k.func_id, k.core, compiled_program(scene, arch, k.source, platform, build_dir))
        for k in scene.kernels
    ]
    orchestration = compiled_program(scene, arch, scene.orchestration.source, platform, build_dir)
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


def run_scene_at(path: Path | str | Scene, arch: str, case: str | None = None, rounds: int = 1,
                 build_dir: Path | None = None, device_id: int = 0, **config: Any) -> SceneResult:
    """A scene kept anywhere, from its folder (or scene.py) to a golden-checked result: build its programs
    into `build_dir` (default: build/ptogen/ under the current directory), run `rounds` rounds of `case` (the
    first by default) on a fresh device context, raise GoldenMismatch on a wrong output.

        from ptogen.harness.runner import run_scene_at
        result = run_scene_at("my_scene", "a2a3", rounds=3)
    """
    scene = path if isinstance(path, Scene) else load_scene(path)
    blob = build_scene(scene, arch, build_dir=build_dir)
    with Worker(arch, scene.runtime, device_id=device_id, build=False) as worker:
        return run_scene(worker, scene, blob, scene.case(case), rounds=rounds, **config)
