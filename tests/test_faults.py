"""A kernel that faults stops its simulated core, not the process: the run fails with the AICore exception
code hardware reports (507015), the error names the signal, the fault address, the core and the block, and
the process then runs a good scene on another device."""

from __future__ import annotations

import subprocess

import pytest

from ptogen.harness.binding import RuntimeCallError
from ptogen.harness.callable import Kernel, build_chip_callable
from ptogen.harness.runner import build_scene, compiled_program, run_scene
from ptogen.harness.scene import find_scene
from ptogen.harness.task_args import TaskArgs
from ptogen.harness.worker import Worker

NULL_WRITING_KERNEL = r"""
#include <cstdint>
// Writes through a null pointer the compiler cannot see through.
extern "C" void kernel_entry(int64_t *args) {
    volatile int64_t *target = reinterpret_cast<volatile int64_t *>(args[0] & 0);
    *target = 1;
}
"""


@pytest.fixture(scope="module")
def faulting_kernel(tmp_path_factory) -> bytes:
    folder = tmp_path_factory.mktemp("fault")
    source = folder / "null_write.cpp"
    source.write_text(NULL_WRITING_KERNEL)
    library = folder / "null_write.so"
    subprocess.run(["g++", "-shared", "-fPIC", "-O2", "-o", str(library), str(source)], check=True)
    return library.read_bytes()


@pytest.mark.parametrize("arch", ["a2a3", "a5"])
def test_a_kernel_writing_through_null_is_an_aicore_exception(arch, faulting_kernel, capfd):
    scene = find_scene("vector_example", "host_build_graph")
    build_scene(scene, arch)
    kernels = [Kernel(k.func_id, k.core, compiled_program(scene, arch, k.source)) for k in scene.kernels]
    kernels[1] = Kernel(kernels[1].func_id, kernels[1].core_type, faulting_kernel)
    blob = build_chip_callable(
        compiled_program(scene, arch, scene.orchestration.source), scene.orchestration.function,
        scene.orchestration.signature, kernels,
    )
    case = scene.cases[0]
    worker = Worker(arch, "host_build_graph", device_id=6).init()
    try:
        cid = worker.register(blob)
        args = scene.make_args(case.params)
        task_args = TaskArgs.build([args[n] for n in scene.tensors])
        with pytest.raises(RuntimeCallError) as caught:
            worker.run(cid, task_args, block_dim=case.block_dim, aicpu_thread_num=case.aicpu_thread_num)
        assert caught.value.rc == -507015, str(caught.value)
        # The simulator logs the exception as the hardware's device log does: signal, address, core, block.
        log = capfd.readouterr().err
        assert "AICore exception on device 6: core " in log, log
        assert "SIGSEGV at fault address 0x0" in log and "block " in log, log
    finally:
        worker.close()

    # The process lives on: a new context on another device runs the real scene and matches its golden.
    fresh = Worker(arch, "host_build_graph", device_id=7, build=False).init()
    try:
        run_scene(fresh, scene, build_scene(scene, arch), rounds=1)
    finally:
        fresh.close()
