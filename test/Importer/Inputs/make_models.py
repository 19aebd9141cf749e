"""Writes the small ONNX models the Importer lit tests import.

Usage: make_models.py KIND OUTPUT.onnx   (KIND: see MODELS below)
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

# IR 8 / opset 17: what libonnx 1.12's shape inference knows, and what
# onnxruntime runs.
IR_VERSION = 8
OPSET = 17


def _model(graph, opsets=((("", OPSET)),)):
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid(domain, version) for domain, version in opsets],
        producer_name="awq-tests",
        producer_version="1.0",
    )
    model.ir_version = IR_VERSION
    model.model_version = 3
    helper.set_model_props(model, {"purpose": "lit"})
    return model


def transformer_block():
    """MatMul + bias Add + LayerNormalization + Softmax + Split (two outputs),
    a Clip with its optional `min` omitted, fp16/bf16/int64 initializers and a
    dynamic (symbolic) batch and sequence."""
    rng = np.random.default_rng(0)
    weight = rng.standard_normal((16, 32)).astype(np.float32)
    bias = np.arange(32, dtype=np.float32) / 32
    gamma = np.ones(32, dtype=np.float32)
    beta = np.zeros(32, dtype=np.float32)
    scale16 = np.tile(np.array([0.5, 1.0, 2.0, -1.0], dtype=np.float16), 4)
    offset_bf16 = helper.make_tensor(
        "offset_bf16", TensorProto.BFLOAT16, [1], [1.5], raw=False)
    initializers = [
        numpy_helper.from_array(weight, "fc.weight"),
        numpy_helper.from_array(bias, "fc.bias"),
        numpy_helper.from_array(gamma, "ln.gamma"),
        numpy_helper.from_array(beta, "ln.beta"),
        numpy_helper.from_array(np.array([16, 16], dtype=np.int64), "split.sizes"),
        numpy_helper.from_array(np.array(0.25, dtype=np.float32), "clip.max"),
        numpy_helper.from_array(scale16, "scale16"),
        offset_bf16,
    ]
    nodes = [
        helper.make_node("MatMul", ["x", "fc.weight"], ["mm"], name="/fc/MatMul"),
        helper.make_node("Add", ["mm", "fc.bias"], ["fc"], name="/fc/Add"),
        helper.make_node("LayerNormalization", ["fc", "ln.gamma", "ln.beta"], ["ln"],
                         name="/ln/LayerNormalization", axis=-1, epsilon=1e-5),
        helper.make_node("Softmax", ["ln"], ["probs"], name="/Softmax", axis=-1),
        helper.make_node("Split", ["probs", "split.sizes"], ["left", "right"],
                         name="/Split", axis=-1),
        helper.make_node("Clip", ["right", "", "clip.max"], ["clipped"], name="/Clip"),
        helper.make_node("Cast", ["scale16"], ["scale32"], name="/Cast16", to=TensorProto.FLOAT),
        helper.make_node("Cast", ["offset_bf16"], ["offset32"], name="/CastBF16",
                         to=TensorProto.FLOAT),
        helper.make_node("Mul", ["left", "scale32"], ["scaled"], name="/Mul"),
        helper.make_node("Add", ["scaled", "offset32"], ["shifted"], name="/Shift"),
    ]
    graph = helper.make_graph(
        nodes, "transformer block",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "sequence", 16])],
        [helper.make_tensor_value_info("shifted", TensorProto.FLOAT, None),
         helper.make_tensor_value_info("clipped", TensorProto.FLOAT, None)],
        initializers)
    return _model(graph)


def all_attribute_kinds():
    """One custom-domain node with an attribute of every kind awq imports, and
    an omitted optional input between two present ones."""
    node = helper.make_node(
        "AllAttributes", ["a", "", "a"], ["b"], domain="com.example", name="every_kind",
        an_int=-7, a_float=0.5, a_string="tanh", some_ints=[1, -2, 3],
        some_floats=[0.25, -1.0], some_strings=["relu", "sigmoid"],
        a_tensor=numpy_helper.from_array(np.array([[1, 2], [3, 4]], dtype=np.int32)))
    graph = helper.make_graph(
        [node], "attrs",
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, [2, None])],
        [helper.make_tensor_value_info("b", TensorProto.FLOAT, [2, "n"])])
    return _model(graph, opsets=(("", OPSET), ("com.example", 1)))


def external_weights():
    """A 64x64 MatMul whose weight (16 KiB) lives in `<model>.weights`."""
    weight = np.arange(64 * 64, dtype=np.float32).reshape(64, 64) / 4096
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "proj.weight"], ["y"], name="/proj/MatMul")],
        "external",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 64])],
        [numpy_helper.from_array(weight, "proj.weight")])
    return _model(graph)


def passthrough_outputs():
    """Graph outputs that no node produces: an input and a weight returned
    under their own names, and one node result returned twice."""
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["r"], name="relu")],
        "passthrough",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
        [helper.make_tensor_value_info(name, TensorProto.FLOAT, [4])
         for name in ("x", "r", "c")],
        [numpy_helper.from_array(np.arange(4, dtype=np.float32), "c")])
    return _model(graph)


MODELS = {
    "transformer_block": transformer_block,
    "all_attribute_kinds": all_attribute_kinds,
    "external_weights": external_weights,
    "passthrough_outputs": passthrough_outputs,
}


def main():
    kind, path = sys.argv[1], sys.argv[2]
    model = MODELS[kind]()
    if kind == "external_weights":
        location = path.rsplit("/", 1)[-1] + ".weights"
        onnx.save_model(model, path, save_as_external_data=True,
                        all_tensors_to_one_file=True, location=location,
                        size_threshold=1024)
    else:
        onnx.save_model(model, path)


if __name__ == "__main__":
    main()
