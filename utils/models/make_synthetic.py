#!/usr/bin/env python3
"""Generate a decoder-only transformer ONNX model with seeded random weights.

    python3 utils/models/make_synthetic.py --preset tiny-llama -o tiny.onnx
    python3 utils/models/make_synthetic.py --arch llama --dim 256 --layers 4 --heads 8 \\
        --kv-heads 2 --hidden 688 --vocab 1000 -o gqa.onnx --kv-cache
    python3 utils/models/make_synthetic.py --preset llama2-7b -o 7b.onnx --external-data

A preset fills every shape option; explicit options override it. A few channels of
every per-layer norm weight are scaled 10-50x, like real LLMs' outlier channels.
Models whose weights exceed protobuf's 2 GB limit need --external-data, which
streams weights to OUTPUT.data one tensor at a time.
"""

import argparse

from awqmodels import PRESETS, ModelConfig, RandomWeights, export_model
from awqmodels.config import ACTIVATIONS, ARCHS, NORM_FORMS, ROPE_LAYOUTS

REQUIRED_FIELDS = ("arch", "dim", "n_layers", "n_heads", "hidden_dim", "vocab_size", "max_positions")
# ModelConfig fields settable from the command line: option name -> (field, type, help).
SHAPE_OPTIONS = {
    "--arch": ("arch", str, f"one of {', '.join(ARCHS)}"),
    "--dim": ("dim", int, "model width"),
    "--layers": ("n_layers", int, "decoder layers"),
    "--heads": ("n_heads", int, "attention heads"),
    "--kv-heads": ("n_kv_heads", int, "key/value heads (llama GQA; default: --heads)"),
    "--hidden": ("hidden_dim", int, "MLP width"),
    "--vocab": ("vocab_size", int, "vocabulary size"),
    "--max-positions": ("max_positions", int, "context length (gpt2/opt: position table rows)"),
    "--norm-eps": ("norm_eps", float, "norm epsilon (default 1e-5)"),
    "--rope-layout": ("rope_layout", str, f"llama: {' or '.join(ROPE_LAYOUTS)}"),
    "--rope-theta": ("rope_theta", float, "llama RoPE base (default 10000)"),
    "--norm-form": ("norm_form", str, f"gpt2/opt LayerNorm as {' or '.join(NORM_FORMS)}"),
    "--activation": ("activation", str, f"gpt2/opt: {', '.join(ACTIVATIONS)}"),
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", choices=sorted(PRESETS), help="start from a named configuration")
    for option, (_, kind, help_text) in SHAPE_OPTIONS.items():
        parser.add_argument(option, type=kind, help=help_text)
    parser.add_argument("--tie-embeddings", action=argparse.BooleanOptionalAction, help="LM head = embedding")
    parser.add_argument("-o", "--output", required=True, help="ONNX file to write")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--outlier-channels", type=int, help="outlier channel count (default max(2, dim/512))")
    parser.add_argument("--kv-cache", action="store_true", help="add past_key_values.* inputs and present.* outputs")
    parser.add_argument("--opset", type=int, default=17, help="ONNX opset, 13..21 (default 17)")
    parser.add_argument("--external-data", action="store_true", help="stream weights to OUTPUT.data")
    parser.add_argument("--external-threshold", type=int, default=1024, help="smaller tensors stay inline (bytes)")
    return parser.parse_args()


def config_from_args(args) -> ModelConfig:
    fields = {field: getattr(args, option[2:].replace("-", "_")) for option, (field, _, _) in SHAPE_OPTIONS.items()}
    fields["tie_word_embeddings"] = args.tie_embeddings
    given = {field: value for field, value in fields.items() if value is not None}
    if args.preset:
        given = {**PRESETS[args.preset], **given}
    missing = [option for option, (field, _, _) in SHAPE_OPTIONS.items() if field in REQUIRED_FIELDS and field not in given]
    if missing:
        raise SystemExit(f"without --preset, these options are required: {' '.join(missing)}")
    return ModelConfig(**given)


def main():
    args = parse_args()
    config = config_from_args(args)
    weights = RandomWeights(config, seed=args.seed, outlier_count=args.outlier_channels)
    export_model(
        config,
        weights,
        args.output,
        kv_cache=args.kv_cache,
        opset=args.opset,
        external_data=args.external_data,
        external_threshold_bytes=args.external_threshold,
    )
    print(f"wrote {args.output}: {config.num_parameters() / 1e6:.1f}M parameters, {config}")


if __name__ == "__main__":
    main()
