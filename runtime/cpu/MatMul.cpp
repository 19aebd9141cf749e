// MatMul.cpp - ONNX MatMul (batched, broadcasting) and Gemm, through cblas_sgemm.
#include "RuntimeInternal.h"
#include "Sgemm.h"

#include <cblas.h>

using namespace awq::rt;

namespace {

// A MatMul seen as batches of [M, K] x [K, N] after numpy's 1-D promotion.
struct MatMulPlan {
  int64_t m, k, n;
  Shape batch;            // broadcast batch shape of the output
  Shape aBatch, bBatch;   // each operand's own batch dims (before broadcasting)
  Shape outShape;
};

MatMulPlan planMatMul(const awq_tensor *a, const awq_tensor *b) {
  checkDescriptor(a, "A");
  checkDescriptor(b, "B");
  checkFloatDtype(a, "A");
  if (a->dtype != b->dtype)
    raise("A and B dtypes differ: %s vs %s", awq_dtype_name(a->dtype), awq_dtype_name(b->dtype));
  if (a->rank < 1 || b->rank < 1)
    raise("operands must have rank >= 1, got %s and %s", shapeString(a).c_str(),
          shapeString(b).c_str());
  MatMulPlan plan;
  const Shape as = shapeOf(a), bs = shapeOf(b);
  // A 1-D A is a row vector [1, K]; a 1-D B is a column vector [K, 1].
  plan.m = a->rank == 1 ? 1 : as[as.size() - 2];
  plan.k = as.back();
  const int64_t bk = b->rank == 1 ? bs[0] : bs[bs.size() - 2];
  plan.n = b->rank == 1 ? 1 : bs.back();
  if (bk != plan.k)
    raise("inner dims differ: A %s has K = %lld, B %s has K = %lld", shapeString(as).c_str(),
          static_cast<long long>(plan.k), shapeString(bs).c_str(), static_cast<long long>(bk));
  plan.aBatch.assign(as.begin(), as.end() - std::min<size_t>(as.size(), 2));
  plan.bBatch.assign(bs.begin(), bs.end() - std::min<size_t>(bs.size(), 2));
  plan.batch = broadcastShapes(plan.aBatch, plan.bBatch, "A batch", "B batch");
  plan.outShape = plan.batch;
  if (a->rank > 1)
    plan.outShape.push_back(plan.m);
  if (b->rank > 1)
    plan.outShape.push_back(plan.n);
  return plan;
}

// Element offset of batch `index` (of the broadcast batch shape) in an
// operand whose own batch dims are `own` and whose matrices hold `matrix` elements.
int64_t batchOffset(const Shape &batch, const Shape &own, int64_t index, int64_t matrix) {
  int64_t offset = 0, stride = matrix;
  for (size_t i = batch.size(), j = own.size(); i-- > 0;) {
    const int64_t position = index % batch[i];
    index /= batch[i];
    if (j > 0) {
      --j;
      if (own[j] != 1)
        offset += position * stride;
      stride *= own[j];
    }
  }
  return offset;
}

void sgemm(const float *a, const float *b, float *c, int64_t m, int64_t k, int64_t n) {
  sgemmF32(/*transB=*/false, m, n, k, a, k, b, n, 0.0f, c, n);
}

void matmulF32(const MatMulPlan &p, const float *a, const float *b, float *c) {
  const int64_t batches = numelOf(p.batch);
  // B shared by every batch and A contiguous: fold the batch into M (one big sgemm).
  if (numelOf(p.bBatch) == 1 && numelOf(p.aBatch) == batches) {
    sgemm(a, b, c, batches * p.m, p.k, p.n);
    return;
  }
  for (int64_t i = 0; i < batches; ++i)
    sgemm(a + batchOffset(p.batch, p.aBatch, i, p.m * p.k),
          b + batchOffset(p.batch, p.bBatch, i, p.k * p.n), c + i * p.m * p.n, p.m, p.k, p.n);
}

// f16/bf16: widen one batch matrix of each operand at a time, narrow the result.
template <class T>
void matmulHalf(const MatMulPlan &p, const awq_tensor *a, const awq_tensor *b, awq_tensor *out) {
  std::vector<float> fa(static_cast<size_t>(p.m * p.k)), fb(static_cast<size_t>(p.k * p.n)),
      fc(static_cast<size_t>(p.m * p.n));
  auto *dst = static_cast<typename T::Storage *>(out->data);
  for (int64_t i = 0, batches = numelOf(p.batch); i < batches; ++i) {
    widenToFloat(a->data, a->dtype, batchOffset(p.batch, p.aBatch, i, p.m * p.k), p.m * p.k, fa.data());
    widenToFloat(b->data, b->dtype, batchOffset(p.batch, p.bBatch, i, p.k * p.n), p.k * p.n, fb.data());
    sgemm(fa.data(), fb.data(), fc.data(), p.m, p.k, p.n);
    for (int64_t j = 0; j < p.m * p.n; ++j)
      dst[i * p.m * p.n + j] = T::store(fc[j]);
  }
}

struct GemmDims {
  int64_t m, k, n;
};

GemmDims gemmShape(const awq_tensor *a, const awq_tensor *b, const awq_tensor *c, int transA,
                   int transB, awq_tensor *out) {
  checkDescriptor(a, "A");
  checkDescriptor(b, "B");
  checkDtype(a, "A", AWQ_F32);
  checkDtype(b, "B", AWQ_F32);
  checkRank(a, "A", 2);
  checkRank(b, "B", 2);
  const GemmDims d{transA ? a->shape[1] : a->shape[0], transA ? a->shape[0] : a->shape[1],
                   transB ? b->shape[0] : b->shape[1]};
  const int64_t bk = transB ? b->shape[1] : b->shape[0];
  if (bk != d.k)
    raise("op(A) has K = %lld but op(B) has K = %lld (A %s, B %s, transA %d, transB %d)",
          static_cast<long long>(d.k), static_cast<long long>(bk), shapeString(a).c_str(),
          shapeString(b).c_str(), transA, transB);
  const Shape outShape{d.m, d.n};
  if (c) {
    checkDescriptor(c, "C");
    checkDtype(c, "C", AWQ_F32);
    if (c->rank > 2 || broadcastShapes(shapeOf(c), outShape, "C", "[M, N]") != outShape)
      raise("C %s does not broadcast to [M, N] = %s", shapeString(c).c_str(),
            shapeString(outShape).c_str());
  }
  setOutput(out, AWQ_F32, outShape);
  return d;
}

} // namespace

extern "C" {

awq_status awq_matmul_shape(const awq_tensor *a, const awq_tensor *b, awq_tensor *out) {
  return guard("awq_matmul_shape", [&] {
    const MatMulPlan plan = planMatMul(a, b);
    setOutput(out, a->dtype, plan.outShape);
  });
}

awq_status awq_matmul(const awq_tensor *a, const awq_tensor *b, awq_tensor *out) {
  return guard("awq_matmul", [&] {
    checkData(a, "A");
    checkData(b, "B");
    const MatMulPlan plan = planMatMul(a, b);
    awq_tensor expected{};
    setOutput(&expected, a->dtype, plan.outShape);
    checkOutput(expected, out);
    if (numel(out) == 0)
      return;
    if (plan.k == 0) { // empty sum: zeros
      std::memset(out->data, 0, static_cast<size_t>(numel(out)) * awq_dtype_size(out->dtype));
      return;
    }
    if (a->dtype == AWQ_F32)
      matmulF32(plan, static_cast<const float *>(a->data), static_cast<const float *>(b->data),
                static_cast<float *>(out->data));
    else if (a->dtype == AWQ_F16)
      matmulHalf<F16T>(plan, a, b, out);
    else
      matmulHalf<BF16T>(plan, a, b, out);
  });
}

awq_status awq_gemm_shape(const awq_tensor *a, const awq_tensor *b, const awq_tensor *c,
                          float /*alpha*/, float /*beta*/, int trans_a, int trans_b,
                          awq_tensor *out) {
  return guard("awq_gemm_shape", [&] { gemmShape(a, b, c, trans_a, trans_b, out); });
}

awq_status awq_gemm(const awq_tensor *a, const awq_tensor *b, const awq_tensor *c, float alpha,
                    float beta, int trans_a, int trans_b, awq_tensor *out) {
  return guard("awq_gemm", [&] {
    checkData(a, "A");
    checkData(b, "B");
    if (c)
      checkData(c, "C");
    awq_tensor expected{};
    const GemmDims d = gemmShape(a, b, c, trans_a, trans_b, &expected);
    checkOutput(expected, out);
    auto *result = static_cast<float *>(out->data);
    if (d.m == 0 || d.n == 0)
      return;
    // out = beta * broadcast(C), then sgemm accumulates alpha * op(A) op(B) on top.
    const bool useC = c && beta != 0.0f;
    if (useC) {
      const Shape inputs[1] = {shapeOf(c)};
      const BroadcastPlan plan = makeBroadcastPlan({d.m, d.n}, inputs, 1);
      const auto *pc = static_cast<const float *>(c->data);
      const int64_t stride = plan.strides[0][plan.rank - 1];
      forEachBroadcastRun(plan, 0, d.m * d.n, [&](int64_t o, const int64_t *off, int64_t count) {
        for (int64_t i = 0; i < count; ++i)
          result[o + i] = beta * pc[off[0] + i * stride];
      });
    }
    if (d.k == 0) {
      if (!useC)
        std::memset(result, 0, static_cast<size_t>(d.m * d.n) * 4);
      return;
    }
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, d.m, d.n, d.k, alpha,
                static_cast<const float *>(a->data), a->shape[1],
                static_cast<const float *>(b->data), b->shape[1], useC ? 1.0f : 0.0f, result, d.n);
  });
}

} // extern "C"
