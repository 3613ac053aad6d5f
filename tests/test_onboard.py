"""`ptogen build --platform onboard`: the AICPU program and the dispatcher cross-compiled for aarch64 for every
arch, the host library compiled without CANN and said to be unlinked, and a missing toolchain named in one
line while everything else still builds."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ptogen import build, elfcheck, paths, templating, toolchains
from ptogen.arch import load_all

ROOT = paths.project_root()
CROSS = toolchains.cross_cxx()
needs_cross = pytest.mark.skipif(
    not CROSS.found,
    reason=f"{CROSS.name} not found: install {toolchains.CROSS_PACKAGE} (CI does) to cross-compile the AICPU program",
)


@pytest.fixture
def without_cann(monkeypatch) -> None:
    """No CANN: ASCEND_HOME_PATH unset and no ccec on PATH (whatever this machine has)."""
    monkeypatch.delenv(toolchains.CANN_ENV, raising=False)
    if toolchains.ccec().found:
        pytest.skip("this machine has ccec on PATH")


def ptogen(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ptogen", *args], capture_output=True, text=True, env={**os.environ, **(env or {})}
    )


@needs_cross
def test_the_aicpu_program_and_dispatcher_cross_compile_for_every_arch():
    arches = sorted(load_all())
    result = build.build(arches, platform="onboard", parts=["aicpu", "dispatcher"], echo=None)
    assert not result.unbuilt, result.unbuilt
    for (arch, runtime), found in result.artifacts.items():
        assert found.aicpu.parent == ROOT / "build" / arch / "onboard" / runtime
        for role, path in (("aicpu", found.aicpu), ("dispatcher", found.dispatcher)):
            assert path in result.checked
            assert elfcheck.check(path, elfcheck.expectations("onboard")[role]) == [], path
    assert {(a, r) for a, r in result.artifacts} == {(a, r) for a in arches for r in build.known_runtimes()}


@needs_cross
def test_without_cann_the_host_compiles_unlinked_and_the_aicore_program_is_one_line(without_cann):
    runtime = build.known_runtimes()[0]
    out = build.variant_dir("a5", runtime, "onboard")
    result = build.build(["a5"], [runtime], platform="onboard", echo=None)
    assert list(result.unlinked) == [f"build/a5/onboard/{runtime}/libhost_runtime.so"]
    assert "not linked: linking needs CANN" in next(iter(result.unlinked.values()))
    for output in templating.OUTPUTS:  # every generated source was compiled, the DeviceRunner's topics too
        if output.filename.endswith(".cpp"):
            assert (out / "obj" / "generated" / "a5" / output.filename).with_suffix(".os").is_file(), output.filename
    assert not (out / "libhost_runtime.so").exists()
    assert list(result.unbuilt) == [f"build/a5/onboard/{runtime}/aicore_kernel.o"]
    assert "needs CANN's ccec compiler" in result.unbuilt[f"build/a5/onboard/{runtime}/aicore_kernel.o"]
    assert (out / "libaicpu_kernel.so").is_file() and (out / "libaicpu_dispatcher.so").is_file()

    cli = ptogen("build", "--arch", "a5", "--runtime", runtime, "--platform", "onboard")
    assert cli.returncode == 1
    assert cli.stderr.strip() == (
        f"ptogen build: error: build/a5/onboard/{runtime}/aicore_kernel.o not built: needs CANN's ccec compiler "
        f"(install the CANN toolkit and set {toolchains.CANN_ENV})"
    )
    assert "Traceback" not in cli.stderr
    assert f"note: build/a5/onboard/{runtime}/libhost_runtime.so: compiled against" in cli.stdout
    assert "libaicpu_kernel.so" in cli.stdout


def test_a_missing_cross_compiler_is_named_with_its_package(tmp_path: Path, without_cann):
    runtime = build.known_runtimes()[0]
    missing = str(tmp_path / "no-such-g++")
    cli = ptogen(
        "build", "--arch", "a2a3", "--runtime", runtime, "--platform", "onboard", "--part", "aicpu,dispatcher",
        env={toolchains.CROSS_CXX_ENV: missing},
    )
    assert cli.returncode == 1, cli.stdout + cli.stderr
    lines = cli.stderr.strip().splitlines()
    assert len(lines) == 2 and "Traceback" not in cli.stderr
    for line, name in zip(lines, ("libaicpu_kernel.so", "libaicpu_dispatcher.so"), strict=True):
        assert line.startswith(f"ptogen build: error: build/a2a3/onboard/{runtime}/{name} not built: needs the aarch64")
        assert f"apt-get install {toolchains.CROSS_PACKAGE}" in line


def test_an_unknown_part_is_a_clean_error():
    with pytest.raises(build.BuildError, match=r"unknown part gpu \(parts: host, aicpu, aicore, dispatcher\)"):
        build.build(["a2a3"], platform="onboard", parts=["gpu"], echo=None)
