"""A scene: a task graph a user can run and check — kernel sources, an orchestration source, the argument
signature, cases, and a numpy golden.

A scene is a folder holding `scene.py`, which defines `SCENE = Scene(...)`, with its kernel sources under
`kernels/` and its orchestration source under `orchestration/`; paths inside it are relative to that folder.
The folder may be anywhere: ptogen ships some under `examples/<runtime>/<name>/`, a user keeps theirs in their
own repository. A scene is known by its folder, its `Scene.name` and its runtime; the folder's name need not be
the scene's. By name, scenes are looked up in the folders of PTOGEN_SCENE_PATH (os.pathsep-separated,
searched recursively), then in the shipped examples. `make_args(params)` returns every argument by name
(numpy arrays for tensors, numbers for scalars); `golden(args, params)` writes the expected outputs into a
copy of those arguments in place.
"""

from __future__ import annotations

import difflib
import importlib.util
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from ptogen import layout, paths
from ptogen.harness.abi import ArgDirection, CoreType
from ptogen.harness.task_args import TaskArgsError, data_type_of

IN, OUT, INOUT, SCALAR = ArgDirection.IN, ArgDirection.OUT, ArgDirection.INOUT, ArgDirection.SCALAR
SCENE_FILE = "scene.py"
SCENE_PATH_ENV = "PTOGEN_SCENE_PATH"


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

    def check_sources(self) -> None:
        """Every source the scene names is a file the build compiles: kernels/*.cpp or orchestration/*.cpp of
        its folder (the build compiles those and nothing else). The error names the missing file."""
        named = [(f"kernel {k.func_id}", k.source, "kernels") for k in self.kernels]
        named.append(("orchestration", self.orchestration.source, "orchestration"))
        for what, source, kind in named:
            path = self.folder / source
            relative = Path(source)
            if relative.parent.as_posix() != kind or relative.suffix != ".cpp":
                raise SceneError(f"{self.folder / SCENE_FILE}: {what}: {source}: a {what.split()[0]} source is "
                                 f"{kind}/<name>.cpp in the scene folder (those are what the build compiles)")
            if not path.is_file():
                present = sorted(p.name for p in (self.folder / kind).glob("*.cpp"))
                close = difflib.get_close_matches(relative.name, present, n=1)
                hint = f"; did you mean {kind}/{close[0]}?" if close else (
                    f"; {kind}/ holds {', '.join(present)}" if present else f"; {kind}/ holds no .cpp file")
                raise SceneError(f"{self.folder / SCENE_FILE}: {what}: no such file {path}{hint}")


def examples_dir() -> Path:
    return paths.project_root() / "examples"


def scene_folders(runtime: str | None = None) -> dict[tuple[str, str], Path]:
    """(runtime, folder name) -> folder, for every shipped examples/<runtime>/<scene>/scene.py."""
    found: dict[tuple[str, str], Path] = {}
    for scene_file in sorted(examples_dir().glob(f"*/*/{SCENE_FILE}")):
        rt, name = scene_file.parent.parent.name, scene_file.parent.name
        if runtime is None or rt == runtime:
            found[(rt, name)] = scene_file.parent
    return found


def scene_search_path() -> list[Path]:
    """The folders a scene name is looked up in: PTOGEN_SCENE_PATH's, in order, then the shipped examples."""
    entries = [entry for entry in os.environ.get(SCENE_PATH_ENV, "").split(os.pathsep) if entry.strip()]
    return [*(Path(entry).expanduser().resolve() for entry in entries), examples_dir()]


def _skipped(folder: Path) -> bool:
    return folder.name.startswith(".") or folder.name == "__pycache__" or (folder / "pyvenv.cfg").is_file()


def discover(where: Iterable[Path | str]) -> list[Path]:
    """The scene.py files of `where`: a scene.py itself, a scene folder, or a folder searched recursively
    (hidden folders and virtualenvs skipped). Each file once, in order."""
    found: dict[Path, None] = {}
    for entry in where:
        path = Path(entry).expanduser()
        if path.is_file():
            if path.suffix != ".py":
                raise SceneError(f"{entry}: not a scene.py nor a folder of scenes")
            found[path.resolve()] = None
            continue
        if not path.is_dir():
            raise SceneError(f"{entry}: no such scene folder or file")
        scene_files = []
        for directory, subdirs, files in os.walk(path):
            here = Path(directory)
            subdirs[:] = sorted(d for d in subdirs if not _skipped(here / d))
            if SCENE_FILE in files:
                scene_files.append((here / SCENE_FILE).resolve())
        if not scene_files:
            raise SceneError(f"{entry}: holds no {SCENE_FILE} (a scene is a folder with a {SCENE_FILE})")
        found.update((f, None) for f in sorted(scene_files))
    return list(found)


def load_scene_file(scene_file: Path) -> Scene:
    """The scene a scene.py defines, with its folder set."""
    scene_file = Path(scene_file).resolve()
    module_name = f"ptogen_scene_{layout.scene_folder_tag(scene_file.parent).replace('-', '_')}"
    spec = importlib.util.spec_from_file_location(module_name, scene_file)
    if spec is None or spec.loader is None:
        raise SceneError(f"{scene_file}: cannot be imported")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except SyntaxError as error:
        where = paths.display(Path(error.filename)) if error.filename else paths.display(scene_file)
        raise SceneError(f"{where}:{error.lineno}: SyntaxError: {error.msg}") from error
    except Exception as error:  # a definition the Scene rejects, or a mistake in the file's own code
        line = error_line_in(error, scene_file)
        where = f"{paths.display(scene_file)}:{line}" if line else paths.display(scene_file)
        what = str(error) if isinstance(error, SceneError) else f"{type(error).__name__}: {error}"
        raise SceneError(f"{where}: {what}") from error
    scene = getattr(module, "SCENE", None)
    if not isinstance(scene, Scene):
        raise SceneError(f"{paths.display(scene_file)}: defines no SCENE = Scene(...)")
    return replace(scene, folder=scene_file.parent)


def load_scene(path: Path | str) -> Scene:
    """The scene of a folder or of its scene.py: the Python API's way to a scene kept anywhere.

        scene = load_scene("~/my_kernels/saxpy")
        result = run_scene_at(scene, "a2a3")        # ptogen.harness.runner: build, run, check the golden
    """
    path = Path(path).expanduser()
    scene_file = path / SCENE_FILE if path.is_dir() else path
    if not scene_file.is_file():
        what = f"{path} holds no {SCENE_FILE}" if path.is_dir() else f"no such file {path}"
        raise SceneError(f"no scene at {path}: {what}")
    return load_scene_file(scene_file)


def looks_like_path(text: str) -> bool:
    """`ptogen run X`: X is a path when it says so (a separator, ".", "..", "~", a .py file) or is a folder
    holding a scene.py here; otherwise a scene name."""
    return (
        os.sep in text
        or (os.altsep is not None and os.altsep in text)
        or text in (".", "..")
        or text.startswith("~")
        or text.endswith(".py")
        or (Path(text) / SCENE_FILE).is_file()
    )


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
    """A scene by path (see looks_like_path) or by name: the folder name or Scene.name of a scene in the
    folders of PTOGEN_SCENE_PATH, then of the shipped examples."""
    if looks_like_path(name):
        scene = load_scene(name)
        if runtime is not None and scene.runtime != runtime:
            raise SceneError(f"{scene.folder / SCENE_FILE}: scene {scene.name} is for runtime {scene.runtime}, "
                             f"not {runtime}")
        return scene
    scene_files = []
    for folder in scene_search_path():
        if not folder.is_dir():
            if folder != examples_dir():
                raise SceneError(f"{SCENE_PATH_ENV}: {folder} is not a folder")
            continue
        try:
            scene_files += discover([folder])
        except SceneError:
            continue  # a search folder holding no scene yet
    # The folder's name first, without running any other scene.py; then each scene's own name.
    by_folder = [f for f in scene_files if f.parent.name == name]
    matches = [s for s in map(load_scene_file, by_folder) if runtime is None or s.runtime == runtime]
    unloadable: list[str] = []
    if not matches:
        for scene_file in scene_files:
            if scene_file in by_folder:
                continue
            try:
                scene = load_scene_file(scene_file)
            except Exception:  # a broken scene is not the one asked for; it is named if nothing is found
                unloadable.append(str(scene_file))
                continue
            if scene.name == name and (runtime is None or scene.runtime == runtime):
                matches.append(scene)
    if not matches:
        known = sorted({f.parent.name for f in scene_files})
        note = f"; could not load {', '.join(unloadable)}" if unloadable else ""
        raise SceneError(f"no scene {name!r}{' for ' + runtime if runtime else ''} (known: {', '.join(known)}; "
                         f"searched {SCENE_PATH_ENV} and the shipped examples){note}")
    if len(matches) > 1:
        runtimes = sorted({s.runtime for s in matches})
        if len(runtimes) > 1 and runtime is None:
            raise SceneError(f"scene {name!r} exists for several runtimes ({', '.join(runtimes)}); pass --runtime")
        folders = ", ".join(str(s.folder) for s in matches)
        raise SceneError(f"several scenes named {name!r} ({folders}); pass the folder's path")
    return matches[0]
