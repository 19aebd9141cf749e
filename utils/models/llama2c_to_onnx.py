#!/usr/bin/env python3
"""Convert a llama2.c legacy checkpoint (.bin) to an ONNX Llama graph.

    python3 utils/models/llama2c_to_onnx.py stories260K.bin stories260K.onnx [--kv-cache]

By default RoPE is emitted in HF's half-split layout (wq/wk rows permuted as HF's
conversion script does; outputs are identical); --rope-layout interleaved keeps
llama2.c's own pair layout. A positive vocab size in the header means the
classifier is the embedding: lm_head.weight is then the embedding transposed.
"""

import argparse

from awqmodels import Llama2cWeights, export_model
from awqmodels.config import ROPE_LAYOUTS


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint", help="llama2.c legacy .bin checkpoint")
    parser.add_argument("output", help="ONNX file to write")
    parser.add_argument("--kv-cache", action="store_true", help="add past_key_values.* inputs and present.* outputs")
    parser.add_argument("--opset", type=int, default=17, help="ONNX opset, 13..21 (default 17)")
    parser.add_argument("--external-data", action="store_true", help="write weights to OUTPUT.data beside the model")
    parser.add_argument("--rope-layout", choices=ROPE_LAYOUTS, default="half-split")
    args = parser.parse_args()

    weights = Llama2cWeights(args.checkpoint, args.rope_layout)
    export_model(
        weights.config,
        weights,
        args.output,
        kv_cache=args.kv_cache,
        opset=args.opset,
        external_data=args.external_data,
    )
    print(f"wrote {args.output}: {weights.config}")


if __name__ == "__main__":
    main()
