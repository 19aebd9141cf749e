// Elementwise.cpp - unary math/activations, broadcasting binary ops and Where.
#include "FastExp.h"
#include "RuntimeInternal.h"

#include <cmath>
#include <type_traits>

using namespace awq::rt;

namespace {

// ---- Unary ---------------------------------------------------------------

const char *unaryName(awq_unary_op op) {
  switch (op) {
  case AWQ_UNARY_NEG: return "Neg";
  case AWQ_UNARY_ABS: return "Abs";
  case AWQ_UNARY_SQRT: return "Sqrt";
  case AWQ_UNARY_RECIPROCAL: return "Reciprocal";
  case AWQ_UNARY_EXP: return "Exp";
  case AWQ_UNARY_LOG: return "Log";
  case AWQ_UNARY_ERF: return "Erf";
  case AWQ_UNARY_TANH: return "Tanh";
  case AWQ_UNARY_SIGMOID: return "Sigmoid";
  case AWQ_UNARY_SIN: return "Sin";
  case AWQ_UNARY_COS: return "Cos";
  case AWQ_UNARY_FLOOR: return "Floor";
  case AWQ_UNARY_CEIL: return "Ceil";
  case AWQ_UNARY_RELU: return "Relu";
  case AWQ_UNARY_SILU: return "Silu";
  case AWQ_UNARY_GELU: return "Gelu";
  case AWQ_UNARY_GELU_TANH: return "GeluTanh";
  case AWQ_UNARY_NOT: return "Not";
  }
  return nullptr;
}

bool isSignedIntegerOp(awq_unary_op op) {
  return op == AWQ_UNARY_NEG || op == AWQ_UNARY_ABS || op == AWQ_UNARY_RELU;
}

void unaryShape(awq_unary_op op, const awq_tensor *x, awq_tensor *out) {
  const char *name = unaryName(op);
  if (!name)
    raise("unknown unary op %d", static_cast<int>(op));
  checkDescriptor(x, "input");
  const int32_t dt = x->dtype;
  const bool supported =
      op == AWQ_UNARY_NOT
          ? dt == AWQ_BOOL
          : isFloatDtype(dt) ||
                (isSignedIntegerOp(op) && (dt == AWQ_I64 || dt == AWQ_I32 || dt == AWQ_I8));
  if (!supported)
    raise("%s does not support dtype %s", name, awq_dtype_name(dt));
  setOutputLike(out, dt, x);
}

template <class T, class Fn> void mapElements(const awq_tensor *x, awq_tensor *out, Fn fn) {
  const auto *src = static_cast<const typename T::Storage *>(x->data);
  auto *dst = static_cast<typename T::Storage *>(out->data);
  parallelFor(numel(x), kElementwiseGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i)
      dst[i] = T::store(fn(T::load(src[i])));
  });
}

template <class T> void floatUnary(awq_unary_op op, const awq_tensor *x, awq_tensor *out) {
  switch (op) {
  case AWQ_UNARY_NEG: return mapElements<T>(x, out, [](float v) { return -v; });
  case AWQ_UNARY_ABS: return mapElements<T>(x, out, [](float v) { return std::fabs(v); });
  case AWQ_UNARY_SQRT: return mapElements<T>(x, out, [](float v) { return std::sqrt(v); });
  case AWQ_UNARY_RECIPROCAL: return mapElements<T>(x, out, [](float v) { return 1.0f / v; });
  case AWQ_UNARY_EXP: return mapElements<T>(x, out, [](float v) { return std::exp(v); });
  case AWQ_UNARY_LOG: return mapElements<T>(x, out, [](float v) { return std::log(v); });
  case AWQ_UNARY_ERF: return mapElements<T>(x, out, [](float v) { return std::erf(v); });
  case AWQ_UNARY_TANH: return mapElements<T>(x, out, [](float v) { return std::tanh(v); });
  case AWQ_UNARY_SIGMOID:
    // fastExp vectorizes; sigmoid and SiLU never need exp's overflow to inf.
    return mapElements<T>(x, out, [](float v) { return 1.0f / (1.0f + fastExp(-v)); });
  case AWQ_UNARY_SIN: return mapElements<T>(x, out, [](float v) { return std::sin(v); });
  case AWQ_UNARY_COS: return mapElements<T>(x, out, [](float v) { return std::cos(v); });
  case AWQ_UNARY_FLOOR: return mapElements<T>(x, out, [](float v) { return std::floor(v); });
  case AWQ_UNARY_CEIL: return mapElements<T>(x, out, [](float v) { return std::ceil(v); });
  case AWQ_UNARY_RELU: return mapElements<T>(x, out, [](float v) { return v > 0.0f ? v : 0.0f; });
  case AWQ_UNARY_SILU:
    return mapElements<T>(x, out, [](float v) { return v / (1.0f + fastExp(-v)); });
  case AWQ_UNARY_GELU:
    return mapElements<T>(
        x, out, [](float v) { return 0.5f * v * (1.0f + std::erf(v * 0.70710678118654752f)); });
  case AWQ_UNARY_GELU_TANH:
    return mapElements<T>(x, out, [](float v) {
      const float inner = 0.79788456080286536f * (v + 0.044715f * v * v * v); // sqrt(2/pi)
      return 0.5f * v * (1.0f + std::tanh(inner));
    });
  case AWQ_UNARY_NOT: break; // rejected by unaryShape for float dtypes
  }
}

template <class T> void integerUnary(awq_unary_op op, const awq_tensor *x, awq_tensor *out) {
  using V = typename T::Compute;
  switch (op) {
  case AWQ_UNARY_NEG: return mapElements<T>(x, out, [](V v) { return static_cast<V>(-v); });
  case AWQ_UNARY_ABS: return mapElements<T>(x, out, [](V v) { return static_cast<V>(v < 0 ? -v : v); });
  case AWQ_UNARY_RELU: return mapElements<T>(x, out, [](V v) { return v > 0 ? v : V(0); });
  default: break; // rejected by unaryShape for integer dtypes
  }
}

// ---- Binary --------------------------------------------------------------

const char *binaryName(awq_binary_op op) {
  switch (op) {
  case AWQ_BINARY_ADD: return "Add";
  case AWQ_BINARY_SUB: return "Sub";
  case AWQ_BINARY_MUL: return "Mul";
  case AWQ_BINARY_DIV: return "Div";
  case AWQ_BINARY_POW: return "Pow";
  case AWQ_BINARY_MIN: return "Min";
  case AWQ_BINARY_MAX: return "Max";
  case AWQ_BINARY_EQUAL: return "Equal";
  case AWQ_BINARY_LESS: return "Less";
  case AWQ_BINARY_LESS_OR_EQUAL: return "LessOrEqual";
  case AWQ_BINARY_GREATER: return "Greater";
  case AWQ_BINARY_GREATER_OR_EQUAL: return "GreaterOrEqual";
  case AWQ_BINARY_AND: return "And";
  case AWQ_BINARY_OR: return "Or";
  case AWQ_BINARY_XOR: return "Xor";
  }
  return nullptr;
}

bool isComparison(awq_binary_op op) {
  return op >= AWQ_BINARY_EQUAL && op <= AWQ_BINARY_GREATER_OR_EQUAL;
}
bool isLogical(awq_binary_op op) { return op >= AWQ_BINARY_AND && op <= AWQ_BINARY_XOR; }

void binaryShape(awq_binary_op op, const awq_tensor *a, const awq_tensor *b, awq_tensor *out) {
  const char *name = binaryName(op);
  if (!name)
    raise("unknown binary op %d", static_cast<int>(op));
  checkDescriptor(a, "A");
  checkDescriptor(b, "B");
  const int32_t dt = a->dtype;
  if (isLogical(op)) {
    if (dt != AWQ_BOOL || b->dtype != AWQ_BOOL)
      raise("%s needs bool inputs, got %s and %s", name, awq_dtype_name(dt),
            awq_dtype_name(b->dtype));
  } else if (op == AWQ_BINARY_POW) {
    // Pow allows a differently typed exponent; it is cast to the base type.
    if (!isFloatDtype(dt) && !isIntegerDtype(dt))
      raise("%s does not support base dtype %s", name, awq_dtype_name(dt));
    if (!isFloatDtype(b->dtype) && !isIntegerDtype(b->dtype))
      raise("%s does not support exponent dtype %s", name, awq_dtype_name(b->dtype));
    if (isIntegerDtype(dt) && isFloatDtype(b->dtype))
      raise("%s with integer base %s needs an integer exponent, got %s", name,
            awq_dtype_name(dt), awq_dtype_name(b->dtype));
  } else {
    if (dt != b->dtype)
      raise("%s needs matching dtypes, got %s and %s", name, awq_dtype_name(dt),
            awq_dtype_name(b->dtype));
    if (dt == AWQ_BOOL && op != AWQ_BINARY_EQUAL)
      raise("%s does not support dtype bool", name);
  }
  const Shape shape = broadcastShapes(shapeOf(a), shapeOf(b), "A", "B");
  setOutput(out, isComparison(op) ? AWQ_BOOL : dt, shape);
}

// Applies fn over the broadcast of a and b; In/Out are element traits.
template <class In, class Out, class Fn>
void broadcastBinary(const awq_tensor *a, const awq_tensor *b, awq_tensor *out, Fn fn) {
  const Shape inputs[2] = {shapeOf(a), shapeOf(b)};
  const BroadcastPlan plan = makeBroadcastPlan(shapeOf(out), inputs, 2);
  const auto *pa = static_cast<const typename In::Storage *>(a->data);
  const auto *pb = static_cast<const typename In::Storage *>(b->data);
  auto *po = static_cast<typename Out::Storage *>(out->data);
  const bool aRuns = plan.strides[0][plan.rank - 1] == 1;
  const bool bRuns = plan.strides[1][plan.rank - 1] == 1;
  parallelFor(numel(out), kElementwiseGrain, [&](int64_t begin, int64_t end) {
    forEachBroadcastRun(plan, begin, end, [&](int64_t o, const int64_t *off, int64_t count) {
      const auto *ra = pa + off[0];
      const auto *rb = pb + off[1];
      auto *ro = po + o;
      // Separate loops per stride pattern so each one vectorizes.
      if (aRuns && bRuns) {
        for (int64_t i = 0; i < count; ++i)
          ro[i] = Out::store(fn(In::load(ra[i]), In::load(rb[i])));
      } else if (aRuns) {
        const auto vb = In::load(rb[0]);
        for (int64_t i = 0; i < count; ++i)
          ro[i] = Out::store(fn(In::load(ra[i]), vb));
      } else if (bRuns) {
        const auto va = In::load(ra[0]);
        for (int64_t i = 0; i < count; ++i)
          ro[i] = Out::store(fn(va, In::load(rb[i])));
      } else {
        const auto value = Out::store(fn(In::load(ra[0]), In::load(rb[0])));
        for (int64_t i = 0; i < count; ++i)
          ro[i] = value;
      }
    });
  });
}

template <class T>
void arithmeticBinary(awq_binary_op op, const awq_tensor *a, const awq_tensor *b, awq_tensor *out) {
  using V = typename T::Compute;
  constexpr bool isFloat = std::is_floating_point_v<V>;
  switch (op) {
  case AWQ_BINARY_ADD: return broadcastBinary<T, T>(a, b, out, [](V x, V y) { return V(x + y); });
  case AWQ_BINARY_SUB: return broadcastBinary<T, T>(a, b, out, [](V x, V y) { return V(x - y); });
  case AWQ_BINARY_MUL: return broadcastBinary<T, T>(a, b, out, [](V x, V y) { return V(x * y); });
  case AWQ_BINARY_DIV: return broadcastBinary<T, T>(a, b, out, [](V x, V y) { return V(x / y); });
  case AWQ_BINARY_MIN:
    return broadcastBinary<T, T>(a, b, out, [](V x, V y) { return y < x ? y : x; });
  case AWQ_BINARY_MAX:
    return broadcastBinary<T, T>(a, b, out, [](V x, V y) { return x < y ? y : x; });
  case AWQ_BINARY_POW:
    if constexpr (isFloat)
      return broadcastBinary<T, T>(a, b, out, [](V x, V y) {
        return y == V(2) ? x * x : std::pow(x, y); // x^2 is by far the common case
      });
    else
      return broadcastBinary<T, T>(a, b, out, [](V x, V y) {
        return static_cast<V>(std::pow(static_cast<double>(x), static_cast<double>(y)));
      });
  case AWQ_BINARY_EQUAL:
    return broadcastBinary<T, BoolT>(a, b, out, [](V x, V y) { return x == y; });
  case AWQ_BINARY_LESS:
    return broadcastBinary<T, BoolT>(a, b, out, [](V x, V y) { return x < y; });
  case AWQ_BINARY_LESS_OR_EQUAL:
    return broadcastBinary<T, BoolT>(a, b, out, [](V x, V y) { return x <= y; });
  case AWQ_BINARY_GREATER:
    return broadcastBinary<T, BoolT>(a, b, out, [](V x, V y) { return x > y; });
  case AWQ_BINARY_GREATER_OR_EQUAL:
    return broadcastBinary<T, BoolT>(a, b, out, [](V x, V y) { return x >= y; });
  default: break; // logical ops are bool-only
  }
}

void logicalBinary(awq_binary_op op, const awq_tensor *a, const awq_tensor *b, awq_tensor *out) {
  switch (op) {
  case AWQ_BINARY_AND: return broadcastBinary<BoolT, BoolT>(a, b, out, [](bool x, bool y) { return x && y; });
  case AWQ_BINARY_OR: return broadcastBinary<BoolT, BoolT>(a, b, out, [](bool x, bool y) { return x || y; });
  case AWQ_BINARY_XOR: return broadcastBinary<BoolT, BoolT>(a, b, out, [](bool x, bool y) { return x != y; });
  case AWQ_BINARY_EQUAL: return broadcastBinary<BoolT, BoolT>(a, b, out, [](bool x, bool y) { return x == y; });
  default: break;
  }
}

// Integer division by zero is undefined behaviour in C++, so refuse it upfront.
template <class T> void rejectZeroDivisor(const awq_tensor *b) {
  const auto *values = static_cast<const typename T::Storage *>(b->data);
  const int64_t n = numel(b);
  for (int64_t i = 0; i < n; ++i)
    if (values[i] == 0)
      raise("integer division by zero (divisor element %lld)", static_cast<long long>(i));
}

void binaryCompute(awq_binary_op op, const awq_tensor *a, const awq_tensor *b, awq_tensor *out) {
  if (a->dtype == AWQ_BOOL)
    return logicalBinary(op, a, b, out);
  if (op == AWQ_BINARY_POW && b->dtype != a->dtype) {
    // Cast the (usually scalar) exponent to the base dtype, then reuse the typed path.
    awq_tensor exponent{};
    if (awq_cast_shape(b, a->dtype, &exponent) != 0)
      raise("%s", awq_last_error());
    std::vector<unsigned char> storage(static_cast<size_t>(numel(b)) * awq_dtype_size(a->dtype) + 1);
    exponent.data = storage.data();
    if (awq_cast(b, a->dtype, &exponent) != 0)
      raise("%s", awq_last_error());
    return binaryCompute(op, a, &exponent, out);
  }
  dispatchAny(a->dtype, [&](auto traits) {
    using T = decltype(traits);
    if constexpr (!std::is_same_v<T, BoolT>) {
      if constexpr (std::is_integral_v<typename T::Compute>)
        if (op == AWQ_BINARY_DIV)
          rejectZeroDivisor<T>(b);
      arithmeticBinary<T>(op, a, b, out);
    }
  });
}

// ---- Where ---------------------------------------------------------------

void whereShape(const awq_tensor *cond, const awq_tensor *x, const awq_tensor *y, awq_tensor *out) {
  checkDescriptor(cond, "condition");
  checkDescriptor(x, "X");
  checkDescriptor(y, "Y");
  checkDtype(cond, "condition", AWQ_BOOL);
  if (x->dtype != y->dtype)
    raise("X and Y dtypes differ: %s vs %s", awq_dtype_name(x->dtype), awq_dtype_name(y->dtype));
  const Shape xy = broadcastShapes(shapeOf(x), shapeOf(y), "X", "Y");
  setOutput(out, x->dtype, broadcastShapes(shapeOf(cond), xy, "condition", "broadcast(X, Y)"));
}

template <class Storage>
void whereTyped(const awq_tensor *cond, const awq_tensor *x, const awq_tensor *y, awq_tensor *out) {
  const Shape inputs[3] = {shapeOf(cond), shapeOf(x), shapeOf(y)};
  const BroadcastPlan plan = makeBroadcastPlan(shapeOf(out), inputs, 3);
  const auto *pc = static_cast<const uint8_t *>(cond->data);
  const auto *px = static_cast<const Storage *>(x->data);
  const auto *py = static_cast<const Storage *>(y->data);
  auto *po = static_cast<Storage *>(out->data);
  const int64_t sc = plan.strides[0][plan.rank - 1], sx = plan.strides[1][plan.rank - 1],
                sy = plan.strides[2][plan.rank - 1];
  parallelFor(numel(out), kElementwiseGrain, [&](int64_t begin, int64_t end) {
    forEachBroadcastRun(plan, begin, end, [&](int64_t o, const int64_t *off, int64_t count) {
      for (int64_t i = 0; i < count; ++i)
        po[o + i] = pc[off[0] + i * sc] ? px[off[1] + i * sx] : py[off[2] + i * sy];
    });
  });
}

} // namespace

extern "C" {

awq_status awq_unary_shape(awq_unary_op op, const awq_tensor *x, awq_tensor *out) {
  return guard("awq_unary_shape", [&] { unaryShape(op, x, out); });
}

awq_status awq_unary(awq_unary_op op, const awq_tensor *x, awq_tensor *out) {
  return guard("awq_unary", [&] {
    checkData(x, "input");
    awq_tensor expected{};
    unaryShape(op, x, &expected);
    checkOutput(expected, out);
    if (x->dtype == AWQ_BOOL)
      return mapElements<BoolT>(x, out, [](bool v) { return !v; });
    dispatchAny(x->dtype, [&](auto traits) {
      using T = decltype(traits);
      if constexpr (std::is_floating_point_v<typename T::Compute>)
        floatUnary<T>(op, x, out);
      else if constexpr (std::is_signed_v<typename T::Compute>)
        integerUnary<T>(op, x, out);
    });
  });
}

awq_status awq_relu(const awq_tensor *x, awq_tensor *out) { return awq_unary(AWQ_UNARY_RELU, x, out); }
awq_status awq_silu(const awq_tensor *x, awq_tensor *out) { return awq_unary(AWQ_UNARY_SILU, x, out); }
awq_status awq_gelu(const awq_tensor *x, int approximate_tanh, awq_tensor *out) {
  return awq_unary(approximate_tanh ? AWQ_UNARY_GELU_TANH : AWQ_UNARY_GELU, x, out);
}

awq_status awq_binary_shape(awq_binary_op op, const awq_tensor *a, const awq_tensor *b,
                            awq_tensor *out) {
  return guard("awq_binary_shape", [&] { binaryShape(op, a, b, out); });
}

awq_status awq_binary(awq_binary_op op, const awq_tensor *a, const awq_tensor *b, awq_tensor *out) {
  return guard("awq_binary", [&] {
    checkData(a, "A");
    checkData(b, "B");
    awq_tensor expected{};
    binaryShape(op, a, b, &expected);
    checkOutput(expected, out);
    binaryCompute(op, a, b, out);
  });
}

awq_status awq_where_shape(const awq_tensor *cond, const awq_tensor *x, const awq_tensor *y,
                           awq_tensor *out) {
  return guard("awq_where_shape", [&] { whereShape(cond, x, y, out); });
}

awq_status awq_where(const awq_tensor *cond, const awq_tensor *x, const awq_tensor *y,
                     awq_tensor *out) {
  return guard("awq_where", [&] {
    checkData(cond, "condition");
    checkData(x, "X");
    checkData(y, "Y");
    awq_tensor expected{};
    whereShape(cond, x, y, &expected);
    checkOutput(expected, out);
    switch (awq_dtype_size(x->dtype)) {
    case 8: return whereTyped<uint64_t>(cond, x, y, out);
    case 4: return whereTyped<uint32_t>(cond, x, y, out);
    case 2: return whereTyped<uint16_t>(cond, x, y, out);
    default: return whereTyped<uint8_t>(cond, x, y, out);
    }
  });
}

} // extern "C"
