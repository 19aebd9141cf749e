# lit configuration of the awq test suites.
import os
import shutil

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "AWQ"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = config.awq_obj_root
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "Inputs", "unit", "python", "fuzz"]

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%awq_src", config.awq_source_dir))
config.substitutions.append(("%awq_build", config.awq_binary_dir))
config.substitutions.append(("%python", config.python_executable))
config.substitutions.append(("%cmake", config.cmake_executable))
config.substitutions.append(("%cxx", config.cxx_compiler))
config.substitutions.append(("%c_compiler", config.c_compiler))
config.substitutions.append(("%linker_flags", config.linker_flags))

llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
llvm_config.use_default_substitutions()

# Shared, read-only model weights and text, beside the repository by default.
shared_dir = os.environ.get(
    "AWQ_SHARED_DIR", os.path.join(config.awq_source_dir, "..", "shared"))
config.environment["AWQ_SHARED_DIR"] = shared_dir
config.substitutions.append(("%shared", shared_dir))
if os.path.isdir(shared_dir):
    config.available_features.add("shared")
if config.awq_cuda_enabled:
    config.available_features.add("cuda")
if shutil.which("nvidia-smi") and os.system("nvidia-smi -L > /dev/null 2>&1") == 0:
    config.available_features.add("gpu")
if shutil.which("compute-sanitizer"):
    config.available_features.add("compute-sanitizer")
# --target=cuda libraries run on the GPU where there is one, else on the CUDA
# emulator (runtime/cuda/emulator: the same kernels and backend on the CPU),
# so the tests that compare them with CPU libraries run on every machine.
if config.awq_cuda_enabled:
    on_gpu = "gpu" in config.available_features
    config.available_features.add("cuda-device" if on_gpu else "cuda-emulator")
    config.substitutions.append(
        ("%cuda_runtime", "--cuda-runtime=" + ("device" if on_gpu else "emulator")))

tool_dirs = [config.awq_tools_dir, config.llvm_tools_dir]
tools = ["awq-opt", "awq-translate", "not", "awq-run", "awq-compile", "llvm-nm"]
llvm_config.add_tool_substitutions(tools, tool_dirs)
