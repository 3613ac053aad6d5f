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


# The shipped arches override no hook (their differences are constants and strategies), so tests of hook files
# give a copy one: the finalize topic's device_reset, the base default plus a line.
HOOKED_TEMPLATE = "device_runner/finalize.cpp.j2"


def add_hook_file(folder: Path) -> Path:
    """Writes a hook file at its base template's path in `folder` (as the loader requires); returns it."""
    path = folder / HOOKED_TEMPLATE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'{{% extends "{HOOKED_TEMPLATE}" %}}\n'
        "{% block device_reset %}\n    // before the reset\n{{ super() }}\n{% endblock %}\n"
    )
    return path


@pytest.fixture
def hooked_arch_copy(arch_copy):
    """Like arch_copy, with a hook file (add_hook_file) in the copy."""

    def make(name: str = "zz9") -> Path:
        folder = arch_copy(name)
        add_hook_file(folder)
        return folder

    return make


def without_line_directives(text: str) -> str:
    """Generated text without its `#line` directives, for comparing renders whose templates hold the same code at
    other lines (a scaffold's hook file, a hook wrapping a default with `super()`)."""
    return "\n".join(line for line in text.split("\n") if not line.startswith("#line "))


# A kernel that never returns (a hung core): the run ends with the AICore op timeout.
HANGING_KERNEL = r"""
#include <cstdint>
#include <ctime>
// Never returns; sleeps rather than spins so the abandoned core costs no CPU.
extern "C" void kernel_entry(int64_t *) {
    for (;;) {
        timespec nap{0, 10000000};
        nanosleep(&nap, nullptr);
    }
}
"""


def vector_example_with_kernel(arch: str, program: bytes):
    """hbg vector_example's scene and a ChipCallable of it whose func_id 1 kernel (both add_scalar tasks) is
    `program`: how the hang and fault tests put a misbehaving kernel into a real graph."""
    from ptogen.harness.callable import Kernel, build_chip_callable
    from ptogen.harness.runner import build_scene, compiled_program
    from ptogen.harness.scene import find_scene

    scene = find_scene("vector_example", "host_build_graph")
    build_scene(scene, arch)
    kernels = [Kernel(k.func_id, k.core, compiled_program(scene, arch, k.source)) for k in scene.kernels]
    kernels[1] = Kernel(kernels[1].func_id, kernels[1].core_type, program)
    blob = build_chip_callable(
        compiled_program(scene, arch, scene.orchestration.source), scene.orchestration.function,
        scene.orchestration.signature, kernels,
    )
    return scene, blob
