"""bench/cuda/decode_breakdown.py's reading of Nsight Compute's CSV (the profiling
itself needs a GPU): the second decode step is cut out between the two
advanceDecodeStep kernels and summed per kernel."""

import sys

import pytest
from conftest import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "bench" / "cuda"))
import decode_breakdown  # noqa: E402

HEADER = '"ID","Kernel Name","Metric Name","Metric Unit","Metric Value"\n'


def ncu_csv(kernels):
    """ncu-style rows for (name, ns, bytes read) kernels, one row per metric."""
    rows = []
    for i, (name, ns, read) in enumerate(kernels):
        rows.append(f'"{i}","{name}","gpu__time_duration.sum","ns","{ns:,}"')
        rows.append(f'"{i}","{name}","dram__bytes_read.sum","byte","{read}"')
        rows.append(f'"{i}","{name}","dram__bytes_write.sum","byte","0"')
    return HEADER + "\n".join(rows) + "\n"


STEPS = [
    ("void awq::(anonymous namespace)::prefillKernel<__half>(int)", 9000, 10),
    ("void gemv<__half, 4>(const __half *, long)", 1000, 100),
    ("void bench::(anonymous namespace)::advanceDecodeStep(int *)", 300, 0),  # step 1 ends
    ("void gemv<__half, 4>(const __half *, long)", 2000, 4000),
    ("void gemv<__half, 4>(const __half *, long)", 4000, 8000),
    ("void rope<__half>(__half *)", 500, 0),
    ("void bench::(anonymous namespace)::advanceDecodeStep(int *)", 500, 0),  # step 2 ends
]


def test_second_step_is_cut_between_the_step_ends(capsys):
    kernels = decode_breakdown.parse_ncu_csv(ncu_csv(STEPS))
    assert [k["metrics"]["gpu__time_duration.sum"] for k in kernels] == [s[1] for s in STEPS]
    step = decode_breakdown.second_step(kernels, "w4")
    assert [k["metrics"]["gpu__time_duration.sum"] for k in step] == [2000, 4000, 500, 500]

    decode_breakdown.report(step, "w4", 1, 2)
    out = capsys.readouterr().out
    assert "one decode step, 4 kernels, 7.0 us summed, 0.0 MB DRAM" in out
    # Sorted by time; names lose "void", namespaces and parameters.
    lines = [line for line in out.splitlines() if line.startswith("| ") and "---" not in line]
    assert lines[1] == "| gemv<__half, 4> | 2 | 6.0 | 85.7% | 0.01 | 2 |"
    assert lines[2].startswith("| rope<__half> | 1 | 0.5 |")
    assert lines[3].startswith("| bench::advanceDecodeStep | 1 | 0.5 |")


def test_a_run_without_two_steps_is_an_error():
    kernels = decode_breakdown.parse_ncu_csv(ncu_csv(STEPS[:3]))
    with pytest.raises(SystemExit, match="expected two decode steps ending in advanceDecodeStep, found 1"):
        decode_breakdown.second_step(kernels, "w4")
