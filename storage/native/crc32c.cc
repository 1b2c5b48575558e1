// CRC-32C (Castagnoli), the checksum in every commit log record. With SSE4.2 it runs on the
// crc32 instruction, 8 bytes per step; otherwise on a byte-wise table. Both produce the same
// value as fast-crc32c's calculate(bytes, seed), which the test suite checks.
#include <nmmintrin.h>

#include <cstdint>
#include <cstring>

#include "argument-guards.h"
#include "mapping.h"

namespace tributary {

static constexpr uint32_t kCastagnoliReversed = 0x82F63B78u;

struct SoftwareTable {
  uint32_t entries[256];
  SoftwareTable() {
    for (uint32_t byte = 0; byte < 256; byte++) {
      uint32_t crc = byte;
      for (int bit = 0; bit < 8; bit++) crc = (crc >> 1) ^ ((crc & 1u) ? kCastagnoliReversed : 0);
      entries[byte] = crc;
    }
  }
};

static uint32_t UpdateSoftware(uint32_t crc, const uint8_t* data, size_t length) {
  static const SoftwareTable table;
  for (size_t i = 0; i < length; i++) crc = table.entries[(crc ^ data[i]) & 0xFFu] ^ (crc >> 8);
  return crc;
}

__attribute__((target("sse4.2"))) static uint32_t UpdateHardware(uint32_t crc,
                                                                 const uint8_t* data,
                                                                 size_t length) {
  uint64_t wide = crc;
  while (length >= 8) {
    uint64_t word;
    std::memcpy(&word, data, sizeof(word));
    wide = _mm_crc32_u64(wide, word);
    data += 8;
    length -= 8;
  }
  uint32_t narrow = static_cast<uint32_t>(wide);
  while (length > 0) {
    narrow = _mm_crc32_u8(narrow, *data);
    data++;
    length--;
  }
  return narrow;
}

bool Crc32cIsHardware() {
  static const bool hardware = __builtin_cpu_supports("sse4.2");
  return hardware;
}

// seed is a previous CRC to continue from (0 to start), as in fast-crc32c.
static uint32_t Compute(uint32_t seed, const uint8_t* data, size_t length) {
  uint32_t crc = ~seed;
  crc = Crc32cIsHardware() ? UpdateHardware(crc, data, length) : UpdateSoftware(crc, data, length);
  return ~crc;
}

// crc32c(bytes, offset, length, seed) -> uint32
Napi::Value Crc32c(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  REQUIRE_ARGUMENT_COUNT(info, 4);
  REQUIRE_ARGUMENT_BYTES(info, 0, bytes, bytes);
  REQUIRE_ARGUMENT_SIZE(info, 1, offset, offset);
  REQUIRE_ARGUMENT_SIZE(info, 2, length, length);
  REQUIRE_ARGUMENT_SIZE(info, 3, seed, seed);
  REQUIRE_RANGE_WITHIN(info, offset, length, bytes.ByteLength());
  if (seed > 0xFFFFFFFFu) {
    Napi::RangeError::New(env, "Argument seed must fit in 32 bits.").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  uint32_t crc = Compute(static_cast<uint32_t>(seed), bytes.Data() + offset, length);
  return Napi::Number::New(env, crc);
}

// crc32cRanges(bytes, ranges, count): for each triple (start, length, target) in the
// Uint32Array `ranges`, writes the CRC-32C of bytes[start, start+length) big-endian at
// bytes[target]. One call checksums a whole batch of records.
Napi::Value Crc32cRanges(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  REQUIRE_ARGUMENT_COUNT(info, 3);
  REQUIRE_ARGUMENT_BYTES(info, 0, bytes, bytes);
  if (!info[1].IsTypedArray() ||
      info[1].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array) {
    Napi::TypeError::New(env, "Argument ranges must be a Uint32Array.")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Uint32Array ranges = info[1].As<Napi::Uint32Array>();
  REQUIRE_ARGUMENT_SIZE(info, 2, count, count);
  if (count * 3 > ranges.ElementLength()) {
    Napi::RangeError::New(env, "Argument count exceeds the ranges given.")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  uint8_t* data = bytes.Data();
  size_t size = bytes.ByteLength();
  for (size_t i = 0; i < count; i++) {
    size_t start = ranges[i * 3];
    size_t length = ranges[i * 3 + 1];
    size_t target = ranges[i * 3 + 2];
    REQUIRE_RANGE_WITHIN(info, start, length, size);
    REQUIRE_RANGE_WITHIN(info, target, 4, size);
    uint32_t crc = Compute(0, data + start, length);
    data[target] = static_cast<uint8_t>(crc >> 24);
    data[target + 1] = static_cast<uint8_t>(crc >> 16);
    data[target + 2] = static_cast<uint8_t>(crc >> 8);
    data[target + 3] = static_cast<uint8_t>(crc);
  }
  return env.Undefined();
}

// crc32cVerifyRanges(bytes, ranges, count) -> index of the first triple (start, length,
// checksumAt) whose CRC-32C differs from the big-endian value stored at checksumAt, or -1.
// One call verifies every record of a read.
Napi::Value Crc32cVerifyRanges(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  REQUIRE_ARGUMENT_COUNT(info, 3);
  REQUIRE_ARGUMENT_BYTES(info, 0, bytes, bytes);
  if (!info[1].IsTypedArray() ||
      info[1].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array) {
    Napi::TypeError::New(env, "Argument ranges must be a Uint32Array.")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Uint32Array ranges = info[1].As<Napi::Uint32Array>();
  REQUIRE_ARGUMENT_SIZE(info, 2, count, count);
  if (count * 3 > ranges.ElementLength()) {
    Napi::RangeError::New(env, "Argument count exceeds the ranges given.")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const uint8_t* data = bytes.Data();
  size_t size = bytes.ByteLength();
  for (size_t i = 0; i < count; i++) {
    size_t start = ranges[i * 3];
    size_t length = ranges[i * 3 + 1];
    size_t at = ranges[i * 3 + 2];
    REQUIRE_RANGE_WITHIN(info, start, length, size);
    REQUIRE_RANGE_WITHIN(info, at, 4, size);
    uint32_t stored = (static_cast<uint32_t>(data[at]) << 24) | (static_cast<uint32_t>(data[at + 1]) << 16) |
                      (static_cast<uint32_t>(data[at + 2]) << 8) | static_cast<uint32_t>(data[at + 3]);
    if (Compute(0, data + start, length) != stored) return Napi::Number::New(env, static_cast<double>(i));
  }
  return Napi::Number::New(env, -1);
}

}  // namespace tributary
