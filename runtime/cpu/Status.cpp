// Status.cpp - thread-local error messages and the OpError raise helper.
#include "RuntimeInternal.h"

#include <cstdarg>
#include <cstdio>

namespace awq::rt {

namespace {
thread_local std::string lastError;
} // namespace

void raise(const char *format, ...) {
  char buffer[512];
  va_list args;
  va_start(args, format);
  std::vsnprintf(buffer, sizeof(buffer), format, args);
  va_end(args);
  throw OpError{buffer};
}

void setLastError(const char *op, const char *message) {
  lastError = std::string(op) + ": " + message;
}

} // namespace awq::rt

extern "C" const char *awq_last_error(void) { return awq::rt::lastError.c_str(); }
