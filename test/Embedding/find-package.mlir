// Installs awq, builds a separate CMake project against the installed package
// (find_package(AWQ)), and runs one of our passes through it.
// RUN: rm -rf %t && mkdir -p %t
// RUN: %cmake --install %awq_build --prefix %t/install > %t/install.log
// RUN: %cmake -G Ninja -S %S/Inputs/consumer -B %t/build -DCMAKE_PREFIX_PATH=%t/install \
// RUN:   -DCMAKE_CXX_COMPILER=%cxx -DCMAKE_C_COMPILER=%c_compiler \
// RUN:   "-DCMAKE_EXE_LINKER_FLAGS=%linker_flags" -DCMAKE_BUILD_TYPE=Release > %t/configure.log
// RUN: %cmake --build %t/build > %t/build.log
// RUN: %t/build/awq-consumer %s | FileCheck %s

// CHECK-LABEL: func.func @embedded
// CHECK: awq.linear %{{.*}}, %{{.*}} {name = "/fc/MatMul"} : (tensor<?x64xf32>, tensor<64x16xf32>) -> tensor<?x16xf32>
// CHECK-NOT: onnx.node
func.func @embedded(%x: tensor<?x64xf32>) -> tensor<?x16xf32> {
  %w = onnx.initializer "fc.weight" = dense<1.0> : tensor<64x16xf32>
  %0 = onnx.node "MatMul"(%x, %w) {opset = 17 : i64, name = "/fc/MatMul"}
      : (tensor<?x64xf32>, tensor<64x16xf32>) -> tensor<?x16xf32>
  return %0 : tensor<?x16xf32>
}
