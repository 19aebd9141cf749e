//===- NumpyFile.cpp - Read and write NumPy .npy files --------------------===//

#include "awq/Execution/NumpyFile.h"

#include "llvm/Support/FileOutputBuffer.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/Regex.h"

#include <cstring>

using namespace awq;

namespace {

constexpr llvm::StringLiteral kMagic = "\x93NUMPY";

/// NumPy's `descr` strings for the runtime's dtypes.
struct DTypeName {
  awq_dtype dtype;
  llvm::StringLiteral descr;
};
constexpr DTypeName kDTypeNames[] = {
    {AWQ_F32, "<f4"}, {AWQ_F16, "<f2"}, {AWQ_I64, "<i8"}, {AWQ_I32, "<i4"},
    {AWQ_I8, "|i1"},  {AWQ_U8, "|u1"},  {AWQ_BOOL, "|b1"},
};

llvm::Error fail(llvm::StringRef path, const llvm::Twine &message) {
  return llvm::createStringError(("'" + path + "': " + message).str());
}

/// The value of `key` in the header dict, e.g. `'descr': '<f4'` -> `<f4`.
std::optional<llvm::StringRef> headerField(llvm::StringRef header,
                                           llvm::StringRef key,
                                           llvm::StringRef valuePattern) {
  llvm::Regex field(("['\"]" + key + "['\"] *: *(" + valuePattern + ")").str());
  llvm::SmallVector<llvm::StringRef, 2> matches;
  if (!field.match(header, &matches))
    return std::nullopt;
  return matches[1];
}

} // namespace

llvm::Expected<HostTensor> awq::readNumpyFile(llvm::StringRef path) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> file =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false);
  if (!file)
    return fail(path, "cannot read: " + file.getError().message());
  llvm::StringRef bytes = (*file)->getBuffer();
  if (!bytes.starts_with(kMagic) || bytes.size() < kMagic.size() + 4)
    return fail(path, "not a .npy file (no \\x93NUMPY magic)");
  uint8_t major = bytes[kMagic.size()];
  size_t headerStart, headerLength;
  if (major == 1) {
    headerStart = kMagic.size() + 4;
    headerLength = static_cast<uint8_t>(bytes[8]) |
                   static_cast<uint8_t>(bytes[9]) << 8;
  } else if (major == 2 || major == 3) {
    headerStart = kMagic.size() + 6;
    if (bytes.size() < headerStart)
      return fail(path, "truncated .npy header");
    headerLength = 0;
    for (int i = 3; i >= 0; --i)
      headerLength = headerLength << 8 | static_cast<uint8_t>(bytes[8 + i]);
  } else {
    return fail(path, llvm::formatv("unsupported .npy version {0}", major));
  }
  if (bytes.size() < headerStart + headerLength)
    return fail(path, "truncated .npy header");
  llvm::StringRef header = bytes.substr(headerStart, headerLength);

  std::optional<llvm::StringRef> descr =
      headerField(header, "descr", "'[^']*'|\"[^\"]*\"");
  std::optional<llvm::StringRef> order =
      headerField(header, "fortran_order", "True|False");
  std::optional<llvm::StringRef> shapeText =
      headerField(header, "shape", "\\([0-9, ]*\\)");
  if (!descr || !order || !shapeText)
    return fail(path, "malformed .npy header: " + header.rtrim());
  if (*order == "True")
    return fail(path, "Fortran-ordered arrays are not supported (save a "
                      "C-contiguous array)");
  llvm::StringRef descrValue = descr->drop_front().drop_back();
  // One-byte dtypes are written with '|' but '<' and '=' mean the same.
  if (descrValue.size() == 3 && descrValue.ends_with("1") && descrValue[0] != '>')
    descrValue = llvm::StringSwitch<llvm::StringRef>(descrValue.drop_front())
                     .Case("i1", "|i1").Case("u1", "|u1").Case("b1", "|b1")
                     .Default(descrValue);
  std::optional<awq_dtype> dtype;
  for (const DTypeName &name : kDTypeNames)
    if (name.descr == descrValue)
      dtype = name.dtype;
  if (!dtype)
    return fail(path, "unsupported dtype '" + descrValue +
                          "' (supported: float32, float16, int64, int32, "
                          "int8, uint8, bool; little-endian)");

  llvm::SmallVector<int64_t> shape;
  llvm::SmallVector<llvm::StringRef> dims;
  shapeText->drop_front().drop_back().split(dims, ',', -1, /*KeepEmpty=*/false);
  for (llvm::StringRef dim : dims) {
    int64_t extent;
    if (dim.trim().getAsInteger(10, extent))
      return fail(path, "malformed shape " + *shapeText);
    shape.push_back(extent);
  }
  if (shape.size() > AWQ_MAX_RANK)
    return fail(path, llvm::formatv("rank {0} exceeds the runtime's maximum {1}",
                                    shape.size(), AWQ_MAX_RANK));
  HostTensor tensor = HostTensor::allocate(*dtype, shape);
  size_t dataStart = headerStart + headerLength;
  if (bytes.size() - dataStart != tensor.byteSize())
    return fail(path, llvm::formatv("holds {0} data bytes, its header says {1}",
                                    bytes.size() - dataStart, tensor.byteSize()));
  if (tensor.byteSize())
    std::memcpy(tensor.mutableRawData(), bytes.data() + dataStart,
                tensor.byteSize());
  return tensor;
}

llvm::Error awq::writeNumpyFile(llvm::StringRef path, const HostTensor &tensor) {
  const DTypeName *name = llvm::find_if(
      kDTypeNames, [&](const DTypeName &n) { return n.dtype == tensor.dtype(); });
  if (name == std::end(kDTypeNames))
    return fail(path, llvm::formatv("cannot write a {0} tensor: NumPy has no "
                                    "such dtype",
                                    awq_dtype_name(tensor.dtype())));
  // Python tuple syntax: "()", "(4,)", "(2, 3)".
  std::string shape = "(";
  for (auto [axis, extent] : llvm::enumerate(tensor.shape()))
    shape += (axis ? ", " : "") + std::to_string(extent);
  shape += tensor.rank() == 1 ? ",)" : ")";
  std::string header =
      llvm::formatv("{{'descr': '{0}', 'fortran_order': False, 'shape': {1}, }",
                    name->descr, shape)
          .str();
  // Version 1.0: magic, 2 version bytes, 2 length bytes, then the header
  // padded with spaces and ended by '\n' so the data starts 64-byte aligned.
  size_t prefix = kMagic.size() + 4;
  size_t padded = llvm::alignTo(prefix + header.size() + 1, 64) - prefix;
  header.append(padded - header.size() - 1, ' ');
  header += '\n';

  llvm::Expected<std::unique_ptr<llvm::FileOutputBuffer>> buffer =
      llvm::FileOutputBuffer::create(path, prefix + header.size() + tensor.byteSize());
  if (!buffer)
    return fail(path, "cannot write: " + llvm::toString(buffer.takeError()));
  uint8_t *out = (*buffer)->getBufferStart();
  std::memcpy(out, kMagic.data(), kMagic.size());
  out[6] = 1;
  out[7] = 0;
  out[8] = header.size() & 0xff;
  out[9] = header.size() >> 8;
  std::memcpy(out + prefix, header.data(), header.size());
  if (tensor.byteSize())
    std::memcpy(out + prefix + header.size(), tensor.rawData(), tensor.byteSize());
  if (llvm::Error error = (*buffer)->commit())
    return fail(path, "cannot write: " + llvm::toString(std::move(error)));
  return llvm::Error::success();
}
