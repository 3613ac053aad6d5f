"""Every CANN call of a scene's lifecycle, failed one at a time, fails cleanly (ptogen.harness.fault_sweep).

Each sweep runs in its own process: the AICPU bootstrap is remembered per device for a process's life, and
the sweep needs fresh devices to reach the bootstrap's call sites.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from ptogen.arch import load_all
from ptogen.harness.scene import scene_folders

ARCHES = sorted(load_all())
# One scene per runtime: the smallest, whose lifecycle still makes every kind of call.
SWEPT = [(runtime, "vector_example") for runtime in sorted({rt for rt, _ in scene_folders()})]


@pytest.mark.parametrize("arch", ARCHES)
@pytest.mark.parametrize(("runtime", "scene"), SWEPT, ids=[f"{rt}/{s}" for rt, s in SWEPT])
def test_every_call_site_fails_cleanly(arch, runtime, scene):
    result = subprocess.run(
        [sys.executable, "-m", "ptogen.harness.fault_sweep", arch, runtime, scene, "--quiet"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    summary = result.stdout.strip().splitlines()
    print("\n".join(summary))
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    covered = re.search(r"(\d+) call sites covered \((\d+) in the AICPU bootstrap\), 0 problem", result.stdout)
    assert covered, result.stdout[-2000:]
    assert int(covered.group(2)) > 0, "the sweep never reached the AICPU bootstrap"
    assert int(covered.group(1)) > int(covered.group(2))
