#!/usr/bin/env python3
"""Reads awq-run's "perplexity X" line and checks X against a bound.

    check_perplexity.py OUTPUT --near VALUE --tolerance T   |X - VALUE| <= T
    check_perplexity.py OUTPUT --at-most VALUE              X <= VALUE
"""
import argparse
import re
import sys


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output")
    parser.add_argument("--near", type=float)
    parser.add_argument("--tolerance", type=float, default=0.0)
    parser.add_argument("--at-most", type=float)
    args = parser.parse_args()
    with open(args.output) as f:
        match = re.search(r"^perplexity ([0-9.]+)", f.read(), re.M)
    if not match:
        sys.exit(f"{args.output}: no 'perplexity' line")
    value = float(match.group(1))
    if args.near is not None and abs(value - args.near) > args.tolerance:
        sys.exit(f"perplexity {value:.4f} is not within {args.tolerance} of {args.near}")
    if args.at_most is not None and value > args.at_most:
        sys.exit(f"perplexity {value:.4f} is above {args.at_most}")
    print(f"perplexity {value:.4f} ok")


if __name__ == "__main__":
    main()
