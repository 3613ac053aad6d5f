"""tensormap_and_ringbuffer bgemm: batched tiled GEMM on tile-major float32 operands. Per output tile and k-step
an AIC task multiplies two t x t tiles and an AIV task accumulates the product into the tile of C, so the
default case (4 x 4 output tiles x 4 k-steps of 64 x 64) runs 64 GEMM and 64 add tasks. Numpy golden.

The case `bench500` (250 GEMM + 250 add tasks) is for benchmarks/bench_trb.py; the test suite runs only the
first case."""

import numpy as np

from ptogen.harness.scene import IN, OUT, Case, Kernel, Orchestration, Scene


def make_args(params):
    batch, gm, gn, gk, t = params["batch"], params["grid_m"], params["grid_n"], params["grid_k"], params["tile"]
    rng = np.random.default_rng(params.get("seed", 5))
    return {
        "A": rng.uniform(-1, 1, (batch, gm, gk, t, t)).astype(np.float32),
        "B": rng.uniform(-1, 1, (batch, gk, gn, t, t)).astype(np.float32),
        "C": np.zeros((batch, gm, gn, t, t), np.float32),
    }


def untile(x):
    """[batch, rows, cols, t, t] tile-major -> [batch, rows * t, cols * t] row-major."""
    batch, rows, cols, t, _ = x.shape
    return x.transpose(0, 1, 3, 2, 4).reshape(batch, rows * t, cols * t)


def golden(args, params):
    c = untile(args["A"]).astype(np.float64) @ untile(args["B"]).astype(np.float64)
    batch, gm, gn, t = args["C"].shape[0], args["C"].shape[1], args["C"].shape[2], args["C"].shape[3]
    args["C"][:] = c.reshape(batch, gm, t, gn, t).transpose(0, 1, 3, 2, 4)


SCENE = Scene(
    name="bgemm",
    runtime="tensormap_and_ringbuffer",
    orchestration=Orchestration("orchestration/bgemm_orch.cpp", "build_bgemm", signature=(IN, IN, OUT)),
    kernels=(Kernel(0, "kernels/kernel_gemm_tile.cpp", "aic"), Kernel(1, "kernels/kernel_tile_add.cpp", "aiv")),
    tensors=("A", "B", "C"),
    cases=(
        Case("default", {"batch": 1, "grid_m": 4, "grid_n": 4, "grid_k": 4, "tile": 64}, block_dim=3,
             aicpu_thread_num=3),
        Case("bench500", {"batch": 2, "grid_m": 5, "grid_n": 5, "grid_k": 5, "tile": 64}, block_dim=3,
             aicpu_thread_num=3),
    ),
    make_args=make_args,
    golden=golden,
    rtol=1e-3,
    atol=1e-3,
)
