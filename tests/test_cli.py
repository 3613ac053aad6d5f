"""The `ptogen` command as a user runs it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ptogen import paths


def ptogen(*args: str, root: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if root is not None:
        env["PTOGEN_ROOT"] = str(root)
    return subprocess.run([sys.executable, "-m", "ptogen", *args], capture_output=True, text=True, env=env)


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    for tree in ("templates", "generated"):
        shutil.copytree(paths.project_root() / tree, tmp_path / tree)
    return tmp_path


def test_version_names_the_installed_package():
    from importlib.metadata import version

    result = ptogen("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"ptogen {version('ptogen')}", result


def test_list_shows_every_arch_with_its_constants():
    result = ptogen("list")
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line for line in result.stdout.splitlines() if line[:1].isalnum()}
    assert "24 x 1+2" in rows["a2a3"] and "50 MHz" in rows["a2a3"] and "4/6" in rows["a2a3"]
    assert "36 x 1+2" in rows["a5"] and "1000 MHz" in rows["a5"] and "7/7" in rows["a5"]


def test_check_lists_stale_and_missing_files_and_fails(project_copy: Path):
    edited = project_copy / "generated" / "a5" / "kernel_args.h"
    edited.write_text(edited.read_text() + "// hand edit\n")
    (project_copy / "generated" / "a2a3" / "platform_config.h").unlink()
    result = ptogen("generate", "--check", root=project_copy)
    assert result.returncode == 1
    assert "stale: generated/a5/kernel_args.h" in result.stdout
    assert "missing: generated/a2a3/platform_config.h" in result.stdout


def test_generate_repairs_and_then_check_passes(project_copy: Path):
    edited = project_copy / "generated" / "a2a3" / "device_runner_run.cpp"
    edited.write_text("stale\n")
    assert ptogen("generate", "--arch", "a2a3", root=project_copy).returncode == 0
    result = ptogen("generate", "--check", root=project_copy)
    assert result.returncode == 0, result.stdout


def test_a_broken_hook_folder_is_a_clean_error(project_copy: Path):
    toml = project_copy / "templates" / "arches" / "a5" / "arch.toml"
    toml.write_text(toml.read_text().replace("max_block_dim = 36", "max_block_dim = 0"))
    result = ptogen("list", root=project_copy)
    assert result.returncode == 2
    assert "arch.toml:" in result.stderr and "cores.max_block_dim: must be > 0" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_arch_is_named():
    result = ptogen("generate", "--check", "--arch", "a9")
    assert result.returncode != 0 and "unknown arch a9" in result.stderr


def test_run_prints_rounds_and_the_golden_verdict():
    result = ptogen("run", "vector_example", "--runtime", "host_build_graph", "--arch", "a2a3", "--rounds", "3")
    assert result.returncode == 0, result.stderr
    assert "golden: all 3 round(s) match" in result.stdout
    rounds = [line for line in result.stdout.splitlines() if line.strip()[:1].isdigit()]
    assert len(rounds) == 3


def test_run_asks_for_the_runtime_when_a_scene_name_is_shared():
    result = ptogen("run", "vector_example", "--arch", "a2a3")
    assert result.returncode == 1
    assert "exists for several runtimes" in result.stderr and "pass --runtime" in result.stderr


def test_run_names_an_unknown_scene():
    result = ptogen("run", "no_such_scene", "--arch", "a2a3")
    assert result.returncode == 1
    assert "no scene 'no_such_scene'" in result.stderr and "vector_example" in result.stderr


def test_test_runs_every_scene_of_an_arch():
    result = ptogen("test", "--arch", "a5", "--rounds", "1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all scenes pass on a5/sim" in result.stdout
    from ptogen.harness.scene import load_scene_file, scene_folders

    cases = sum(len(load_scene_file(folder / "scene.py").cases) for folder in scene_folders().values())
    assert result.stdout.count("PASS") == cases
