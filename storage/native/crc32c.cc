// CRC-32C (Castagnoli), the checksum in every commit log record. With SSE4.2 it runs on the
// crc32 instruction, 8 bytes per step, in three interleaved lanes from 3 KiB on; otherwise on
// a byte-wise table. Both produce the same value as fast-crc32c's calculate(bytes, seed),
// which the test suite checks.
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

// GF(2) product of two reflected polynomials modulo the Castagnoli polynomial (bit 31 is
// x^0). Used only to build the shift tables below, once.
static uint32_t MultiplyModP(uint32_t a, uint32_t b) {
  uint32_t product = 0;
  for (uint32_t m = 1u << 31; m != 0; m >>= 1) {
    if (a & m) product ^= b;
    b = (b & 1u) ? (b >> 1) ^ kCastagnoliReversed : b >> 1;
  }
  return product;
}

// Long inputs run as three interleaved lanes of kLaneBytes: the crc32 instruction has a
// latency of 3 cycles and a throughput of 1, so one dependent chain uses a third of it. The
// lanes' CRCs are joined by shifting the earlier ones past the later lanes' bytes:
// crc(A|B|C) = shift(crc(A), 2L) ^ shift(crc(B), L) ^ crc(C), each shift four table lookups.
static constexpr size_t kLaneBytes = 1024;
static constexpr int kLaneBitsLog2 = 13;  // 8 * kLaneBytes = 2^13 bits

struct ShiftTables {
  uint32_t one_lane[4][256];
  uint32_t two_lanes[4][256];
  ShiftTables() {
    uint32_t power = 1u << 30;  // x^1
    for (int i = 0; i < kLaneBitsLog2; i++) power = MultiplyModP(power, power);
    const uint32_t by_one = power;  // x^(8 * kLaneBytes)
    const uint32_t by_two = MultiplyModP(power, power);
    for (uint32_t k = 0; k < 4; k++) {
      for (uint32_t byte = 0; byte < 256; byte++) {
        one_lane[k][byte] = MultiplyModP(by_one, byte << (8 * k));
        two_lanes[k][byte] = MultiplyModP(by_two, byte << (8 * k));
      }
    }
  }
};

static const ShiftTables& Shifts() {
  static const ShiftTables tables;
  return tables;
}

static inline uint32_t Shift(const uint32_t (&table)[4][256], uint64_t crc) {
  return table[0][crc & 0xFFu] ^ table[1][(crc >> 8) & 0xFFu] ^ table[2][(crc >> 16) & 0xFFu] ^
         table[3][(crc >> 24) & 0xFFu];
}

__attribute__((target("sse4.2"))) static uint32_t UpdateHardware(uint32_t crc,
                                                                 const uint8_t* source,
                                                                 size_t length) {
  uint64_t wide = crc;
  if (length >= 3 * kLaneBytes) {
    const ShiftTables& shifts = Shifts();
    while (length >= 3 * kLaneBytes) {
      uint64_t a = wide, b = 0, c = 0;
      for (size_t i = 0; i < kLaneBytes; i += 8) {
        uint64_t wa, wb, wc;
        std::memcpy(&wa, source + i, 8);
        std::memcpy(&wb, source + kLaneBytes + i, 8);
        std::memcpy(&wc, source + 2 * kLaneBytes + i, 8);
        a = _mm_crc32_u64(a, wa);
        b = _mm_crc32_u64(b, wb);
        c = _mm_crc32_u64(c, wc);
      }
      wide = Shift(shifts.two_lanes, a) ^ Shift(shifts.one_lane, b) ^ static_cast<uint32_t>(c);
      source += 3 * kLaneBytes;
      length -= 3 * kLaneBytes;
    }
  }
  while (length >= 8) {
    uint64_t word;
    std::memcpy(&word, source, sizeof(word));
    wide = _mm_crc32_u64(wide, word);
    source += 8;
    length -= 8;
  }
  uint32_t narrow = static_cast<uint32_t>(wide);
  while (length > 0) {
    narrow = _mm_crc32_u8(narrow, *source);
    source++;
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

// Argument access for the batch functions, in plain N-API: they run once per seal of an
// append burst (often for a single record), so the four calls here are most of their cost and
// the wrapper layer's extra type queries would double it.
struct RangeCall {
  uint8_t* data = nullptr;
  size_t size = 0;
  uint32_t* ranges = nullptr;
  size_t count = 0;
};

static bool ThrowTypeError(napi_env env, const char* message) {
  napi_throw_type_error(env, nullptr, message);
  return false;
}

static bool ReadRangeCall(napi_env env, napi_callback_info info, RangeCall& call) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < 3) {
    return ThrowTypeError(env, "Expected (bytes, ranges, count) arguments.");
  }
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  bool is_typed = false;
  napi_is_typedarray(env, argv[0], &is_typed);
  if (!is_typed || napi_get_typedarray_info(env, argv[0], &type, &length, &data, nullptr, nullptr) != napi_ok ||
      type != napi_uint8_array) {
    return ThrowTypeError(env, "Argument bytes must be a Uint8Array.");
  }
  call.data = static_cast<uint8_t*>(data);
  call.size = length;
  napi_is_typedarray(env, argv[1], &is_typed);
  if (!is_typed || napi_get_typedarray_info(env, argv[1], &type, &length, &data, nullptr, nullptr) != napi_ok ||
      type != napi_uint32_array) {
    return ThrowTypeError(env, "Argument ranges must be a Uint32Array.");
  }
  call.ranges = static_cast<uint32_t*>(data);
  uint32_t count = 0;
  if (napi_get_value_uint32(env, argv[2], &count) != napi_ok) {
    return ThrowTypeError(env, "Argument count must be a number.");
  }
  if (static_cast<size_t>(count) * 3 > length) {
    napi_throw_range_error(env, nullptr, "Argument count exceeds the ranges given.");
    return false;
  }
  call.count = count;
  return true;
}

// Checks triple i lies within the buffer; throws a RangeError otherwise.
static bool RangeFits(napi_env env, const RangeCall& call, size_t i) {
  size_t start = call.ranges[i * 3];
  size_t length = call.ranges[i * 3 + 1];
  size_t at = call.ranges[i * 3 + 2];
  if (start > call.size || length > call.size - start || at > call.size || 4 > call.size - at) {
    napi_throw_range_error(env, nullptr, "The range lies outside the buffer.");
    return false;
  }
  return true;
}

// crc32cRanges(bytes, ranges, count): for each triple (start, length, target) in the
// Uint32Array `ranges`, writes the CRC-32C of bytes[start, start+length) big-endian at
// bytes[target]. One call checksums a whole batch of records.
napi_value Crc32cRanges(napi_env env, napi_callback_info info) {
  RangeCall call;
  if (!ReadRangeCall(env, info, call)) return nullptr;
  for (size_t i = 0; i < call.count; i++) {
    if (!RangeFits(env, call, i)) return nullptr;
    uint32_t crc = Compute(0, call.data + call.ranges[i * 3], call.ranges[i * 3 + 1]);
    uint8_t* target = call.data + call.ranges[i * 3 + 2];
    target[0] = static_cast<uint8_t>(crc >> 24);
    target[1] = static_cast<uint8_t>(crc >> 16);
    target[2] = static_cast<uint8_t>(crc >> 8);
    target[3] = static_cast<uint8_t>(crc);
  }
  return nullptr;
}

// crc32cVerifyRanges(bytes, ranges, count) -> index of the first triple (start, length,
// checksumAt) whose CRC-32C differs from the big-endian value stored at checksumAt, or -1.
// One call verifies every record of a read.
napi_value Crc32cVerifyRanges(napi_env env, napi_callback_info info) {
  RangeCall call;
  if (!ReadRangeCall(env, info, call)) return nullptr;
  int64_t mismatch = -1;
  for (size_t i = 0; i < call.count && mismatch < 0; i++) {
    if (!RangeFits(env, call, i)) return nullptr;
    const uint8_t* at = call.data + call.ranges[i * 3 + 2];
    uint32_t stored = (static_cast<uint32_t>(at[0]) << 24) | (static_cast<uint32_t>(at[1]) << 16) |
                      (static_cast<uint32_t>(at[2]) << 8) | static_cast<uint32_t>(at[3]);
    uint32_t computed = Compute(0, call.data + call.ranges[i * 3], call.ranges[i * 3 + 1]);
    if (computed != stored) mismatch = static_cast<int64_t>(i);
  }
  napi_value result;
  napi_create_int64(env, mismatch, &result);
  return result;
}

}  // namespace tributary
