"""The simulator's report and fault injection, read through ctypes from the loaded libptosim.so.

libptosim.so is loaded once per process with RTLD_GLOBAL: the device programs ptosim loads from bytes
resolve the simulator's seam symbols against that one instance.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
from functools import cache
from pathlib import Path
from typing import Any

from ptogen import layout, paths
from ptogen.arch import export


class PtosimDeviceConfig(ctypes.Structure):
    """Mirror of ptosim_config.h's PtosimDeviceConfig: the chip generation a simulated device is."""

    _fields_ = [
        ("arch", ctypes.c_char * 16),
        ("max_block_dim", ctypes.c_int32),
        ("aic_per_block", ctypes.c_int32),
        ("aiv_per_block", ctypes.c_int32),
        ("physical_aicores", ctypes.c_int32),
        ("register_block_size", ctypes.c_uint32),
    ]

    @classmethod
    def of(cls, arch: str, root: Path | None = None) -> PtosimDeviceConfig:
        """The geometry of `arch` as `ptogen generate` resolved it (generated/<arch>/arch.json, the file the
        build reads too): the one way a simulated device learns what chip it is."""
        path = layout.arch_json(root or paths.project_root(), arch)
        if path is None or not path.is_file():
            raise ValueError(f"ptosim: no generated arch.json for arch {arch!r}; run `ptogen generate --arch {arch}`")
        model = export.read(path)
        cores = model["cores"]
        return cls(
            model["name"].encode(),
            cores["max_block_dim"],
            cores["aic_per_block"],
            cores["aiv_per_block"],
            cores["physical_aicores"],
            model["registers"]["block_size"],
        )


@cache
def device_count() -> int:
    """How many simulated devices ptosim has (PTOSIM_MAX_DEVICES in its public header): known before a build."""
    header = paths.runtimes_dir() / "platform" / "sim" / "ptosim" / "include" / "ptosim" / "ptosim_config.h"
    found = re.search(r"^#define PTOSIM_MAX_DEVICES (\d+)", header.read_text(), re.MULTILINE)
    if found is None:
        raise ValueError(f"{paths.display(header)} defines no PTOSIM_MAX_DEVICES")
    return int(found.group(1))


@cache
def load(path: str) -> ctypes.CDLL:
    """One simulator per process: every arch's Worker shares it (devices carry their own arch)."""
    library = ctypes.CDLL(path, mode=os.RTLD_NOW | ctypes.RTLD_GLOBAL)
    library.ptosim_report_json.restype = ctypes.c_char_p
    library.ptosim_call_count.argtypes = [ctypes.c_char_p]
    library.ptosim_call_count.restype = ctypes.c_uint64
    library.ptosim_fail_nth_call.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_int]
    library.ptosim_fail_nth_call.restype = ctypes.c_int
    library.ptosim_last_error.restype = ctypes.c_char_p
    library.ptosim_configure_device.argtypes = [ctypes.c_int32, ctypes.POINTER(PtosimDeviceConfig)]
    library.ptosim_configure_device.restype = ctypes.c_int
    return library


class Ptosim:
    def __init__(self, path: Path):
        self.library = load(str(Path(path).resolve()))

    def report(self) -> dict[str, Any]:
        return json.loads(self.library.ptosim_report_json().decode())

    def calls(self, api: str) -> int:
        return int(self.library.ptosim_call_count(api.encode()))

    def reset_counters(self) -> None:
        self.library.ptosim_counters_reset()

    def configure_device(self, device_id: int, arch: str) -> None:
        """Makes simulated device `device_id` a chip of `arch` (its block geometry and register blocks)."""
        config = PtosimDeviceConfig.of(arch)
        if self.library.ptosim_configure_device(device_id, ctypes.byref(config)) != 0:
            why = self.library.ptosim_last_error().decode()
            raise ValueError(f"ptosim: device {device_id} cannot become an {arch}: {why}")

    def fail_nth_call(self, api: str, n: int, rc: int) -> None:
        if self.library.ptosim_fail_nth_call(api.encode(), n, rc) != 0:
            raise ValueError(f"ptosim refused to arm a fault for {api!r}")
