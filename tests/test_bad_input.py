"""Bad input through the C ABI: each gets an error that names what was wrong, and nothing leaks."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from ptogen import build as builder
from ptogen.harness.binding import DeviceContext, HostRuntime, RuntimeCallError
from ptogen.harness.callable import Kernel, build_chip_callable
from ptogen.harness.ptosim import Ptosim
from ptogen.harness.runner import GoldenMismatch, build_scene, check_outputs, compiled_program, run_scene
from ptogen.harness.scene import find_scene
from ptogen.harness.task_args import DeviceTensor, TaskArgs
from ptogen.harness.worker import Worker

ARCH = "a2a3"
RUNTIME = "host_build_graph"
DEVICE = 8


@pytest.fixture(scope="module")
def scene():
    return find_scene("vector_example", RUNTIME)


@pytest.fixture(scope="module")
def blob(scene):
    return build_scene(scene, ARCH)


@pytest.fixture(scope="module")
def parts(scene):
    found = builder.artifacts(ARCH, RUNTIME)
    sim = Ptosim(found.ptosim)
    sim.configure_device(DEVICE, ARCH)
    return {
        "sim": sim,
        "runtime": HostRuntime(found.host),
        "binaries": (found.aicpu.read_bytes(), found.aicore.read_bytes(), found.dispatcher.read_bytes()),
    }


@pytest.fixture
def context(parts):
    """A fresh initialised context; afterwards nothing may be left on the device."""
    ctx = parts["runtime"].context()
    ctx.init(DEVICE, *parts["binaries"])
    yield ctx
    ctx.close()
    report = parts["sim"].report()
    assert report["live_allocations"] == 0 and report["streams_live"] == 0


def vector_args(scene, n=16384):
    args = scene.make_args({"n": n})
    return args, TaskArgs.build([args[name] for name in scene.tensors])


def fails(call, *args, **kwargs) -> RuntimeCallError:
    with pytest.raises(RuntimeCallError) as caught:
        call(*args, **kwargs)
    return caught.value


def test_callable_id_out_of_range(context, blob):
    error = fails(context.prepare_callable, 64, blob)
    assert "callable id 64 is outside [0, 64)" in str(error)


def test_run_of_an_unregistered_callable(context, scene):
    _, task_args = vector_args(scene)
    error = fails(context.run_prepared, 5, task_args)
    assert error.rc == -3 and "callable id 5 is not registered" in str(error)


def test_a_callable_id_registered_twice(context, blob):
    context.prepare_callable(1, blob)
    assert "callable id 1 is already registered" in str(fails(context.prepare_callable, 1, blob))


def test_run_before_init(parts, blob, scene):
    ctx = parts["runtime"].context()
    try:
        _, task_args = vector_args(scene)
        assert "simpler_init has not succeeded" in str(fails(ctx.prepare_callable, 0, blob))
        assert "simpler_init has not succeeded" in str(fails(ctx.run_prepared, 0, task_args))
    finally:
        ctx.destroy()


def test_init_twice(context, parts):
    assert "already initialized" in str(fails(context.init, DEVICE, *parts["binaries"]))


def test_use_after_finalize(context, blob):
    context.finalize()
    error = fails(context.prepare_callable, 0, blob)
    assert error.rc == -2 and "finalized" in str(error)
    context.finalize()  # still a no-op


def test_wrong_number_of_arguments(context, blob, scene):
    context.prepare_callable(0, blob)
    args, _ = vector_args(scene)
    error = fails(context.run_prepared, 0, TaskArgs.build([args["a"], args["b"]]))
    assert "takes 3 tensors and 0 scalars, got 2 tensors and 0 scalars" in str(error)


def test_wrong_kind_of_argument(context, blob, scene):
    context.prepare_callable(0, blob)
    args, _ = vector_args(scene)
    error = fails(context.run_prepared, 0, TaskArgs.build([args["a"], args["b"]], [3]))
    assert "takes 3 tensors and 0 scalars, got 2 tensors and 1 scalars" in str(error)


def test_a_device_tensor_smaller_than_its_declared_shape(context, blob, scene):
    context.prepare_callable(0, blob)
    args, _ = vector_args(scene)
    small = context.malloc(1024)
    try:
        error = fails(context.run_prepared, 0, TaskArgs.build([args["a"], DeviceTensor(small, (16384,), 0), args["f"]]))
        assert "device tensor 1 declares 65536 bytes" in str(error) and "not inside one allocation" in str(error)
    finally:
        context.free(small)


def test_a_corrupt_callable(context, blob):
    corrupt = bytearray(blob)
    corrupt[0] ^= 0xFF
    assert "callable magic is wrong" in str(fails(context.prepare_callable, 0, bytes(corrupt)))
    truncated = bytearray(blob)
    truncated[8:16] = (len(blob) // 2).to_bytes(8, "little")  # total_size now cuts through the payloads
    assert "lie outside the callable" in str(fails(context.prepare_callable, 0, bytes(truncated)))


def test_a_corrupt_aicpu_binary(parts):
    aicpu, aicore, dispatcher = parts["binaries"]
    for name, broken in (("truncated", aicpu[: len(aicpu) // 3]), ("not an ELF", b"\x00" * 4096)):
        ctx = parts["runtime"].context()
        try:
            error = fails(ctx.init, DEVICE + 1, broken, aicore, dispatcher)
            assert "simpler_init" in str(error), (name, str(error))
            assert "bootstrapping the AICPU program" in str(error), (name, str(error))
        finally:
            ctx.close()
    assert parts["sim"].report()["live_allocations"] == 0


def test_a_kernel_without_its_entry_symbol(context, scene, tmp_path):
    source = tmp_path / "no_entry.cpp"
    source.write_text('extern "C" void not_the_entry(long *) {}\n')
    library = tmp_path / "no_entry.so"
    subprocess.run(["g++", "-shared", "-fPIC", "-o", str(library), str(source)], check=True)
    kernels = [Kernel(k.func_id, k.core, compiled_program(scene, ARCH, k.source)) for k in scene.kernels]
    kernels[2] = Kernel(kernels[2].func_id, kernels[2].core_type, library.read_bytes())
    blob = build_chip_callable(
        compiled_program(scene, ARCH, scene.orchestration.source),
        scene.orchestration.function,
        scene.orchestration.signature,
        kernels,
    )
    context.prepare_callable(0, blob)
    _, task_args = vector_args(scene)
    error = fails(context.run_prepared, 0, task_args, block_dim=3, aicpu_thread_num=3)
    assert "func_id 2" in str(error) and "no kernel_entry symbol" in str(error)


def test_a_golden_of_the_wrong_shape_is_named(scene):
    args, _ = vector_args(scene, n=8)
    expected = {"f": np.zeros(4, dtype=np.float32)}
    with pytest.raises(GoldenMismatch, match=r"output 'f' has shape \(8,\), the golden \(4,\)"):
        check_outputs(scene, args, expected, 0)


def test_errors_leave_the_context_usable(context, blob, scene):
    fails(context.prepare_callable, 64, blob)
    context.prepare_callable(0, blob)
    args, task_args = vector_args(scene)
    fails(context.run_prepared, 0, TaskArgs.build([args["a"]]))
    context.run_prepared(0, task_args, block_dim=3, aicpu_thread_num=3)
    assert np.all(args["f"] == 42.0)


def test_bad_input_through_the_worker_is_the_same(scene, blob):
    with Worker(ARCH, RUNTIME, device_id=DEVICE + 2) as worker:
        run_scene(worker, scene, blob)
        assert isinstance(worker.context, DeviceContext)
