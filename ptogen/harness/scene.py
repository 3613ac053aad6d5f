"""A scene: a task graph a user can run and check — kernel sources, an orchestration source, the argument
signature, cases, and a numpy golden.

A scene lives in `examples/<runtime>/<name>/scene.py` and defines `SCENE = Scene(...)`. Paths inside it are
relative to that folder. `make_args(params)` returns every argument by name (numpy arrays for tensors, numbers
for scalars); `golden(args, params)` writes the expected outputs into a copy of those arguments in place.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ptogen import paths
from ptogen.harness.abi import ArgDirection, CoreType
from ptogen.harness.task_args import TaskArgsError, data_type_of

IN, OUT, INOUT, SCALAR = ArgDirection.IN, ArgDirection.OUT, ArgDirection.INOUT, ArgDirection.SCALAR


class SceneError(ValueError):
    """A scene definition that cannot be run as written."""


@dataclass(frozen=True)
class Kernel:
    func_id: int
    source: str  # relative to the scene folder
    core_type: str  # "aic" or "aiv"

    def __post_init__(self) -> None:
        if self.core_type not in ("aic", "aiv"):
            raise SceneError(f"kernel {self.source}: core_type must be 'aic' or 'aiv', got {self.core_type!r}")

    @property
    def core(self) -> CoreType:
        return CoreType.AIC if self.core_type == "aic" else CoreType.AIV


@dataclass(frozen=True)
class Orchestration:
    source: str
    function: str
    signature: tuple[ArgDirection, ...]


@dataclass(frozen=True)
class Case:
    name: str
    params: Mapping[str, Any] = field(default_factory=dict)
    block_dim: int = 0
    aicpu_thread_num: int = 1


@dataclass(frozen=True)
class Scene:
    name: str
    runtime: str
    orchestration: Orchestration
    kernels: tuple[Kernel, ...]
    tensors: tuple[str, ...]  # argument names, in signature order
    cases: tuple[Case, ...]
    make_args: Callable[[Mapping[str, Any]], dict[str, Any]]
    golden: Callable[[dict[str, Any], Mapping[str, Any]], None]
    scalars: tuple[str, ...] = ()
    rtol: float = 1e-5
    atol: float = 1e-5
    folder: Path = Path()

    def __post_init__(self) -> None:
        signature = self.orchestration.signature
        if len(signature) != len(self.tensors) + len(self.scalars):
            raise SceneError(
                f"scene {self.name}: the signature has {len(signature)} entries for "
                f"{len(self.tensors)} tensors + {len(self.scalars)} scalars"
            )
        if any(d == SCALAR for d in signature[: len(self.tensors)]) or any(
            d != SCALAR for d in signature[len(self.tensors) :]
        ):
            raise SceneError(f"scene {self.name}: tensors come first in the signature, scalars (SCALAR) after")
        ids = [k.func_id for k in self.kernels]
        if len(ids) != len(set(ids)):
            raise SceneError(f"scene {self.name}: two kernels share a func_id")
        if not self.cases:
            raise SceneError(f"scene {self.name}: no cases")

    def case(self, name: str | None) -> Case:
        if name is None:
            return self.cases[0]
        for case in self.cases:
            if case.name == name:
                return case
        raise SceneError(f"scene {self.name} has no case {name!r} (cases: {', '.join(c.name for c in self.cases)})")

    def outputs(self) -> list[str]:
        return [n for n, d in zip(self.tensors, self.orchestration.signature, strict=False) if d in (OUT, INOUT)]

    def check_args(self, args: Mapping[str, Any]) -> None:
        for name in (*self.tensors, *self.scalars):
            if name not in args:
                raise SceneError(f"scene {self.name}: make_args gave no argument {name!r}")
        for name in self.tensors:
            if not isinstance(args[name], np.ndarray):
                raise SceneError(f"scene {self.name}: tensor {name!r} is a {type(args[name]).__name__}, not an ndarray")
            try:
                data_type_of(args[name].dtype)
            except TaskArgsError as error:
                raise SceneError(f"scene {self.name}: tensor {name!r}: {error}") from error


def examples_dir() -> Path:
    return paths.project_root() / "examples"


def scene_folders(runtime: str | None = None) -> dict[tuple[str, str], Path]:
    """(runtime, scene name) -> folder, for every examples/<runtime>/<scene>/scene.py."""
    found: dict[tuple[str, str], Path] = {}
    for scene_file in sorted(examples_dir().glob("*/*/scene.py")):
        rt, name = scene_file.parent.parent.name, scene_file.parent.name
        if runtime is None or rt == runtime:
            found[(rt, name)] = scene_file.parent
    return found


def load_scene_file(scene_file: Path) -> Scene:
    spec = importlib.util.spec_from_file_location(f"ptogen_scene_{scene_file.parent.name}", scene_file)
    if spec is None or spec.loader is None:
        raise SceneError(f"{scene_file}: cannot be imported")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except SyntaxError as error:
        where = paths.display(Path(error.filename)) if error.filename else paths.display(scene_file)
        raise SceneError(f"{where}:{error.lineno}: {error.msg}") from error
    except Exception as error:  # a definition the Scene rejects, or a mistake in the file's own code
        line = error_line_in(error, scene_file)
        where = f"{paths.display(scene_file)}:{line}" if line else paths.display(scene_file)
        what = str(error) if isinstance(error, SceneError) else f"{type(error).__name__}: {error}"
        raise SceneError(f"{where}: {what}") from error
    scene = getattr(module, "SCENE", None)
    if not isinstance(scene, Scene):
        raise SceneError(f"{paths.display(scene_file)}: defines no SCENE = Scene(...)")
    from dataclasses import replace

    return replace(scene, folder=scene_file.parent)


def error_line_in(error: BaseException, scene_file: Path) -> int | None:
    """The line of scene_file the error was raised from (its innermost frame in that file), or None when the
    error did not pass through it: how a mistake in a scene's own code is told from one of ptogen's."""
    line = None
    frame = error.__traceback__
    while frame is not None:
        if Path(frame.tb_frame.f_code.co_filename) == scene_file:
            line = frame.tb_lineno
        frame = frame.tb_next
    return line


def find_scene(name: str, runtime: str | None = None) -> Scene:
    matches = {key: folder for key, folder in scene_folders(runtime).items() if key[1] == name}
    if not matches:
        known = sorted({n for _, n in scene_folders(runtime)})
        raise SceneError(f"no scene {name!r}{' for ' + runtime if runtime else ''} (known: {', '.join(known)})")
    if len(matches) > 1:
        runtimes = ", ".join(sorted(rt for rt, _ in matches))
        raise SceneError(f"scene {name!r} exists for several runtimes ({runtimes}); pass --runtime")
    return load_scene_file(next(iter(matches.values())) / "scene.py")
