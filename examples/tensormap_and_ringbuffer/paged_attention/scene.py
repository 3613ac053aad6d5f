"""tensormap_and_ringbuffer paged_attention (small case): decode attention over a paged KV cache with an online
softmax, block by block — QK on AIC, softmax parts on AIV, PV on AIC, the running-state update on AIV, and a
final normalise on AIV. fp16 query, caches and output; the kernels compute in float32. The numpy golden runs
the same online-softmax math (in float64), block by block through the block table."""

import numpy as np

from ptogen.harness.scene import IN, OUT, SCALAR, Case, Kernel, Orchestration, Scene


def make_args(params):
    batch, heads, d, block = params["batch"], params["heads"], params["head_dim"], params["block_size"]
    context = params["context"]
    max_blocks = -(-context // block)
    physical = batch * max_blocks + 2  # a few spare blocks, so the table is a real permutation
    rng = np.random.default_rng(params.get("seed", 11))
    table = rng.permutation(physical)[: batch * max_blocks].reshape(batch, max_blocks).astype(np.int32)
    return {
        "q": rng.uniform(-1, 1, (batch, heads, d)).astype(np.float16),
        "key_cache": rng.uniform(-1, 1, (physical, block, d)).astype(np.float16),
        "value_cache": rng.uniform(-1, 1, (physical, block, d)).astype(np.float16),
        "block_table": table,
        "context_lens": np.full(batch, context, np.int32),
        "out": np.zeros((batch, heads, d), np.float16),
        "scale": np.float32(1.0 / np.sqrt(d)),  # float32 bits: the orchestration reads a float
    }


def online_softmax_attention(q, key_cache, value_cache, table, context, scale):
    """One batch entry: q [heads, d]; the same block-by-block online softmax the kernels run."""
    block = key_cache.shape[1]
    m = l = acc = None
    for j in range(-(-context // block)):
        valid = min(block, context - j * block)
        k = key_cache[table[j]][:valid].astype(np.float64)
        v = value_cache[table[j]][:valid].astype(np.float64)
        s = scale * (q @ k.T)
        mj = s.max(axis=1)
        p = np.exp(s - mj[:, None])
        lj, oj = p.sum(axis=1), p @ v
        if m is None:
            m, l, acc = mj, lj, oj
            continue
        mn = np.maximum(m, mj)
        a, b = np.exp(m - mn), np.exp(mj - mn)
        acc = a[:, None] * acc + b[:, None] * oj
        l = a * l + b * lj
        m = mn
    return acc / l[:, None]


def golden(args, params):
    scale = np.float32(args["scale"])
    for b in range(args["q"].shape[0]):
        q = args["q"][b].astype(np.float64)
        result = online_softmax_attention(q, args["key_cache"], args["value_cache"], args["block_table"][b],
                                          int(args["context_lens"][b]), float(scale))
        # The same thing, computed directly: online softmax is exact up to rounding.
        keys = np.concatenate([args["key_cache"][p] for p in args["block_table"][b]])[: args["context_lens"][b]]
        values = np.concatenate([args["value_cache"][p] for p in args["block_table"][b]])[: args["context_lens"][b]]
        s = float(scale) * (q @ keys.astype(np.float64).T)
        w = np.exp(s - s.max(axis=1, keepdims=True))
        direct = (w / w.sum(axis=1, keepdims=True)) @ values.astype(np.float64)
        assert np.allclose(result, direct, rtol=1e-9, atol=1e-9)
        args["out"][b] = result.astype(np.float16)


SCENE = Scene(
    name="paged_attention",
    runtime="tensormap_and_ringbuffer",
    orchestration=Orchestration(
        "orchestration/paged_attention_orch.cpp",
        "build_paged_attention",
        signature=(IN, IN, IN, IN, IN, OUT, SCALAR),
    ),
    kernels=(
        Kernel(0, "kernels/kernel_qk.cpp", "aic"),
        Kernel(1, "kernels/kernel_softmax.cpp", "aiv"),
        Kernel(2, "kernels/kernel_pv.cpp", "aic"),
        Kernel(3, "kernels/kernel_update.cpp", "aiv"),
        Kernel(4, "kernels/kernel_normalize.cpp", "aiv"),
    ),
    tensors=("q", "key_cache", "value_cache", "block_table", "context_lens", "out"),
    scalars=("scale",),
    cases=(
        Case("small1", {"batch": 1, "heads": 16, "head_dim": 16, "block_size": 16, "context": 33},
             block_dim=3, aicpu_thread_num=3),
    ),
    make_args=make_args,
    golden=golden,
    rtol=1e-2,
    atol=1e-2,
)
