"""The ONNX ops a compiled model runs on the GPU outside the transformer
patterns: Reduce* (attribute and input axes, the last axis, an inner axis,
several axes, all axes, a long axis), Clip, variadic Min/Max/Sum with
broadcasting, Gemm (with a bias and transB; with transA, alpha, beta and a
broadcast C), Dropout, and the generators of causal masks: Trilu (both
triangles, a k input) and ConstantOfShape (a float value, and none: zeros).

    graph_ops_model.py make MODEL.onnx INPUT_DIR [--nan]
        writes the model and its inputs (x.npy, w.npy, long.npy); --nan puts
        a NaN into x (the CPU and CUDA runtimes share NaN rules for Min, Max,
        Clip and ReduceMax/Min; onnxruntime's differ, so not against it)
    graph_ops_model.py reference MODEL.onnx INPUT_DIR OUTPUT_DIR
        runs onnxruntime and saves every output as OUTPUT_DIR/NAME.npy
    graph_ops_model.py compare REFERENCE_DIR CANDIDATE_DIR
        compares every output; exits 1 on a difference past its bound
"""
import pathlib
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

# What libonnx 1.12's shape inference knows (ReduceSum takes its axes as an
# input from opset 13, the other Reduce* ops as an attribute until 18).
IR_VERSION = 8
OPSET = 17

# Outputs that select or copy elements: equal bit for bit (the CUDA runtime's
# Min/Max/Clip/ReduceMax/ReduceMin compare as the CPU runtime's do, NaNs
# included).
EXACT = ["max_inner", "min_all", "long_max", "clipped", "clipped_high", "maximum", "minimum",
         "dropped", "upper_tri", "lower_tri", "filled", "zeros"]
# Sums, products and the GEMM: the awq runtimes accumulate the Reduce* ops in
# f64 (onnxruntime in f32, 3000 terms at most) and the GEMM in f32 over K = 16
# (OpenBLAS, cuBLAS, MLAS); only the order and the width differ, a few f32
# ulps of the largest output.
ROUNDED = ["mean_last", "sum_inner", "prod_last", "long_sum", "summed", "gemm", "gemm_scaled"]
ROUNDED_BOUND = 1e-5
OUTPUT_SHAPES = {
    "mean_last": [2, 6, 1], "sum_inner": [2, 16], "max_inner": [1, 6, 1], "min_all": [],
    "prod_last": [2, 6, 1], "long_sum": [], "long_max": [3, 1], "gemm": [12, 8],
    "gemm_scaled": [12, 8], "zeros": [2, 6, 1],
    **{name: [2, 6, 16] for name in ["clipped", "clipped_high", "maximum", "minimum", "summed",
                                     "dropped", "upper_tri", "lower_tri", "filled"]},
}


def make(model_path: str, input_dir: str, with_nan: bool) -> None:
    rng = np.random.default_rng(0)
    inputs = {
        "x": rng.standard_normal((2, 6, 16)).astype(np.float32),
        "w": rng.standard_normal((8, 16)).astype(np.float32),
        # Past 2048 elements a whole block reduces each output.
        "long": rng.standard_normal((3, 3000)).astype(np.float32),
    }
    if with_nan:
        inputs["x"][1, 2, 3] = np.nan
    initializers = [
        numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1"),
        numpy_helper.from_array(np.array(-0.5, dtype=np.float32), "low"),
        numpy_helper.from_array(np.array(0.75, dtype=np.float32), "high"),
        numpy_helper.from_array(np.array(0.1, dtype=np.float32), "tenth"),
        numpy_helper.from_array(np.array(1.0, dtype=np.float32), "one"),
        numpy_helper.from_array(np.arange(8, dtype=np.float32) / 8, "bias"),
        numpy_helper.from_array(np.linspace(-1, 1, 6, dtype=np.float32).reshape(6, 1), "column"),
        numpy_helper.from_array(np.array([12, 16], dtype=np.int64), "rows"),
        numpy_helper.from_array(np.linspace(-2, 2, 12, dtype=np.float32).reshape(12, 1), "gemm_c"),
        numpy_helper.from_array(np.array(1, dtype=np.int64), "k_one"),
        numpy_helper.from_array(np.array(-2, dtype=np.int64), "k_minus_two"),
    ]
    node = helper.make_node
    nodes = [
        node("ReduceMean", ["x"], ["mean_last"], name="/mean_last", axes=[-1], keepdims=1),
        node("Sub", ["x", "mean_last"], ["centered"], name="/centered"),
        node("ReduceSum", ["centered", "axis1"], ["sum_inner"], name="/sum_inner", keepdims=0),
        node("ReduceMax", ["x"], ["max_inner"], name="/max_inner", axes=[0, 2], keepdims=1),
        node("ReduceMin", ["x"], ["min_all"], name="/min_all", keepdims=0),
        node("Mul", ["x", "tenth"], ["scaled"], name="/scaled"),
        node("Add", ["scaled", "one"], ["near_one"], name="/near_one"),
        node("ReduceProd", ["near_one"], ["prod_last"], name="/prod_last", axes=[-1]),
        node("ReduceSum", ["long"], ["long_sum"], name="/long_sum", keepdims=0),
        node("ReduceMax", ["long"], ["long_max"], name="/long_max", axes=[1], keepdims=1),
        node("Clip", ["x", "low", "high"], ["clipped"], name="/clipped"),
        node("Clip", ["x", "", "high"], ["clipped_high"], name="/clipped_high"),
        node("Max", ["x", "column", "clipped"], ["maximum"], name="/maximum"),
        node("Min", ["x", "tenth"], ["minimum"], name="/minimum"),
        node("Sum", ["x", "mean_last", "clipped"], ["summed"], name="/summed"),
        node("Reshape", ["x", "rows"], ["x2d"], name="/x2d"),
        node("Gemm", ["x2d", "w", "bias"], ["gemm"], name="/gemm", transB=1),
        node("Dropout", ["x"], ["dropped"], name="/dropped"),
        # op(A) = A^T: the transposed copy of x2d multiplies as x2d does.
        node("Transpose", ["x2d"], ["x2d_t"], name="/x2d_t", perm=[1, 0]),
        node("Gemm", ["x2d_t", "w", "gemm_c"], ["gemm_scaled"], name="/gemm_scaled", transA=1,
             transB=1, alpha=0.5, beta=2.0),
        node("Trilu", ["x", "k_one"], ["upper_tri"], name="/upper_tri", upper=1),
        node("Trilu", ["x", "k_minus_two"], ["lower_tri"], name="/lower_tri", upper=0),
        node("Shape", ["x"], ["x_shape"], name="/x_shape"),
        node("ConstantOfShape", ["x_shape"], ["filled"], name="/filled",
             value=helper.make_tensor("value", TensorProto.FLOAT, [1], [-2.5])),
        node("Shape", ["mean_last"], ["mean_shape"], name="/mean_shape"),
        node("ConstantOfShape", ["mean_shape"], ["zeros"], name="/zeros"),
    ]

    def value(name, array):
        return helper.make_tensor_value_info(name, TensorProto.FLOAT, list(array.shape))

    graph = helper.make_graph(
        nodes, "graph_ops", [value(name, array) for name, array in inputs.items()],
        [helper.make_tensor_value_info(name, TensorProto.FLOAT, OUTPUT_SHAPES[name])
         for name in EXACT + ROUNDED],
        initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="awq-tests")
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)
    onnx.save(model, model_path)
    directory = pathlib.Path(input_dir)
    directory.mkdir(parents=True, exist_ok=True)
    for name, array in inputs.items():
        np.save(directory / f"{name}.npy", array)


def reference(model_path: str, input_dir: str, output_dir: str) -> None:
    import onnxruntime

    session = onnxruntime.InferenceSession(model_path, providers=["CPUExecutionProvider"])
    feeds = {i.name: np.load(pathlib.Path(input_dir) / f"{i.name}.npy") for i in session.get_inputs()}
    names = [o.name for o in session.get_outputs()]
    directory = pathlib.Path(output_dir)
    directory.mkdir(parents=True, exist_ok=True)
    for name, array in zip(names, session.run(names, feeds)):
        np.save(directory / f"{name}.npy", array)


def compare(reference_dir: str, candidate_dir: str) -> int:
    failures = 0
    for name in EXACT + ROUNDED:
        cpu = np.load(pathlib.Path(reference_dir) / f"{name}.npy")
        cuda = np.load(pathlib.Path(candidate_dir) / f"{name}.npy")
        if cpu.shape != cuda.shape:
            print(f"{name}: shape {cuda.shape}, expected {cpu.shape}")
            failures += 1
            continue
        if name in EXACT:
            same = cpu.tobytes() == cuda.tobytes()
            print(f"{name}: {'bit-exact' if same else 'DIFFERS'}")
            failures += not same
            continue
        if not np.array_equal(np.isnan(cpu), np.isnan(cuda)):
            print(f"{name}: NaNs in different places")
            failures += 1
            continue
        finite = ~np.isnan(cpu)
        scale = max(float(np.abs(cpu[finite]).max(initial=0.0)), 1e-30)
        relative = float(np.abs(cpu[finite] - cuda[finite]).max(initial=0.0)) / scale
        ok = relative <= ROUNDED_BOUND
        print(f"{name}: max relative difference {relative:.2e} (bound {ROUNDED_BOUND:.0e})")
        failures += not ok
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) in (4, 5) and sys.argv[1] == "make" and sys.argv[4:] in ([], ["--nan"]):
        make(sys.argv[2], sys.argv[3], with_nan=sys.argv[4:] == ["--nan"])
        sys.exit(0)
    if len(sys.argv) == 5 and sys.argv[1] == "reference":
        reference(sys.argv[2], sys.argv[3], sys.argv[4])
        sys.exit(0)
    if len(sys.argv) == 4 and sys.argv[1] == "compare":
        sys.exit(compare(sys.argv[2], sys.argv[3]))
    print(__doc__, file=sys.stderr)
    sys.exit(2)
