// f = (a + b + 1) * (a + b + 2) + (a + b) as five AIV tasks; the dependencies come from the tensors:
//   t0: c = a + b
//   scope { t1: d = c + 1;  t2: e = c + 2;  t3: g = d * e }   (d and e die with the scope)
//   t4: f = g + c
#include <cstdint>

#include "trb/orchestration_api.h"

namespace {

enum FuncId { ADD = 0, ADD_SCALAR = 1, MUL = 2 };

}  // namespace

extern "C" void build_vector_example(TrbRuntime *rt, const pto::ChipStorageTaskArgs *args) {
    if (args->tensor_count != 3) {
        report_fatal(rt, "vector_example takes three tensors: a, b (in) and f (out)");
        return;
    }
    const trb::Tensor a = tensor_arg(rt, 0), b = tensor_arg(rt, 1), f = tensor_arg(rt, 2);
    if (b.nbytes() != a.nbytes() || f.nbytes() != a.nbytes()) {
        report_fatal(rt, "vector_example: a, b and f must have the same size");
        return;
    }
    const trb::Tensor c = alloc_like(rt, a), g = alloc_like(rt, a);
    trb::Arg t0;
    t0.add_input(a);
    t0.add_input(b);
    t0.add_output(c);
    submit_aiv(rt, ADD, t0);

    TRB_SCOPE(rt) {
        const trb::Tensor d = alloc_like(rt, a), e = alloc_like(rt, a);
        trb::Arg t1;
        t1.add_input(c);
        t1.add_output(d);
        t1.add_scalar_f32(1.0f);
        submit_aiv(rt, ADD_SCALAR, t1);
        trb::Arg t2;
        t2.add_input(c);
        t2.add_output(e);
        t2.add_scalar_f32(2.0f);
        submit_aiv(rt, ADD_SCALAR, t2);
        trb::Arg t3;
        t3.add_input(d);
        t3.add_input(e);
        t3.add_output(g);
        submit_aiv(rt, MUL, t3);
    }

    trb::Arg t4;
    t4.add_input(g);
    t4.add_input(c);
    t4.add_output(f);
    submit_aiv(rt, ADD, t4);
}
