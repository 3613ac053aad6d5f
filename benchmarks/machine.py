"""A one-line description of the machine a benchmark ran on, printed beside every figure."""

from __future__ import annotations

import os
import platform
import subprocess


def describe() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        compiler = subprocess.run(["g++", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    except (OSError, IndexError):
        compiler = "no g++"
    return f"{cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}, {compiler}"
