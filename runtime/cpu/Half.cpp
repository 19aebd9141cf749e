// Half.cpp - exported fp16/bf16 <-> f32 scalar conversions.
#include "RuntimeInternal.h"

extern "C" float awq_f16_to_f32(uint16_t h) { return awq::rt::halfToFloat(h); }
extern "C" uint16_t awq_f32_to_f16(float f) { return awq::rt::floatToHalf(f); }
extern "C" float awq_bf16_to_f32(uint16_t h) { return awq::rt::bfloatToFloat(h); }
extern "C" uint16_t awq_f32_to_bf16(float f) { return awq::rt::floatToBfloat(f); }
