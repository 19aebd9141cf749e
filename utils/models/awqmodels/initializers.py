"""InitializerWriter: turns weight arrays into TensorProtos, inline or streamed to external data."""

from pathlib import Path

import numpy as np
from onnx import TensorProto, numpy_helper

# Offsets in the external data file are multiples of this, so a runtime can mmap
# each tensor page-aligned (onnx's own external-data writer aligns the same way).
EXTERNAL_DATA_ALIGNMENT = 4096


class InitializerWriter:
    """Owns the graph's initializers.

    Inline mode keeps every tensor's bytes inside the ModelProto. External mode
    appends each tensor of at least `threshold_bytes` to one data file as soon as it
    is added and keeps only its location/offset/length in the proto, so a 7B model
    is written while holding a single tensor in memory (protobuf cannot hold a model
    over 2 GB inline anyway).
    """

    def __init__(self, external_data_path: Path | None = None, threshold_bytes: int = 1024):
        self.tensors = []
        self.threshold_bytes = threshold_bytes
        self.external_data_path = external_data_path
        self._data_file = open(external_data_path, "wb") if external_data_path else None

    def add(self, name: str, array: np.ndarray) -> None:
        array = np.ascontiguousarray(array, dtype=np.float32)
        if self._data_file is None or array.nbytes < self.threshold_bytes:
            self.tensors.append(numpy_helper.from_array(array, name))
            return
        self.tensors.append(self._write_external(name, array))

    def _write_external(self, name: str, array: np.ndarray) -> TensorProto:
        offset = self._data_file.tell()
        padding = -offset % EXTERNAL_DATA_ALIGNMENT
        self._data_file.write(b"\0" * padding)
        offset += padding
        self._data_file.write(array.astype("<f4", copy=False).data)  # no copy on little-endian hosts

        tensor = TensorProto()
        tensor.name = name
        tensor.data_type = TensorProto.FLOAT
        tensor.dims.extend(array.shape)
        tensor.data_location = TensorProto.EXTERNAL
        for key, value in (
            ("location", self.external_data_path.name),
            ("offset", str(offset)),
            ("length", str(array.nbytes)),
        ):
            entry = tensor.external_data.add()
            entry.key = key
            entry.value = value
        return tensor

    def close(self) -> None:
        if self._data_file is not None:
            self._data_file.close()
            self._data_file = None
