//===- WeightConstants.h - Reading and writing constant weights -*- C++ -*-===//
//
// The AWQ passes read weights, norm parameters and biases as f32 arrays and
// write new constants back: small ones as dense attributes (visible in
// printed IR), large ones as dense_resource blobs.
//
//===----------------------------------------------------------------------===//

#ifndef AWQ_TRANSFORMS_WEIGHTCONSTANTS_H
#define AWQ_TRANSFORMS_WEIGHTCONSTANTS_H

#include "awq/Dialect/AWQ/AWQDialect.h"

#include "mlir/IR/Builders.h"

#include <vector>

namespace awq {

/// Constants with at most this many elements are written as dense
/// attributes; the importer's default inline limit
/// (ImportOptions::maxInlineElements), so imported and derived constants print
/// alike.
inline constexpr int64_t kMaxInlineElements = 64;

/// The elements of the constant `value` (an onnx.initializer, an ONNX
/// Constant node, any ConstantLike op), converted to f32, row-major; failure
/// when `value` is not a float constant.
mlir::FailureOr<std::vector<float>> readFloatConstant(mlir::Value value);

/// The elements of a float elements attribute (dense or resource blob) as
/// f32, row-major.
mlir::FailureOr<std::vector<float>> readFloatElements(mlir::ElementsAttr elements);

/// True when `value` is a constant (initializer, Constant node, ...).
bool isConstantValue(mlir::Value value);

/// The tensor name of the onnx.initializer defining `value`, or "".
llvm::StringRef getInitializerName(mlir::Value value);

/// `values` as an elements attribute of `type` (f32, f16 or bf16 elements):
/// dense when small, else a resource blob named after `name`.
mlir::ElementsAttr makeFloatElements(mlir::RankedTensorType type,
                                     llvm::ArrayRef<float> values,
                                     llvm::StringRef name);
/// Bytes as an elements attribute of `type` (ui8 elements).
mlir::ElementsAttr makeByteElements(mlir::RankedTensorType type,
                                    llvm::ArrayRef<uint8_t> values,
                                    llvm::StringRef name);

/// A new onnx.initializer `name` holding `elements`, created at the start of
/// the function that contains `user` (where the importer puts initializers).
mlir::Value createInitializer(mlir::OpBuilder &builder, mlir::Operation *user,
                              llvm::StringRef name, mlir::ElementsAttr elements);

/// A new float constant of `type` holding `values`, named `name`.
mlir::Value createFloatConstant(mlir::OpBuilder &builder, mlir::Operation *user,
                                llvm::StringRef name,
                                mlir::RankedTensorType type,
                                llvm::ArrayRef<float> values);

/// A name for a constant derived from `original` (an initializer's value or
/// any value): the initializer name plus `suffix`, or `fallback` + `suffix`.
std::string derivedConstantName(mlir::Value original, llvm::StringRef fallback,
                                llvm::StringRef suffix);

/// The weight of `linear` as [N, K] row-major f32 (transposed when it is
/// stored [K, N]); failure when it is not a constant.
mlir::FailureOr<std::vector<float>> readLinearWeight(LinearOp linear);

/// A new constant holding `weightNK` ([N, K] row-major) in the layout and
/// element type of `linear`'s weight; `suffix` extends its name.
mlir::Value createLinearWeight(mlir::OpBuilder &builder, LinearOp linear,
                               llvm::ArrayRef<float> weightNK,
                               llvm::StringRef suffix);

/// Erases the op defining `value` when nothing uses it any more.
void eraseIfUnused(mlir::Value value);

/// Transposes a row-major [rows, cols] matrix.
std::vector<float> transposeMatrix(llvm::ArrayRef<float> matrix, int64_t rows,
                                   int64_t cols);

} // namespace awq

#endif // AWQ_TRANSFORMS_WEIGHTCONSTANTS_H
