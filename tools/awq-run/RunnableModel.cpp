//===- RunnableModel.cpp - The executor and compiled libraries ------------===//

#include "RunnableModel.h"

#include "awq_model.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/Support/FormatVariadic.h"

#include <cstring>
#include <dlfcn.h>

using namespace awq;

namespace {

class ExecutorModel : public RunnableModel {
public:
  explicit ExecutorModel(Executor &executor) : executor(executor) {}
  llvm::ArrayRef<TensorSignature> inputs() const override { return executor.inputs(); }
  llvm::ArrayRef<TensorSignature> outputs() const override { return executor.outputs(); }
  llvm::Expected<std::vector<HostTensor>> run(llvm::ArrayRef<HostTensor> inputs) override {
    return executor.run(inputs);
  }

private:
  Executor &executor;
};

/// The API of awq_model.h, looked up in a dlopen'ed library.
struct ModelLibraryAPI {
  decltype(&awq_model_create) create;
  decltype(&awq_model_destroy) destroy;
  decltype(&awq_model_last_error) lastError;
  decltype(&awq_model_num_inputs) numInputs;
  decltype(&awq_model_num_outputs) numOutputs;
  decltype(&awq_model_input_info) inputInfo;
  decltype(&awq_model_output_info) outputInfo;
  decltype(&awq_model_run) run;
  decltype(&awq_model_metadata) metadata;
  // Optional: libraries built before the API had them lack these.
  decltype(&awq_model_carry_output) carryOutput;
  decltype(&awq_model_reset_carried) resetCarried;
};

class LibraryModel : public RunnableModel {
public:
  ~LibraryModel() override {
    if (model)
      api.destroy(model);
    if (handle)
      dlclose(handle);
  }
  static llvm::Expected<std::unique_ptr<RunnableModel>> load(llvm::StringRef path);

  llvm::ArrayRef<TensorSignature> inputs() const override { return inputSignatures; }
  llvm::ArrayRef<TensorSignature> outputs() const override { return outputSignatures; }
  llvm::Expected<std::vector<HostTensor>> run(llvm::ArrayRef<HostTensor> inputs) override;
  llvm::Expected<bool> carryOutput(size_t output, size_t input) override {
    if (!api.carryOutput || !api.resetCarried)
      return false;
    if (api.carryOutput(model, static_cast<int32_t>(output), static_cast<int32_t>(input)) != 0)
      return llvm::createStringError(api.lastError());
    return true;
  }
  void resetCarried() override {
    if (api.resetCarried)
      api.resetCarried(model);
  }
  std::optional<llvm::StringRef> metadata(llvm::StringRef key) const override {
    const char *value = api.metadata(model, key.str().c_str());
    return value ? std::optional<llvm::StringRef>(value) : std::nullopt;
  }

private:
  void *handle = nullptr;
  ModelLibraryAPI api{};
  awq_model *model = nullptr;
  std::vector<TensorSignature> inputSignatures, outputSignatures;
};

bool isEmpty(const awq_tensor &desc) {
  for (int32_t i = 0; i < desc.rank; ++i)
    if (desc.shape[i] == 0)
      return true;
  return false;
}

TensorSignature toSignature(const awq_model_tensor_info &info) {
  TensorSignature signature{info.name, static_cast<awq_dtype>(info.dtype), {}};
  for (int32_t i = 0; i < info.rank; ++i)
    signature.shape.push_back(info.shape[i] < 0 ? mlir::ShapedType::kDynamic
                                                : info.shape[i]);
  return signature;
}

llvm::Expected<std::unique_ptr<RunnableModel>> LibraryModel::load(llvm::StringRef path) {
  auto library = std::make_unique<LibraryModel>();
  std::string pathString = path.str();
  // A bare name would be searched on the library path: anchor it here.
  if (pathString.find('/') == std::string::npos)
    pathString = "./" + pathString;
  library->handle = dlopen(pathString.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!library->handle)
    return llvm::createStringError(
        llvm::formatv("cannot load model library '{0}': {1}", path, dlerror()));
  auto lookup = [&](auto &function, const char *name) -> llvm::Error {
    function = reinterpret_cast<std::remove_reference_t<decltype(function)>>(
        dlsym(library->handle, name));
    if (!function)
      return llvm::createStringError(llvm::formatv(
          "'{0}' is not a model library made by awq-compile (no {1})", path, name));
    return llvm::Error::success();
  };
  ModelLibraryAPI &api = library->api;
  for (auto [function, name] :
       std::initializer_list<std::pair<void **, const char *>>{
           {reinterpret_cast<void **>(&api.create), "awq_model_create"},
           {reinterpret_cast<void **>(&api.destroy), "awq_model_destroy"},
           {reinterpret_cast<void **>(&api.lastError), "awq_model_last_error"},
           {reinterpret_cast<void **>(&api.numInputs), "awq_model_num_inputs"},
           {reinterpret_cast<void **>(&api.numOutputs), "awq_model_num_outputs"},
           {reinterpret_cast<void **>(&api.inputInfo), "awq_model_input_info"},
           {reinterpret_cast<void **>(&api.outputInfo), "awq_model_output_info"},
           {reinterpret_cast<void **>(&api.run), "awq_model_run"},
           {reinterpret_cast<void **>(&api.metadata), "awq_model_metadata"}})
    if (llvm::Error error = lookup(*function, name))
      return std::move(error);
  api.carryOutput = reinterpret_cast<decltype(api.carryOutput)>(
      dlsym(library->handle, "awq_model_carry_output"));
  api.resetCarried = reinterpret_cast<decltype(api.resetCarried)>(
      dlsym(library->handle, "awq_model_reset_carried"));
  // The host sets the thread count for its own runtime copy; pass it on.
  if (api.create(awq_get_num_threads(), &library->model) != 0)
    return llvm::createStringError(
        llvm::formatv("'{0}': {1}", path, api.lastError()));
  for (int32_t i = 0, e = api.numInputs(library->model); i < e; ++i) {
    awq_model_tensor_info info;
    api.inputInfo(library->model, i, &info);
    library->inputSignatures.push_back(toSignature(info));
  }
  for (int32_t i = 0, e = api.numOutputs(library->model); i < e; ++i) {
    awq_model_tensor_info info;
    api.outputInfo(library->model, i, &info);
    library->outputSignatures.push_back(toSignature(info));
  }
  return std::unique_ptr<RunnableModel>(std::move(library));
}

llvm::Expected<std::vector<HostTensor>>
LibraryModel::run(llvm::ArrayRef<HostTensor> inputs) {
  std::vector<awq_tensor> inputDescs;
  for (const HostTensor &input : inputs)
    inputDescs.push_back(input.desc());
  std::vector<awq_tensor> outputDescs(outputSignatures.size());
  if (api.run(model, inputDescs.data(), inputDescs.size(), outputDescs.data(),
              outputDescs.size()) != 0)
    return llvm::createStringError(api.lastError());
  // The library's outputs live until its next run: copy them out. Kept
  // (carried) outputs have no data here.
  std::vector<HostTensor> results;
  for (const awq_tensor &desc : outputDescs) {
    if (!desc.data && !isEmpty(desc)) {
      results.emplace_back();
      continue;
    }
    HostTensor tensor = HostTensor::allocateLike(desc);
    if (tensor.byteSize())
      std::memcpy(tensor.mutableRawData(), desc.data, tensor.byteSize());
    results.push_back(std::move(tensor));
  }
  return results;
}

} // namespace

std::unique_ptr<RunnableModel> awq::wrapExecutor(Executor &executor) {
  return std::make_unique<ExecutorModel>(executor);
}

llvm::Expected<std::unique_ptr<RunnableModel>> awq::loadModelLibrary(llvm::StringRef path) {
  return LibraryModel::load(path);
}
