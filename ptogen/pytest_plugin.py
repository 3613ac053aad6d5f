"""The pytest plugin (entry point `pytest11`): scenes as test items.

    pytest --ptogen-arch a2a3 path/to/scenes [-n auto]

collects every case of every scene.py under the paths as one item named `<runtime>/<scene>:<case>`, builds all
their programs in one build (the first item's setup; into --ptogen-build-dir, default build/ptogen/ under the
current directory), runs each case on the arch's simulation and checks it against the scene's golden. A
failure reads as the golden mismatch, the device error or the scene's own mistake, not as a traceback of the
harness. Under pytest-xdist each worker process takes its own simulated devices (one per runtime, offset by
the worker's number), so workers never share a device. Without --ptogen-arch the plugin does nothing.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from ptogen import layout

SCENE_FILE = "scene.py"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ptogen", "ptogen scenes")
    group.addoption("--ptogen-arch", metavar="ARCH",
                    help="collect every scene.py as ptogen scene cases and run them on ARCH's CPU simulation")
    group.addoption("--ptogen-rounds", type=int, default=1, metavar="N",
                    help="rounds of each case, each checked against the golden (default 1)")
    group.addoption("--ptogen-build-dir", metavar="DIR",
                    help=f"where the scenes' programs are built (default: ./{layout.DEFAULT_SCENE_BUILD}/)")
    group.addoption("--ptogen-device", type=int, default=0, metavar="ID",
                    help="the first simulated device id (default 0); each xdist worker starts further on")


def pytest_configure(config: pytest.Config) -> None:
    arch = config.getoption("ptogen_arch")
    if arch:
        config.pluginmanager.register(SceneSession(config, arch), "ptogen-scenes")


class SceneSession:
    """What the items of one pytest process share: the arch, the one build, a Worker per runtime."""

    def __init__(self, config: pytest.Config, arch: str):
        from ptogen.arch import load_all

        arches = load_all()
        if arch not in arches:
            raise pytest.UsageError(f"--ptogen-arch: unknown arch {arch} (known: {', '.join(sorted(arches))})")
        rounds = config.getoption("ptogen_rounds")
        if rounds < 1:
            raise pytest.UsageError(f"--ptogen-rounds: {rounds} is not a number of rounds (at least 1)")
        self.arch, self.model, self.rounds = arch, arches[arch], rounds
        chosen = config.getoption("ptogen_build_dir")
        self.build_dir = Path(chosen).resolve() if chosen else Path.cwd() / layout.DEFAULT_SCENE_BUILD
        self.scenes: dict[Path, Any] = {}  # scene folder -> Scene, as collected
        self.built: Any = None  # the session's BuildResult, once built
        self.build_error: str | None = None
        self.worker_name, self.pool = _device_pool(arch, config.getoption("ptogen_device"))

    def pytest_collect_file(self, file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
        if file_path.name == SCENE_FILE:
            return SceneFile.from_parent(parent, path=file_path)
        return None

    def pytest_sessionfinish(self) -> None:
        self.pool.close()

    def programs_of(self, scene: Any) -> None:
        """Build every collected scene in one build (on the first call), then fail for this scene if its
        programs did not build."""
        from ptogen import build

        if self.built is None and self.build_error is None:
            scenes = list(self.scenes.values())
            try:
                self.built = build.build([self.arch], sorted({s.runtime for s in scenes}), echo=None, keep_going=True,
                                         scene_dirs=[(s.runtime, s.folder) for s in scenes],
                                         scene_build=self.build_dir)
            except build.BuildError as error:
                self.build_error = str(error)
        if self.build_error is not None:
            raise SceneCaseError(self.build_error)
        programs = self.built.scene_dirs.get((self.arch, scene.runtime, scene.folder), [])
        if not all(self.built.is_current(path) for path in programs):
            words = [d for d in self.built.diagnostics if str(scene.folder) in d] or self.built.diagnostics
            raise SceneCaseError(f"the programs of {scene.folder} did not build:\n" + "\n".join(words))


def _device_pool(arch: str, first_device: int) -> tuple[str, Any]:
    """This pytest process's name and its simulated device ids: pytest-xdist names its workers gw0, gw1, ...
    (PYTEST_XDIST_WORKER_COUNT of them), and each takes its own equal share of the ids from `first_device` up,
    so workers never share a device; a share must hold a device per runtime."""
    from ptogen.harness import ptosim
    from ptogen.harness.suite import DevicePool

    name = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = int(name[2:]) if name[2:].isdigit() else 0
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    total, runtimes = ptosim.device_count(), len(layout.known_runtimes(_project_root()))
    share = (total - first_device) // max(workers, 1)
    if first_device < 0 or share < runtimes:
        raise pytest.UsageError(
            f"--ptogen-device {first_device} with {workers} worker(s): each needs {runtimes} of the simulated devices "
            f"0..{total - 1} (fewer xdist workers, or a lower --ptogen-device)")
    start = first_device + index * share
    return name, DevicePool(arch, start, start + share)


def _project_root() -> Path:
    from ptogen import paths

    return paths.project_root()


class SceneCaseError(Exception):
    """A case that could not run for a reason the message says in full."""


class SceneFile(pytest.File):
    def collect(self):
        from ptogen.harness.scene import load_scene_file

        session: SceneSession = self.config.pluginmanager.get_plugin("ptogen-scenes")
        try:
            scene = load_scene_file(self.path)
        except Exception as error:  # one bad scene.py is one failing item; the other scenes still run
            yield SceneLoadFailure.from_parent(self, name="load", error=_scene_error(error, self.path))
            return
        session.scenes[scene.folder] = scene
        for case in scene.cases:
            yield SceneCase.from_parent(self, name=f"{scene.runtime}/{scene.name}:{case.name}", scene=scene,
                                        case=case)


class SceneCase(pytest.Item):
    def __init__(self, *, scene: Any, case: Any, **kwargs: Any):
        super().__init__(**kwargs)
        self.scene, self.case = scene, case

    def runtest(self) -> None:
        from ptogen.harness.runner import GoldenMismatch, run_scene, scene_callable
        from ptogen.harness.suite import too_big

        session: SceneSession = self.config.pluginmanager.get_plugin("ptogen-scenes")
        unfit = too_big(self.case, session.model)
        if unfit:  # a case sized for a bigger chip is not a failure of this one
            pytest.skip(unfit)
        self.scene.check_sources()
        session.programs_of(self.scene)
        blob = scene_callable(self.scene, session.arch, build_dir=session.build_dir)
        worker = session.pool.worker(self.scene.runtime)
        self.user_properties += [("worker", session.worker_name), ("device", worker.device_id)]
        try:
            result = run_scene(worker, self.scene, blob, self.case, rounds=session.rounds)
        except GoldenMismatch:
            raise
        except Exception:
            session.pool.discard(self.scene.runtime)  # the context may be in error: the next case gets a fresh one
            raise
        last = result.rounds[-1]
        self.user_properties += [("host_ms", last.host_wall_ns / 1e6), ("device_ms", last.device_wall_ns / 1e6)]

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        return _scene_error(excinfo.value, self.scene.folder / SCENE_FILE)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, self.name


class SceneLoadFailure(pytest.Item):
    def __init__(self, *, error: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.error = error

    def runtest(self) -> None:
        raise SceneCaseError(self.error)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        return str(excinfo.value)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, self.name


def _scene_error(error: BaseException, scene_file: Path) -> str:
    """The failure in a user's words (ptogen.harness.suite.describe_failure), the plugin's own errors as they are."""
    from ptogen.harness.suite import describe_failure

    return str(error) if isinstance(error, SceneCaseError) else describe_failure(error, scene_file)
