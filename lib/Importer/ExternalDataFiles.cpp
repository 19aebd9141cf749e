//===- ExternalDataFiles.cpp - Memory-mapped ONNX external data -----------===//

#include "ExternalDataFiles.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/Path.h"

#include <onnx/onnx_pb.h>

using namespace awq;
using llvm::createStringError;
using llvm::inconvertibleErrorCode;

/// True when `location` names a file inside the model's directory: relative,
/// and without `..` components that could climb out of it.
static bool staysInsideModelDir(llvm::StringRef location) {
  if (location.empty() || llvm::sys::path::is_absolute(location) ||
      llvm::sys::path::has_root_name(location))
    return false;
  for (llvm::StringRef component : llvm::make_range(
           llvm::sys::path::begin(location), llvm::sys::path::end(location)))
    if (component == "..")
      return false;
  return true;
}

llvm::Expected<std::shared_ptr<llvm::MemoryBuffer>>
ExternalDataFiles::getMapping(llvm::StringRef location) {
  auto it = mappings.find(location);
  if (it != mappings.end())
    return it->second;
  llvm::SmallString<256> path(modelDir);
  llvm::sys::path::append(path, location);
  // No null terminator is needed, which lets LLVM mmap the file instead of
  // reading it; pages are only touched when the weights are used.
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false);
  if (!buffer)
    return createStringError(buffer.getError(),
                             "cannot open external data file '%s': %s",
                             path.c_str(), buffer.getError().message().c_str());
  std::shared_ptr<llvm::MemoryBuffer> mapping = std::move(*buffer);
  mappings[location] = mapping;
  return mapping;
}

/// Parses the decimal `value` of external-data key `key`.
static llvm::Expected<uint64_t> parseExternalDataNumber(llvm::StringRef key,
                                                        llvm::StringRef value) {
  uint64_t number;
  if (value.getAsInteger(10, number))
    return createStringError(inconvertibleErrorCode(),
                             "external data %s '%s' is not a number",
                             key.str().c_str(), value.str().c_str());
  return number;
}

llvm::Expected<ExternalDataSlice>
ExternalDataFiles::getSlice(const ::onnx::TensorProto &tensor,
                            uint64_t expectedBytes) {
  if (modelDir.empty())
    return createStringError(inconvertibleErrorCode(),
                             "external data is only supported for models read "
                             "from a file");
  std::string location;
  uint64_t offset = 0;
  std::optional<uint64_t> length;
  for (const ::onnx::StringStringEntryProto &entry : tensor.external_data()) {
    if (entry.key() == "location") {
      location = entry.value();
    } else if (entry.key() == "offset") {
      llvm::Expected<uint64_t> number =
          parseExternalDataNumber("offset", entry.value());
      if (!number)
        return number.takeError();
      offset = *number;
    } else if (entry.key() == "length") {
      llvm::Expected<uint64_t> number =
          parseExternalDataNumber("length", entry.value());
      if (!number)
        return number.takeError();
      length = *number;
    }
  }
  if (location.empty())
    return createStringError(inconvertibleErrorCode(),
                             "external data has no location");
  if (!staysInsideModelDir(location))
    return createStringError(
        inconvertibleErrorCode(),
        "external data location '%s' must be a relative path inside the "
        "model's directory",
        location.c_str());
  if (length && *length != expectedBytes)
    return createStringError(
        inconvertibleErrorCode(),
        "external data length %llu does not match the %llu bytes its shape "
        "needs",
        (unsigned long long)*length, (unsigned long long)expectedBytes);

  llvm::Expected<std::shared_ptr<llvm::MemoryBuffer>> mapping =
      getMapping(location);
  if (!mapping)
    return mapping.takeError();
  uint64_t fileSize = (*mapping)->getBufferSize();
  if (offset > fileSize || expectedBytes > fileSize - offset)
    return createStringError(
        inconvertibleErrorCode(),
        "external data (offset %llu, %llu bytes) lies outside '%s' (%llu "
        "bytes)",
        (unsigned long long)offset, (unsigned long long)expectedBytes,
        location.c_str(), (unsigned long long)fileSize);
  return ExternalDataSlice{
      llvm::ArrayRef<char>((*mapping)->getBufferStart() + offset,
                           expectedBytes),
      *mapping};
}
