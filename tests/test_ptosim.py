"""ptosim, the device simulator under the CANN runtime API: built with g++ for each arch, exercised by
the C++ checks in tests/ptosim/ against tiny real AICPU and AICore test programs."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SIM = ROOT / "runtimes" / "platform" / "sim" / "ptosim"
CHECKS = ROOT / "tests" / "ptosim"
CXX = shutil.which("g++")
FLAGS = ["-std=c++17", "-O2", "-g", "-fPIC", "-Wall", "-Wextra", "-Werror", "-pthread"]

pytestmark = pytest.mark.skipif(CXX is None, reason="g++ is required to build ptosim")

CHECK_NAMES = [
    "memory",
    "faults_and_acl",
    "aicpu_path",
    "stream_order_and_timeout",
    "stream_error_and_destroy",
    "aicore_all_cores",
    "register_windows",
    "aicore_timeout",
    "device_reset",
    "kernel_resolve",
]


def includes(arch: str) -> list[str]:
    return [
        f"-I{ROOT / 'generated' / arch}",
        f"-I{ROOT / 'runtimes' / 'include'}",
        f"-I{ROOT / 'runtimes' / 'platform' / 'cann'}",
        f"-I{SIM / 'include'}",
        f"-I{CHECKS}",
    ]


def run_all(commands: list[list[str]]) -> None:
    """Runs the compiler commands two at a time (the machine has 2 CPUs); fails with the compiler's words."""
    pending = list(commands)
    while pending:
        batch, pending = pending[:2], pending[2:]
        procs = [
            (cmd, subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)) for cmd in batch
        ]
        for cmd, proc in procs:
            out, _ = proc.communicate()
            if proc.returncode != 0:
                pytest.fail(f"compile failed: {' '.join(cmd)}\n{out}")


@pytest.fixture(scope="module", params=["a2a3", "a5"])
def built(request, tmp_path_factory):
    """libptosim.so, the three test programs and the check driver for one arch."""
    arch = request.param
    out = tmp_path_factory.mktemp(f"ptosim_{arch}")
    inc = includes(arch)
    sources = sorted(SIM.glob("*.cpp"))
    objects = [out / (src.stem + ".o") for src in sources]
    run_all([[CXX, *FLAGS, *inc, "-c", str(src), "-o", str(obj)] for src, obj in zip(sources, objects, strict=True)])
    lib = out / "libptosim.so"
    link = ["-L", str(out), "-lptosim", f"-Wl,-rpath,{out}"]
    run_all(
        [
            [
                CXX,
                "-shared",
                "-pthread",
                "-Wl,-soname,libptosim.so",
                "-o",
                str(lib),
                *map(str, objects),
                "-ldl",
                "-lpthread",
            ]
        ]
    )
    programs = {
        "aicpu": CHECKS / "aicpu_test_kernel.cpp",
        "aicore": CHECKS / "aicore_test_kernel.cpp",
        "dispatcher": CHECKS / "dispatcher_stub.cpp",
    }
    so = {name: out / f"{name}_test.so" for name in programs}
    check_sources = [str(p) for p in sorted(CHECKS.glob("check_*.cpp"))]
    driver = out / "ptosim_check"
    run_all(
        [[CXX, *FLAGS, *inc, "-shared", "-o", str(so[name]), str(src), *link] for name, src in programs.items()]
        + [[CXX, *FLAGS, *inc, "-o", str(driver), *check_sources, *link]]
    )
    return {"arch": arch, "lib": lib, "driver": driver, "so": so, "dir": out}


def run_check(built, name: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["TMPDIR"] = str(built["dir"])
    env.pop("PTOSIM_FAIL", None)
    env.update(env_extra or {})
    so = built["so"]
    cmd = [str(built["driver"]), name, str(so["aicpu"]), str(so["aicore"]), str(so["dispatcher"])]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.parametrize("name", CHECK_NAMES)
def test_check(built, name):
    result = run_check(built, name)
    assert result.returncode == 0, f"{built['arch']} {name}:\n{result.stdout}\n{result.stderr}"
    assert f"OK {name}" in result.stdout


def test_fault_injection_from_environment(built):
    result = run_check(built, "faults_and_acl", {"PTOSIM_FAIL": "rtStreamCreate:1:207001"})
    assert result.returncode == 0, result.stdout + result.stderr


def test_kernel_directories_are_removed_at_exit(built):
    result = run_check(built, "aicpu_path")
    assert result.returncode == 0, result.stdout + result.stderr
    assert not list(built["dir"].glob("ptosim_dev*")), "a device kernel directory outlived the process"


def test_every_declared_api_is_implemented(built):
    """Every function cann_runtime_api.h declares (stand-alone branch) is exported by libptosim.so."""
    header = (ROOT / "runtimes" / "platform" / "cann" / "cann_runtime_api.h").read_text()
    standalone = header.split("#else /* !PTOGEN_USE_CANN_HEADERS */", 1)[1]

    declared = set(re.findall(r"^\s*(?:rtError_t|aclError|drvError_t|int)\s+(\w+)\(", standalone, re.MULTILINE))
    assert {"rtMalloc", "halResMap", "dlog_setlevel"} <= declared
    nm = shutil.which("nm")
    if nm is None:
        pytest.skip("nm is required")
    symbols = subprocess.run(
        [nm, "-D", "--defined-only", str(built["lib"])], capture_output=True, text=True, check=True
    ).stdout
    exported = {line.split()[-1] for line in symbols.splitlines() if line.strip()}
    assert declared - exported == set()
