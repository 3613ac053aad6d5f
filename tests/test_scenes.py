"""Every shipped scene runs end-to-end on the CPU simulation through the generated DeviceRunner and matches its
numpy golden, on every arch — run the way a user runs scenes under pytest: ptogen's pytest plugin on examples/,
in a pytest of its own (one per arch, so a device is one chip of one arch), each case one item."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from ptogen import paths
from ptogen.arch import load_all
from ptogen.harness.scene import discover, examples_dir, load_scene_file

ROOT = paths.project_root()
ARCHES = sorted(load_all())


def run_plugin(tmp_path: Path, *arguments: str, cwd: Path = ROOT) -> tuple[subprocess.CompletedProcess, dict]:
    """pytest with the plugin in a child; returns the run and {item name: (outcome, {property: value})}."""
    report = tmp_path / "report.xml"
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", f"--junitxml={report}", *arguments]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}  # not this run's xdist worker
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env, timeout=1200)
    items = {}
    if report.is_file():
        for case in ElementTree.parse(report).getroot().iter("testcase"):
            outcome = next((child.tag for child in case if child.tag in ("failure", "error", "skipped")), "passed")
            properties = {p.get("name"): p.get("value") for p in case.iter("property")}
            items[case.get("name")] = (outcome, properties)
    return result, items


def expected_items(arch: str, folder: Path) -> dict[str, str]:
    """Item name -> the outcome the scene's cases must have on `arch` (a case sized for a bigger chip skips)."""
    model = load_all()[arch]
    expected = {}
    for scene_file in discover([folder]):
        scene = load_scene_file(scene_file)
        for case in scene.cases:
            fits = case.block_dim <= model.cores.max_block_dim and (
                case.aicpu_thread_num <= model.aicpu.scheduler_threads
            )
            expected[f"{scene.runtime}/{scene.name}:{case.name}"] = "passed" if fits else "skipped"
    return expected


@pytest.mark.parametrize("arch", ARCHES)
def test_every_shipped_scene_matches_its_golden_as_a_pytest_item(arch: str, tmp_path: Path):
    result, items = run_plugin(tmp_path, "--ptogen-arch", arch, "--ptogen-rounds", "2", str(examples_dir()))
    outcomes = {name: outcome for name, (outcome, _) in items.items()}
    assert outcomes == expected_items(arch, examples_dir()), result.stdout[-4000:] + result.stderr[-2000:]
    assert result.returncode == 0, result.stdout[-4000:]


def test_xdist_workers_run_the_scenes_on_devices_of_their_own(tmp_path: Path):
    pytest.importorskip("xdist")
    folder = examples_dir() / "host_build_graph"
    result, items = run_plugin(tmp_path, "--ptogen-arch", "a2a3", "-n", "2", str(folder))
    assert result.returncode == 0, result.stdout[-4000:]
    assert {name: outcome for name, (outcome, _) in items.items()} == expected_items("a2a3", folder)
    devices_of: dict[str, set[str]] = {}
    for _, properties in items.values():
        devices_of.setdefault(properties["worker"], set()).add(properties["device"])
    assert len(devices_of) == 2, devices_of  # both workers ran cases
    first, second = devices_of.values()
    assert not first & second, devices_of
