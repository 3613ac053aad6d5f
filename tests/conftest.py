from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ptogen import paths


@pytest.fixture
def a2a3_folder() -> Path:
    return paths.arches_dir() / "a2a3"


@pytest.fixture
def arch_copy(tmp_path: Path, a2a3_folder: Path):
    """Copies a2a3's hook folder under a new name into a scratch arch root; returns a factory."""

    def make(name: str = "zz9") -> Path:
        target = tmp_path / "arches" / name
        shutil.copytree(a2a3_folder, target)
        return target

    return make
