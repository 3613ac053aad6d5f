// Paged attention, decode: per batch b, the query q[b] ([heads, d]) attends over context_lens[b] keys stored in
// blocks of `block` rows; block_table[b][j] names the physical block of logical block j. One KV head is shared
// by all query heads. Online softmax, block by block:
//   QK (AIC)  s  = scale * q @ K[phys]^T              SF (AIV)  m_j, l_j, p = softmax parts of s
//   PV (AIC)  o_j = p @ V[phys]                        UP (AIV)  fold (m_j, l_j, o_j) into (m, l, acc)
// and at the end NORM (AIV) out[b] = acc / l. Per-block buffers live in a scope per block; the running state
// (m, l, acc) lives for the batch. Every order comes from the tensors.
#include <cstdint>
#include <cstring>

#include "trb/orchestration_api.h"

namespace {

enum FuncId { QK = 0, SOFTMAX = 1, PV = 2, UPDATE = 3, NORMALIZE = 4 };

}  // namespace

extern "C" void build_paged_attention(TrbRuntime *rt, const pto::ChipStorageTaskArgs *) {
    // q [batch, heads, d] fp16, key/value cache [blocks, block, d] fp16, block_table [batch, max_blocks] int32,
    // context_lens [batch] int32, out [batch, heads, d] fp16.
    const trb::Tensor q = tensor_arg(rt, 0), kc = tensor_arg(rt, 1), vc = tensor_arg(rt, 2);
    const trb::Tensor table = tensor_arg(rt, 3), lens = tensor_arg(rt, 4), out = tensor_arg(rt, 5);
    const uint64_t scale_bits = scalar_arg(rt, 0);
    if (q.ndims != 3 || kc.ndims != 3 || vc.ndims != 3 || table.ndims != 2 || out.numel() != q.numel() ||
        kc.shape[2] != q.shape[2] || vc.numel() != kc.numel() || table.shape[0] != q.shape[0] ||
        lens.numel() != q.shape[0]) {
        report_fatal(rt, "paged_attention: shapes must be q [b, h, d], caches [blocks, block, d], table [b, max_blocks], "
                         "lens [b], out [b, h, d]");
        return;
    }
    const uint32_t batch = q.shape[0], heads = q.shape[1], d = q.shape[2], block = kc.shape[1];
    const uint32_t max_blocks = table.shape[1], blocks = kc.shape[0];
    // The block table and context lengths are inputs of the run: the orchestrator reads them in device memory.
    const int32_t *tbl = table.data<int32_t>(), *len = lens.data<int32_t>();
    const uint32_t hd[2] = {heads, d}, hb[2] = {heads, block}, bd[2] = {block, d}, h1[1] = {heads};
    float scale;
    const uint32_t low = static_cast<uint32_t>(scale_bits);
    std::memcpy(&scale, &low, sizeof scale);
    for (uint32_t b = 0; b < batch; ++b) {
        const int32_t context = len[b];
        const uint32_t n_blocks = static_cast<uint32_t>((context + static_cast<int32_t>(block) - 1) / static_cast<int32_t>(block));
        if (context <= 0 || n_blocks > max_blocks) {
            report_fatal(rt, "paged_attention: a context length is not in [1, max_blocks * block]");
            return;
        }
        const trb::Tensor qb = trb::view(q, static_cast<uint64_t>(b) * heads * d, hd, 2);
        const trb::Tensor ob = trb::view(out, static_cast<uint64_t>(b) * heads * d, hd, 2);
        TRB_SCOPE(rt) {
            const trb::Tensor m = alloc_tensor(rt, h1, 1, pto::DataType::FLOAT32);
            const trb::Tensor l = alloc_tensor(rt, h1, 1, pto::DataType::FLOAT32);
            const trb::Tensor acc = alloc_tensor(rt, hd, 2, pto::DataType::FLOAT32);
            for (uint32_t j = 0; j < n_blocks; ++j) {
                const int32_t phys = tbl[static_cast<uint64_t>(b) * max_blocks + j];
                if (phys < 0 || static_cast<uint32_t>(phys) >= blocks) {
                    report_fatal(rt, "paged_attention: the block table names a block outside the cache");
                    return;
                }
                const uint32_t valid = static_cast<uint32_t>(context) - j * block < block ? static_cast<uint32_t>(context) - j * block : block;
                const trb::Tensor kj = trb::view(kc, static_cast<uint64_t>(phys) * block * d, bd, 2);
                const trb::Tensor vj = trb::view(vc, static_cast<uint64_t>(phys) * block * d, bd, 2);
                TRB_SCOPE(rt) {
                    const trb::Tensor s = alloc_tensor(rt, hb, 2, pto::DataType::FLOAT32);
                    const trb::Tensor p = alloc_tensor(rt, hb, 2, pto::DataType::FLOAT32);
                    const trb::Tensor mj = alloc_tensor(rt, h1, 1, pto::DataType::FLOAT32);
                    const trb::Tensor lj = alloc_tensor(rt, h1, 1, pto::DataType::FLOAT32);
                    const trb::Tensor oj = alloc_tensor(rt, hd, 2, pto::DataType::FLOAT32);
                    trb::Arg qk;
                    qk.add_input(qb);
                    qk.add_input(kj);
                    qk.add_output(s);
                    qk.add_scalar_f32(scale);
                    submit_aic(rt, QK, qk);
                    trb::Arg sf;
                    sf.add_input(s);
                    sf.add_output(p);
                    sf.add_output(mj);
                    sf.add_output(lj);
                    sf.add_scalar(valid);
                    submit_aiv(rt, SOFTMAX, sf);
                    trb::Arg pv;
                    pv.add_input(p);
                    pv.add_input(vj);
                    pv.add_output(oj);
                    submit_aic(rt, PV, pv);
                    trb::Arg up;
                    up.add_input(mj);
                    up.add_input(lj);
                    up.add_input(oj);
                    up.add_inout(m);
                    up.add_inout(l);
                    up.add_inout(acc);
                    up.add_scalar(j == 0 ? 1 : 0);
                    submit_aiv(rt, UPDATE, up);
                }
            }
            trb::Arg norm;
            norm.add_input(acc);
            norm.add_input(l);
            norm.add_output(ob);
            submit_aiv(rt, NORMALIZE, norm);
        }
    }
}
