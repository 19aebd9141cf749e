"""RMSNorm and LayerNorm in the node sequences the exporter produces."""

from .graph_builder import GraphBuilder


def rms_norm(g: GraphBuilder, x: str, dim: int, eps: float, role: str) -> str:
    """HF LlamaRMSNorm, call inside the norm's module scope:

    Cast(f32) -> Pow(x, 2) -> ReduceMean(-1, keepdims) -> Add(eps) -> Sqrt -> Div(1, .)
    -> Mul(x, .) -> Cast(f32) -> Mul(weight, .)

    The Casts are the `.to(float32)` / `.to(input_dtype)` of the module (no-ops in an
    fp32 model, still exported); Sqrt + Div(1, .) is torch's export of rsqrt.
    """
    x32 = g.cast_to_float(x)
    variance = g.reduce_mean_last_axis(g.op("Pow", x32, g.constant(2.0)))
    std = g.op("Sqrt", g.op("Add", variance, g.constant(eps)))
    normalized = g.cast_to_float(g.op("Mul", x32, g.op("Div", g.constant(1.0), std)))
    return g.op("Mul", g.parameter("weight", (dim,), role), normalized)


def layer_norm(g: GraphBuilder, x: str, dim: int, eps: float, form: str, role: str) -> str:
    """nn.LayerNorm with weight and bias, call inside the norm's module scope.

    form 'op': LayerNormalization(x, weight, bias, axis=-1) (torch's export at opset >= 17).
    form 'decomposed' (torch's export below opset 17):
    ReduceMean(-1) -> Sub(x, mean) -> Pow(., 2) -> ReduceMean(-1) -> Add(eps) -> Sqrt
    -> Div(centered, .) -> Mul(., weight) -> Add(., bias)
    """
    weight = g.parameter("weight", (dim,), role)
    bias = g.parameter("bias", (dim,), "bias")
    if form == "op":
        return g.op("LayerNormalization", x, weight, bias, axis=-1, epsilon=eps)
    centered = g.op("Sub", x, g.reduce_mean_last_axis(x))
    variance = g.reduce_mean_last_axis(g.op("Pow", centered, g.constant(2.0)))
    normalized = g.op("Div", centered, g.op("Sqrt", g.op("Add", variance, g.constant(eps))))
    return g.op("Add", g.op("Mul", normalized, weight), bias)

