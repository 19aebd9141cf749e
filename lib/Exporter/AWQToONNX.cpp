//===- AWQToONNX.cpp - awq ops back to ONNX nodes -------------------------===//

#include "awq/Exporter/AWQToONNX.h"

#include "TensorExporter.h"

#include "awq/Dialect/AWQ/AWQDialect.h"
#include "awq/Dialect/ONNX/ONNXDialect.h"
#include "awq/Importer/ONNXAttributeNames.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/ADT/bit.h"
#include "llvm/Support/MathExtras.h"

#include <cmath>
#include <cstring>

using namespace mlir;
using namespace awq;

/// Opset written for the default domain when the module records none
/// (17: LayerNormalization exists; onnxruntime >= 1.14).
static constexpr int64_t kDefaultOpset = 17;
/// The com.microsoft opset that defines MatMulNBits.
static constexpr int64_t kMicrosoftOpset = 1;
/// Constants with at most this many elements stay dense attributes (as the
/// importer and the quantizer write them); larger ones become blobs.
static constexpr int64_t kMaxInlineElements = 64;
/// MatMulNBits' block sizes: powers of two from 16; onnxruntime's MLAS
/// kernels are specialised up to 256.
static constexpr int64_t kMinBlockSize = 16;
static constexpr int64_t kMaxBlockSize = 256;

namespace {

/// What the rewrites of one module share.
struct LoweringState {
  /// Node names in use (ONNX requires them to be unique in the graph).
  llvm::StringSet<> nodeNames;
  /// Scalar constants by element type and value, created once.
  llvm::DenseMap<std::pair<Type, uint64_t>, Value> scalars;
  /// i64 vector constants by name (the name spells the values), created once.
  llvm::StringMap<Value> intVectors;
  /// The last initializer created: the next goes after it, so that names
  /// made unique on export are numbered in creation order.
  Operation *lastInitializer = nullptr;
};

/// Creates the ONNX nodes and constants replacing one awq op.
class NodeBuilder {
public:
  NodeBuilder(Operation *op, int64_t opset, LoweringState &state)
      : builder(op), op(op), opset(opset), state(state) {
    StringAttr nameAttr = op->getAttrOfType<StringAttr>("name");
    baseName = nameAttr ? nameAttr.str()
                        : ("/" + op->getName().stripDialect()).str();
  }

  /// A node of the default domain (or `domain`) with one result of `type`,
  /// named `<op name>/<op type>_<i>`, or the awq op's own name for the node
  /// that takes its place (`primary`).
  Value node(StringRef opType, ValueRange inputs, Type type,
             ArrayRef<NamedAttribute> attrs = {}, StringRef domain = "",
             bool primary = false) {
    std::string name = primary ? baseName : (baseName + "/" + opType).str();
    // ONNX requires node names to be unique in the graph.
    for (int suffix = 1; !state.nodeNames.insert(name).second; ++suffix)
      name = (baseName + "/" + opType + "_" + Twine(suffix)).str();
    DictionaryAttr dict =
        attrs.empty() ? DictionaryAttr() : builder.getDictionaryAttr(attrs);
    return awq::onnx::NodeOp::create(builder, op->getLoc(), TypeRange{type},
                                inputs, opType, domain,
                                domain.empty() ? opset : kMicrosoftOpset,
                                builder.getStringAttr(name), dict)
        .getResult(0);
  }

  /// A new initializer among those at the start of the function.
  Value initializer(StringRef name, ElementsAttr value) {
    OpBuilder::InsertionGuard guard(builder);
    if (state.lastInitializer)
      builder.setInsertionPointAfter(state.lastInitializer);
    else
      builder.setInsertionPointToStart(
          &op->getParentOfType<func::FuncOp>().getBody().front());
    auto initializer =
        awq::onnx::InitializerOp::create(builder, op->getLoc(), name, value);
    state.lastInitializer = initializer;
    return initializer;
  }

  /// A scalar constant of float type `elementType` (one per value).
  Value scalar(Type elementType, double value, StringRef name) {
    Value &cached =
        state.scalars[{elementType, llvm::bit_cast<uint64_t>(value)}];
    if (!cached) {
      auto type = RankedTensorType::get({}, elementType);
      cached = initializer(
          name, DenseElementsAttr::get(
                    type, builder.getFloatAttr(elementType, value)));
    }
    return cached;
  }

  /// An i64 vector constant named `<prefix>[v0,v1,...]`, one per value list.
  Value ints(StringRef prefix, ArrayRef<int64_t> values) {
    std::string name = prefix.str() + "[";
    llvm::raw_string_ostream os(name);
    llvm::interleave(values, os, ",");
    os << "]";
    Value &cached = state.intVectors[name];
    if (!cached) {
      auto type = RankedTensorType::get({static_cast<int64_t>(values.size())},
                                        builder.getI64Type());
      cached = initializer(name, DenseElementsAttr::get(type, values));
    }
    return cached;
  }

  /// The `axes` of a reduction over the last dimension: an attribute before
  /// opset 18, an input from then on.
  Value reduceMeanLast(Value input, Type type) {
    NamedAttribute keep = builder.getNamedAttr("keepdims",
                                               builder.getI64IntegerAttr(1));
    if (opset < 18)
      return node("ReduceMean", input, type,
                  {keep, builder.getNamedAttr(
                             "axes", builder.getDenseI64ArrayAttr({-1}))});
    auto axesType = RankedTensorType::get({1}, builder.getI64Type());
    Value axes = initializer("awq.axes_last",
                             DenseElementsAttr::get(axesType, int64_t(-1)));
    return node("ReduceMean", {input, axes}, type, {keep});
  }

  /// The reduced type of `type` (last dimension 1).
  static Type reducedType(Type type) {
    auto ranked = cast<RankedTensorType>(type);
    SmallVector<int64_t> shape(ranked.getShape());
    if (!shape.empty())
      shape.back() = 1;
    return RankedTensorType::get(shape, ranked.getElementType());
  }

  OpBuilder builder;
  Operation *op;
  int64_t opset;
  std::string baseName;
  LoweringState &state;
};

} // namespace

//===----------------------------------------------------------------------===//
// Constant bytes
//===----------------------------------------------------------------------===//

/// The bytes of the initializer defining `value`, or an error on `user`.
static FailureOr<ArrayRef<char>> readConstantBytes(Operation *user,
                                                   Value value,
                                                   StringRef what,
                                                   std::string &storage) {
  auto initializer = value.getDefiningOp<awq::onnx::InitializerOp>();
  if (!initializer)
    return user->emitError() << "cannot export: the " << what
                             << " is not an onnx.initializer";
  llvm::Expected<ArrayRef<char>> bytes =
      getONNXRawBytes(initializer.getValue(), storage);
  if (!bytes)
    return user->emitError()
           << "cannot export the " << what << " '"
           << initializer.getTensorName()
           << "': " << llvm::toString(bytes.takeError());
  return *bytes;
}

static const llvm::fltSemantics &semanticsOf(Type type) {
  return cast<FloatType>(type).getFloatSemantics();
}

/// Elements of float type `type` (f32, f16, bf16) as f32.
static std::vector<float> decodeFloats(Type type, ArrayRef<char> bytes) {
  int64_t width = type.getIntOrFloatBitWidth() / 8;
  std::vector<float> values(bytes.size() / width);
  for (size_t i = 0; i < values.size(); ++i) {
    if (width == 4) {
      std::memcpy(&values[i], bytes.data() + 4 * i, 4);
      continue;
    }
    uint16_t raw;
    std::memcpy(&raw, bytes.data() + 2 * i, 2);
    llvm::APFloat element(semanticsOf(type), llvm::APInt(16, raw));
    bool losesInfo;
    element.convert(llvm::APFloat::IEEEsingle(),
                    llvm::APFloat::rmNearestTiesToEven, &losesInfo);
    values[i] = element.convertToFloat();
  }
  return values;
}

/// f32 values as raw elements of float type `type` (rounded to nearest even).
static std::vector<char> encodeFloats(Type type, ArrayRef<float> values) {
  int64_t width = type.getIntOrFloatBitWidth() / 8;
  std::vector<char> bytes(values.size() * width);
  for (auto [i, value] : llvm::enumerate(values)) {
    if (width == 4) {
      std::memcpy(bytes.data() + 4 * i, &value, 4);
      continue;
    }
    llvm::APFloat element(value);
    bool losesInfo;
    element.convert(semanticsOf(type), llvm::APFloat::rmNearestTiesToEven,
                    &losesInfo);
    uint16_t raw = element.bitcastToAPInt().getZExtValue();
    std::memcpy(bytes.data() + 2 * i, &raw, 2);
  }
  return bytes;
}

/// `bytes` as elements of `type`: dense when small, else a resource blob.
static ElementsAttr makeElements(RankedTensorType type, ArrayRef<char> bytes,
                                 StringRef name) {
  if (type.getNumElements() <= kMaxInlineElements)
    return DenseElementsAttr::getFromRawBuffer(type, bytes);
  return DenseResourceElementsAttr::get(
      type, name,
      HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, /*align=*/64));
}

/// The same bytes as `value` under another shape, without a copy.
static ElementsAttr reshapeElements(ElementsAttr value, RankedTensorType type) {
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(value))
    return DenseResourceElementsAttr::get(type, resource.getRawHandle());
  return cast<DenseElementsAttr>(value).reshape(type);
}

//===----------------------------------------------------------------------===//
// group_matmul -> MatMulNBits
//===----------------------------------------------------------------------===//

/// Code `index` of a little-endian `bits`-wide stream.
static uint8_t readCode(const uint8_t *row, int64_t index, int64_t bits) {
  int64_t bit = index * bits;
  uint32_t word = row[bit / 8];
  if (bit % 8 + bits > 8)
    word |= uint32_t(row[bit / 8 + 1]) << 8;
  return (word >> (bit % 8)) & ((1u << bits) - 1);
}

static void writeCode(uint8_t *row, int64_t index, int64_t bits,
                      uint8_t code) {
  int64_t bit = index * bits;
  uint32_t shifted = uint32_t(code) << (bit % 8);
  row[bit / 8] |= shifted & 0xff;
  if (bit % 8 + bits > 8)
    row[bit / 8 + 1] |= shifted >> 8;
}

/// MatMulNBits' block size for `group_size` over K inputs, or 0 when none.
static int64_t chooseBlockSize(int64_t groupSize, int64_t k) {
  if (groupSize >= k)
    return std::clamp<int64_t>(llvm::PowerOf2Ceil(k), kMinBlockSize,
                               kMaxBlockSize);
  int64_t block = std::min<int64_t>(groupSize & -groupSize, kMaxBlockSize);
  return block >= kMinBlockSize ? block : 0;
}

static LogicalResult lowerGroupMatmul(GroupMatmulOp op, int64_t opset,
                                      const AWQToONNXOptions &options,
                                      LoweringState &state) {
  NodeBuilder b(op, opset, state);
  int64_t bits = op.getBits(), k = op.getInFeatures(),
          n = op.getOutFeatures(), groupSize = op.getGroupSize(),
          numGroups = op.getNumGroups();
  auto fail = [&]() {
    return op.emitError() << "cannot export awq.group_matmul '" << b.baseName
                          << "' as com.microsoft.MatMulNBits: ";
  };
  if (bits != 2 && bits != 4 && bits != 8)
    return fail() << bits
                  << "-bit weights (MatMulNBits takes 2, 4 or 8 bits)";
  if (op.getLayout() != WeightLayout::RowMajor)
    return fail() << "only the row_major layout is exported";
  int64_t block = chooseBlockSize(groupSize, k);
  if (block == 0)
    return fail() << "group size " << groupSize
                  << " has no power-of-two block size >= " << kMinBlockSize
                  << " dividing it";
  int64_t numBlocks = llvm::divideCeil(k, block);
  int64_t blobSize = block * bits / 8;
  int64_t rowBytes = llvm::divideCeil(k * bits, 8);
  auto groupOfBlock = [&](int64_t blockIndex) {
    return std::min(blockIndex * block / groupSize, numGroups - 1);
  };

  // B: [N, n_blocks, blob_size], padding codes zero.
  std::string storage;
  FailureOr<ArrayRef<char>> packed =
      readConstantBytes(op, op.getQweight(), "packed weight", storage);
  if (failed(packed))
    return failure();
  auto qweightInit = op.getQweight().getDefiningOp<awq::onnx::InitializerOp>();
  Type u8 = b.builder.getIntegerType(8, /*isSigned=*/false);
  auto bType = RankedTensorType::get({n, numBlocks, blobSize}, u8);
  ElementsAttr bValue;
  if (rowBytes == numBlocks * blobSize) {
    // Same bytes: block b starts at code b * block both in the row stream
    // and in the blocked layout (blob_size * 8 / bits == block).
    bValue = reshapeElements(qweightInit.getValue(), bType);
  } else {
    // Only the padding after K differs: rewrite the codes into zeroed rows.
    std::vector<char> blocked(n * numBlocks * blobSize, 0);
    for (int64_t row = 0; row < n; ++row) {
      auto *source =
          reinterpret_cast<const uint8_t *>(packed->data()) + row * rowBytes;
      auto *target = reinterpret_cast<uint8_t *>(blocked.data()) +
                     row * numBlocks * blobSize;
      for (int64_t index = 0; index < k; ++index)
        writeCode(target, index, bits, readCode(source, index, bits));
    }
    bValue = makeElements(bType, blocked, qweightInit.getTensorName());
  }
  Value bInput = b.initializer(qweightInit.getTensorName(), bValue);

  // scales: [N * n_blocks] in A's type.
  Type activationType = op.getInput().getType().getElementType();
  std::string scaleStorage;
  FailureOr<ArrayRef<char>> scaleBytes =
      readConstantBytes(op, op.getScales(), "scales", scaleStorage);
  if (failed(scaleBytes))
    return failure();
  std::vector<float> scales = decodeFloats(
      op.getScales().getType().getElementType(), *scaleBytes);
  std::vector<float> blockScales(n * numBlocks);
  for (int64_t row = 0; row < n; ++row)
    for (int64_t blockIndex = 0; blockIndex < numBlocks; ++blockIndex)
      blockScales[row * numBlocks + blockIndex] =
          scales[row * numGroups + groupOfBlock(blockIndex)];
  StringRef scalesName =
      op.getScales().getDefiningOp<awq::onnx::InitializerOp>().getTensorName();
  Value scalesInput = b.initializer(
      scalesName,
      makeElements(RankedTensorType::get({n * numBlocks}, activationType),
                   encodeFloats(activationType, blockScales), scalesName));

  // zero_points: uint8 [N, ceil(n_blocks * bits / 8)], packed like B.
  SmallVector<Value> inputs = {op.getInput(), bInput, scalesInput};
  Value none;
  auto omitted = [&]() {
    if (!none)
      none = awq::onnx::NoneOp::create(b.builder, op.getLoc());
    return none;
  };
  if (Value zeroPoints = op.getZeroPoints()) {
    std::string zeroStorage;
    FailureOr<ArrayRef<char>> zeroBytes =
        readConstantBytes(op, zeroPoints, "zero points", zeroStorage);
    if (failed(zeroBytes))
      return failure();
    int64_t zeroRowBytes = llvm::divideCeil(numBlocks * bits, 8);
    std::vector<char> zeros(n * zeroRowBytes, 0);
    for (int64_t row = 0; row < n; ++row)
      for (int64_t blockIndex = 0; blockIndex < numBlocks; ++blockIndex)
        writeCode(reinterpret_cast<uint8_t *>(zeros.data()) +
                      row * zeroRowBytes,
                  blockIndex, bits,
                  uint8_t((*zeroBytes)[row * numGroups +
                                       groupOfBlock(blockIndex)]));
    StringRef zerosName =
        zeroPoints.getDefiningOp<awq::onnx::InitializerOp>().getTensorName();
    inputs.push_back(b.initializer(
        zerosName,
        makeElements(RankedTensorType::get({n, zeroRowBytes}, u8), zeros,
                     zerosName)));
  } else if (op.getBias()) {
    inputs.push_back(omitted());
  }
  // g_idx (input 4) is never needed: groups are consecutive.
  if (Value bias = op.getBias())
    inputs.append({omitted(), bias});
  auto attr = [&](StringRef name, int64_t value) {
    return b.builder.getNamedAttr(name, b.builder.getI64IntegerAttr(value));
  };
  Value result = b.node("MatMulNBits", inputs, op.getType(),
                        {attr("K", k), attr("N", n), attr("bits", bits),
                         attr("block_size", block),
                         attr("accuracy_level", options.accuracyLevel)},
                        "com.microsoft", /*primary=*/true);
  op.getResult().replaceAllUsesWith(result);
  return success();
}

//===----------------------------------------------------------------------===//
// Float ops
//===----------------------------------------------------------------------===//

static void lowerLinear(LinearOp op, int64_t opset,
                        LoweringState &state) {
  NodeBuilder b(op, opset, state);
  Value weight = op.getWeight();
  if (op.getTransposeWeight()) {
    auto type = cast<RankedTensorType>(weight.getType());
    Type transposed = RankedTensorType::get(
        {type.getDimSize(1), type.getDimSize(0)}, type.getElementType());
    weight = b.node("Transpose", weight, transposed,
                    {b.builder.getNamedAttr(
                        "perm", b.builder.getDenseI64ArrayAttr({1, 0}))});
  }
  Value result = b.node("MatMul", {op.getInput(), weight}, op.getType(), {},
                        "", /*primary=*/true);
  if (Value bias = op.getBias())
    result = b.node("Add", {result, bias}, op.getType());
  op.getResult().replaceAllUsesWith(result);
}

static LogicalResult lowerScale(ScaleOp op, int64_t opset,
                                LoweringState &state) {
  NodeBuilder b(op, opset, state);
  Value result;
  auto initializer = op.getScales().getDefiningOp<awq::onnx::InitializerOp>();
  std::string storage;
  llvm::Expected<ArrayRef<char>> bytes =
      initializer ? getONNXRawBytes(initializer.getValue(), storage)
                  : llvm::Expected<ArrayRef<char>>(llvm::createStringError(
                        llvm::inconvertibleErrorCode(), "not constant"));
  if (bytes) {
    auto type = cast<RankedTensorType>(op.getScales().getType());
    std::vector<float> values = decodeFloats(type.getElementType(), *bytes);
    for (float &value : values)
      value = 1.0f / value;
    std::string name = (initializer.getTensorName() + ".reciprocal").str();
    Value reciprocal = b.initializer(
        name, makeElements(type, encodeFloats(type.getElementType(), values),
                           name));
    result = b.node("Mul", {op.getInput(), reciprocal}, op.getType());
  } else {
    llvm::consumeError(bytes.takeError());
    result = b.node("Div", {op.getInput(), op.getScales()}, op.getType());
  }
  op.getResult().replaceAllUsesWith(result);
  return success();
}

/// RMSNorm of x over its last axis as ONNX nodes (no ONNX op before opset 23).
static Value buildRMSNorm(NodeBuilder &b, Value x, Value weight, float epsilon,
                          bool unitOffset) {
  Type type = x.getType();
  Type element = cast<RankedTensorType>(type).getElementType();
  Type reduced = NodeBuilder::reducedType(type);
  Value square = b.node("Mul", {x, x}, type);
  Value mean = b.reduceMeanLast(square, reduced);
  Value eps = b.scalar(element, epsilon, "awq.rms_norm.epsilon");
  Value rms = b.node("Sqrt", b.node("Add", {mean, eps}, reduced), reduced);
  Value normalized = b.node("Div", {x, rms}, type);
  Value gain = weight;
  if (unitOffset)
    gain = b.node("Add", {gain, b.scalar(element, 1.0, "awq.one")},
                  gain.getType());
  return b.node("Mul", {normalized, gain}, type);
}

/// LayerNorm of x over its last axis: LayerNormalization from opset 17,
/// ReduceMean / Sub / Mul / Sqrt / Div before it.
static Value buildLayerNorm(NodeBuilder &b, int64_t opset, Value x,
                            Value weight, Value bias, float epsilon) {
  Type type = x.getType();
  Type element = cast<RankedTensorType>(type).getElementType();
  if (opset >= 17) {
    SmallVector<Value> inputs = {x, weight};
    if (bias)
      inputs.push_back(bias);
    return b.node(
        "LayerNormalization", inputs, type,
        {b.builder.getNamedAttr("axis", b.builder.getI64IntegerAttr(-1)),
         b.builder.getNamedAttr("epsilon",
                                b.builder.getF32FloatAttr(epsilon))});
  }
  Type reduced = NodeBuilder::reducedType(type);
  Value mean = b.reduceMeanLast(x, reduced);
  Value centered = b.node("Sub", {x, mean}, type);
  Value variance =
      b.reduceMeanLast(b.node("Mul", {centered, centered}, type), reduced);
  Value eps = b.scalar(element, epsilon, "awq.layer_norm.epsilon");
  Value deviation =
      b.node("Sqrt", b.node("Add", {variance, eps}, reduced), reduced);
  Value result =
      b.node("Mul", {b.node("Div", {centered, deviation}, type), weight}, type);
  if (bias)
    result = b.node("Add", {result, bias}, type);
  return result;
}

static void lowerRMSNorm(RMSNormOp op, int64_t opset,
                         LoweringState &state) {
  NodeBuilder b(op, opset, state);
  op.getResult().replaceAllUsesWith(
      buildRMSNorm(b, op.getInput(), op.getWeight(),
                   op.getEpsilon().convertToFloat(), op.getUnitOffset()));
}

static void lowerLayerNorm(LayerNormOp op, int64_t opset,
                           LoweringState &state) {
  NodeBuilder b(op, opset, state);
  op.getResult().replaceAllUsesWith(
      buildLayerNorm(b, opset, op.getInput(), op.getWeight(), op.getBias(),
                     op.getEpsilon().convertToFloat()));
}

/// awq.add_rms_norm / awq.add_layer_norm -> Add, then the norm of the sum:
/// the graph awq-fuse-residual-norm fused.
static void lowerAddRMSNorm(AddRMSNormOp op, int64_t opset,
                            LoweringState &state) {
  NodeBuilder b(op, opset, state);
  Value sum = b.node("Add", {op.getInput(), op.getResidual()}, op.getSum().getType());
  Value result = buildRMSNorm(b, sum, op.getWeight(),
                              op.getEpsilon().convertToFloat(), op.getUnitOffset());
  op.getSum().replaceAllUsesWith(sum);
  op.getResult().replaceAllUsesWith(result);
}

static void lowerAddLayerNorm(AddLayerNormOp op, int64_t opset,
                              LoweringState &state) {
  NodeBuilder b(op, opset, state);
  Value sum = b.node("Add", {op.getInput(), op.getResidual()}, op.getSum().getType());
  Value result = buildLayerNorm(b, opset, sum, op.getWeight(), op.getBias(),
                                op.getEpsilon().convertToFloat());
  op.getSum().replaceAllUsesWith(sum);
  op.getResult().replaceAllUsesWith(result);
}

/// Transpose(x, perm = [0, 2, 1, 3]): [B, S, H, D] <-> [B, H, S, D], the head
/// transpose awq-fuse-head-transposes took into attention and cache appends.
static Value swapHeadsAndPositions(NodeBuilder &b, Value x) {
  auto type = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t, 4> shape(type.getShape());
  std::swap(shape[1], shape[2]);
  return b.node("Transpose", x, RankedTensorType::get(shape, type.getElementType()),
                {b.builder.getNamedAttr("perm", b.builder.getDenseI64ArrayAttr({0, 2, 1, 3}))});
}

/// awq.kv_cache_append -> Concat(past, update, axis = 2), what it came from
/// (the update transposed back first when it is [B, S, H, D]).
static void lowerKVCacheAppend(KVCacheAppendOp op, int64_t opset,
                               LoweringState &state) {
  NodeBuilder b(op, opset, state);
  Value update = op.isSequenceFirst() ? swapHeadsAndPositions(b, op.getUpdate()) : op.getUpdate();
  op.getPresent().replaceAllUsesWith(b.node(
      "Concat", {op.getPast(), update}, op.getPresent().getType(),
      {b.builder.getNamedAttr("axis", b.builder.getI64IntegerAttr(2))}));
}

static void lowerSiLU(SiLUOp op, int64_t opset,
                      LoweringState &state) {
  NodeBuilder b(op, opset, state);
  Value sigmoid = b.node("Sigmoid", op.getInput(), op.getType());
  op.getResult().replaceAllUsesWith(
      b.node("Mul", {op.getInput(), sigmoid}, op.getType()));
}

/// awq.attention -> Transpose(k) -> MatMul(q, .) [-> Mul(scale)] [-> Add(mask)]
/// -> Softmax(last axis) -> MatMul(., v), the chain awq-fuse-attention fused.
/// Under grouped-query attention k and v are first repeated to the query
/// heads (HF's repeat_kv: Unsqueeze, Expand, Reshape), which needs static
/// head counts and head dims. One difference stays: a query whose scores are
/// all -inf gets NaN from ONNX's Softmax where the op gives zeros.
static LogicalResult lowerAttention(AttentionOp op, int64_t opset,
                                    LoweringState &state) {
  NodeBuilder b(op, opset, state);
  // A [B, S, H, D] query is transposed to [B, H, S, D] and the result back.
  const bool sequenceFirst = op.isSequenceFirst();
  Value query = sequenceFirst ? swapHeadsAndPositions(b, op.getQuery()) : op.getQuery();
  auto queryType = cast<RankedTensorType>(query.getType());
  auto keyType = cast<RankedTensorType>(op.getKey().getType());
  auto valueType = cast<RankedTensorType>(op.getValue().getType());
  Type element = queryType.getElementType();
  const int64_t queryHeads = queryType.getDimSize(1), kvHeads = keyType.getDimSize(1);
  Value key = op.getKey(), value = op.getValue();
  if (queryHeads != kvHeads) {
    if (ShapedType::isDynamic(queryHeads) || ShapedType::isDynamic(kvHeads) ||
        ShapedType::isDynamic(keyType.getDimSize(3)) ||
        ShapedType::isDynamic(valueType.getDimSize(3)))
      return op.emitError("cannot export awq.attention with ")
             << kvHeads << " key/value heads for " << queryHeads
             << " query heads: repeating them needs static head counts and head dims";
    const int64_t copies = queryHeads / kvHeads;
    auto repeat = [&](Value x, RankedTensorType type) {
      ArrayRef<int64_t> shape = type.getShape();
      auto unsqueezedType = RankedTensorType::get(
          {shape[0], shape[1], 1, shape[2], shape[3]}, element);
      Value unsqueezed =
          opset < 13 ? b.node("Unsqueeze", x, unsqueezedType,
                              {b.builder.getNamedAttr("axes", b.builder.getDenseI64ArrayAttr({2}))})
                     : b.node("Unsqueeze", {x, b.ints("awq.axes", {2})}, unsqueezedType);
      auto expandedType = RankedTensorType::get(
          {shape[0], shape[1], copies, shape[2], shape[3]}, element);
      Value expanded = b.node("Expand", {unsqueezed, b.ints("awq.repeat_kv", {1, 1, copies, 1, 1})},
                              expandedType);
      auto repeatedType =
          RankedTensorType::get({shape[0], queryHeads, shape[2], shape[3]}, element);
      return b.node("Reshape",
                    {expanded, b.ints("awq.shape", {0, queryHeads, -1, shape[3]})},
                    repeatedType);
    };
    key = repeat(key, keyType);
    value = repeat(value, valueType);
  }
  ArrayRef<int64_t> q = queryType.getShape(), k = keyType.getShape();
  auto keyTType = RankedTensorType::get({k[0], queryHeads, k[3], k[2]}, element);
  Value keyT = b.node("Transpose", key, keyTType,
                      {b.builder.getNamedAttr("perm", b.builder.getDenseI64ArrayAttr({0, 1, 3, 2}))});
  auto scoresType = RankedTensorType::get({q[0], q[1], q[2], k[2]}, element);
  Value scores = b.node("MatMul", {query, keyT}, scoresType);
  const float scale = op.getScale().convertToFloat();
  if (scale != 1.0f)
    scores = b.node("Mul", {scores, b.scalar(element, scale, "awq.attention.scale")}, scoresType);
  if (Value mask = op.getMask())
    scores = b.node("Add", {scores, mask}, scoresType);
  Value probabilities =
      b.node("Softmax", scores, scoresType,
             {b.builder.getNamedAttr("axis", b.builder.getI64IntegerAttr(-1))});
  auto resultType = cast<RankedTensorType>(op.getType());
  if (sequenceFirst) {
    SmallVector<int64_t, 4> shape(resultType.getShape());
    std::swap(shape[1], shape[2]);
    resultType = RankedTensorType::get(shape, element);
  }
  Value result =
      b.node("MatMul", {probabilities, value}, resultType, {}, "", /*primary=*/true);
  op.getResult().replaceAllUsesWith(sequenceFirst ? swapHeadsAndPositions(b, result) : result);
  return success();
}

/// awq.rotary_embedding -> Add(Mul(x, cos), Mul(rotate(x), sin)) with
/// rotate written as exporters write it: Concat(Neg(x[..., D/2:]),
/// x[..., :D/2]) for half_split; for interleaved the odd and even channels
/// (Slices with step 2, so opset 10 on) negated, unsqueezed, concatenated
/// and flattened back by Reshape [0, ..., 0, D]. The same roundings as the
/// op, so the export computes the same bits.
static LogicalResult lowerRotaryEmbedding(RotaryEmbeddingOp op, int64_t opset,
                                          LoweringState &state) {
  NodeBuilder b(op, opset, state);
  auto type = cast<RankedTensorType>(op.getType());
  Type element = type.getElementType();
  const int64_t rank = type.getRank(), headDim = type.getShape().back();
  const bool interleaved = op.getLayout() == RotaryLayout::Interleaved;
  if (opset < 10)
    return op.emitError("cannot export awq.rotary_embedding at opset ")
           << opset << ": its Slices need opset 10 or later";
  Value x = op.getInput();
  auto tensorOf = [&](ArrayRef<int64_t> shape) { return RankedTensorType::get(shape, element); };
  SmallVector<int64_t> halfShape(type.getShape());
  halfShape.back() = headDim / 2;
  auto slice = [&](int64_t start, int64_t end, int64_t step) {
    SmallVector<Value> inputs = {x, b.ints("awq.starts", {start}), b.ints("awq.ends", {end}),
                                 b.ints("awq.axes", {-1})};
    if (step != 1)
      inputs.push_back(b.ints("awq.steps", {step}));
    return b.node("Slice", inputs, tensorOf(halfShape));
  };
  NamedAttribute lastAxis = b.builder.getNamedAttr("axis", b.builder.getI64IntegerAttr(-1));
  Value rotated;
  if (!interleaved) {
    Value first = slice(0, headDim / 2, 1), second = slice(headDim / 2, headDim, 1);
    rotated = b.node("Concat", {b.node("Neg", second, tensorOf(halfShape)), first}, type, {lastAxis});
  } else {
    Value even = slice(0, headDim, 2), odd = slice(1, headDim, 2);
    // [..., D/2] -> [..., D/2, 1] each, then [..., D/2, 2] side by side.
    SmallVector<int64_t> singleShape(halfShape), pairShape(halfShape);
    singleShape.push_back(1);
    pairShape.push_back(2);
    auto unsqueezeLast = [&](Value v) {
      return opset < 13 ? b.node("Unsqueeze", v, tensorOf(singleShape),
                                 {b.builder.getNamedAttr("axes", b.builder.getDenseI64ArrayAttr({-1}))})
                        : b.node("Unsqueeze", {v, b.ints("awq.axes", {-1})}, tensorOf(singleShape));
    };
    Value pairs = b.node("Concat",
                         {unsqueezeLast(b.node("Neg", odd, tensorOf(halfShape))), unsqueezeLast(even)},
                         tensorOf(pairShape), {lastAxis});
    SmallVector<int64_t> flat(rank - 1, 0);
    flat.push_back(headDim);
    rotated = b.node("Reshape", {pairs, b.ints("awq.shape", flat)}, type);
  }
  Value direct = b.node("Mul", {x, op.getCos()}, type);
  Value turned = b.node("Mul", {rotated, op.getSin()}, type);
  op.getResult().replaceAllUsesWith(
      b.node("Add", {direct, turned}, type, {}, "", /*primary=*/true));
  return success();
}

static void lowerGELU(GELUOp op, int64_t opset,
                      LoweringState &state) {
  NodeBuilder b(op, opset, state);
  Type type = op.getType();
  Type element = op.getType().getElementType();
  bool tanh = op.getApproximate() == GeluApproximation::Tanh;
  Value x = op.getInput();
  if (opset >= 20) {
    op.getResult().replaceAllUsesWith(
        b.node("Gelu", x, type,
               {b.builder.getNamedAttr(
                   "approximate",
                   b.builder.getStringAttr(tanh ? "tanh" : "none"))}));
    return;
  }
  Value inner;
  if (tanh) {
    Value cube = b.node("Mul", {b.node("Mul", {x, x}, type), x}, type);
    Value cubic = b.node(
        "Add",
        {x, b.node("Mul", {cube, b.scalar(element, 0.044715, "awq.gelu.c")},
                   type)},
        type);
    inner = b.node(
        "Tanh",
        b.node("Mul",
               {cubic, b.scalar(element, std::sqrt(2.0 / M_PI),
                                "awq.gelu.sqrt_2_over_pi")},
               type),
        type);
  } else {
    inner = b.node(
        "Erf",
        b.node("Div",
               {x, b.scalar(element, std::sqrt(2.0), "awq.gelu.sqrt_2")},
               type),
        type);
  }
  Value onePlus =
      b.node("Add", {inner, b.scalar(element, 1.0, "awq.one")}, type);
  Value result = b.node(
      "Mul", {b.node("Mul", {x, onePlus}, type), b.scalar(element, 0.5, "awq.half")},
      type);
  op.getResult().replaceAllUsesWith(result);
}

//===----------------------------------------------------------------------===//
// Driver
//===----------------------------------------------------------------------===//

/// The opset of the default domain: the module's import, else the first
/// node's, else kDefaultOpset.
static int64_t defaultDomainOpset(ModuleOp module) {
  if (auto imports = module->getAttrOfType<DictionaryAttr>(kOpsetImportsAttrName))
    for (StringRef domain : {"ai.onnx", ""})
      if (auto version = imports.getAs<IntegerAttr>(domain))
        return version.getInt();
  int64_t opset = 0;
  module.walk([&](awq::onnx::NodeOp node) {
    if (node.getDomain().empty()) {
      opset = node.getOpset();
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return opset ? opset : kDefaultOpset;
}

LogicalResult awq::lowerAWQToONNX(ModuleOp module,
                                  const AWQToONNXOptions &options) {
  int64_t opset = defaultDomainOpset(module);
  LoweringState state;
  module.walk([&](awq::onnx::NodeOp node) {
    if (std::optional<StringRef> name = node.getName())
      state.nodeNames.insert(*name);
  });
  SmallVector<Operation *> lowered;
  WalkResult walk = module.walk([&](Operation *op) {
    if (!isa<AWQDialect>(op->getDialect()))
      return WalkResult::advance();
    LogicalResult result =
        llvm::TypeSwitch<Operation *, LogicalResult>(op)
            .Case([&](GroupMatmulOp op) {
              return lowerGroupMatmul(op, opset, options, state);
            })
            .Case([&](LinearOp op) {
              lowerLinear(op, opset, state);
              return success();
            })
            .Case([&](ScaleOp op) { return lowerScale(op, opset, state); })
            .Case([&](RMSNormOp op) {
              lowerRMSNorm(op, opset, state);
              return success();
            })
            .Case([&](LayerNormOp op) {
              lowerLayerNorm(op, opset, state);
              return success();
            })
            .Case([&](AddRMSNormOp op) {
              lowerAddRMSNorm(op, opset, state);
              return success();
            })
            .Case([&](AddLayerNormOp op) {
              lowerAddLayerNorm(op, opset, state);
              return success();
            })
            .Case([&](KVCacheAppendOp op) {
              lowerKVCacheAppend(op, opset, state);
              return success();
            })
            .Case([&](SiLUOp op) {
              lowerSiLU(op, opset, state);
              return success();
            })
            .Case([&](GELUOp op) {
              lowerGELU(op, opset, state);
              return success();
            })
            .Case([&](AttentionOp op) { return lowerAttention(op, opset, state); })
            .Case([&](RotaryEmbeddingOp op) { return lowerRotaryEmbedding(op, opset, state); })
            .Default([](Operation *op) {
              return op->emitError()
                     << "cannot export '" << op->getName()
                     << "': it has no ONNX form";
            });
    if (failed(result))
      return WalkResult::interrupt();
    lowered.push_back(op);
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();

  // The awq ops, then the constants only they used (the packed weights
  // in their old shapes, the scales before reciprocals).
  SmallVector<Operation *> maybeDead;
  for (Operation *op : llvm::reverse(lowered)) {
    for (Value operand : op->getOperands())
      if (Operation *def = operand.getDefiningOp())
        if (isa<awq::onnx::InitializerOp, awq::onnx::NoneOp>(def))
          maybeDead.push_back(def);
    op->erase();
  }
  llvm::SmallPtrSet<Operation *, 16> erased;
  for (Operation *def : maybeDead)
    if (def->use_empty() && erased.insert(def).second)
      def->erase();
  // Unused onnx.none ops created for ops that needed no placeholder.
  module.walk([](awq::onnx::NoneOp none) {
    if (none.use_empty())
      none.erase();
  });
  return success();
}
