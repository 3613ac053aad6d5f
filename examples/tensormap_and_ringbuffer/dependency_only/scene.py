"""tensormap_and_ringbuffer dependency_only: a chain of in-place increments on one tensor, a fan-out over its
disjoint slices, a fan-in copy and a write after that read — every order found from the tensors alone, exact
golden."""

import numpy as np

from ptogen.harness.scene import INOUT, OUT, SCALAR, Case, Kernel, Orchestration, Scene


def make_args(params):
    n = params["n"]
    return {
        "X": (np.arange(n) % 100).astype(np.float32),
        "Y": np.zeros(n, np.float32),
        "steps": params["steps"],
        "parts": params["parts"],
    }


def golden(args, params):
    doubled = (args["X"] + np.float32(params["steps"])) * np.float32(2)
    args["Y"][:] = doubled
    args["X"][:] = doubled + np.float32(1)


SCENE = Scene(
    name="dependency_only",
    runtime="tensormap_and_ringbuffer",
    orchestration=Orchestration(
        "orchestration/dependency_orch.cpp", "build_dependency_only", signature=(INOUT, OUT, SCALAR, SCALAR)
    ),
    kernels=(
        Kernel(0, "kernels/kernel_inc.cpp", "aiv"),
        Kernel(1, "kernels/kernel_inc.cpp", "aic"),
        Kernel(2, "kernels/kernel_scale.cpp", "aiv"),
        Kernel(3, "kernels/kernel_copy.cpp", "aic"),
    ),
    tensors=("X", "Y"),
    scalars=("steps", "parts"),
    cases=(Case("default", {"n": 4096, "steps": 24, "parts": 4}, block_dim=4, aicpu_thread_num=3),),
    make_args=make_args,
    golden=golden,
    rtol=0.0,
    atol=0.0,
)
