#!/usr/bin/env python3
"""Rewrites a CUDA source for the emulator (see KernelSource.h).

    emulate_cuda_source.py IN.cu OUT.cpp

Three rewrites, each one the host compiler cannot do through macros:
- `kernel<<<grid, block[, shared[, stream]]>>>(args)` becomes
  `::awq::emu::launch("kernel", kernel, grid, block, shared, stream, args)`;
- `extern __shared__ T name[];` becomes a pointer to the block's dynamic
  shared memory;
- KernelSource.h is included first, and `#line` keeps diagnostics pointing
  at IN.cu.
"""
import re
import sys


def matching_close(text, open_index, opener, closer):
    """Index of the `closer` that balances text[open_index] == opener."""
    depth = 0
    for i in range(open_index, len(text)):
        if text[i] == opener:
            depth += 1
        elif text[i] == closer:
            depth -= 1
            if depth == 0:
                return i
    raise ValueError(f"unbalanced {opener!r} at offset {open_index}")


def split_top_level(text):
    """Splits on commas outside parentheses, brackets and braces."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return [p for p in parts if p]


def kernel_start(text, launch_index):
    """Start of the kernel expression (`name` or `name<args>`) before `<<<`."""
    i = launch_index - 1
    while text[i].isspace():
        i -= 1
    if text[i] == ">":  # template arguments: walk back to their `<`
        depth = 0
        while True:
            if text[i] == ">":
                depth += 1
            elif text[i] == "<":
                depth -= 1
                if depth == 0:
                    break
            i -= 1
        i -= 1
        while text[i].isspace():
            i -= 1
    while i >= 0 and (text[i].isalnum() or text[i] in "_:"):
        i -= 1
    return i + 1


def rewrite_launches(text, path):
    out, position = [], 0
    while True:
        launch = text.find("<<<", position)
        if launch < 0:
            out.append(text[position:])
            return "".join(out)
        start = kernel_start(text, launch)
        kernel = " ".join(text[start:launch].split())
        config_end = text.find(">>>", launch)
        config = split_top_level(text[launch + 3:config_end])
        if not 2 <= len(config) <= 4:
            raise ValueError(f"{path}: launch of {kernel} has {len(config)} configuration values")
        config += ["0", "nullptr"][len(config) - 2:]
        open_paren = config_end + 3
        while text[open_paren].isspace():
            open_paren += 1
        if text[open_paren] != "(":
            raise ValueError(f"{path}: no argument list after the launch of {kernel}")
        close_paren = matching_close(text, open_paren, "(", ")")
        arguments = text[open_paren + 1:close_paren].strip()
        # Keep the line count: the launch's newlines stay in its arguments.
        call = f'::awq::emu::launch("{kernel}", {kernel}, {", ".join(config)}'
        call += f", {arguments})" if arguments else ")"
        newlines = text[start:close_paren + 1].count("\n") - call.count("\n")
        out.append(text[position:start] + call + "\n" * max(newlines, 0))
        position = close_paren + 1


DYNAMIC_SHARED = re.compile(r"extern\s+__shared__\s+(?:__align__\(\d+\)\s+)?([\w:<> ]+?)\s+(\w+)\s*\[\s*\]\s*;")


def rewrite_dynamic_shared(text):
    return DYNAMIC_SHARED.sub(
        lambda m: f"{m.group(1)} *const {m.group(2)} = "
                  f"static_cast<{m.group(1)} *>(::awq::emu::dynamicSharedMemory());",
        text)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    source, target = sys.argv[1], sys.argv[2]
    with open(source, encoding="utf-8") as f:
        text = f.read()
    try:
        text = rewrite_dynamic_shared(rewrite_launches(text, source))
    except ValueError as error:
        sys.exit(f"emulate_cuda_source.py: {error}")
    header = f'#include "KernelSource.h"\n#line 1 "{source}"\n'
    with open(target + ".tmp", "w", encoding="utf-8") as f:
        f.write(header + text)
    import os
    os.replace(target + ".tmp", target)


if __name__ == "__main__":
    main()
