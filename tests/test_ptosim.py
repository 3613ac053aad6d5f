"""ptosim, the device simulator under the CANN runtime API: built ONCE with g++ and no arch on its include
path (each simulated device gets its geometry at run time through ptosim_configure_device), exercised by
the C++ checks in tests/ptosim/ against tiny real AICPU and AICore test programs. The check driver links
every arch's constants (tests/ptosim/arch_config.cpp compiled per arch) and configures its devices from
the arch it is told to run as; one check runs an a2a3 device and an a5 device in the same process."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SIM = ROOT / "runtimes" / "platform" / "sim" / "ptosim"
CHECKS = ROOT / "tests" / "ptosim"
CXX = shutil.which("g++")
FLAGS = ["-std=c++17", "-O2", "-g", "-fPIC", "-Wall", "-Wextra", "-Werror", "-pthread"]
ARCHES = ["a2a3", "a5"]

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
    "config_validation",
    "reconfigure_live_state",
    "unconfigured_device",
]

# ptosim's include path: no generated/<arch> (ptosim must not need one).
SIM_INCLUDES = [
    f"-I{ROOT / 'runtimes' / 'include'}",
    f"-I{ROOT / 'runtimes' / 'platform' / 'cann'}",
    f"-I{SIM / 'include'}",
]
# The test programs' (the check driver adds generated/<arch> only for arch_config.cpp).
CHECK_INCLUDES = [*SIM_INCLUDES, f"-I{CHECKS}"]


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


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """libptosim.so (once, arch-independent), the three test programs and the check driver (all arches)."""
    out = tmp_path_factory.mktemp("ptosim")
    sources = sorted(SIM.glob("*.cpp"))
    objects = [out / (src.stem + ".o") for src in sources]
    arch_objects = {arch: out / f"arch_config_{arch}.o" for arch in ARCHES}
    run_all(
        [
            [CXX, *FLAGS, *SIM_INCLUDES, "-c", str(src), "-o", str(obj)]
            for src, obj in zip(sources, objects, strict=True)
        ]
        + [
            [
                CXX,
                *FLAGS,
                *CHECK_INCLUDES,
                f"-I{ROOT / 'generated' / arch}",
                "-c",
                str(CHECKS / "arch_config.cpp"),
                "-o",
                str(obj),
            ]
            for arch, obj in arch_objects.items()
        ]
    )
    lib = out / "libptosim.so"
    link = ["-L", str(out), "-lptosim", f"-Wl,-rpath,{out}"]
    run_all(
        [
            [
                CXX,
                "-shared",
                "-pthread",
                "-Wl,-soname,libptosim.so",
                "-Wl,-z,defs",
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
        [
            [CXX, *FLAGS, *CHECK_INCLUDES, "-shared", "-o", str(so[name]), str(src), *link]
            for name, src in programs.items()
        ]
        + [[CXX, *FLAGS, *CHECK_INCLUDES, "-o", str(driver), *check_sources, *map(str, arch_objects.values()), *link]]
    )
    return {"lib": lib, "driver": driver, "so": so, "dir": out}


def run_check(built, arch: str, name: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["TMPDIR"] = str(built["dir"])
    env.pop("PTOSIM_FAIL", None)
    env.update(env_extra or {})
    so = built["so"]
    cmd = [str(built["driver"]), arch, name, str(so["aicpu"]), str(so["aicore"]), str(so["dispatcher"])]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.parametrize("arch", ARCHES)
@pytest.mark.parametrize("name", CHECK_NAMES)
def test_check(built, arch, name):
    result = run_check(built, arch, name)
    assert result.returncode == 0, f"{arch} {name}:\n{result.stdout}\n{result.stderr}"
    assert f"OK {name}" in result.stdout


def test_mixed_arches_in_one_process(built):
    """Device 0 as a2a3 and device 1 as a5 in one process on one libptosim.so: 72 and 108 cores at max
    blockDim, each device's register windows sized and laid out by its own arch."""
    result = run_check(built, "a2a3", "mixed_arches")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK mixed_arches" in result.stdout


@pytest.mark.parametrize("arch", ARCHES)
def test_fault_injection_from_environment(built, arch):
    result = run_check(built, arch, "faults_and_acl", {"PTOSIM_FAIL": "rtStreamCreate:1:207001"})
    assert result.returncode == 0, result.stdout + result.stderr


def test_kernel_directories_are_removed_at_exit(built):
    result = run_check(built, "a2a3", "aicpu_path")
    assert result.returncode == 0, result.stdout + result.stderr
    assert not list(built["dir"].glob("ptosim_dev*")), "a device kernel directory outlived the process"


def test_ptosim_sources_are_arch_independent():
    """No generated header and no compile-time arch constant in ptosim (it is built once for every arch)."""
    offenders = []
    for path in sorted([*SIM.rglob("*.cpp"), *SIM.rglob("*.h")]):
        text = path.read_text()
        if "platform_config.h" in text or "kernel_args.h" in text or re.search(r"\bPLATFORM_[A-Z_]+\b", text):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_configure_through_ctypes(built):
    """The harness's view: configure a device through ctypes, read it back, see the errors."""
    script = textwrap.dedent(
        f"""
        import ctypes, os
        class Config(ctypes.Structure):
            _fields_ = [("arch", ctypes.c_char * 16), ("max_block_dim", ctypes.c_int32),
                        ("aic_per_block", ctypes.c_int32), ("aiv_per_block", ctypes.c_int32),
                        ("physical_aicores", ctypes.c_int32), ("register_block_size", ctypes.c_uint32)]
        lib = ctypes.CDLL({str(built["lib"])!r}, mode=os.RTLD_NOW | ctypes.RTLD_GLOBAL)
        lib.ptosim_last_error.restype = ctypes.c_char_p
        lib.ptosim_report_json.restype = ctypes.c_char_p
        out = Config()
        assert lib.ptosim_device_config(0, ctypes.byref(out)) == -3
        assert b"device 0 has no arch configuration; call ptosim_configure_device first" in lib.ptosim_last_error()
        bad = Config(b"a5", 36, 1, 2, 35, 0x6000)
        assert lib.ptosim_configure_device(0, ctypes.byref(bad)) == -1
        assert b"physical_aicores" in lib.ptosim_last_error()
        assert lib.ptosim_configure_device(0, ctypes.byref(Config(b"a2a3", 24, 1, 2, 25, 0x1400))) == 0
        assert lib.ptosim_configure_device(1, ctypes.byref(Config(b"a5", 36, 1, 2, 36, 0x6000))) == 0
        assert lib.ptosim_device_config(1, ctypes.byref(out)) == 0
        assert (out.arch, out.max_block_dim, out.physical_aicores, out.register_block_size) == (b"a5", 36, 36, 0x6000)
        assert b'"device_archs": {{"0": "a2a3", "1": "a5"}}' in lib.ptosim_report_json()
        print("OK ctypes")
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK ctypes" in result.stdout


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
    assert {"ptosim_configure_device", "ptosim_device_config"} <= exported
