"""Linear layers and embedding lookups, as torch.onnx.export emits them."""

from .graph_builder import GraphBuilder


def linear(g: GraphBuilder, x: str, module: str, in_dim: int, out_dim: int, bias: bool = False) -> str:
    """nn.Linear: MatMul(x, W) with W the [in, out] initializer `<module>.weight`, then
    Add(bias, y) when biased (torch puts the bias first).

    The exporter folds nn.Linear's weight.t() into a transposed initializer; it would
    name it 'onnx::MatMul_123', we keep the HF parameter name so tools can map it back.
    """
    with g.scope(module):
        y = g.op("MatMul", x, g.parameter("weight", (in_dim, out_dim), "linear"))
        if bias:
            y = g.op("Add", g.parameter("bias", (out_dim,), "bias"), y)
    return y


def embedding(g: GraphBuilder, ids: str, module: str, rows: int, dim: int) -> str:
    """nn.Embedding: Gather(`<module>.weight` [rows, dim], ids) along axis 0."""
    with g.scope(module):
        return g.op("Gather", g.parameter("weight", (rows, dim), "embedding"), ids, axis=0)


def lm_head(g: GraphBuilder, x: str, embedding_name: str, dim: int, vocab_size: int, tied: bool) -> str:
    """The LM head, MatMul(x, lm_head.weight [dim, vocab]) -> graph output 'logits'.

    A tied head gets its own initializer holding the embedding transposed (the
    exporter does the same), so every MatMul weight is a [K, N] initializer.
    """
    with g.scope("lm_head"):
        if tied:
            table = g.weights.tensor(embedding_name, (vocab_size, dim), "embedding")
            weight = g.initializer("lm_head.weight", table.T)
        else:
            weight = g.parameter("weight", (dim, vocab_size), "linear")
        return g.op("MatMul", x, weight, output_name="logits")
