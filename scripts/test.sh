#!/usr/bin/env bash
# test.sh: build and run every test (lit, GoogleTest, pytest) through ctest.
# Tests that need ../shared or a GPU skip with a message when those are absent.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${AWQ_BUILD_DIR:-build}
JOBS=${AWQ_JOBS:-$(nproc)}
[[ -f "$BUILD_DIR/build.ninja" ]] || { echo "test: no build in '$BUILD_DIR'; run scripts/setup.sh first" >&2; exit 1; }
cmake --build "$BUILD_DIR" -j "$JOBS"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$JOBS" "$@"
