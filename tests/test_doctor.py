"""`ptogen doctor`: per platform, the toolchains found (with versions), the ones missing and what to install."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from ptogen import toolchains


def doctor(*args: str, env: dict[str, str] | None = None, drop: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in drop}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "ptogen", "doctor", *args], capture_output=True, text=True, env=environment
    )


def section(output: str, platform: str) -> list[str]:
    lines = output.splitlines()
    start = lines.index(f"{platform}:")
    end = next((i for i in range(start + 1, len(lines)) if not lines[i].startswith(" ")), len(lines))
    return lines[start + 1 : end]


def row(lines: list[str], name: str) -> str:
    return next(line for line in lines if line.split()[1:2] == [name])


def test_sim_lists_the_compiler_and_scons_with_versions():
    result = doctor("--platform", "sim")
    assert result.returncode == 0, result.stderr
    sim = section(result.stdout, "sim")
    gxx = row(sim, os.environ.get("CXX", "g++"))
    assert gxx.split()[0] == "found" and "g++" in gxx and any(ch.isdigit() for ch in gxx)
    assert row(sim, "scons").split()[:3] == ["found", "scons", "SCons"]
    assert "builds every program" in sim[-1]


def test_onboard_names_what_is_missing_and_how_to_get_it(tmp_path: Path):
    result = doctor(
        "--platform", "onboard", env={toolchains.CROSS_CXX_ENV: str(tmp_path / "none")}, drop=(toolchains.CANN_ENV,)
    )
    assert result.returncode == 0
    onboard = section(result.stdout, "onboard")
    cross = row(onboard, str(tmp_path / "none"))
    assert cross.split()[0] == "missing" and f"apt-get install {toolchains.CROSS_PACKAGE}" in cross
    assert "the onboard AICPU program" in cross
    cann = row(onboard, toolchains.CANN_ENV)
    assert cann.split()[0] == "missing" and "install the CANN toolkit" in cann
    if not toolchains.ccec().found:
        assert row(onboard, "ccec").split()[0] == "missing"
    assert "the host library's objects (not linked)" in onboard[-1]
    assert doctor("--strict", "--platform", "onboard", drop=(toolchains.CANN_ENV,)).returncode == 1


def test_found_tools_show_their_version(tmp_path: Path):
    """A CANN install (faked: a version file and a ccec that prints its version) is found through its variable."""
    home = tmp_path / "ascend-toolkit"
    bin_dir = home / "compiler" / "ccec_compiler" / "bin"
    bin_dir.mkdir(parents=True)
    (home / "version.cfg").write_text("# toolkit\nversion=8.1.RC1\n")
    ccec = bin_dir / "ccec"
    ccec.write_text("#!/bin/sh\necho 'ccec version 15.0.5 (fake)'\n")
    ccec.chmod(ccec.stat().st_mode | stat.S_IXUSR)
    result = doctor("--platform", "onboard", env={toolchains.CANN_ENV: str(home)})
    onboard = section(result.stdout, "onboard")
    assert row(onboard, "ccec").startswith("  found") and "ccec version 15.0.5 (fake)" in row(onboard, "ccec")
    assert "CANN 8.1.RC1" in row(onboard, toolchains.CANN_ENV)
    if toolchains.cross_cxx().found:
        cross = row(onboard, toolchains.CROSS_CXX)
        assert cross.split()[0] == "found" and "aarch64-linux-gnu-g++" in cross
        assert "builds every program" in onboard[-1]
