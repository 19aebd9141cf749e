// GraphKernelsArgsTest.cpp - the generic graph kernels (awq_cuda.h, "Generic
// graph ops") reject bad arguments with a message before any CUDA call, so
// these run without a GPU. Their numerics are checked on a GPU by
// GpuGraphKernelsTest.cpp (the data-movement kernels against the CPU ops) and
// test/Cuda/compiled-model.test (whole models against the CPU libraries).
#include "awq_cuda.h"

#include <gtest/gtest.h>

#include <string>

namespace {

std::string lastError() { return awq_last_error(); }

TEST(GraphKernelsArgs, UnaryRejectsOpsWithoutAKernel) {
  EXPECT_TRUE(awq_cuda_unary_supported(AWQ_UNARY_GELU_TANH));
  EXPECT_FALSE(awq_cuda_unary_supported(AWQ_UNARY_NOT));
  float x = 0;
  EXPECT_NE(awq_cuda_unary(AWQ_UNARY_NOT, &x, 1, AWQ_F32, &x, nullptr), 0);
  EXPECT_EQ(lastError(), "awq_cuda_unary: unary op 18 has no CUDA kernel");
  EXPECT_NE(awq_cuda_unary(AWQ_UNARY_NEG, &x, 1, AWQ_I64, &x, nullptr), 0);
  EXPECT_EQ(lastError(), "awq_cuda_unary: dtype must be f32, f16 or bf16 (awq_dtype 4 given)");
  // Nothing to do is not an error, even with null pointers.
  EXPECT_EQ(awq_cuda_unary(AWQ_UNARY_NEG, nullptr, 0, AWQ_F16, nullptr, nullptr), 0);
}

TEST(GraphKernelsArgs, BinaryChecksOpAndRank) {
  EXPECT_TRUE(awq_cuda_binary_supported(AWQ_BINARY_MAX));
  EXPECT_FALSE(awq_cuda_binary_supported(AWQ_BINARY_EQUAL));
  const int64_t shape[1] = {4}, strides[1] = {1};
  float a = 0;
  EXPECT_NE(awq_cuda_binary(AWQ_BINARY_LESS, &a, strides, &a, strides, shape, 1, AWQ_F32, &a,
                            nullptr),
            0);
  EXPECT_EQ(lastError(), "awq_cuda_binary: binary op 9 has no CUDA kernel");
  EXPECT_NE(awq_cuda_binary(AWQ_BINARY_ADD, &a, strides, &a, strides, shape, 9, AWQ_F32, &a,
                            nullptr),
            0);
  EXPECT_EQ(lastError(), "awq_cuda_binary: rank 9 is outside [0, 8]");
}

TEST(GraphKernelsArgs, StridedCopyArguments) {
  const int64_t shape[2] = {2, 3}, strides[2] = {3, 1}, negative[2] = {3, -1};
  float x[6] = {}, y[6] = {};
  EXPECT_NE(awq_cuda_strided_copy(x, strides, y, strides, shape, 9, 4, nullptr), 0);
  EXPECT_EQ(lastError(), "awq_cuda_strided_copy: rank 9 is outside [0, 8]");
  const int64_t negativeDim[2] = {2, -3};
  EXPECT_NE(awq_cuda_strided_copy(x, strides, y, strides, negativeDim, 2, 4, nullptr), 0);
  EXPECT_EQ(lastError(), "awq_cuda_strided_copy: dim 1 is negative");
  EXPECT_NE(awq_cuda_strided_copy(x, strides, y, strides, shape, 2, 3, nullptr), 0);
  EXPECT_EQ(lastError(), "awq_cuda_strided_copy: element_bytes must be 1, 2, 4 or 8 (3 given)");
  // The source may step backwards (a reversed slice), the destination not.
  EXPECT_NE(awq_cuda_strided_copy(x, strides, y, negative, shape, 2, 4, nullptr), 0);
  EXPECT_EQ(lastError(), "awq_cuda_strided_copy: dim 1: y_strides must be >= 0");
  EXPECT_NE(awq_cuda_strided_copy(x, strides, nullptr, strides, shape, 2, 4, nullptr), 0);
  EXPECT_EQ(lastError(), "awq_cuda_strided_copy: y must not be null");
  EXPECT_NE(awq_cuda_strided_copy(x, nullptr, y, strides, shape, 2, 4, nullptr), 0);
  EXPECT_EQ(lastError(), "awq_cuda_strided_copy: x_strides must not be null");
  // An empty shape copies nothing, even with null data.
  const int64_t empty[2] = {2, 0};
  EXPECT_EQ(awq_cuda_strided_copy(nullptr, strides, nullptr, strides, empty, 2, 4, nullptr), 0);
}

TEST(GraphKernelsArgs, GatherRowsArguments) {
  const int64_t rows[1] = {0};
  float x[6] = {}, y[6] = {};
  EXPECT_NE(awq_cuda_gather_rows(x, 1, 2, 3, rows, 1, 3, y, nullptr), 0);
  EXPECT_EQ(lastError(), "awq_cuda_gather_rows: element_bytes must be 1, 2, 4 or 8 (3 given)");
  EXPECT_NE(awq_cuda_gather_rows(x, -1, 2, 3, rows, 1, 4, y, nullptr), 0);
  EXPECT_EQ(lastError(), "awq_cuda_gather_rows: outer, extent, inner and count must be >= 0");
  EXPECT_NE(awq_cuda_gather_rows(x, 1, 0, 3, rows, 1, 4, y, nullptr), 0);
  EXPECT_EQ(lastError(), "awq_cuda_gather_rows: cannot gather 1 rows from an empty axis");
  EXPECT_NE(awq_cuda_gather_rows(x, 1, 2, 3, nullptr, 1, 4, y, nullptr), 0);
  EXPECT_EQ(lastError(), "awq_cuda_gather_rows: rows must not be null");
  // Nothing to gather: no pointer is read.
  EXPECT_EQ(awq_cuda_gather_rows(nullptr, 1, 2, 3, nullptr, 0, 4, nullptr, nullptr), 0);
}

TEST(GraphKernelsArgs, WhereArguments) {
  const int64_t shape[2] = {2, 3}, strides[2] = {3, 1}, broadcast[2] = {0, 1},
                negative[2] = {3, -1};
  const uint8_t cond[6] = {};
  float a[6] = {}, b[6] = {}, y[6] = {};
  EXPECT_NE(awq_cuda_where(cond, strides, a, strides, b, strides, shape, 2, 3, y, nullptr), 0);
  EXPECT_EQ(lastError(), "awq_cuda_where: element_bytes must be 1, 2, 4 or 8 (3 given)");
  EXPECT_NE(awq_cuda_where(cond, strides, a, negative, b, broadcast, shape, 2, 4, y, nullptr), 0);
  EXPECT_EQ(lastError(), "awq_cuda_where: dim 1: strides must be >= 0");
  EXPECT_NE(awq_cuda_where(cond, strides, a, strides, b, strides, shape, 9, 4, y, nullptr), 0);
  EXPECT_EQ(lastError(), "awq_cuda_where: rank 9 is outside [0, 8]");
  EXPECT_NE(awq_cuda_where(cond, nullptr, a, strides, b, strides, shape, 2, 4, y, nullptr), 0);
  EXPECT_EQ(lastError(), "awq_cuda_where: cond_strides must not be null");
  EXPECT_NE(awq_cuda_where(nullptr, broadcast, a, strides, b, strides, shape, 2, 4, y, nullptr),
            0);
  EXPECT_EQ(lastError(), "awq_cuda_where: cond must not be null");
  // An empty shape selects nothing, even with null data.
  const int64_t empty[2] = {0, 3};
  EXPECT_EQ(awq_cuda_where(nullptr, strides, nullptr, strides, nullptr, strides, empty, 2, 4,
                           nullptr, nullptr),
            0);
}

TEST(GraphKernelsArgs, CastSoftmaxMatmulArguments) {
  float x = 0;
  EXPECT_NE(awq_cuda_cast(&x, AWQ_F32, 1, AWQ_I32, &x, nullptr), 0);
  EXPECT_EQ(lastError(), "awq_cuda_cast: dtype must be f32, f16 or bf16 (awq_dtype 5 given)");
  EXPECT_NE(awq_cuda_softmax(&x, 1, 0, AWQ_F32, &x, nullptr), 0);
  EXPECT_EQ(lastError(), "awq_cuda_softmax: dim must be positive (0 given)");
  EXPECT_NE(awq_cuda_matmul(&x, &x, 1, 2, 2, 2, 0, -1, 0, AWQ_F32, &x, nullptr), 0);
  EXPECT_EQ(lastError(), "awq_cuda_matmul: batch strides must be >= 0");
  EXPECT_NE(awq_cuda_matmul(&x, &x, 1, 2, 2, 2, 0, 0, 0, AWQ_I8, &x, nullptr), 0);
  EXPECT_EQ(lastError(), "awq_cuda_matmul: dtype must be f32, f16 or bf16 (awq_dtype 6)");
}

} // namespace

TEST(GraphKernelsArgs, ReduceArguments) {
  const int64_t dims[2] = {2, 3}, strides[2] = {3, 1}, negative[2] = {3, -1};
  const int64_t reducedDims[1] = {4}, reducedStrides[1] = {6};
  float x[24] = {}, y[6] = {};
  EXPECT_NE(awq_cuda_reduce(0, x, dims, strides, 2, reducedDims, reducedStrides, 1, AWQ_F32, y,
                            nullptr),
            0);
  EXPECT_EQ(lastError(), "awq_cuda_reduce: unknown reduce op 0");
  EXPECT_NE(awq_cuda_reduce(AWQ_REDUCE_SUM, x, dims, strides, 9, reducedDims, reducedStrides, 1,
                            AWQ_F32, y, nullptr),
            0);
  EXPECT_EQ(lastError(), "awq_cuda_reduce: rank 9 is outside [0, 8]");
  EXPECT_NE(awq_cuda_reduce(AWQ_REDUCE_MAX, x, dims, negative, 2, reducedDims, reducedStrides, 1,
                            AWQ_F32, y, nullptr),
            0);
  EXPECT_EQ(lastError(), "awq_cuda_reduce: dim 1: strides must be >= 0");
  EXPECT_NE(awq_cuda_reduce(AWQ_REDUCE_MEAN, x, dims, strides, 2, nullptr, reducedStrides, 1,
                            AWQ_F32, y, nullptr),
            0);
  EXPECT_EQ(lastError(), "awq_cuda_reduce: reduced_dims must not be null");
  EXPECT_NE(awq_cuda_reduce(AWQ_REDUCE_PROD, x, dims, strides, 2, reducedDims, reducedStrides, 1,
                            AWQ_I32, y, nullptr),
            0);
  EXPECT_EQ(lastError(), "awq_cuda_reduce: dtype must be f32, f16 or bf16 (awq_dtype 5 given)");
  EXPECT_NE(awq_cuda_reduce(AWQ_REDUCE_MIN, x, dims, strides, 2, reducedDims, reducedStrides, 1,
                            AWQ_F16, nullptr, nullptr),
            0);
  EXPECT_EQ(lastError(), "awq_cuda_reduce: y must not be null");
  // No outputs: nothing to do, even with null data. An empty reduction
  // reads no x (its outputs are the identities) but still writes y.
  const int64_t none[1] = {0};
  EXPECT_EQ(awq_cuda_reduce(AWQ_REDUCE_SUM, nullptr, none, strides, 1, reducedDims,
                            reducedStrides, 1, AWQ_F32, nullptr, nullptr),
            0);
  EXPECT_NE(awq_cuda_reduce(AWQ_REDUCE_SUM, nullptr, dims, strides, 2, none, reducedStrides, 1,
                            AWQ_F32, nullptr, nullptr),
            0);
  EXPECT_EQ(lastError(), "awq_cuda_reduce: y must not be null");
}

TEST(GraphKernelsArgs, FillTriluGemmArguments) {
  float x[4] = {}, y[4] = {};
  EXPECT_NE(awq_cuda_fill(y, 4, 3, x, nullptr), 0);
  EXPECT_EQ(lastError(), "awq_cuda_fill: element_bytes must be 1, 2, 4 or 8 (3 given)");
  EXPECT_NE(awq_cuda_fill(y, -1, 4, x, nullptr), 0);
  EXPECT_EQ(lastError(), "awq_cuda_fill: count must be >= 0 (-1 given)");
  EXPECT_NE(awq_cuda_fill(y, 4, 4, nullptr, nullptr), 0);
  EXPECT_EQ(lastError(), "awq_cuda_fill: value must not be null");
  EXPECT_EQ(awq_cuda_fill(nullptr, 0, 4, nullptr, nullptr), 0); // nothing to fill

  EXPECT_NE(awq_cuda_trilu(x, 1, -2, 2, 0, 1, 4, y, nullptr), 0);
  EXPECT_EQ(lastError(),
            "awq_cuda_trilu: matrices, rows and columns must be >= 0 (1, -2, 2 given)");
  EXPECT_NE(awq_cuda_trilu(x, 1, 2, 2, 0, 1, 16, y, nullptr), 0);
  EXPECT_EQ(lastError(), "awq_cuda_trilu: element_bytes must be 1, 2, 4 or 8 (16 given)");
  EXPECT_NE(awq_cuda_trilu(nullptr, 1, 2, 2, 0, 1, 4, y, nullptr), 0);
  EXPECT_EQ(lastError(), "awq_cuda_trilu: x must not be null");
  EXPECT_EQ(awq_cuda_trilu(nullptr, 3, 0, 2, 0, 1, 4, nullptr, nullptr), 0); // empty matrices

  // K = 0 is the caller's (beta * C without a product).
  EXPECT_NE(awq_cuda_gemm(x, 0, x, 0, 2, 2, 0, 1.0f, 0.0f, AWQ_F32, y, nullptr), 0);
  EXPECT_EQ(lastError(),
            "awq_cuda_gemm: sizes must be M >= 0, N >= 0, K > 0 (M = 2, N = 2, K = 0)");
  EXPECT_NE(awq_cuda_gemm(x, 0, x, 0, 2, 2, 2, 1.0f, 0.0f, AWQ_I8, y, nullptr), 0);
  EXPECT_EQ(lastError(), "awq_cuda_gemm: dtype must be f32, f16 or bf16 (awq_dtype 6)");
  EXPECT_NE(awq_cuda_gemm(x, 1, nullptr, 0, 2, 2, 2, 1.0f, 0.0f, AWQ_F32, y, nullptr), 0);
  EXPECT_EQ(lastError(), "awq_cuda_gemm: a, b and y must be non-null device pointers");
  EXPECT_EQ(awq_cuda_gemm(nullptr, 0, nullptr, 0, 0, 2, 2, 1.0f, 0.0f, AWQ_F32, nullptr, nullptr),
            0); // no rows
}

TEST(GraphKernelsArgs, RotaryEmbeddingArguments) {
  const int64_t shape[2] = {2, 4}, odd[2] = {2, 3}, strides[2] = {0, 1};
  float x[8] = {}, y[8] = {};
  EXPECT_NE(awq_cuda_rotary_embedding(x, x, x, strides, shape, 0, AWQ_ROPE_HALF_SPLIT, AWQ_F32, y,
                                      nullptr),
            0);
  EXPECT_EQ(lastError(), "awq_cuda_rotary_embedding: rank must be >= 1 (the head dim last), got 0");
  EXPECT_NE(awq_cuda_rotary_embedding(x, x, x, strides, odd, 2, AWQ_ROPE_HALF_SPLIT, AWQ_F32, y,
                                      nullptr),
            0);
  EXPECT_EQ(lastError(),
            "awq_cuda_rotary_embedding: the head dim (last dim) must be positive and even, got 3");
  EXPECT_NE(awq_cuda_rotary_embedding(x, x, x, strides, shape, 2, 9, AWQ_F32, y, nullptr), 0);
  EXPECT_EQ(lastError(), "awq_cuda_rotary_embedding: layout must be AWQ_ROPE_INTERLEAVED or "
                         "AWQ_ROPE_HALF_SPLIT (9 given)");
  EXPECT_NE(awq_cuda_rotary_embedding(x, x, x, strides, shape, 2, AWQ_ROPE_INTERLEAVED, AWQ_I64, y,
                                      nullptr),
            0);
  EXPECT_EQ(lastError(),
            "awq_cuda_rotary_embedding: dtype must be f32, f16 or bf16 (awq_dtype 4 given)");
  EXPECT_NE(awq_cuda_rotary_embedding(x, nullptr, x, strides, shape, 2, AWQ_ROPE_INTERLEAVED,
                                      AWQ_F32, y, nullptr),
            0);
  EXPECT_EQ(lastError(), "awq_cuda_rotary_embedding: cos must not be null");
  EXPECT_NE(awq_cuda_rotary_embedding(x, x, x, strides, shape, 2, AWQ_ROPE_INTERLEAVED, AWQ_F32, x,
                                      nullptr),
            0);
  EXPECT_EQ(lastError(),
            "awq_cuda_rotary_embedding: y must not alias x (a channel reads its partner)");
}
