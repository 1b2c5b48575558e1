// Argument checks at the JS boundary. Each failed check throws a TypeError with a full sentence
// and returns from the calling function, so native code never sees a malformed argument.
#pragma once
#include <napi.h>
#include <cmath>
#include <cstdint>

#define REQUIRE_ARGUMENT_COUNT(info, count)                                              \
  if ((info).Length() < (count)) {                                                       \
    Napi::TypeError::New((info).Env(), "Expected " #count " arguments.")                 \
        .ThrowAsJavaScriptException();                                                   \
    return (info).Env().Undefined();                                                     \
  }

// Offsets and lengths arrive as JS numbers; they must be non-negative integers that a double
// represents exactly (below 2^53).
#define REQUIRE_ARGUMENT_SIZE(info, index, name, target)                                 \
  if (!(info)[index].IsNumber()) {                                                       \
    Napi::TypeError::New((info).Env(), "Argument " #name " must be a number.")           \
        .ThrowAsJavaScriptException();                                                   \
    return (info).Env().Undefined();                                                     \
  }                                                                                      \
  double target##_double = (info)[index].As<Napi::Number>().DoubleValue();               \
  if (!(target##_double >= 0) || target##_double > 9007199254740991.0 ||                 \
      std::floor(target##_double) != target##_double) {                                  \
    Napi::TypeError::New((info).Env(),                                                   \
                         "Argument " #name " must be a non-negative safe integer.")      \
        .ThrowAsJavaScriptException();                                                   \
    return (info).Env().Undefined();                                                     \
  }                                                                                      \
  uint64_t target = static_cast<uint64_t>(target##_double);

#define REQUIRE_ARGUMENT_ARRAY_BUFFER(info, index, name, target)                         \
  if (!(info)[index].IsArrayBuffer()) {                                                  \
    Napi::TypeError::New((info).Env(), "Argument " #name " must be an ArrayBuffer.")     \
        .ThrowAsJavaScriptException();                                                   \
    return (info).Env().Undefined();                                                     \
  }                                                                                      \
  Napi::ArrayBuffer target = (info)[index].As<Napi::ArrayBuffer>();

#define REQUIRE_ARGUMENT_BYTES(info, index, name, target)                                \
  if (!(info)[index].IsTypedArray() ||                                                   \
      (info)[index].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {       \
    Napi::TypeError::New((info).Env(), "Argument " #name " must be a Uint8Array.")       \
        .ThrowAsJavaScriptException();                                                   \
    return (info).Env().Undefined();                                                     \
  }                                                                                      \
  Napi::Uint8Array target = (info)[index].As<Napi::Uint8Array>();

#define REQUIRE_RANGE_WITHIN(info, offset, length, size)                                 \
  if ((offset) > (size) || (length) > (size) - (offset)) {                               \
    Napi::RangeError::New((info).Env(), "The range lies outside the buffer.")            \
        .ThrowAsJavaScriptException();                                                   \
    return (info).Env().Undefined();                                                     \
  }
