"""A kernel that faults (writes through null, divides by zero, throws) stops its simulated core, not the
process: the run fails with the AICore exception code hardware reports (507015), the error names the signal
and fault address (or the exception), the core and the block, and the process then runs a good scene on
another device. A fault on a thread that is no simulated core still ends the process."""

from __future__ import annotations

import platform
import signal
import subprocess
import sys

import pytest
from conftest import vector_example_with_kernel

from ptogen import build as builder
from ptogen.harness.binding import RuntimeCallError
from ptogen.harness.runner import build_scene, run_scene
from ptogen.harness.scene import find_scene
from ptogen.harness.task_args import TaskArgs
from ptogen.harness.worker import Worker

# Each kernel faults in a way the compiler cannot see through, with what the log must then name.
FAULTING_KERNELS = {
    "null_write": (r"""
#include <cstdint>
extern "C" void kernel_entry(int64_t *args) {
    volatile int64_t *target = reinterpret_cast<volatile int64_t *>(args[0] & 0);
    *target = 1;
}
""", "SIGSEGV at fault address 0x0"),
    "divide_by_zero": (r"""
#include <cstdint>
extern "C" void kernel_entry(int64_t *args) {
    volatile int64_t zero = args[0] & 0;
    volatile int64_t quotient = args[0] / zero;
    (void)quotient;
}
""", "SIGFPE"),
    "throw": (r"""
#include <cstdint>
#include <stdexcept>
extern "C" void kernel_entry(int64_t *) { throw std::runtime_error("the kernel gave up"); }
""", "an escaping C++ exception (the kernel gave up)"),
}


@pytest.fixture(scope="module")
def faulting_kernels(tmp_path_factory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("fault")
    built = {}
    for name, (text, _) in FAULTING_KERNELS.items():
        source = folder / f"{name}.cpp"
        source.write_text(text)
        library = folder / f"{name}.so"
        subprocess.run(["g++", "-shared", "-fPIC", "-O2", "-o", str(library), str(source)], check=True)
        built[name] = library.read_bytes()
    return built


@pytest.mark.parametrize("arch", ["a2a3", "a5"])
@pytest.mark.parametrize("fault", sorted(FAULTING_KERNELS))
def test_a_faulting_kernel_is_an_aicore_exception(arch, fault, faulting_kernels, capfd):
    if fault == "divide_by_zero" and platform.machine() != "x86_64":
        pytest.skip("only x86-64 traps an integer division by zero")
    scene, blob = vector_example_with_kernel(arch, faulting_kernels[fault])
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
        assert FAULTING_KERNELS[fault][1] in log and "block " in log, log
        if fault != "throw":
            assert "(kernel_entry), the kernel at device address 0x" in log, log
    finally:
        worker.close()

    # The process lives on: a new context on another device runs the real scene and matches its golden.
    fresh = Worker(arch, "host_build_graph", device_id=7, build=False).init()
    try:
        run_scene(fresh, scene, build_scene(scene, arch), rounds=1)
    finally:
        fresh.close()


# Runs a scene (so the simulator's handler is installed and its cores exist), then faults on the main
# thread, which is no simulated core.
HOST_CRASH = """
import ctypes, sys
from ptogen.harness.runner import build_scene, run_scene
from ptogen.harness.scene import find_scene
from ptogen.harness.worker import Worker
scene = find_scene("vector_example", "host_build_graph")
worker = Worker("a2a3", "host_build_graph", device_id=5, build=False).init()
run_scene(worker, scene, build_scene(scene, "a2a3"), rounds=1)
print("ran", flush=True)
ctypes.string_at(0)
print("survived", flush=True)
"""


def test_a_fault_outside_a_simulated_core_still_crashes_the_process():
    build_scene(find_scene("vector_example", "host_build_graph"), "a2a3")
    builder.build(["a2a3"], ["host_build_graph"])
    done = subprocess.run([sys.executable, "-c", HOST_CRASH], capture_output=True, text=True, timeout=600)
    assert "ran" in done.stdout, done.stderr[-3000:]
    assert "survived" not in done.stdout
    assert done.returncode == -signal.SIGSEGV, (done.returncode, done.stderr[-3000:])
