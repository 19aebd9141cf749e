"""GraphBuilder: appends ONNX nodes named the way the TorchScript exporter names them."""

from contextlib import contextmanager

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from .initializers import InitializerWriter


class GraphBuilder:
    """Collects nodes and initializers for one ONNX graph.

    Node and value names follow torch.onnx.export: a node created inside the module
    scope `model/layers.0/self_attn` with op type `MatMul` is named
    `/model/layers.0/self_attn/MatMul` (then `MatMul_1`, `MatMul_2`, ...) and its
    output `/model/layers.0/self_attn/MatMul_output_0`. Pattern-matching passes can
    therefore rely on names as well as on op types when they debug a match.
    """

    def __init__(self, opset: int, initializers: InitializerWriter, weights):
        self.opset = opset
        self.nodes = []
        self.initializers = initializers
        self.weights = weights  # any object with tensor(name, shape, role) -> np.ndarray
        self._scopes = []
        self._op_counts = {}

    @contextmanager
    def scope(self, module_path: str):
        """Nodes created inside are named after the module path, e.g. 'model/norm'."""
        self._scopes.append(module_path)
        try:
            yield
        finally:
            self._scopes.pop()

    def _node_name(self, op_type: str) -> str:
        prefix = "/" + "/".join(self._scopes) + "/" if self._scopes else "/"
        key = prefix + op_type
        count = self._op_counts.get(key, 0)
        self._op_counts[key] = count + 1
        return key if count == 0 else f"{key}_{count}"

    def op(self, op_type: str, *inputs: str, num_outputs: int = 1, output_name: str | None = None, **attributes):
        """Appends one node; returns its output name (or a list when num_outputs > 1).

        `output_name` names the (single) output, for values that are graph outputs.
        """
        name = self._node_name(op_type)
        outputs = [output_name] if output_name else [f"{name}_output_{i}" for i in range(num_outputs)]
        self.nodes.append(helper.make_node(op_type, list(inputs), outputs, name=name, **attributes))
        return outputs[0] if num_outputs == 1 else outputs

    def constant(self, value, dtype=np.float32) -> str:
        """A Constant node, as the exporter emits for literals (eps, 2.0, shapes, axes)."""
        tensor = numpy_helper.from_array(np.asarray(value, dtype=dtype))
        return self.op("Constant", value=tensor)

    def parameter(self, field: str, shape: tuple, role: str) -> str:
        """The current module's parameter, named as in the HF state dict.

        Inside scope 'model/layers.0/self_attn/q_proj', parameter('weight', ...) is the
        initializer 'model.layers.0.self_attn.q_proj.weight'; `role` tells the weight
        source what kind of tensor it is (see RandomWeights.tensor).
        """
        name = ".".join(self._scopes).replace("/", ".") + "." + field
        array = self.weights.tensor(name, shape, role)
        if tuple(array.shape) != tuple(shape):
            raise ValueError(f"{name}: weight source gave shape {array.shape}, graph needs {shape}")
        return self.initializer(name, array)

    def initializer(self, name: str, array: np.ndarray) -> str:
        self.initializers.add(name, array)
        return name

    # Ops whose signature changed across the opsets we support (13..21).

    def reduce_mean_last_axis(self, x: str) -> str:
        """ReduceMean over axis -1 with keepdims=1; axes became an input in opset 18."""
        if self.opset >= 18:
            return self.op("ReduceMean", x, self.constant([-1], np.int64), keepdims=1)
        return self.op("ReduceMean", x, axes=[-1], keepdims=1)

    def split_last_axis(self, x: str, sizes: list) -> list:
        """Split along axis -1 into parts of the given sizes (sizes input since opset 13)."""
        return self.op("Split", x, self.constant(sizes, np.int64), axis=-1, num_outputs=len(sizes))

    def unsqueeze(self, x: str, axes: list) -> str:
        return self.op("Unsqueeze", x, self.constant(axes, np.int64))

    def reshape(self, x: str, shape: list) -> str:
        """Reshape to a constant shape; 0 copies the input's dim, -1 is inferred."""
        return self.op("Reshape", x, self.constant(shape, np.int64))

    def slice_last_axis(self, x: str, start: int, end: int, step: int = 1) -> str:
        return self.op(
            "Slice",
            x,
            self.constant([start], np.int64),
            self.constant([end], np.int64),
            self.constant([-1], np.int64),
            self.constant([step], np.int64),
        )

    def dim(self, x: str, axis: int) -> str:
        """Scalar int64 size of one axis of x: Shape -> Gather(axis)."""
        return self.op("Gather", self.op("Shape", x), self.constant(axis, np.int64), axis=0)

    def cast_to_float(self, x: str) -> str:
        return self.op("Cast", x, to=TensorProto.FLOAT)
