"""Writes malformed or unsupported ONNX models, one per CASE, for the
importer's error tests.

Usage: make_bad_models.py CASE OUTPUT.onnx   (CASE: see CASES below)
Cases with external data also write their data file beside OUTPUT.
"""
import os
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper


def _graph(nodes=None, initializers=(), inputs=None, outputs=None):
    nodes = nodes if nodes is not None else [helper.make_node("Relu", ["x"], ["y"], name="relu")]
    inputs = inputs if inputs is not None else [
        helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])]
    outputs = outputs if outputs is not None else [
        helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])]
    return helper.make_graph(nodes, "bad", inputs, outputs, list(initializers))


def _model(graph, ir_version=8, opset=17, extra_opsets=()):
    opsets = [helper.make_opsetid("", opset)] + [helper.make_opsetid(d, v) for d, v in extra_opsets]
    model = helper.make_model(graph, opset_imports=opsets)
    model.ir_version = ir_version
    return model


def _external(name, location, offset=None, length=None, shape=(4,)):
    """A float initializer stored in `location` (written by the caller)."""
    tensor = TensorProto(name=name, data_type=TensorProto.FLOAT, dims=list(shape))
    tensor.data_location = TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", offset), ("length", length)):
        if value is not None:
            tensor.external_data.add(key=key, value=str(value))
    return tensor


def _add_w_graph(weight):
    return _graph([helper.make_node("Add", ["x", "w"], ["y"], name="add_w")], [weight])


def _write_data(path, size):
    with open(os.path.join(os.path.dirname(path) or ".", "weights.bin"), "wb") as f:
        f.write(b"\0" * size)


def ir_version_too_old(path):
    return _model(_graph(), ir_version=2)


def ir_version_too_new(path):
    return _model(_graph(), ir_version=12)


def opset_too_new(path):
    return _model(_graph(), opset=22)


def missing_external_file(path):
    return _model(_add_w_graph(_external("w", "does_not_exist.bin")))


def short_external_file(path):
    _write_data(path, 8)
    return _model(_add_w_graph(_external("w", "weights.bin")))


def external_offset_out_of_range(path):
    _write_data(path, 16)
    return _model(_add_w_graph(_external("w", "weights.bin", offset=64)))


def external_length_mismatch(path):
    _write_data(path, 64)
    return _model(_add_w_graph(_external("w", "weights.bin", length=12)))


def external_absolute_path(path):
    return _model(_add_w_graph(_external("w", "/etc/passwd")))


def external_parent_escape(path):
    return _model(_add_w_graph(_external("w", "../weights.bin")))


def raw_data_size_mismatch(path):
    weight = numpy_helper.from_array(np.zeros(4, dtype=np.float32), "w")
    weight.raw_data = weight.raw_data[:-2]
    return _model(_add_w_graph(weight))


def typed_data_count_mismatch(path):
    weight = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[4], float_data=[1.0, 2.0])
    return _model(_add_w_graph(weight))


def negative_dimension(path):
    return _model(_add_w_graph(TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[-4])))


def unsupported_element_type(path):
    weight = helper.make_tensor("w", TensorProto.STRING, [1], [b"text"])
    return _model(_add_w_graph(weight))


def unsupported_input_type(path):
    inputs = [helper.make_tensor_value_info("x", TensorProto.COMPLEX64, [4])]
    return _model(_graph(inputs=inputs))


def duplicate_initializer(path):
    weight = numpy_helper.from_array(np.zeros(4, dtype=np.float32), "w")
    return _model(_graph(initializers=[weight, weight]))


def duplicate_graph_input(path):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])
    return _model(_graph(inputs=[x, x]))


def duplicate_output(path):
    nodes = [helper.make_node("Relu", ["x"], ["y"], name="first"),
             helper.make_node("Neg", ["x"], ["y"], name="second")]
    return _model(_graph(nodes))


def dangling_input(path):
    return _model(_graph([helper.make_node("Add", ["x", "nowhere"], ["y"], name="add")]))


def dangling_output(path):
    outputs = [helper.make_tensor_value_info("z", TensorProto.FLOAT, [4])]
    return _model(_graph(outputs=outputs))


def cycle(path):
    nodes = [helper.make_node("Add", ["x", "b"], ["a"], name="first"),
             helper.make_node("Relu", ["a"], ["b"], name="second"),
             helper.make_node("Relu", ["a"], ["y"], name="third")]
    return _model(_graph(nodes))


def subgraph(path):
    branch = _graph([helper.make_node("Identity", ["x"], ["y"])], inputs=[])
    node = helper.make_node("If", ["c"], ["y"], name="branch", then_branch=branch,
                            else_branch=branch)
    inputs = [helper.make_tensor_value_info("c", TensorProto.BOOL, []),
              helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])]
    return _model(_graph([node], inputs=inputs))


def empty_op_type(path):
    return _model(_graph([helper.make_node("", ["x"], ["y"], name="nameless_op")]))


def unknown_domain(path):
    node = helper.make_node("Fancy", ["x"], ["y"], name="fancy", domain="com.example")
    return _model(_graph([node]))


CASES = {name: fn for name, fn in list(globals().items())
         if callable(fn) and not name.startswith("_") and fn.__module__ == __name__
         and name != "main"}


def main():
    case, path = sys.argv[1], sys.argv[2]
    with open(path, "wb") as f:
        f.write(CASES[case](path).SerializeToString())


if __name__ == "__main__":
    main()
