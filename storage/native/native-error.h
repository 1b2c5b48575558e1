// Errors that cross into JavaScript. Every OS failure carries its errno name as `code`
// (e.g. "ENOMEM"), the number as `errno` and the call as `syscall`, the shape Node uses for
// fs errors, so TypeScript can wrap it in a typed error without parsing messages.
#pragma once
#include <napi.h>
#include <cerrno>
#include <cstring>
#include <string>

namespace tributary {

inline Napi::Error ErrnoError(Napi::Env env, int error_number, const char* syscall) {
  const char* name = strerrorname_np(error_number);
  std::string message = std::string(syscall) + " failed: " + std::strerror(error_number);
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, name != nullptr ? name : "EUNKNOWN"));
  error.Set("errno", Napi::Number::New(env, error_number));
  error.Set("syscall", Napi::String::New(env, syscall));
  return error;
}

// A call on a mapping that was already unmapped: a JS bug, but one that must throw instead of
// touching freed address space.
inline Napi::Error UnmappedError(Napi::Env env, const char* operation) {
  Napi::Error error = Napi::Error::New(
      env, std::string(operation) + " failed: the mapping has been unmapped");
  error.Set("code", Napi::String::New(env, "ERR_MAPPING_CLOSED"));
  return error;
}

}  // namespace tributary
