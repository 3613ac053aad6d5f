"""Property-based: random sequences of C API calls with random arguments never crash the process, every
failure comes back as a named error, and closing the context leaves nothing on the device."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ptogen import build as builder
from ptogen.harness.binding import HostRuntime, HostRuntimeError
from ptogen.harness.ptosim import Ptosim
from ptogen.harness.runner import build_scene
from ptogen.harness.scene import find_scene
from ptogen.harness.task_args import DeviceTensor, TaskArgs

ARCH, RUNTIME, DEVICE = "a2a3", "host_build_graph", 13


@pytest.fixture(scope="module")
def world():
    scene = find_scene("vector_example", RUNTIME)
    blob = build_scene(scene, ARCH)
    found = builder.artifacts(ARCH, RUNTIME)
    sim = Ptosim(found.ptosim)
    sim.configure_device(DEVICE, ARCH)
    binaries = (found.aicpu.read_bytes(), found.aicore.read_bytes(), found.dispatcher.read_bytes())
    return {"scene": scene, "blob": blob, "sim": sim, "runtime": HostRuntime(found.host), "binaries": binaries}


callable_ids = st.integers(min_value=-3, max_value=70)
operations = st.lists(
    st.one_of(
        # The module's own device, or ids no device has: other ids belong to other test modules.
        st.tuples(st.just("init"), st.sampled_from([DEVICE, DEVICE, -2, -1, 16, 99])),
        st.tuples(st.just("prepare"), callable_ids, st.sampled_from(["good", "corrupt", "empty"])),
        st.tuples(
            st.just("run"),
            callable_ids,
            st.integers(min_value=0, max_value=4),
            st.integers(min_value=-1, max_value=30),
            st.integers(min_value=-1, max_value=8),
        ),
        st.tuples(st.just("unregister"), callable_ids),
        st.tuples(st.just("malloc"), st.integers(min_value=0, max_value=1 << 20)),
        st.tuples(st.just("free"), st.integers(min_value=0, max_value=5)),
        st.tuples(st.just("copy"), st.integers(min_value=0, max_value=5), st.integers(min_value=0, max_value=1 << 21)),
        st.tuples(
            st.just("device_tensor_run"),
            st.integers(min_value=0, max_value=5),
            st.integers(min_value=1, max_value=1 << 16),
        ),
        st.tuples(st.just("finalize")),
    ),
    max_size=14,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_random_call_sequences_fail_cleanly_and_leak_nothing(world, ops):
    scene, sim = world["scene"], world["sim"]
    invalid_before = sim.report()["invalid_accesses"]
    context = world["runtime"].context()
    pointers: list[int] = []
    args = scene.make_args({"n": 16384})
    try:
        for op in ops:
            try:
                if op[0] == "init":
                    context.init(op[1], *world["binaries"])
                elif op[0] == "prepare":
                    blob = {"good": world["blob"], "corrupt": world["blob"][:200], "empty": b"\0" * 64}[op[2]]
                    context.prepare_callable(op[1], blob)
                elif op[0] == "run":
                    tensors = [args[name] for name in scene.tensors][: op[2]]
                    context.run_prepared(op[1], TaskArgs.build(tensors), block_dim=op[3], aicpu_thread_num=op[4])
                elif op[0] == "unregister":
                    context.unregister_callable(op[1])
                elif op[0] == "malloc":
                    pointers.append(context.malloc(op[1]))
                elif op[0] == "free":
                    context.free(pointers[op[1]] if op[1] < len(pointers) else 0xDEAD0000 + op[1])
                elif op[0] == "copy":
                    target = pointers[op[1]] if op[1] < len(pointers) else 0xBEEF0000
                    context.copy_to(target, np.zeros(op[2], dtype=np.uint8).tobytes() or b"\0", max(op[2], 1))
                elif op[0] == "device_tensor_run":
                    address = pointers[op[1]] if op[1] < len(pointers) else 0x1000
                    tensors = [args["a"], DeviceTensor(address, (op[2],), 0), args["f"]]
                    context.run_prepared(0, TaskArgs.build(tensors), block_dim=3, aicpu_thread_num=3)
                elif op[0] == "finalize":
                    context.finalize()
            except HostRuntimeError as error:
                assert str(error), "an error without words"
    finally:
        context.close()
    report = sim.report()
    assert report["live_allocations"] == 0 and report["streams_live"] == 0
    assert report["invalid_accesses"] == invalid_before, "the runtime passed a bad pointer on to the device API"
