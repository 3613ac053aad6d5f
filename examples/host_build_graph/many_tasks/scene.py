"""host_build_graph many_tasks: 16 chains of 13 in-place affine steps (alternating AIV and AIC), summed by a
tree of 15 adds — 223 tasks over block_dim 24 (72 simulated cores)."""

import numpy as np

from ptogen.harness.scene import IN, OUT, SCALAR, Case, Kernel, Orchestration, Scene


def make_args(params):
    rng = np.random.default_rng(params["seed"])
    return {
        "X": rng.uniform(-1.0, 1.0, (params["chains"], params["n"])).astype(np.float32),
        "OUT": np.zeros(params["n"], dtype=np.float32),
        "stages": params["stages"],
    }


def golden(args, params):
    rows = args["X"].astype(np.float32).copy()
    for c in range(params["chains"]):
        for s in range(params["stages"]):
            a = np.float32(1.0) + np.float32(0.01) * np.float32((c + s) % 7)
            b = np.float32(0.1) * np.float32(s % 3)
            rows[c] = rows[c] * a + b
    args["OUT"][:] = rows.astype(np.float64).sum(axis=0)


SCENE = Scene(
    name="many_tasks",
    runtime="host_build_graph",
    orchestration=Orchestration(
        "orchestration/many_tasks_orch.cpp", "build_many_tasks", signature=(IN, OUT, SCALAR)
    ),
    kernels=(
        Kernel(0, "kernels/kernel_affine.cpp", "aiv"),
        Kernel(1, "kernels/kernel_add.cpp", "aiv"),
        Kernel(2, "kernels/kernel_affine.cpp", "aic"),
    ),
    tensors=("X", "OUT"),
    scalars=("stages",),
    cases=(Case("default", {"chains": 16, "stages": 13, "n": 1024, "seed": 3}, block_dim=24, aicpu_thread_num=4),),
    make_args=make_args,
    golden=golden,
    rtol=1e-4,
    atol=1e-4,
)
