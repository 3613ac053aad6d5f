"""One invalid arch on the search path makes only that arch unusable: every command about the others works, and
every command about it names its problems, each at its file and line."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ptogen import build, paths, templating
from ptogen.arch import ArchError, load_all

SHIPPED = sorted(load_all(search_path=[paths.arches_dir()]))


@pytest.fixture
def arch_path(tmp_path: Path) -> Path:
    """A search-path directory holding one good arch (zzgood) and one whose arch.toml is wrong (zzbad)."""
    root = tmp_path / "arches"
    for name in ("zzgood", "zzbad"):
        shutil.copytree(paths.arches_dir() / SHIPPED[0], root / name)
    toml = root / "zzbad" / "arch.toml"
    toml.write_text(toml.read_text().replace("max_block_dim = ", "max_block_dim = 0 # was ", 1))
    return root


def ptogen(*args: str, arch_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, paths.ARCH_PATH_ENV: str(arch_path)}
    return subprocess.run([sys.executable, "-m", "ptogen", *args], capture_output=True, text=True, env=env)


def bad_line(arch_path: Path) -> str:
    toml = arch_path / "zzbad" / "arch.toml"
    number = next(i for i, line in enumerate(toml.read_text().splitlines(), 1) if line.startswith("max_block_dim"))
    return f"{toml}:{number}: cores.max_block_dim: must be > 0"


def test_load_all_keeps_the_good_arches(arch_path: Path):
    arches = load_all(search_path=[paths.arches_dir(), arch_path])
    assert sorted(arches) == sorted([*SHIPPED, "zzgood"])
    assert "zzbad" in arches and list(arches.broken) == ["zzbad"]
    with pytest.raises(ArchError, match="cores.max_block_dim: must be > 0"):
        arches["zzbad"]


def test_list_shows_the_others_and_the_broken_one_with_its_error(arch_path: Path):
    result = ptogen("list", arch_path=arch_path)
    assert result.returncode == 2
    names = [line.split()[0] for line in result.stdout.splitlines() if line[:1].isalnum()]
    assert {*SHIPPED, "zzgood", "zzbad"} <= set(names)
    assert any(line.startswith("zzbad") and "unusable" in line for line in result.stdout.splitlines())
    assert bad_line(arch_path) in result.stderr and "Traceback" not in result.stderr


def test_generate_writes_the_good_ones_and_names_the_bad_one(arch_path: Path):
    result = ptogen("generate", arch_path=arch_path)
    assert result.returncode == 2
    assert (paths.external_generated_dir() / "zzgood" / templating.OUTPUTS[-1].filename).is_file()
    assert "arch zzbad not generated" in result.stderr and bad_line(arch_path) in result.stderr
    assert "Traceback" not in result.stderr
    check = ptogen("generate", "--check", arch_path=arch_path)
    assert "fresh for" in check.stdout and "zzgood" in check.stdout and bad_line(arch_path) in check.stderr


def test_build_of_the_bad_arch_prints_its_problems(arch_path: Path):
    result = ptogen("build", "--arch", "zzbad", arch_path=arch_path)
    assert result.returncode == 2
    assert bad_line(arch_path) in result.stderr and "Traceback" not in result.stderr


def test_build_of_a_good_arch_works(arch_path: Path):
    if not build.known_runtimes():
        pytest.skip("no runtime variant under runtimes/")
    runtime = build.known_runtimes()[0]
    result = ptogen("build", "--arch", "zzgood", "--runtime", runtime, "--part", "dispatcher", arch_path=arch_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "zzbad" not in result.stdout + result.stderr
