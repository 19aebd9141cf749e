"""Writes the fuzzer's seed corpus: the Importer tests' small models (valid
ones and a few malformed ones), each under 10 KB.

Usage: make_corpus.py [OUTPUT_DIR]   (default: corpus/ beside this script)
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "Importer", "Inputs"))

import make_bad_models  # noqa: E402
import make_models  # noqa: E402

# Malformed models whose structure (not external files) the importer checks.
BAD_CASES = ["duplicate_output", "dangling_input", "cycle", "subgraph",
             "raw_data_size_mismatch", "unsupported_element_type"]
MAX_SEED_BYTES = 10 * 1024


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "corpus")
    os.makedirs(out, exist_ok=True)
    seeds = {kind: fn() for kind, fn in make_models.MODELS.items()
             if kind != "external_weights"}
    seeds.update({case: make_bad_models.CASES[case](os.path.join(out, case))
                  for case in BAD_CASES})
    for name, model in seeds.items():
        data = model.SerializeToString()
        assert len(data) < MAX_SEED_BYTES, f"{name} is {len(data)} bytes"
        with open(os.path.join(out, name + ".onnx"), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
