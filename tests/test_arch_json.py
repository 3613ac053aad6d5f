"""generated/<arch>/arch.json: the resolved model as it is, for the build and for ptosim's geometry."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ptogen import layout, paths
from ptogen.arch import export, load_all, model
from ptogen.harness.ptosim import PtosimDeviceConfig

ARCHES = sorted(load_all())


@pytest.mark.parametrize("arch", ARCHES)
def test_arch_json_is_the_loaded_model(arch: str):
    written = json.loads((paths.generated_dir() / arch / export.FILENAME).read_text())
    assert written.pop(export.MARKER_KEY).startswith(f"by ptogen from templates/arches/{arch}/arch.toml.")
    assert written == json.loads(json.dumps(export.to_dict(load_all()[arch])))


def test_a_field_added_to_the_model_is_exported_without_touching_the_exporter():
    @dataclasses.dataclass(frozen=True)
    class WithStrategy(model.Arch):
        register_discovery: str = "window"

    arch = load_all()["a2a3"]
    extended = WithStrategy(**{f.name: getattr(arch, f.name) for f in dataclasses.fields(model.Arch)})
    text = export.render(extended, paths.arches_dir() / "a2a3")
    assert json.loads(text)["register_discovery"] == "window"
    assert text == export.render(extended, paths.arches_dir() / "a2a3")  # deterministic


def test_generate_check_flags_a_stale_arch_json(tmp_path: Path):
    for tree in ("templates", "generated"):
        shutil.copytree(paths.project_root() / tree, tmp_path / tree)
    stale = tmp_path / "generated" / "a5" / export.FILENAME
    stale.write_text(stale.read_text().replace('"max_block_dim": 36', '"max_block_dim": 35'))
    env = {**os.environ, "PTOGEN_ROOT": str(tmp_path)}
    command = [sys.executable, "-m", "ptogen", "generate", "--check"]
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    assert result.returncode == 1
    assert "stale: generated/a5/arch.json" in result.stdout


@pytest.mark.parametrize("arch", ARCHES)
def test_ptosim_takes_its_geometry_from_arch_json(arch: str):
    cores = load_all()[arch].cores
    config = PtosimDeviceConfig.of(arch)
    assert (config.arch.decode(), config.max_block_dim, config.aic_per_block, config.aiv_per_block) == (
        arch, cores.max_block_dim, cores.aic_per_block, cores.aiv_per_block
    )
    assert config.register_block_size == load_all()[arch].registers.block_size


def test_a_missing_arch_json_is_named(tmp_path: Path):
    (tmp_path / "generated" / "a2a3").mkdir(parents=True)
    with pytest.raises(ValueError, match=r"no generated arch.json for arch 'a2a3'; run `ptogen generate --arch a2a3`"):
        PtosimDeviceConfig.of("a2a3", root=tmp_path)
    assert layout.arch_json(tmp_path, "a2a3") == tmp_path / "generated" / "a2a3" / "arch.json"
