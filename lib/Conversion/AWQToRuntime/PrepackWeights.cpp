//===- PrepackWeights.cpp - The awq-prepack-weights pass ------------------===//
//
// Repacks constant group-matmul weights at compile time with the runtime's
// own packer (awq_group_weights_prepack for the CPU kernels,
// awq_cuda_group_weights_pack for the CUDA ones; so each blob layout has one
// definition), and fuses LLaMA's gate/up pair with its SiLU.
//
//===----------------------------------------------------------------------===//

#include "awq/Conversion/AWQToRuntime/AWQToRuntime.h"
#include "awq/Dialect/AWQ/AWQDialect.h"
#include "awq/Dialect/ONNX/ONNXDialect.h"
#include "awq/Execution/ModelGraph.h"
#include "awq_cuda.h"
#include "awq_runtime.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/SetVector.h"

namespace awq {
#define GEN_PASS_DEF_AWQPREPACKWEIGHTS
#include "awq/Conversion/Passes.h.inc"
} // namespace awq

using namespace mlir;

namespace awq {
namespace {

/// The constant tensor behind `value`, or an empty optional (not constant).
std::optional<HostTensor> getConstantTensor(Value value) {
  if (!value)
    return std::nullopt;
  Operation *definingOp = value.getDefiningOp();
  if (!definingOp)
    return std::nullopt;
  ElementsAttr attr = getConstantValue(*definingOp);
  if (!attr)
    return std::nullopt;
  llvm::Expected<HostTensor> tensor = tensorFromElements(attr);
  if (!tensor) {
    llvm::consumeError(tensor.takeError());
    return std::nullopt;
  }
  return std::move(*tensor);
}

/// Whose kernels the blobs are for, and for CUDA in which blob layout.
struct PackTarget {
  bool cuda = false;
  int32_t cudaLayout = AWQ_CUDA_LAYOUT_DEFAULT;
};

/// The CUDA blob layout named by the pass option, or nullopt for a bad name.
std::optional<int32_t> parseCudaLayout(StringRef name) {
  if (name == "default")
    return AWQ_CUDA_LAYOUT_DEFAULT;
  if (name == "row-chunks")
    return AWQ_CUDA_LAYOUT_ROW_CHUNKS;
  if (name == "mma-tiles")
    return AWQ_CUDA_LAYOUT_MMA_TILES;
  return std::nullopt;
}

/// The CUDA kernels' scale dtype for `matmul`: the dtype they run in (f32
/// graphs run the group matmul in f16, see runtime/cuda/model/CudaNodes.cpp).
int32_t cudaComputeDtype(GroupMatmulOp matmul) {
  auto type = cast<ShapedType>(matmul.getResult().getType());
  return type.getElementType().isBF16() ? AWQ_BF16 : AWQ_F16;
}

/// Whether the CUDA kernels run `matmul` (else it stays unpacked and the CUDA
/// backend runs the CPU entry on it).
bool cudaKernelsRun(GroupMatmulOp matmul) {
  const auto bits = static_cast<int64_t>(matmul.getBits());
  const auto groupSize = static_cast<int64_t>(matmul.getGroupSize());
  const auto k = static_cast<int64_t>(matmul.getInFeatures());
  return (bits == 4 || bits == 8) && (groupSize >= k || groupSize % 32 == 0);
}

/// The prepacked blob of `matmul`'s weights as a new constant before it, or
/// null when its weights are not constants (or, for CUDA, when its kernels
/// cannot run it).
FailureOr<Value> prepackWeights(GroupMatmulOp matmul, OpBuilder &builder, PackTarget target) {
  std::optional<HostTensor> qweight = getConstantTensor(matmul.getQweight());
  std::optional<HostTensor> scales = getConstantTensor(matmul.getScales());
  std::optional<HostTensor> zeros = getConstantTensor(matmul.getZeroPoints());
  if (!qweight || !scales || (matmul.getZeroPoints() && !zeros))
    return Value();
  if (target.cuda && !cudaKernelsRun(matmul))
    return Value();
  const awq_tensor *zerosDesc = zeros ? &zeros->desc() : nullptr;
  auto bits = static_cast<int32_t>(matmul.getBits());
  int64_t groupSize = matmul.getGroupSize(), k = matmul.getInFeatures();
  const int32_t cudaDtype = cudaComputeDtype(matmul);
  // Mma tiles hold 4-bit codes only: 8-bit weights keep row chunks.
  const int32_t cudaLayout = target.cudaLayout == AWQ_CUDA_LAYOUT_MMA_TILES && bits != 4
                                 ? AWQ_CUDA_LAYOUT_ROW_CHUNKS
                                 : target.cudaLayout;
  // The runtime's packer, for the shape and then for the bytes.
  auto pack = [&](awq_tensor *blobDesc, bool shapeOnly) {
    if (target.cuda)
      return shapeOnly ? awq_cuda_group_weights_pack_shape(
                             &qweight->desc(), &scales->desc(), zerosDesc, bits, groupSize, k,
                             cudaDtype, cudaLayout, blobDesc)
                       : awq_cuda_group_weights_pack(&qweight->desc(), &scales->desc(),
                                                     zerosDesc, bits, groupSize, k, cudaDtype,
                                                     cudaLayout, blobDesc);
    return shapeOnly ? awq_group_weights_prepack_shape(&qweight->desc(), &scales->desc(),
                                                       zerosDesc, bits, groupSize, k, blobDesc)
                     : awq_group_weights_prepack(&qweight->desc(), &scales->desc(), zerosDesc,
                                                 bits, groupSize, k, blobDesc);
  };
  awq_tensor blobDesc{};
  if (pack(&blobDesc, /*shapeOnly=*/true) != 0)
    return matmul.emitError("cannot prepack the weights: ") << awq_last_error();
  size_t bytes = static_cast<size_t>(blobDesc.shape[0]);
  // The runtime writes straight into the blob the attribute will own.
  AsmResourceBlob blob = HeapAsmResourceBlob::allocate(bytes, /*align=*/64);
  blobDesc.data = blob.getMutableData().data();
  if (pack(&blobDesc, /*shapeOnly=*/false) != 0)
    return matmul.emitError("cannot prepack the weights: ") << awq_last_error();
  auto type = RankedTensorType::get({static_cast<int64_t>(bytes)},
                                    builder.getIntegerType(8, /*isSigned=*/false));
  auto attr = DenseResourceElementsAttr::get(
      type, target.cuda ? "awq_cuda_packed" : "awq_prepacked", std::move(blob));
  return arith::ConstantOp::create(builder, matmul.getLoc(), type, attr).getResult();
}

/// Erases the constants that fed a replaced group matmul once nothing else
/// reads them: the library would otherwise carry the weights twice.
void eraseDeadConstants(ArrayRef<Value> weights, RewriterBase &rewriter) {
  // A constant may feed several operands (gate and up sharing scales): each
  // defining op once.
  llvm::SetVector<Operation *> definingOps;
  for (Value weight : weights)
    if (Operation *definingOp = weight ? weight.getDefiningOp() : nullptr)
      definingOps.insert(definingOp);
  for (Operation *definingOp : definingOps)
    if (definingOp->use_empty() && getConstantValue(*definingOp))
      rewriter.eraseOp(definingOp);
}

/// The weight operands of `matmul` (qweight, scales, zero points).
SmallVector<Value> getWeightOperands(GroupMatmulOp matmul) {
  return {matmul.getQweight(), matmul.getScales(), matmul.getZeroPoints()};
}

/// gate and up for `Mul(silu(gate(x)), up(x))` (either operand order), when
/// both are bias-free group matmuls of the same input and shape used only
/// here.
std::optional<std::pair<GroupMatmulOp, GroupMatmulOp>> matchGateUp(onnx::NodeOp mul) {
  if (mul.getOpType() != "Mul" || mul.getNumOperands() != 2 || mul.getNumResults() != 1)
    return std::nullopt;
  for (int gateSide = 0; gateSide < 2; ++gateSide) {
    auto silu = mul.getOperand(gateSide).getDefiningOp<SiLUOp>();
    auto up = mul.getOperand(1 - gateSide).getDefiningOp<GroupMatmulOp>();
    if (!silu || !up || !silu->hasOneUse() || !up->hasOneUse())
      continue;
    auto gate = silu.getInput().getDefiningOp<GroupMatmulOp>();
    if (!gate || !gate->hasOneUse() || gate.getInput() != up.getInput() || gate.getBias() ||
        up.getBias() || gate.getBits() != up.getBits() ||
        gate.getGroupSize() != up.getGroupSize() ||
        gate.getInFeatures() != up.getInFeatures() ||
        gate.getOutFeatures() != up.getOutFeatures() ||
        mul.getResult(0).getType() != up.getResult().getType())
      continue;
    return std::pair{gate, up};
  }
  return std::nullopt;
}

struct AWQPrepackWeightsPass : impl::AWQPrepackWeightsBase<AWQPrepackWeightsPass> {
  using Base::Base;

  void runOnOperation() override {
    if (activations != "f32" && activations != "int8") {
      getOperation()->emitError("awq-prepack-weights: activations='")
          << activations << "' is neither 'f32' nor 'int8'";
      return signalPassFailure();
    }
    if (target != "cpu" && target != "cuda") {
      getOperation()->emitError("awq-prepack-weights: target='")
          << target << "' is neither 'cpu' nor 'cuda'";
      return signalPassFailure();
    }
    std::optional<int32_t> layout = parseCudaLayout(cudaLayout);
    if (!layout) {
      getOperation()->emitError("awq-prepack-weights: cuda-layout='")
          << cudaLayout << "' is not one of 'default', 'row-chunks', 'mma-tiles'";
      return signalPassFailure();
    }
    const PackTarget packTarget{target == "cuda", *layout};
    IRRewriter rewriter(&getContext());
    StringAttr mode = rewriter.getStringAttr(activations);

    // Fuse gated MLPs first, while their matmuls are still recognizable.
    SmallVector<onnx::NodeOp> muls;
    getOperation()->walk([&](onnx::NodeOp node) { muls.push_back(node); });
    for (onnx::NodeOp mul : muls) {
      auto pair = matchGateUp(mul);
      if (!pair)
        continue;
      auto [gate, up] = *pair;
      rewriter.setInsertionPoint(mul);
      FailureOr<Value> gateBlob = prepackWeights(gate, rewriter, packTarget);
      FailureOr<Value> upBlob = prepackWeights(up, rewriter, packTarget);
      if (failed(gateBlob) || failed(upBlob))
        return signalPassFailure();
      if (!*gateBlob || !*upBlob) {
        // One side packed, the other not: drop the lone blob.
        for (Value packed : {*gateBlob, *upBlob})
          if (packed)
            rewriter.eraseOp(packed.getDefiningOp());
        continue;
      }
      auto silu = mul.getOperand(0).getDefiningOp<SiLUOp>()
                      ? mul.getOperand(0).getDefiningOp()
                      : mul.getOperand(1).getDefiningOp();
      auto fused = PrepackedGateUpSiLUOp::create(
          rewriter, mul.getLoc(), mul.getResult(0).getType(), gate.getInput(), *gateBlob,
          *upBlob, gate.getOutFeatures(), mode, gate.getNameAttr());
      SmallVector<Value> weights = getWeightOperands(gate);
      llvm::append_range(weights, getWeightOperands(up));
      rewriter.replaceOp(mul, fused.getResult());
      rewriter.eraseOp(silu);
      rewriter.eraseOp(gate);
      rewriter.eraseOp(up);
      eraseDeadConstants(weights, rewriter);
    }

    SmallVector<GroupMatmulOp> matmuls;
    getOperation()->walk([&](GroupMatmulOp matmul) { matmuls.push_back(matmul); });
    for (GroupMatmulOp matmul : matmuls) {
      rewriter.setInsertionPoint(matmul);
      FailureOr<Value> blob = prepackWeights(matmul, rewriter, packTarget);
      if (failed(blob))
        return signalPassFailure();
      if (!*blob)
        continue;
      SmallVector<Value> weights = getWeightOperands(matmul);
      rewriter.replaceOpWithNewOp<PrepackedMatmulOp>(
          matmul, matmul.getResult().getType(), matmul.getInput(), *blob, matmul.getBias(),
          matmul.getOutFeatures(), mode, matmul.getNameAttr());
      eraseDeadConstants(weights, rewriter);
    }
  }
};

} // namespace
} // namespace awq
