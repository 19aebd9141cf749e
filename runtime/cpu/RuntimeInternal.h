// RuntimeInternal.h - helpers shared by the CPU op implementations (not part of the ABI).
#ifndef AWQ_RUNTIME_CPU_RUNTIMEINTERNAL_H
#define AWQ_RUNTIME_CPU_RUNTIMEINTERNAL_H

#include "Shape.h"
#include "awq_runtime.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace awq::rt {

// ---- Errors --------------------------------------------------------------
// Internally ops throw OpError; `guard` catches it at the C boundary, records
// "<op>: <message>" as the thread's last error and returns a non-zero status.

struct OpError {
  std::string message;
};

[[noreturn]] void raise(const char *format, ...) __attribute__((format(printf, 1, 2)));

void setLastError(const char *op, const char *message);

template <class Body> awq_status guard(const char *op, Body &&body) noexcept {
  try {
    body();
    return 0;
  } catch (const OpError &error) {
    setLastError(op, error.message.c_str());
  } catch (const std::exception &error) {
    setLastError(op, error.what());
  } catch (...) {
    setLastError(op, "unknown internal error");
  }
  return 1;
}

// ---- Tensor descriptors --------------------------------------------------

bool isValidDtype(int32_t dtype);
bool isFloatDtype(int32_t dtype); // f32, f16, bf16
bool isIntegerDtype(int32_t dtype); // i64, i32, i8, u8 (not bool)

// Throws unless `t` is non-null with a known dtype, rank in [0, AWQ_MAX_RANK]
// and non-negative dims. `role` names the argument in the message.
void checkDescriptor(const awq_tensor *t, const char *role);
// checkDescriptor plus: data must be non-null when the tensor has elements.
void checkData(const awq_tensor *t, const char *role);
void checkDtype(const awq_tensor *t, const char *role, int32_t dtype);
void checkFloatDtype(const awq_tensor *t, const char *role); // f32/f16/bf16
void checkRank(const awq_tensor *t, const char *role, int32_t rank);

Shape shapeOf(const awq_tensor *t);
int64_t numel(const awq_tensor *t);
int64_t numelOf(const Shape &shape);
std::string shapeString(const awq_tensor *t);
std::string shapeString(const Shape &shape);

// Writes dtype/rank/shape into `out` (data untouched).
void setOutput(awq_tensor *out, int32_t dtype, const Shape &shape);
// setOutput with the shape of `like` (a valid descriptor), without building a Shape.
void setOutputLike(awq_tensor *out, int32_t dtype, const awq_tensor *like);
// True when a and b have the same rank and dims.
bool sameShape(const awq_tensor *a, const awq_tensor *b);
// Throws unless `out` has the dtype and shape in `expected` and usable data.
void checkOutput(const awq_tensor &expected, const awq_tensor *out);

// Maps a possibly negative axis into [0, rank); throws when out of range.
int64_t normalizeAxis(int64_t axis, int64_t rank, const char *what);

// Row-major element strides of a shape.
Shape contiguousStrides(const Shape &shape);

// Numpy broadcast of two shapes; throws on incompatible dims.
Shape broadcastShapes(const Shape &a, const Shape &b, const char *what_a, const char *what_b);

// ---- Half precision ------------------------------------------------------
// Branch-free conversions (after Maratyszcza's FP16 library) so loops over
// them vectorize; exported through awq_f16_to_f32 and friends.

inline uint32_t floatBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
inline float bitsFloat(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

inline float halfToFloat(uint16_t h) {
  const uint32_t w = static_cast<uint32_t>(h) << 16;
  const uint32_t sign = w & 0x80000000u;
  const uint32_t twoW = w + w;
  // Normal numbers: shift exponent/mantissa into place and rescale the bias.
  const float normalized = bitsFloat((twoW >> 4) + (0xE0u << 23)) * 0x1.0p-112f;
  // Subnormals: build 0.5 + m * 2^-24 style float and subtract the 0.5.
  const float denormalized = bitsFloat((twoW >> 17) | (126u << 23)) - 0.5f;
  const uint32_t result =
      sign | (twoW < (1u << 27) ? floatBits(denormalized) : floatBits(normalized));
  return bitsFloat(result);
}

inline uint16_t floatToHalf(float f) {
  // Scaling up then down makes the FPU perform round-to-nearest-even at the
  // half-precision boundary, including overflow to infinity.
  float base = (__builtin_fabsf(f) * 0x1.0p+112f) * 0x1.0p-110f;
  const uint32_t w = floatBits(f);
  const uint32_t shl1W = w + w;
  const uint32_t sign = w & 0x80000000u;
  uint32_t bias = shl1W & 0xFF000000u;
  if (bias < 0x71000000u)
    bias = 0x71000000u;
  base = bitsFloat((bias >> 1) + 0x07800000u) + base;
  const uint32_t bits = floatBits(base);
  const uint32_t expBits = (bits >> 13) & 0x00007C00u;
  const uint32_t mantissaBits = bits & 0x00000FFFu;
  const uint32_t nonSign = expBits + mantissaBits;
  return static_cast<uint16_t>((sign >> 16) | (shl1W > 0xFF000000u ? 0x7E00u : nonSign));
}

inline float bfloatToFloat(uint16_t h) { return bitsFloat(static_cast<uint32_t>(h) << 16); }

inline uint16_t floatToBfloat(float f) {
  const uint32_t bits = floatBits(f);
  if ((bits & 0x7FFFFFFFu) > 0x7F800000u) // NaN: keep it a (quiet) NaN
    return static_cast<uint16_t>((bits >> 16) | 0x0040u);
  const uint32_t roundingBias = 0x7FFFu + ((bits >> 16) & 1u); // nearest even
  return static_cast<uint16_t>((bits + roundingBias) >> 16);
}

// ---- Element traits and dtype dispatch -----------------------------------
// Each trait names how an element is stored and the type arithmetic uses.

struct F32T {
  static constexpr int32_t dtype = AWQ_F32;
  using Storage = float;
  using Compute = float;
  static Compute load(Storage v) { return v; }
  static Storage store(Compute v) { return v; }
};
struct F16T {
  static constexpr int32_t dtype = AWQ_F16;
  using Storage = uint16_t;
  using Compute = float;
  static Compute load(Storage v) { return halfToFloat(v); }
  static Storage store(Compute v) { return floatToHalf(v); }
};
struct BF16T {
  static constexpr int32_t dtype = AWQ_BF16;
  using Storage = uint16_t;
  using Compute = float;
  static Compute load(Storage v) { return bfloatToFloat(v); }
  static Storage store(Compute v) { return floatToBfloat(v); }
};
template <class T, int32_t Dtype> struct IntT {
  static constexpr int32_t dtype = Dtype;
  using Storage = T;
  using Compute = T;
  static Compute load(Storage v) { return v; }
  static Storage store(Compute v) { return v; }
};
using I64T = IntT<int64_t, AWQ_I64>;
using I32T = IntT<int32_t, AWQ_I32>;
using I8T = IntT<int8_t, AWQ_I8>;
using U8T = IntT<uint8_t, AWQ_U8>;
struct BoolT {
  static constexpr int32_t dtype = AWQ_BOOL;
  using Storage = uint8_t;
  using Compute = bool;
  static Compute load(Storage v) { return v != 0; }
  static Storage store(Compute v) { return v ? 1 : 0; }
};

// Calls fn(Traits{}) for the trait matching dtype (dtype must be valid).
template <class Fn> void dispatchAny(int32_t dtype, Fn &&fn) {
  switch (dtype) {
  case AWQ_F32: fn(F32T{}); return;
  case AWQ_F16: fn(F16T{}); return;
  case AWQ_BF16: fn(BF16T{}); return;
  case AWQ_I64: fn(I64T{}); return;
  case AWQ_I32: fn(I32T{}); return;
  case AWQ_I8: fn(I8T{}); return;
  case AWQ_U8: fn(U8T{}); return;
  case AWQ_BOOL: fn(BoolT{}); return;
  default: raise("invalid dtype %d", dtype);
  }
}

// Like dispatchAny for f32/f16/bf16 only.
template <class Fn> void dispatchFloat(int32_t dtype, Fn &&fn) {
  switch (dtype) {
  case AWQ_F32: fn(F32T{}); return;
  case AWQ_F16: fn(F16T{}); return;
  case AWQ_BF16: fn(BF16T{}); return;
  default: raise("expected a float dtype (f32/f16/bf16), got %s", awq_dtype_name(dtype));
  }
}

// Reads element i of a float tensor of any float dtype as f32.
inline float loadFloat(const void *data, int32_t dtype, int64_t i) {
  switch (dtype) {
  case AWQ_F16: return halfToFloat(static_cast<const uint16_t *>(data)[i]);
  case AWQ_BF16: return bfloatToFloat(static_cast<const uint16_t *>(data)[i]);
  default: return static_cast<const float *>(data)[i];
  }
}

// Widens n elements of a float tensor (starting at element `first`) to f32.
void widenToFloat(const void *data, int32_t dtype, int64_t first, int64_t n, float *dst);

// ---- Threads -------------------------------------------------------------

int numThreads();

// Runs body(begin, end) over [0, count) split across threads, using at most
// count / minPerThread threads so tiny loops stay serial. body must not throw.
void parallelForImpl(int64_t count, int64_t minPerThread, void (*thunk)(void *, int64_t, int64_t),
                     void *context);
template <class Body> void parallelFor(int64_t count, int64_t minPerThread, Body &&body) {
  parallelForImpl(
      count, minPerThread,
      [](void *context, int64_t begin, int64_t end) { (*static_cast<Body *>(context))(begin, end); },
      &body);
}

// ---- Broadcast iteration -------------------------------------------------
// Walks an output shape as rows of its (coalesced) innermost axis; for each
// input the per-row start offset and the inner stride (0 = broadcast, 1 =
// contiguous) are provided. Used by binary ops, Where and Expand.

struct BroadcastPlan {
  static constexpr int kMaxInputs = 3;
  int numInputs = 0;
  int rank = 0;                                  // coalesced rank (>= 1)
  int64_t dims[AWQ_MAX_RANK] = {};               // coalesced output dims
  int64_t strides[kMaxInputs][AWQ_MAX_RANK] = {}; // per input, 0 where broadcast
  int64_t rows() const;                          // product of all dims but the last
  int64_t inner() const { return dims[rank - 1]; }
  // Element offsets of row `row` in each input.
  void rowOffsets(int64_t row, int64_t *offsets) const;
};

BroadcastPlan makeBroadcastPlan(const Shape &outShape, const Shape *inputShapes, int numInputs);

// Visits output elements [begin, end) of a plan as runs inside one row:
// fn(outIndex, inputOffsets, count), where input k advances by
// plan.strides[k][plan.rank - 1] (0 or 1) per element of the run.
template <class Fn>
void forEachBroadcastRun(const BroadcastPlan &plan, int64_t begin, int64_t end, Fn &&fn) {
  const int64_t inner = plan.inner();
  int64_t offsets[BroadcastPlan::kMaxInputs];
  for (int64_t pos = begin; pos < end;) {
    const int64_t row = pos / inner, column = pos % inner;
    const int64_t count = std::min(inner - column, end - pos);
    plan.rowOffsets(row, offsets);
    for (int k = 0; k < plan.numInputs; ++k)
      offsets[k] += column * plan.strides[k][plan.rank - 1];
    fn(pos, offsets, count);
    pos += count;
  }
}

// Copies the strided view (dims, srcStrides in elements; strides may be 0 or
// negative) of `src` into contiguous `dst`. Transpose, Slice and Expand are
// all this one loop with different strides.
void copyStrided(const void *src, size_t elementSize, const Shape &dims, const Shape &srcStrides,
                 void *dst);

// ---- Data-movement ops as strided views ------------------------------------
// Output element c (row-major over `shape`) of a data-movement op is element
// offset + sum_d c[d] * strides[d] of its input (strides 0 where it
// broadcasts, negative where a slice runs backwards). Reshape-like ops are
// the contiguous view; the functions below check their arguments as the
// shape functions do. The CUDA runtime copies the same views on the device,
// so their semantics live here once.
struct StridedView {
  Shape shape;
  int64_t offset = 0;
  Shape strides;
};

StridedView contiguousView(const Shape &shape);
StridedView transposeView(const awq_tensor *data, const int64_t *perm, int64_t numPerm);
StridedView sliceView(const awq_tensor *data, const int64_t *starts, const int64_t *ends,
                      const int64_t *axes, const int64_t *steps, int64_t count);
StridedView expandView(const awq_tensor *data, const int64_t *shape, int64_t count);
std::vector<StridedView> splitViews(const awq_tensor *data, int64_t axis, const int64_t *split,
                                    int64_t numOutputs);
// Gather as whole-slice copies: for data viewed as [outer, extent, inner],
// output slice (o, i) is input slice (o, rows[i]), where rows are the
// indices checked and wrapped into [0, extent). The CUDA runtime gathers the
// same rows on the device.
struct GatherRows {
  int64_t outer = 1, extent = 0, inner = 1;
  Shape rows;
};
GatherRows gatherRows(const awq_tensor *data, const awq_tensor *indices, int64_t axis);

// True when the view reads one contiguous run of the input (from `offset`).
bool isContiguous(const StridedView &view);
// Copies the view of `data` into contiguous `dst` (nothing when dst already
// is that run of data, an in-place reshape).
void copyView(const awq_tensor *data, const StridedView &view, void *dst);

// ---- Reductions ------------------------------------------------------------
// The axes of an ONNX Reduce* split into those kept (one output element per
// index, row-major) and those reduced (walked for every output element), each
// with its element stride in the input; neighbouring axes of one kind that
// form one run are merged. Checked as awq_reduce_shape checks them (axes in
// range, none twice; no axes reduce everything unless noopWithEmptyAxes). The
// CUDA runtime reduces over the same split.
struct ReductionAxes {
  Shape keptDims, keptStrides, reducedDims, reducedStrides;
};
ReductionAxes reductionAxes(const awq_tensor *x, const int64_t *axes, int64_t numAxes,
                            int noopWithEmptyAxes);

// Elements per thread below which elementwise loops stay on one thread.
constexpr int64_t kElementwiseGrain = 1 << 15;

} // namespace awq::rt

#endif // AWQ_RUNTIME_CPU_RUNTIMEINTERNAL_H
