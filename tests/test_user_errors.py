"""A user's mistake is one line naming the value and what is allowed, before any work, never a traceback."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ptogen import build, paths
from ptogen.arch import load_all
from ptogen.harness.ptosim import device_count
from ptogen.harness.scene import SceneError, load_scene_file
from ptogen.harness.suite import SKIP, run_suite
from ptogen.harness.task_args import TaskArgs
from ptogen.harness.worker import Worker, WorkerError

SHIPPED = paths.project_root() / "examples" / "host_build_graph" / "vector_example"


def ptogen(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ptogen", *args], capture_output=True, text=True)


def one_line_error(result: subprocess.CompletedProcess, code: int = 2) -> str:
    assert result.returncode == code, result.stdout + result.stderr
    assert result.stdout == "", result.stdout  # rejected before any work: nothing built, nothing run
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


@pytest.mark.parametrize("command", ["run vector_example --runtime host_build_graph", "test"])
@pytest.mark.parametrize("rounds", ["0", "-3"])
def test_rounds_below_one(command, rounds):
    name = command.split()[0]
    line = one_line_error(ptogen(*command.split(), "--arch", "a2a3", "--rounds", rounds))
    assert line == f"ptogen {name}: --rounds {rounds}: must be at least 1"


@pytest.mark.parametrize("command", ["run vector_example --runtime host_build_graph", "test"])
def test_a_device_id_the_simulator_does_not_have(command):
    name = command.split()[0]
    line = one_line_error(ptogen(*command.split(), "--arch", "a2a3", "--device", "99"))
    last = device_count() - (1 if name == "run" else len(build.known_runtimes()))  # `test`: one per runtime
    assert line.startswith(f"ptogen {name}: --device 99: outside the simulated devices, choose 0..{last}"), line
    assert device_count() == 16  # PTOSIM_MAX_DEVICES, read from ptosim's header


@pytest.mark.parametrize("command", ["run vector_example", "test"])
def test_an_unknown_runtime(command):
    name = command.split()[0]
    line = one_line_error(ptogen(*command.split(), "--arch", "a2a3", "--runtime", "nosuchrt"))
    known = ", ".join(build.known_runtimes())
    assert line == f"ptogen {name}: --runtime nosuchrt: unknown runtime (known: {known})"
    assert "host_build_graph" in known


def test_an_unknown_scene():
    line = one_line_error(ptogen("run", "nosuchscene", "--arch", "a2a3"), code=1)
    assert line.startswith("ptogen run: no scene 'nosuchscene' (known: ") and "vector_example" in line


def test_an_unknown_case():
    line = one_line_error(ptogen("run", "vector_example", "--runtime", "host_build_graph", "--arch", "a2a3",
                                 "--case", "nope"), code=1)
    assert line == "ptogen run: scene vector_example has no case 'nope' (cases: default)"


def test_an_arch_path_that_does_not_exist(tmp_path: Path):
    missing = tmp_path / "no_such_dir"
    line = one_line_error(ptogen("list", "--arch-path", str(missing)))
    assert line == f"ptogen list: --arch-path {missing}: no such directory"


def test_an_unexpected_error_is_one_line_and_debug_shows_the_traceback(monkeypatch, capsys):
    from ptogen.cli import main, scene_commands

    def broken(args):
        raise RuntimeError("something ptogen did not expect")

    monkeypatch.setattr(scene_commands, "cmd_test", broken)
    assert main(["test", "--arch", "a2a3"]) == 70
    err = capsys.readouterr().err
    assert err == "ptogen: internal error: RuntimeError: something ptogen did not expect (run with --debug for the " \
                  "traceback)\n"
    for argv in (["--debug", "test", "--arch", "a2a3"], ["test", "--arch", "a2a3", "--debug"]):
        with pytest.raises(RuntimeError, match="did not expect"):
            main(argv)


def copied_scene(tmp_path: Path, old: str, new: str) -> Path:
    folder = tmp_path / "host_build_graph" / "mine"
    shutil.copytree(SHIPPED, folder)
    scene_py = folder / "scene.py"
    text = scene_py.read_text()
    assert old in text
    scene_py.write_text(text.replace(old, new))
    return scene_py


def test_a_float64_tensor_lists_the_supported_dtypes(tmp_path: Path):
    scene = load_scene_file(copied_scene(tmp_path, '"a": np.full(n, 2.0, dtype=np.float32)',
                                         '"a": np.full(n, 2.0, dtype=np.float64)'))
    with pytest.raises(SceneError) as error:
        scene.check_args(scene.make_args(scene.cases[0].params))
    message = str(error.value)
    assert message.startswith("scene vector_example: tensor 'a': dtype float64 has no DataType; supported: ")
    assert "float32" in message and "int8" in message and np.dtype(np.float64).name not in message.split(": ")[-1]


def test_a_case_bigger_than_the_arch_is_a_skip_with_the_arch_limit(tmp_path: Path):
    scene_py = copied_scene(tmp_path, "block_dim=3, aicpu_thread_num=3", "block_dim=99, aicpu_thread_num=3")
    (result,) = run_suite([scene_py.parent], load_all()["a2a3"], rounds=1)
    assert (result.status, result.reason) == (SKIP, "needs block_dim 99, a2a3 has at most 24")
    scene_py = copied_scene(tmp_path / "b", "block_dim=3, aicpu_thread_num=3", "block_dim=3, aicpu_thread_num=9")
    (result,) = run_suite([scene_py.parent], load_all()["a2a3"], rounds=1)
    assert (result.status, result.reason) == (SKIP, "needs 9 AICPU scheduler threads, a2a3 has at most 4")


def test_the_worker_refuses_a_launch_the_arch_cannot_take():
    with pytest.raises(WorkerError, match=r"^device id 99 is outside the simulated devices 0\.\.15$"):
        Worker("a2a3", "host_build_graph", device_id=99)
    build.build(["a2a3"], ["host_build_graph"], echo=None)
    with Worker("a2a3", "host_build_graph", device_id=5, build=False) as worker:
        with pytest.raises(WorkerError, match=r"^block_dim 99 is outside 0\.\.24 for a2a3"):
            worker.run(0, TaskArgs.build([]), block_dim=99, aicpu_thread_num=1)
        with pytest.raises(WorkerError, match=r"^aicpu_thread_num 0 is outside 1\.\.4 for a2a3"):
            worker.run(0, TaskArgs.build([]), block_dim=1, aicpu_thread_num=0)


def test_a_mistake_in_a_scenes_make_args_names_its_line(tmp_path: Path):
    scene_py = copied_scene(tmp_path, 'n = params["n"]', 'n = params["size"]')
    build.build(["a2a3"], ["host_build_graph"], echo=None, scene_dirs=[("host_build_graph", scene_py.parent)],
                scene_build=tmp_path / "build")
    line = next(i for i, text in enumerate(scene_py.read_text().splitlines(), 1) if 'params["size"]' in text)
    (result,) = run_suite([scene_py], load_all()["a2a3"], rounds=1, first_device=4, build_dir=tmp_path / "build")
    assert (result.status, result.reason) == ("FAIL", f"{scene_py}:{line}: KeyError: 'size'")
