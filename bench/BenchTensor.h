// BenchTensor.h - an awq_tensor descriptor over caller-owned memory, for the
// benchmark drivers (CPU and CUDA).
#ifndef AWQ_BENCH_BENCHTENSOR_H
#define AWQ_BENCH_BENCHTENSOR_H

#include "awq_runtime.h"

#include <algorithm>
#include <cstdint>
#include <initializer_list>

namespace awq::bench {

inline awq_tensor makeTensor(void *data, int32_t dtype, std::initializer_list<int64_t> shape) {
  awq_tensor t{};
  t.data = data;
  t.dtype = dtype;
  t.rank = static_cast<int32_t>(shape.size());
  std::copy(shape.begin(), shape.end(), t.shape);
  return t;
}

} // namespace awq::bench

#endif // AWQ_BENCH_BENCHTENSOR_H
