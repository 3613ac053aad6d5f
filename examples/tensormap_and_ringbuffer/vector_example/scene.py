"""tensormap_and_ringbuffer vector_example: f = (a + b + 1) * (a + b + 2) + (a + b) as five AIV tasks built on
the AICPU, with a nested scope; a = 2, b = 3, so every element of f is 47."""

import numpy as np

from ptogen.harness.scene import IN, OUT, Case, Kernel, Orchestration, Scene


def make_args(params):
    n = params["n"]
    return {"a": np.full(n, 2, np.float32), "b": np.full(n, 3, np.float32), "f": np.zeros(n, np.float32)}


def golden(args, params):
    s = args["a"] + args["b"]
    args["f"][:] = (s + 1) * (s + 2) + s


SCENE = Scene(
    name="vector_example",
    runtime="tensormap_and_ringbuffer",
    orchestration=Orchestration("orchestration/vector_orch.cpp", "build_vector_example", signature=(IN, IN, OUT)),
    kernels=(
        Kernel(0, "kernels/kernel_add.cpp", "aiv"),
        Kernel(1, "kernels/kernel_add_scalar.cpp", "aiv"),
        Kernel(2, "kernels/kernel_mul.cpp", "aiv"),
    ),
    tensors=("a", "b", "f"),
    cases=(Case("default", {"n": 16384}, block_dim=3, aicpu_thread_num=4),),
    make_args=make_args,
    golden=golden,
    rtol=1e-5,
    atol=1e-5,
)
