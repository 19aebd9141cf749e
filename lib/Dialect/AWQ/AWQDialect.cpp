//===- AWQDialect.cpp - The awq dialect: registration and attributes -------===//

#include "awq/Dialect/AWQ/AWQDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace awq;

#include "awq/Dialect/AWQ/AWQDialect.cpp.inc"
#include "awq/Dialect/AWQ/AWQEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "awq/Dialect/AWQ/AWQAttrs.cpp.inc"

void AWQDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "awq/Dialect/AWQ/AWQAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "awq/Dialect/AWQ/AWQOps.cpp.inc"
      >();
}
