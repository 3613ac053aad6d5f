"""host_build_graph matmul: F = exp(sqrt(log A) @ W1 + sqrt(log A) @ W2), 128 x 128 float32.

One AIV task feeds two AIC matmuls, which feed one AIV task: the first scene that uses the cube cores.
"""

import numpy as np

from ptogen.harness.scene import IN, OUT, Case, Kernel, Orchestration, Scene


def make_args(params):
    size = params["size"]
    rng = np.random.default_rng(params["seed"])
    return {
        "A": rng.uniform(1.5, 3.0, (size, size)).astype(np.float32),
        "W1": (rng.standard_normal((size, size)) * 0.02).astype(np.float32),
        "W2": (rng.standard_normal((size, size)) * 0.02).astype(np.float32),
        "F": np.zeros((size, size), dtype=np.float32),
    }


def golden(args, params):
    lhs = np.sqrt(np.log(args["A"].astype(np.float64)))
    args["F"][:] = np.exp(lhs @ args["W1"] + lhs @ args["W2"])


SCENE = Scene(
    name="matmul",
    runtime="host_build_graph",
    orchestration=Orchestration("orchestration/matmul_orch.cpp", "build_matmul", signature=(IN, IN, IN, OUT)),
    kernels=(
        Kernel(0, "kernels/kernel_log_sqrt.cpp", "aiv"),
        Kernel(1, "kernels/kernel_matmul.cpp", "aic"),
        Kernel(2, "kernels/kernel_add_exp.cpp", "aiv"),
    ),
    tensors=("A", "W1", "W2", "F"),
    cases=(Case("default", {"size": 128, "seed": 7}, block_dim=3, aicpu_thread_num=3),),
    make_args=make_args,
    golden=golden,
    rtol=1e-3,
    atol=1e-3,
)
