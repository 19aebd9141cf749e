#!/usr/bin/env bash
# setup.sh: install everything awq needs on Debian 12 (as root), build it, and
# run the main job on the default model. Safe to run again: it installs only
# what is missing and rebuilds incrementally.
#
#   scripts/setup.sh              install, configure, build, run the main job
#   scripts/setup.sh --no-run     install, configure, build
#   scripts/setup.sh --deps-only  install the dependencies only
#
# Environment: AWQ_BUILD_DIR (default: build), AWQ_JOBS (default: nproc),
#              AWQ_VENV (default: .venv, the Python environment of the tests).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD_DIR=${AWQ_BUILD_DIR:-build}
VENV=${AWQ_VENV:-.venv}
JOBS=${AWQ_JOBS:-$(nproc)}
RUN_MAIN=1
BUILD=1
for arg in "$@"; do
  case "$arg" in
    --no-run) RUN_MAIN=0 ;;
    --deps-only) RUN_MAIN=0; BUILD=0 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "setup: unknown option '$arg' (see --help)" >&2; exit 2 ;;
  esac
done

fail() { echo "setup: error: $*" >&2; exit 1; }
step() { echo "==> $*"; }

# --- Debian packages ---------------------------------------------------------
APT_PACKAGES=(
  # LLVM/MLIR 22: static MLIR libraries, mlir-tblgen, lit/FileCheck, clang, lld
  libmlir-22-dev mlir-22-tools llvm-22-dev llvm-22-tools clang-22 lld-22
  libomp-22-dev libclang-rt-22-dev
  # build tools
  cmake ninja-build git
  # ONNX protobuf definitions, SentencePiece, BLAS, GoogleTest
  libprotobuf-dev protobuf-compiler libonnx-dev libsentencepiece-dev
  libopenblas-dev libgtest-dev
  # Python for the model fixtures and tests
  python3 python3-venv python3-pip
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  step "Installing Debian packages: ${missing[*]}"
  [[ $(id -u) -eq 0 ]] || fail "missing Debian packages (${missing[*]}); run this script as root to install them"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q || fail "apt-get update failed"
  for pkg in "${missing[@]}"; do
    candidate=$(apt-cache policy "$pkg" 2>/dev/null | awk '/Candidate:/ {print $2}')
    [[ -n "$candidate" && "$candidate" != "(none)" ]] || fail "Debian package '$pkg' is not available from the configured apt sources"
  done
  apt-get install -y -q --no-install-recommends "${missing[@]}" || fail "apt-get install of ${missing[*]} failed"
else
  step "Debian packages: all present"
fi

# --- Python environment (PEP 668: Debian's python3 refuses global pip installs)
PY_PACKAGES=(numpy onnx onnxruntime pytest)
if [[ ! -x "$VENV/bin/python" ]]; then
  step "Creating Python environment $VENV"
  python3 -m venv "$VENV" || fail "python3 -m venv $VENV failed (is python3-venv installed?)"
fi
if ! "$VENV/bin/python" -c "import numpy, onnx, onnxruntime, pytest" 2>/dev/null; then
  step "Installing Python packages: ${PY_PACKAGES[*]}"
  "$VENV/bin/python" -m pip install -q --upgrade pip || fail "pip upgrade failed"
  "$VENV/bin/python" -m pip install -q "${PY_PACKAGES[@]}" || fail "pip install ${PY_PACKAGES[*]} failed"
else
  step "Python packages: all present"
fi
((BUILD)) || exit 0

# --- Configure and build -----------------------------------------------------
if [[ ! -f "$BUILD_DIR/build.ninja" ]]; then
  step "Configuring $BUILD_DIR"
  cmake -G Ninja -S . -B "$BUILD_DIR" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=lld -DCMAKE_SHARED_LINKER_FLAGS=-fuse-ld=lld \
    -DPython3_EXECUTABLE="$ROOT/$VENV/bin/python" \
    || fail "cmake configure failed (see the messages above)"
fi
step "Building with $JOBS jobs"
cmake --build "$BUILD_DIR" -j "$JOBS" || fail "build failed (see the messages above)"

((RUN_MAIN)) || exit 0
step "Running the main job"
exec scripts/main-job.sh
