"""ctypes bindings of a compiled model library's C API (runtime/include/awq_model.h),
shared by the tests (test/python/test_model_api.py) and the GPU scripts
(bench/cuda/model_decode_graphs.py). Only numpy and the standard library."""

import ctypes
import os

AWQ_MAX_RANK = 8
AWQ_F32, AWQ_I64 = 1, 4  # awq_dtype (awq_runtime.h): F32 = 1, F16, BF16, I64


class Tensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("dtype", ctypes.c_int32), ("rank", ctypes.c_int32),
                ("shape", ctypes.c_int64 * AWQ_MAX_RANK)]


class TensorInfo(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("dtype", ctypes.c_int32), ("rank", ctypes.c_int32),
                ("shape", ctypes.c_int64 * AWQ_MAX_RANK)]


def load_library(path):
    """The library at `path` with the awq_model_* functions' argument types set."""
    lib = ctypes.CDLL(os.path.abspath(str(path)))
    lib.awq_model_last_error.restype = ctypes.c_char_p
    lib.awq_model_carry_output.argtypes = [ctypes.c_void_p, ctypes.c_int32, ctypes.c_int32]
    lib.awq_model_reset_carried.argtypes = [ctypes.c_void_p]
    lib.awq_model_run.argtypes = [ctypes.c_void_p, ctypes.POINTER(Tensor), ctypes.c_int32,
                                  ctypes.POINTER(Tensor), ctypes.c_int32]
    lib.awq_model_input_info.argtypes = [ctypes.c_void_p, ctypes.c_int32, ctypes.POINTER(TensorInfo)]
    lib.awq_model_output_info.argtypes = [ctypes.c_void_p, ctypes.c_int32, ctypes.POINTER(TensorInfo)]
    lib.awq_model_num_inputs.argtypes = [ctypes.c_void_p]
    lib.awq_model_num_outputs.argtypes = [ctypes.c_void_p]
    lib.awq_model_destroy.argtypes = [ctypes.c_void_p]
    return lib
