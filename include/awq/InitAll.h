//===- InitAll.h - Register every awq dialect and pass ----------*- C++ -*-===//
//
// The single entry point for embedding awq in another MLIR tool: link
// AWQ::AWQInitAll (find_package(AWQ)) and call these two functions.
//
//===----------------------------------------------------------------------===//

#ifndef AWQ_INITALL_H
#define AWQ_INITALL_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace awq {

/// Adds the onnx and awq dialects and the upstream dialects that awq's IR
/// uses (builtin, func, arith) to `registry`.
void registerAllDialects(mlir::DialectRegistry &registry);

/// Registers all awq passes and pipelines with the global pass registry (so
/// they appear in `--help` and parse from pipeline strings), plus the upstream
/// generic transforms (canonicalize, cse, ...).
void registerAllPasses();

} // namespace awq

#endif // AWQ_INITALL_H
