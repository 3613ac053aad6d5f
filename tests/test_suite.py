"""`ptogen test` survives its cases: a scene that hangs, one that fails its golden and one whose scene.py does
not parse are each one FAIL with its reason, and every other case still runs and passes."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import HANGING_KERNEL

from ptogen import build, paths
from ptogen.harness.scene import SceneError, load_scene_file

ROOT = paths.project_root()
SHIPPED = ROOT / "examples" / "host_build_graph" / "vector_example"



def copy_scene(examples: Path, name: str) -> Path:
    """A copy of the shipped vector_example named `name` (folder and Scene.name alike)."""
    folder = examples / "host_build_graph" / name
    shutil.copytree(SHIPPED, folder)
    scene_py = folder / "scene.py"
    scene_py.write_text(scene_py.read_text().replace('name="vector_example"', f'name="{name}"'))
    return folder


@pytest.fixture(scope="module")
def suite_tree(tmp_path_factory) -> Path:
    """A copy of the tree whose examples are: the shipped vector_example, a copy whose add_scalar kernel never
    returns, a copy whose golden is wrong, and a copy whose scene.py has a syntax error. It shares build/cache,
    so the runtime's programs come from the cache."""
    build.build(["a2a3"], ["host_build_graph"], echo=None)  # fills the cache the copy reads
    root = tmp_path_factory.mktemp("suite")
    for tree in ("generated", "runtimes", "site_scons", "templates"):
        shutil.copytree(ROOT / tree, root / tree, ignore=shutil.ignore_patterns("*.o", "*.so", "__pycache__"))
    shutil.copy(ROOT / "SConstruct", root)
    examples = root / "examples"
    examples.mkdir()
    shutil.copy(ROOT / "examples" / "SConscript", examples)
    (root / "build").mkdir()
    (root / "build" / "cache").symlink_to(ROOT / "build" / "cache")

    copy_scene(examples, "vector_example")
    hangs = copy_scene(examples, "hangs")
    (hangs / "kernels" / "kernel_add_scalar.cpp").write_text(HANGING_KERNEL)
    golden_off = copy_scene(examples, "golden_off")
    scene_py = golden_off / "scene.py"
    scene_py.write_text(scene_py.read_text().replace("(s + 1) * (s + 2)", "(s + 1) * (s + 3)"))
    syntax = copy_scene(examples, "syntax_error")
    scene_py = syntax / "scene.py"
    lines = scene_py.read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("def golden"))
    lines[index] = lines[index].rstrip(":")  # def golden(args, params)   <- no colon
    scene_py.write_text("\n".join(lines) + "\n")
    (root / "syntax_line").write_text(str(index + 1))
    return root


def test_a_hang_a_golden_mismatch_and_a_syntax_error_fail_alone(suite_tree: Path):
    env = dict(os.environ, PTOGEN_ROOT=str(suite_tree))
    result = subprocess.run([sys.executable, "-m", "ptogen", "test", "--arch", "a2a3", "--rounds", "1"],
                            capture_output=True, text=True, env=env)
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    assert "Traceback" not in out + result.stderr
    lines = {m.group(2): (m.group(1), m.group(3)) for m in re.finditer(r"^(PASS|FAIL|SKIP)  (\S+)\s+(.*)$", out,
                                                                         re.MULTILINE)}
    line = (suite_tree / "syntax_line").read_text()
    syntax = lines["examples/host_build_graph/syntax_error"]
    expected = f"examples/host_build_graph/syntax_error/scene.py:{line}: SyntaxError: expected ':'"
    assert syntax[0] == "FAIL" and expected in syntax[1]
    status, reason = lines["host_build_graph/golden_off:default"]
    assert status == "FAIL" and "output 'f' differs from the golden in round 0" in reason, out
    status, reason = lines["host_build_graph/hangs:default"]
    assert status == "FAIL" and "no task finished" in reason, out
    # After the hang, the next case runs on a fresh context and passes.
    assert lines["host_build_graph/vector_example:default"][0] == "PASS", out
    assert len(lines) == 4, out
    assert "1 passed, 3 failed, 0 skipped" in out and "3 failure(s) on a2a3/sim" in out


def scene_file(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "host_build_graph" / "mine"
    shutil.copytree(SHIPPED, folder)
    scene_py = folder / "scene.py"
    source = scene_py.read_text()
    scene_py.write_text(text if "SCENE" in text else source.replace('"aiv"),\n        Kernel(2', text, 1))
    return scene_py


def test_a_bad_core_type_names_the_scene_file_and_line(tmp_path: Path):
    scene_py = scene_file(tmp_path, '"vector"),\n        Kernel(2')
    line = next(i for i, text in enumerate(scene_py.read_text().splitlines(), 1) if '"vector"' in text)
    with pytest.raises(SceneError) as error:
        load_scene_file(scene_py)
    assert str(error.value) == (f"{scene_py}:{line}: kernel kernels/kernel_add_scalar.cpp: core_type must be 'aic' "
                                "or 'aiv', got 'vector'")


def test_a_mistake_in_the_scene_files_own_code_names_its_line(tmp_path: Path):
    scene_py = scene_file(tmp_path, "import numpy as np\nSCENE = np.no_such_function()\n")
    with pytest.raises(SceneError, match=r"scene\.py:2: AttributeError: .*no_such_function"):
        load_scene_file(scene_py)


def test_a_context_that_fails_to_close_retires_its_device_id():
    from ptogen.harness.runner import build_scene, run_scene
    from ptogen.harness.scene import find_scene
    from ptogen.harness.suite import DevicePool
    from ptogen.harness.worker import WorkerError

    scene = find_scene("vector_example", "host_build_graph")
    blob = build_scene(scene, "a2a3")
    pool = DevicePool("a2a3", first_device=8, device_count=10)
    try:
        first = pool.worker("host_build_graph")
        sim = first.ptosim
        sim.fail_nth_call("rtDeviceReset", 1, 507899)  # the finalize of this context fails
        try:
            why = pool.discard("host_build_graph")
        finally:
            sim.fail_nth_call("rtDeviceReset", 0, 0)  # disarmed, had it not fired
        assert "rtDeviceReset failed with CANN error 507899" in why and "device 8 is not used again" in why, why
        fresh = pool.worker("host_build_graph")
        assert fresh.device_id == 9
        run_scene(fresh, scene, blob, rounds=1)
        assert pool.discard("host_build_graph") == ""  # a clean close gives 9 back ...
        assert pool.worker("host_build_graph").device_id == 9  # ... and 8 stays retired
        pool.discard("host_build_graph")
        with pytest.raises(WorkerError, match="no simulated device id is left"):
            DevicePool("a2a3", first_device=10, device_count=10).worker("host_build_graph")
    finally:
        pool.close()
