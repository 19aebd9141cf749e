"""Checks the AWQ_CUDA_LOG_HOST_OPS lines of a CUDA model run: every node
whose float data went through host memory must be of an allowed op type.

    host_ops.py STDERR.txt [ALLOWED_OP_TYPE ...]

Prints the offending lines and exits 1 if there are any, 0 otherwise.
"""
import sys

PREFIX = "awq-cuda: "
SUFFIX = "ran on the host"


def main() -> int:
    allowed = set(sys.argv[2:])
    offending = []
    with open(sys.argv[1], encoding="utf-8", errors="replace") as log:
        for line in log:
            if not line.startswith(PREFIX) or SUFFIX not in line:
                continue
            op_type = line[len(PREFIX):].split(" ", 1)[0]
            if op_type not in allowed:
                offending.append(line.rstrip())
    for line in offending:
        print(line)
    return 1 if offending else 0


if __name__ == "__main__":
    sys.exit(main())
