//===- AWQDialect.h - The awq dialect ---------------------------*- C++ -*-===//

#ifndef AWQ_DIALECT_AWQ_AWQDIALECT_H
#define AWQ_DIALECT_AWQ_AWQDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "awq/Dialect/AWQ/AWQDialect.h.inc"
#include "awq/Dialect/AWQ/AWQEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "awq/Dialect/AWQ/AWQAttrs.h.inc"

#define GET_OP_CLASSES
#include "awq/Dialect/AWQ/AWQOps.h.inc"

#endif // AWQ_DIALECT_AWQ_AWQDIALECT_H
