"""Scenes kept outside ptogen's tree: the README's walk-through followed literally in an empty directory, scene
lookup by path, by name and through PTOGEN_SCENE_PATH, the user's build folder, and the mistakes a user makes
with a scene reported in one line naming the file."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ptogen import layout, paths
from ptogen.harness.runner import run_scene_at
from ptogen.harness.scene import SCENE_PATH_ENV, SceneError, discover, find_scene, load_scene

ROOT = paths.project_root()
SECTION = "### A scene in your own repository"


def readme_blocks() -> list[tuple[str, str]]:
    """(language, text) of every fenced block of the README's walk-through, in order."""
    text = (ROOT / "README.md").read_text()
    start = text.index(SECTION)
    end = text.index("\n### ", start + len(SECTION))  # the next subsection
    return re.findall(r"```(\w+)\n(.*?)```", text[start:end], re.DOTALL)


def write_readme_scene(where: Path) -> Path:
    """The README's scene files, written where their first line says, under `where`; returns the scene folder."""
    for language, text in readme_blocks():
        if language in ("cpp", "python") and text.startswith(("// my_scene/", "# my_scene/")):
            target = where / text.splitlines()[0].split(maxsplit=1)[1]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
    return where / "my_scene"


def shell_env() -> dict[str, str]:
    """The environment of a user whose ptogen and pytest are this interpreter's, outside any pytest run."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "PTOGEN_SCENE"))}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def ptogen(*arguments: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ptogen", *arguments], cwd=cwd, capture_output=True, text=True,
                          env=env or shell_env(), timeout=600)


def test_the_readme_walk_through_passes_in_an_empty_directory_outside_the_checkout(tmp_path: Path):
    assert not tmp_path.resolve().is_relative_to(ROOT)
    blocks = readme_blocks()
    shells = [text for language, text in blocks if language == "sh"]
    assert shells and shells[0].startswith("mkdir"), "the walk-through starts with mkdir"
    outputs = []
    for language, text in blocks:  # in the README's order: make the folders, write the files, run
        if language == "sh":
            result = subprocess.run(["bash", "-e", "-c", text], cwd=tmp_path, capture_output=True, text=True,
                                    env=shell_env(), timeout=900)
            assert result.returncode == 0, f"{text}\n{result.stdout}\n{result.stderr}"
            outputs.append(result.stdout)
        elif text.startswith(("// my_scene/", "# my_scene/")):
            target = tmp_path / text.splitlines()[0].split(maxsplit=1)[1]
            assert target.parent.is_dir(), f"{target.parent} is made by the walk-through's mkdir"
            target.write_text(text)
        elif language == "python":  # the Python API, as a script in the same directory
            result = subprocess.run([sys.executable, "-c", text], cwd=tmp_path, capture_output=True, text=True,
                                    env=shell_env(), timeout=600)
            assert result.returncode == 0, f"{text}\n{result.stdout}\n{result.stderr}"
            outputs.append(result.stdout)
    assert any(language == "python" and "run_scene_at" in text for language, text in blocks)
    printed = "\n".join(outputs)
    assert "golden: all 3 round(s) match" in printed, printed
    assert re.search(r"^PASS +host_build_graph/saxpy:small", printed, re.MULTILINE), printed
    assert re.search(r"^PASS +host_build_graph/saxpy:large", printed, re.MULTILINE), printed
    assert "2 passed" in printed, printed
    # The scene's programs are in the user's build folder, where the README says, and nowhere in ptogen's.
    built = tmp_path / "build" / "ptogen" / "a2a3" / "sim" / "host_build_graph"
    scene_dirs = [d for d in built.iterdir() if d.name.startswith("my_scene-")]
    assert len(scene_dirs) == 1
    assert {p.name for p in scene_dirs[0].iterdir()} == {"kernel_saxpy.so", "saxpy_orch.so"}
    assert not list((ROOT / "build").rglob("kernel_saxpy*")), "a user's program was built into ptogen's tree"
    for program in scene_dirs[0].iterdir():  # nor kept in ptogen's build cache, under a name of its hash
        same_size = [p for p in (ROOT / "build" / "cache").rglob("*") if p.is_file()
                     and p.stat().st_size == program.stat().st_size]
        assert all(p.read_bytes() != program.read_bytes() for p in same_size), f"{program.name} is in build/cache"


def test_a_scene_is_found_by_folder_name_and_by_its_own_name_on_the_scene_path(tmp_path: Path, monkeypatch):
    folder = write_readme_scene(tmp_path / "repo")
    monkeypatch.setenv(SCENE_PATH_ENV, str(tmp_path / "repo"))
    by_scene_name, by_folder_name = find_scene("saxpy"), find_scene("my_scene")
    assert by_scene_name.folder == by_folder_name.folder == folder.resolve()
    assert by_scene_name.name == "saxpy" and by_scene_name.runtime == "host_build_graph"
    assert find_scene("vector_example", "host_build_graph").folder.parent.parent.name == "examples"
    with pytest.raises(SceneError, match="no scene 'nothing_here'"):
        find_scene("nothing_here")


def test_two_scene_folders_of_one_name_are_told_apart(tmp_path: Path, monkeypatch):
    first = write_readme_scene(tmp_path / "a")
    second = write_readme_scene(tmp_path / "b")
    monkeypatch.setenv(SCENE_PATH_ENV, os.pathsep.join([str(tmp_path / "a"), str(tmp_path / "b")]))
    with pytest.raises(SceneError, match=r"several scenes named 'saxpy' .*pass the folder's path"):
        find_scene("saxpy")
    out = tmp_path / "out"
    assert layout.user_scene_dir(out, "a2a3", "sim", "host_build_graph", first) != layout.user_scene_dir(
        out, "a2a3", "sim", "host_build_graph", second
    )
    assert discover([tmp_path]) == [(first / "scene.py").resolve(), (second / "scene.py").resolve()]


def test_the_python_api_runs_a_scene_from_its_path_into_the_chosen_build_folder(tmp_path: Path):
    folder = write_readme_scene(tmp_path)
    result = run_scene_at(folder / "scene.py", "a2a3", case="large", rounds=2, build_dir=tmp_path / "out")
    assert result.scene == "saxpy" and result.case == "large" and len(result.rounds) == 2
    programs = layout.user_scene_programs(tmp_path / "out", "a2a3", "sim", "host_build_graph", folder)
    assert [p.name for p in programs] == ["kernel_saxpy.so", "saxpy_orch.so"]
    assert all(p.is_file() for p in programs)


def test_build_scene_builds_where_run_reads(tmp_path: Path):
    """`ptogen build --scene PATH --build-dir DIR` puts the scene's programs where `ptogen run PATH --build-dir DIR`
    looks, so the run builds nothing more; a name no runtime has is one line."""
    write_readme_scene(tmp_path)
    built = ptogen("build", "--arch", "a2a3", "--scene", "./my_scene", "--build-dir", "out", cwd=tmp_path)
    assert built.returncode == 0, built.stdout + built.stderr
    programs = sorted(p.name for p in (tmp_path / "out").rglob("my_scene-*/*.so"))
    assert programs == ["kernel_saxpy.so", "saxpy_orch.so"] and "saxpy:kernel_saxpy" in built.stdout, built.stdout
    ran = ptogen("run", "./my_scene", "--arch", "a2a3", "--build-dir", "out", cwd=tmp_path)
    assert ran.returncode == 0 and "golden: all 1 round(s) match" in ran.stdout, ran.stdout + ran.stderr
    assert not (tmp_path / layout.DEFAULT_SCENE_BUILD).exists()
    unknown = ptogen("build", "--arch", "a2a3", "--scene", "no_such_scene", cwd=tmp_path)
    assert unknown.returncode == 1 and unknown.stderr.startswith("ptogen build: no scene 'no_such_scene'"), unknown


def test_a_wrong_kernel_path_names_the_missing_file(tmp_path: Path):
    folder = write_readme_scene(tmp_path)
    scene_file = folder / "scene.py"
    scene_file.write_text(scene_file.read_text().replace("kernels/kernel_saxpy.cpp", "kernels/kernel_saxpi.cpp"))
    result = ptogen("run", "./my_scene", "--arch", "a2a3", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"ptogen run: {scene_file.resolve()}: kernel 0: no such file {(folder / 'kernels/kernel_saxpi.cpp').resolve()}"
        "; did you mean kernels/kernel_saxpy.cpp?"
    )
    assert "ptogen build --scene" not in result.stderr


def test_a_source_outside_kernels_or_orchestration_says_where_sources_go(tmp_path: Path):
    folder = write_readme_scene(tmp_path)
    shutil.move(folder / "kernels" / "kernel_saxpy.cpp", folder / "kernel_saxpy.cpp")
    scene_file = folder / "scene.py"
    scene_file.write_text(scene_file.read_text().replace('"kernels/kernel_saxpy.cpp"', '"kernel_saxpy.cpp"'))
    with pytest.raises(SceneError, match=r"kernel 0: kernel_saxpy.cpp: a kernel source is kernels/<name>.cpp"):
        load_scene(folder).check_sources()


def test_test_takes_paths_and_says_when_one_holds_no_scene(tmp_path: Path):
    (tmp_path / "empty").mkdir()
    result = ptogen("test", "empty", "--arch", "a2a3", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == "ptogen test: empty: holds no scene.py (a scene is a folder with a scene.py)"
    missing = ptogen("run", "./nowhere", "--arch", "a2a3", cwd=tmp_path)
    assert missing.returncode == 1 and "no scene at nowhere: no such file nowhere" in missing.stderr


def plugin(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *arguments], cwd=tmp_path,
                          capture_output=True, text=True, env=shell_env(), timeout=900)


def test_the_plugin_reports_a_golden_mismatch_and_a_broken_scene_file_without_tracebacks(tmp_path: Path):
    good = write_readme_scene(tmp_path / "scenes")
    wrong = write_readme_scene(tmp_path / "wrong")
    shutil.move(wrong, tmp_path / "scenes" / "wrong_golden")
    wrong = tmp_path / "scenes" / "wrong_golden"
    (wrong / "scene.py").write_text((wrong / "scene.py").read_text()
                                    .replace('name="saxpy"', 'name="bad_golden"')
                                    .replace('2 * args["x"]', '3 * args["x"]'))
    broken = tmp_path / "scenes" / "broken"
    broken.mkdir()
    (broken / "scene.py").write_text("import numpy as np\n\nSCENE = (\n")
    result = plugin(tmp_path, "--ptogen-arch", "a2a3", "scenes", "-rA")
    out = result.stdout
    assert result.returncode == 1, out
    assert re.search(r"PASSED scenes/my_scene/scene.py::host_build_graph/saxpy:small", out), out
    assert re.search(r"PASSED scenes/my_scene/scene.py::host_build_graph/saxpy:large", out), out
    assert "bad_golden: output 'z' differs from the golden in round 0" in out, out
    assert f"{broken / 'scene.py'}:3: SyntaxError" in out, out
    assert "Traceback" not in out and "runner.py" not in out and "pytest_plugin.py" not in out, out
    assert good.is_dir()


def test_the_plugin_is_inert_without_its_option(tmp_path: Path):
    write_readme_scene(tmp_path)
    result = plugin(tmp_path, "my_scene")
    assert result.returncode == 5, result.stdout  # pytest's "no tests collected"
    assert not (tmp_path / "build").exists()
