"""tensormap_and_ringbuffer mixed: C = A @ B on AIC, then D = relu(C) + bias on AIV, in row blocks; each AIV
task depends on the AIC task that wrote its block, found by the TensorMap. float32, numpy golden."""

import numpy as np

from ptogen.harness.scene import IN, OUT, SCALAR, Case, Kernel, Orchestration, Scene


def make_args(params):
    m, k, n = params["m"], params["k"], params["n"]
    rng = np.random.default_rng(params.get("seed", 3))
    return {
        "A": rng.standard_normal((m, k)).astype(np.float32),
        "B": rng.standard_normal((k, n)).astype(np.float32),
        "bias": rng.standard_normal(n).astype(np.float32),
        "C": np.zeros((m, n), np.float32),
        "D": np.zeros((m, n), np.float32),
        "rows": params["rows"],
    }


def golden(args, params):
    c = args["A"].astype(np.float64) @ args["B"].astype(np.float64)
    args["C"][:] = c
    args["D"][:] = np.maximum(c, 0.0) + args["bias"]


SCENE = Scene(
    name="mixed",
    runtime="tensormap_and_ringbuffer",
    orchestration=Orchestration(
        "orchestration/mixed_orch.cpp", "build_mixed", signature=(IN, IN, IN, OUT, OUT, SCALAR)
    ),
    kernels=(Kernel(0, "kernels/kernel_matmul.cpp", "aic"), Kernel(1, "kernels/kernel_relu_bias.cpp", "aiv")),
    tensors=("A", "B", "bias", "C", "D"),
    scalars=("rows",),
    cases=(Case("default", {"m": 128, "k": 64, "n": 128, "rows": 32}, block_dim=2, aicpu_thread_num=3),),
    make_args=make_args,
    golden=golden,
    rtol=1e-4,
    atol=1e-4,
)
