"""MLP activations as torch.onnx.export decomposes them (no Gelu op: it only exists from opset 20)."""

import math

from .graph_builder import GraphBuilder


def silu_gate(g: GraphBuilder, gate: str, up: str) -> str:
    """SwiGLU's act_fn(gate) * up: Mul(Mul(gate, Sigmoid(gate)), up). SiLU exports as x * Sigmoid(x)."""
    return g.op("Mul", g.op("Mul", gate, g.op("Sigmoid", gate)), up)


def gelu_erf(g: GraphBuilder, x: str) -> str:
    """Exact GELU (nn.GELU): Div(x, sqrt 2) -> Erf -> Add(1) -> Mul(x, .) -> Mul(., 0.5)."""
    erf = g.op("Erf", g.op("Div", x, g.constant(math.sqrt(2.0))))
    return g.op("Mul", g.op("Mul", x, g.op("Add", erf, g.constant(1.0))), g.constant(0.5))


def gelu_tanh(g: GraphBuilder, x: str) -> str:
    """GPT-2's gelu_new, 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3))):
    Mul(x, 0.5); Pow(x, 3) -> Mul(., 0.044715) -> Add(x, .) -> Mul(., sqrt(2/pi)) -> Tanh
    -> Add(., 1); Mul(half_x, .)."""
    half_x = g.op("Mul", x, g.constant(0.5))
    cubic = g.op("Mul", g.op("Pow", x, g.constant(3.0)), g.constant(0.044715))
    inner = g.op("Mul", g.op("Add", x, cubic), g.constant(math.sqrt(2.0 / math.pi)))
    return g.op("Mul", half_x, g.op("Add", g.op("Tanh", inner), g.constant(1.0)))


def relu(g: GraphBuilder, x: str) -> str:
    return g.op("Relu", x)


ACTIVATION_BUILDERS = {"gelu_erf": gelu_erf, "gelu_tanh": gelu_tanh, "relu": relu}
