// CompiledModel.cpp - the public API of a model library (awq_model.h) over the
// graph function and description awq-compile generates (awq_compiled_model.h).
//
// An instance owns the slot descriptors and the planned intermediate buffers;
// buffers only grow (to the largest tensor any run puts in them), so after
// the first run of a given size a run allocates nothing.
#include "ModelBackend.h"
#include "ModelDescription.h"

#include "../cpu/RuntimeInternal.h"
#include "awq_compiled_model.h"
#include "awq_model.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>

using namespace awq::rt;

namespace {

// A read-only mapping of the weights side file.
struct MappedFile {
  void *data = nullptr;
  size_t size = 0;
  ~MappedFile() {
    if (data)
      munmap(data, size);
  }
};

// A side file named relative to the directory of this library.
std::string resolveWeightsPath(const std::string &name) {
  if (!name.empty() && name[0] == '/')
    return name;
  Dl_info info{};
  if (!dladdr(static_cast<const void *>(awq_compiled_model_description), &info) ||
      !info.dli_fname)
    return name;
  std::string library = info.dli_fname;
  size_t slash = library.rfind('/');
  return slash == std::string::npos ? name : library.substr(0, slash + 1) + name;
}

void mapWeights(const std::string &name, MappedFile &file) {
  std::string path = resolveWeightsPath(name);
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    raise("cannot open the weights file '%s': %s", path.c_str(), strerror(errno));
  struct stat status {};
  if (fstat(fd, &status) != 0) {
    close(fd);
    raise("cannot stat the weights file '%s'", path.c_str());
  }
  file.size = static_cast<size_t>(status.st_size);
  if (file.size > 0) {
    void *data = mmap(nullptr, file.size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (data == MAP_FAILED) {
      close(fd);
      raise("cannot map the weights file '%s': %s", path.c_str(), strerror(errno));
    }
    file.data = data;
  }
  close(fd);
}

awq_model_tensor_info infoOf(const ModelPort &port) {
  awq_model_tensor_info info{};
  info.name = port.name.c_str();
  info.dtype = port.type.dtype;
  info.rank = static_cast<int32_t>(port.type.dims.size());
  for (size_t i = 0; i < port.type.dims.size(); ++i)
    info.shape[i] = port.type.dims[i];
  return info;
}

} // namespace

struct awq_model {
  ModelDescription description;
  MappedFile weights;
  // The slots holding inputs and constants before any run (node results are
  // rewritten by every run).
  std::vector<awq_tensor> initialSlots;
  std::vector<awq_tensor> slots;
  std::unique_ptr<ModelBackend> backend;
  // Outputs kept to feed inputs of the next run (awq_model_carry_output).
  std::vector<CarriedTensor> carries;
};

namespace {

void checkInput(const ModelPort &port, const awq_tensor *tensor) {
  checkDescriptor(tensor, port.name.c_str());
  if (tensor->dtype != port.type.dtype)
    raise("input '%s' must be %s, got %s", port.name.c_str(), awq_dtype_name(port.type.dtype),
          awq_dtype_name(tensor->dtype));
  if (tensor->rank != static_cast<int32_t>(port.type.dims.size()))
    raise("input '%s' must have rank %zu, got %d", port.name.c_str(), port.type.dims.size(),
          tensor->rank);
  for (int32_t i = 0; i < tensor->rank; ++i)
    if (port.type.dims[i] >= 0 && tensor->shape[i] != port.type.dims[i])
      raise("input '%s' dim %d must be %lld, got %lld", port.name.c_str(), i,
            static_cast<long long>(port.type.dims[i]), static_cast<long long>(tensor->shape[i]));
  checkData(tensor, port.name.c_str());
}

void createModel(int32_t numThreads, awq_model **result) {
  if (!result)
    raise("the result pointer is NULL");
  auto model = std::make_unique<awq_model>();
  model->description = parseModelDescription(awq_compiled_model_description);
  const ModelDescription &description = model->description;
  if (!description.weightsFile.empty())
    mapWeights(description.weightsFile, model->weights);
  model->backend = createModelBackend(description, numThreads);
  model->initialSlots.assign(description.numSlots, awq_tensor{});
  for (size_t i = 0; i < description.constants.size(); ++i) {
    const ModelConstant &constant = description.constants[i];
    awq_tensor &slot = model->initialSlots[constant.slot];
    slot.dtype = constant.type.dtype;
    slot.rank = static_cast<int32_t>(constant.type.dims.size());
    for (int32_t d = 0; d < slot.rank; ++d)
      slot.shape[d] = constant.type.dims[d];
    const void *hostData = nullptr;
    if (description.weightsFile.empty()) {
      hostData = awq_compiled_model_constants[i];
    } else {
      if (constant.fileOffset > model->weights.size ||
          constant.bytes > model->weights.size - constant.fileOffset)
        raise("the weights file '%s' is too short (%zu bytes) for the constant in slot %u",
              description.weightsFile.c_str(), model->weights.size, constant.slot);
      hostData = static_cast<uint8_t *>(model->weights.data) + constant.fileOffset;
    }
    slot.data = model->backend->placeConstant(constant, hostData);
  }
  model->slots = model->initialSlots;
  *result = model.release();
}

void runModel(awq_model *model, const awq_tensor *inputs, int32_t numInputs,
              awq_tensor *outputs, int32_t numOutputs) {
  if (!model)
    raise("the model is NULL");
  const ModelDescription &description = model->description;
  if (numInputs != static_cast<int32_t>(description.inputs.size()))
    raise("the model takes %zu inputs, got %d", description.inputs.size(), numInputs);
  if (numOutputs != static_cast<int32_t>(description.outputs.size()))
    raise("the model has %zu outputs, got room for %d", description.outputs.size(), numOutputs);
  if ((numInputs && !inputs) || (numOutputs && !outputs))
    raise("inputs or outputs is NULL");
  // The held carries' inputs come from the instance, the others from the caller.
  std::vector<const awq_tensor *> sources(numInputs);
  for (int32_t i = 0; i < numInputs; ++i)
    sources[i] = &inputs[i];
  for (const CarriedTensor &carry : model->carries)
    if (carry.held)
      sources[carry.input] = &carry.value;
  for (int32_t i = 0; i < numInputs; ++i) // a kept output may not fit a static dim
    checkInput(description.inputs[i], sources[i]);

  model->slots = model->initialSlots;
  for (int32_t i = 0; i < numInputs; ++i)
    model->slots[description.inputs[i].slot] = *sources[i];
  model->backend->run(model->slots, model->carries, outputs, numOutputs);
}

void carryOutput(awq_model *model, int32_t outputIndex, int32_t inputIndex) {
  if (!model)
    raise("the model is NULL");
  const ModelDescription &description = model->description;
  if (outputIndex < 0 || outputIndex >= static_cast<int32_t>(description.outputs.size()))
    raise("output index %d out of range (%zu outputs)", outputIndex, description.outputs.size());
  if (inputIndex < 0 || inputIndex >= static_cast<int32_t>(description.inputs.size()))
    raise("input index %d out of range (%zu inputs)", inputIndex, description.inputs.size());
  const ModelPort &output = description.outputs[outputIndex];
  const ModelPort &input = description.inputs[inputIndex];
  for (const CarriedTensor &carry : model->carries) {
    if (carry.output == outputIndex)
      raise("output '%s' already feeds input '%s'", output.name.c_str(),
            description.inputs[carry.input].name.c_str());
    if (carry.input == inputIndex)
      raise("input '%s' is already fed by output '%s'", input.name.c_str(),
            description.outputs[carry.output].name.c_str());
  }
  if (output.type.dtype != input.type.dtype)
    raise("output '%s' is %s but input '%s' is %s", output.name.c_str(),
          awq_dtype_name(output.type.dtype), input.name.c_str(), awq_dtype_name(input.type.dtype));
  if (output.type.dims.size() != input.type.dims.size())
    raise("output '%s' has rank %zu but input '%s' has rank %zu", output.name.c_str(),
          output.type.dims.size(), input.name.c_str(), input.type.dims.size());
  for (size_t d = 0; d < input.type.dims.size(); ++d) {
    const int64_t in = input.type.dims[d], out = output.type.dims[d];
    if (in >= 0 && out >= 0 && in != out)
      raise("output '%s' dim %zu is %lld but input '%s' dim %zu is %lld", output.name.c_str(), d,
            static_cast<long long>(out), input.name.c_str(), d, static_cast<long long>(in));
  }
  CarriedTensor carry;
  carry.output = outputIndex;
  carry.input = inputIndex;
  model->carries.push_back(carry);
}

// Errors raised here read "awq_model_run: ..."; a failing node's own message
// passes through unchanged.
template <class Body> awq_status modelGuard(const char *function, Body &&body) noexcept {
  try {
    body();
    return 0;
  } catch (const OpError &error) {
    if (error.message == awq_last_error())
      return 1;
    setLastError(function, error.message.c_str());
  } catch (const std::exception &error) {
    setLastError(function, error.what());
  }
  return 1;
}

} // namespace

extern "C" {

awq_status awq_model_create(int32_t num_threads, awq_model **model) {
  return modelGuard("awq_model_create", [&] { createModel(num_threads, model); });
}

void awq_model_destroy(awq_model *model) { delete model; }

const char *awq_model_last_error(void) { return awq_last_error(); }

int32_t awq_model_num_inputs(const awq_model *model) {
  return model ? static_cast<int32_t>(model->description.inputs.size()) : 0;
}

int32_t awq_model_num_outputs(const awq_model *model) {
  return model ? static_cast<int32_t>(model->description.outputs.size()) : 0;
}

awq_status awq_model_input_info(const awq_model *model, int32_t index,
                                awq_model_tensor_info *info) {
  return modelGuard("awq_model_input_info", [&] {
    if (!model || !info)
      raise("model or info is NULL");
    if (index < 0 || index >= static_cast<int32_t>(model->description.inputs.size()))
      raise("input index %d out of range (%zu inputs)", index, model->description.inputs.size());
    *info = infoOf(model->description.inputs[index]);
  });
}

awq_status awq_model_output_info(const awq_model *model, int32_t index,
                                 awq_model_tensor_info *info) {
  return modelGuard("awq_model_output_info", [&] {
    if (!model || !info)
      raise("model or info is NULL");
    if (index < 0 || index >= static_cast<int32_t>(model->description.outputs.size()))
      raise("output index %d out of range (%zu outputs)", index,
            model->description.outputs.size());
    *info = infoOf(model->description.outputs[index]);
  });
}

awq_status awq_model_run(awq_model *model, const awq_tensor *inputs, int32_t num_inputs,
                         awq_tensor *outputs, int32_t num_outputs) {
  return modelGuard("awq_model_run",
                    [&] { runModel(model, inputs, num_inputs, outputs, num_outputs); });
}

awq_status awq_model_carry_output(awq_model *model, int32_t output_index, int32_t input_index) {
  return modelGuard("awq_model_carry_output",
                    [&] { carryOutput(model, output_index, input_index); });
}

void awq_model_reset_carried(awq_model *model) {
  if (!model)
    return;
  for (CarriedTensor &carry : model->carries)
    carry.held = false;
}

const char *awq_model_metadata(const awq_model *model, const char *key) {
  if (!model || !key)
    return nullptr;
  for (const auto &[entryKey, value] : model->description.metadata)
    if (entryKey == key)
      return value.c_str();
  return nullptr;
}

size_t awq_model_workspace_bytes(const awq_model *model) {
  return model ? model->backend->workspaceBytes() : 0;
}

} // extern "C"
