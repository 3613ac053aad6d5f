"""Every scene runs end-to-end on the CPU simulation through the generated DeviceRunner and matches its
numpy golden, on every arch."""

from __future__ import annotations

import pytest

from ptogen.arch import load_all
from ptogen.harness.runner import build_scene, run_scene
from ptogen.harness.scene import load_scene_file, scene_folders
from ptogen.harness.worker import Worker

ARCHES = sorted(load_all())
SCENES = sorted(scene_folders().items())


@pytest.fixture(scope="module")
def workers():
    """One Worker per (arch, runtime), shared by the module's tests and closed at the end. Each gets its own
    simulated device: a device is one chip, of one arch."""
    opened: dict[tuple[str, str], Worker] = {}

    def get(arch: str, runtime: str) -> Worker:
        if (arch, runtime) not in opened:
            opened[(arch, runtime)] = Worker(arch, runtime, device_id=len(opened)).init()
        return opened[(arch, runtime)]

    yield get
    for worker in opened.values():
        worker.close()


@pytest.mark.parametrize("arch", ARCHES)
@pytest.mark.parametrize(("runtime", "name"), [key for key, _ in SCENES], ids=[f"{rt}/{n}" for (rt, n), _ in SCENES])
def test_scene_matches_golden(workers, arch, runtime, name):
    scene = load_scene_file(dict(SCENES)[(runtime, name)] / "scene.py")
    blob = build_scene(scene, arch)
    result = run_scene(workers(arch, runtime), scene, blob, rounds=2)
    assert len(result.rounds) == 2
    assert all(timing.host_wall_ns > 0 for timing in result.rounds)
