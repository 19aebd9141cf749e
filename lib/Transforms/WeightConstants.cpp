//===- WeightConstants.cpp - Reading and writing constant weights ---------===//

#include "awq/Transforms/WeightConstants.h"

#include "awq/Dialect/ONNX/ONNXDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;

namespace awq {

/// The elements attribute behind `value`, or null.
static ElementsAttr getConstantElements(Value value) {
  if (auto node = value.getDefiningOp<onnx::NodeOp>()) {
    if (node.getOpType() != "Constant")
      return nullptr;
    return dyn_cast_if_present<ElementsAttr>(node.getOnnxAttr("value"));
  }
  ElementsAttr elements;
  if (matchPattern(value, m_Constant(&elements)))
    return elements;
  return nullptr;
}

/// Converts `count` raw elements of `elementType` at `bytes` to f32.
static std::vector<float> convertToFloat(Type elementType, const char *bytes,
                                         int64_t count) {
  std::vector<float> values(count);
  if (elementType.isF32()) {
    std::memcpy(values.data(), bytes, count * sizeof(float));
    return values;
  }
  const llvm::fltSemantics &semantics =
      cast<FloatType>(elementType).getFloatSemantics();
  for (int64_t i = 0; i < count; ++i) {
    uint16_t bits;
    std::memcpy(&bits, bytes + 2 * i, 2);
    values[i] = APFloat(semantics, APInt(16, bits)).convertToFloat();
  }
  return values;
}

FailureOr<std::vector<float>> readFloatConstant(Value value) {
  ElementsAttr elements = getConstantElements(value);
  if (!elements)
    return failure();
  return readFloatElements(elements);
}

FailureOr<std::vector<float>> readFloatElements(ElementsAttr elements) {
  auto type = dyn_cast<RankedTensorType>(elements.getType());
  if (!type || !isa<Float32Type, Float16Type, BFloat16Type>(type.getElementType()))
    return failure();
  int64_t count = type.getNumElements();
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(elements)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return failure();
    ArrayRef<char> bytes = blob->getData();
    if (static_cast<int64_t>(bytes.size()) !=
        count * type.getElementTypeBitWidth() / 8)
      return failure();
    return convertToFloat(type.getElementType(), bytes.data(), count);
  }
  auto dense = dyn_cast<DenseFPElementsAttr>(elements);
  if (!dense)
    return failure();
  std::vector<float> values;
  values.reserve(count);
  for (APFloat element : dense.getValues<APFloat>()) {
    bool losesInfo;
    element.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven,
                    &losesInfo);
    values.push_back(element.convertToFloat());
  }
  return values;
}

bool isConstantValue(Value value) {
  return getConstantElements(value) != nullptr;
}

StringRef getInitializerName(Value value) {
  if (auto initializer = value.getDefiningOp<onnx::InitializerOp>())
    return initializer.getTensorName();
  return "";
}

/// Raw bytes of `values` in `elementType` (f32, f16 or bf16).
static std::vector<char> convertFromFloat(Type elementType,
                                          ArrayRef<float> values) {
  if (elementType.isF32()) {
    const char *begin = reinterpret_cast<const char *>(values.data());
    return std::vector<char>(begin, begin + values.size() * sizeof(float));
  }
  const llvm::fltSemantics &semantics =
      cast<FloatType>(elementType).getFloatSemantics();
  std::vector<char> bytes(values.size() * 2);
  for (auto [index, value] : llvm::enumerate(values)) {
    APFloat element(value);
    bool losesInfo;
    element.convert(semantics, APFloat::rmNearestTiesToEven, &losesInfo);
    uint16_t bits = element.bitcastToAPInt().getZExtValue();
    std::memcpy(bytes.data() + 2 * index, &bits, 2);
  }
  return bytes;
}

/// `bytes` as a resource blob of `type` when large, else as dense elements.
static ElementsAttr makeElements(RankedTensorType type, ArrayRef<char> bytes,
                                 StringRef name) {
  if (type.getNumElements() <= kMaxInlineElements)
    return DenseElementsAttr::getFromRawBuffer(type, bytes);
  // 64-byte alignment: what the runtime's HostTensor allocates, so kernels
  // can use aligned loads on borrowed blobs too.
  AsmResourceBlob blob =
      HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, /*align=*/64);
  return DenseResourceElementsAttr::get(type, name, std::move(blob));
}

ElementsAttr makeFloatElements(RankedTensorType type, ArrayRef<float> values,
                               StringRef name) {
  std::vector<char> bytes = convertFromFloat(type.getElementType(), values);
  return makeElements(type, bytes, name);
}

ElementsAttr makeByteElements(RankedTensorType type, ArrayRef<uint8_t> values,
                              StringRef name) {
  ArrayRef<char> bytes(reinterpret_cast<const char *>(values.data()),
                       values.size());
  return makeElements(type, bytes, name);
}

Value createInitializer(OpBuilder &builder, Operation *user, StringRef name,
                        ElementsAttr elements) {
  auto function = user->getParentOfType<func::FuncOp>();
  OpBuilder::InsertionGuard guard(builder);
  if (function)
    builder.setInsertionPointToStart(&function.getBody().front());
  else
    builder.setInsertionPoint(user);
  return onnx::InitializerOp::create(builder, user->getLoc(), name, elements)
      .getResult();
}

Value createFloatConstant(OpBuilder &builder, Operation *user, StringRef name,
                          RankedTensorType type, ArrayRef<float> values) {
  return createInitializer(builder, user, name,
                           makeFloatElements(type, values, name));
}

std::string derivedConstantName(Value original, StringRef fallback,
                                StringRef suffix) {
  StringRef base = getInitializerName(original);
  if (base.empty())
    base = fallback;
  return (base + suffix).str();
}

std::vector<float> transposeMatrix(ArrayRef<float> matrix, int64_t rows,
                                   int64_t cols) {
  std::vector<float> result(matrix.size());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      result[c * rows + r] = matrix[r * cols + c];
  return result;
}

FailureOr<std::vector<float>> readLinearWeight(LinearOp linear) {
  FailureOr<std::vector<float>> stored = readFloatConstant(linear.getWeight());
  if (failed(stored) || linear.getTransposeWeight())
    return stored;
  return transposeMatrix(*stored, linear.getInFeatures(),
                         linear.getOutFeatures());
}

Value createLinearWeight(OpBuilder &builder, LinearOp linear,
                         ArrayRef<float> weightNK, StringRef suffix) {
  RankedTensorType type = linear.getWeight().getType();
  std::string name = derivedConstantName(
      linear.getWeight(), linear.getName().value_or("linear"), suffix);
  if (linear.getTransposeWeight())
    return createFloatConstant(builder, linear, name, type, weightNK);
  std::vector<float> stored = transposeMatrix(weightNK, linear.getOutFeatures(),
                                              linear.getInFeatures());
  return createFloatConstant(builder, linear, name, type, stored);
}

void eraseIfUnused(Value value) {
  Operation *op = value.getDefiningOp();
  if (op && op->use_empty())
    op->erase();
}

} // namespace awq
