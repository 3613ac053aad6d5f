"""tensormap_and_ringbuffer chain: `length` dependent in-place increments of one tensor (X += 1 each), so
X = X0 + length exactly. benchmarks/bench_trb.py times chains of 10 to 10000 tasks; the test suite runs the
first case only."""

import numpy as np

from ptogen.harness.scene import INOUT, SCALAR, Case, Kernel, Orchestration, Scene


def make_args(params):
    return {"X": np.arange(params["n"], dtype=np.float32), "length": params["length"]}


def golden(args, params):
    args["X"][:] = args["X"] + np.float32(params["length"])


SCENE = Scene(
    name="chain",
    runtime="tensormap_and_ringbuffer",
    orchestration=Orchestration("orchestration/chain_orch.cpp", "build_chain", signature=(INOUT, SCALAR)),
    kernels=(Kernel(0, "kernels/kernel_inc.cpp", "aiv"),),
    tensors=("X",),
    scalars=("length",),
    cases=tuple(
        Case(f"len{length}", {"n": 128, "length": length}, block_dim=1, aicpu_thread_num=2)
        for length in (100, 10, 1000, 10000)
    ),
    make_args=make_args,
    golden=golden,
    rtol=0.0,
    atol=0.0,
)
