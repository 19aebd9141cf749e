"""Compares two .npy outputs of a model: max |a - b| / max |a| within a bound.

    compare_outputs.py REFERENCE.npy CANDIDATE.npy RELATIVE_BOUND

Prints the figures and exits 1 past the bound (or on a shape mismatch or a
disagreeing greedy token), 0 otherwise.
"""
import sys

import numpy as np


def main() -> int:
    reference, candidate = np.load(sys.argv[1]), np.load(sys.argv[2])
    bound = float(sys.argv[3])
    if reference.shape != candidate.shape:
        print(f"shape mismatch: {reference.shape} vs {candidate.shape}")
        return 1
    relative = float(np.abs(reference - candidate).max() / np.abs(reference).max())
    agree = float((reference.argmax(-1) == candidate.argmax(-1)).mean())
    print(f"max relative difference {relative:.3e} (bound {bound:.1e}), argmax agreement {agree:.4f}")
    return 0 if relative <= bound and agree == 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
