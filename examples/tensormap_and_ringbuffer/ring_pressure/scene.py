"""tensormap_and_ringbuffer ring_pressure: Y = 2X + 1 row by row, each row's intermediate in its own scope, so
a graph far larger than small rings still completes (the orchestrator waits for completions to reuse task
slots and heap bytes). tests/test_trb.py also runs it with tiny rings and with deliberate deadlocks (`mode`)."""

import numpy as np

from ptogen.harness.scene import IN, OUT, SCALAR, Case, Kernel, Orchestration, Scene


def make_args(params):
    rng = np.random.default_rng(7)
    shape = (params["rows"], params["n"])
    return {
        "X": rng.integers(-50, 50, shape).astype(np.float32),
        "Y": np.zeros(shape, np.float32),
        "mode": params.get("mode", 0),
    }


def golden(args, params):
    args["Y"][:] = args["X"] * np.float32(2) + np.float32(1)


SCENE = Scene(
    name="ring_pressure",
    runtime="tensormap_and_ringbuffer",
    orchestration=Orchestration("orchestration/ring_orch.cpp", "build_ring_pressure", signature=(IN, OUT, SCALAR)),
    kernels=(Kernel(0, "kernels/kernel_add.cpp", "aiv"), Kernel(1, "kernels/kernel_add_scalar.cpp", "aiv")),
    tensors=("X", "Y"),
    scalars=("mode",),
    # The deliberate deadlocks (mode 1, 2) are cases of tests/test_trb.py: every case here must pass.
    cases=(Case("default", {"rows": 64, "n": 256}, block_dim=2, aicpu_thread_num=3),),
    make_args=make_args,
    golden=golden,
    rtol=0.0,
    atol=0.0,
)
