// out = in. args: Tensor in, Tensor out.
#include <cstdint>
#include <cstring>

#include "trb/tensor.h"

extern "C" void kernel_entry(int64_t *args) {
    const trb::Tensor &in = trb::tensor_at(args, 0), &out = trb::tensor_at(args, 1);
    std::memcpy(out.data<float>(), in.data<float>(), out.nbytes());
}
