// writeRecords(sources, rows, count, bodies): the commit log record's native encoder, for
// batches. Each row of the Float64Array `rows` describes one record (the row's fields are named
// in storage/record-rows.ts, ROW); byte places are (source index, byte offset) pairs into the
// ArrayBuffers of `sources`. For each row it writes the record in the layout of
// protocol/message-record-layout.ts (its one layout table; the TypeScript writeRecord is the
// reference, and a seeded test compares the two byte for byte), its CRC-32C, and the record's
// consume queue entry (storage/consume-queue.ts) when the row names one. One call per batch
// replaces ~20 DataView stores, two copies and a queue entry per record in JavaScript.
#include <cstring>
#include <vector>

#include "mapping.h"

namespace tributary {

namespace {

// Row fields, in the order of ROW in storage/record-rows.ts.
enum Field : size_t {
  kAt,
  kSegment,
  kQueueId,
  kFlag,
  kQueueOffset,
  kPhysicalOffset,
  kSysFlag,
  kBornTimestamp,
  kBornIp,
  kBornPort,
  kStoreTimestamp,
  kStoreIp,
  kStorePort,
  kReconsumeTimes,
  kPreparedTransactionOffset,
  kBodyLength,
  kTopicSource,
  kTopicAt,
  kTopicLength,
  kPropertiesBytes,
  kQueueSource,
  kQueueAt,
  kTagsCode,
  kRowFields,
};

// Byte offsets of the record's fields (protocol/message-record-layout.ts).
constexpr size_t kMagicAt = 4;
constexpr size_t kChecksumAt = 8;
constexpr size_t kQueueIdAt = 12;
constexpr size_t kFlagAt = 16;
constexpr size_t kQueueOffsetAt = 20;
constexpr size_t kPhysicalOffsetAt = 28;
constexpr size_t kSysFlagAt = 36;
constexpr size_t kBornTimestampAt = 40;
constexpr size_t kBornHostAt = 48;
constexpr size_t kStoreTimestampAt = 56;
constexpr size_t kStoreHostAt = 64;
constexpr size_t kReconsumeTimesAt = 72;
constexpr size_t kPreparedTransactionOffsetAt = 76;
constexpr size_t kBodyLengthAt = 84;
constexpr size_t kBodyFieldAt = 88;
constexpr size_t kFixedBytes = 91;
constexpr size_t kChecksumFrom = 12;
constexpr uint32_t kMagicMessageV1 = 0xDAA320A7u;
// The consume queue entry: COMMITLOGOFFSET (8), SIZE (4), TAGSCODE (8).
constexpr size_t kQueueEntryBytes = 20;
// A row's queue source when the record has no consume queue entry.
constexpr double kNoSource = -1;

struct Source {
  uint8_t* data;
  size_t length;
};

inline void Put32(uint8_t* at, uint32_t value) {
  value = __builtin_bswap32(value);
  std::memcpy(at, &value, 4);
}

inline void Put16(uint8_t* at, uint16_t value) {
  value = __builtin_bswap16(value);
  std::memcpy(at, &value, 2);
}

// Values are JS numbers below 2^53, negative ones (tags codes) included: two's complement.
inline void Put64(uint8_t* at, double value) {
  uint64_t bits = __builtin_bswap64(static_cast<uint64_t>(static_cast<int64_t>(value)));
  std::memcpy(at, &bits, 8);
}

inline void Put32From(uint8_t* at, double value) {
  Put32(at, static_cast<uint32_t>(static_cast<int64_t>(value)));
}

bool Fail(napi_env env, const char* message) {
  napi_throw_range_error(env, nullptr, message);
  return false;
}

// The bytes [at, at+length) of source `index`, or nullptr (after throwing) when they are not
// all inside it.
uint8_t* Place(napi_env env, const std::vector<Source>& sources, double index, double at, double length) {
  if (!(index >= 0) || index >= static_cast<double>(sources.size()) || !(at >= 0) || !(length >= 0)) {
    Fail(env, "A record row names no source.");
    return nullptr;
  }
  const Source& source = sources[static_cast<size_t>(index)];
  if (at > static_cast<double>(source.length) || length > static_cast<double>(source.length) - at) {
    Fail(env, "A record row lies outside its source.");
    return nullptr;
  }
  return source.data + static_cast<size_t>(at);
}

bool ReadSources(napi_env env, napi_value array, std::vector<Source>& sources) {
  bool is_array = false;
  uint32_t count = 0;
  if (napi_is_array(env, array, &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, array, &count) != napi_ok) {
    napi_throw_type_error(env, nullptr, "Argument sources must be an array of ArrayBuffers.");
    return false;
  }
  sources.resize(count);
  for (uint32_t i = 0; i < count; i++) {
    napi_value element;
    bool is_buffer = false;
    void* data = nullptr;
    size_t length = 0;
    if (napi_get_element(env, array, i, &element) != napi_ok ||
        napi_is_arraybuffer(env, element, &is_buffer) != napi_ok || !is_buffer ||
        napi_get_arraybuffer_info(env, element, &data, &length) != napi_ok) {
      napi_throw_type_error(env, nullptr, "Argument sources must be an array of ArrayBuffers.");
      return false;
    }
    sources[i] = Source{static_cast<uint8_t*>(data), length};
  }
  return true;
}

// Writes the record of one row around its body (already in place); false (after throwing) when
// the row is malformed.
bool WriteRow(napi_env env, const std::vector<Source>& sources, const double* row) {
  const double body_length = row[kBodyLength];
  const double topic_length = row[kTopicLength];
  const double properties_bytes = row[kPropertiesBytes];
  if (!(body_length >= 0) || !(topic_length <= 255) || !(properties_bytes >= 0 && properties_bytes <= 32767)) {
    return Fail(env, "A record row has a bad body, topic or properties length.");
  }
  const double size = kFixedBytes + body_length + topic_length + properties_bytes;
  // Every place is checked before the first byte is written.
  uint8_t* record = Place(env, sources, row[kSegment], row[kAt], size);
  if (record == nullptr) return false;
  const uint8_t* topic = Place(env, sources, row[kTopicSource], row[kTopicAt], topic_length);
  if (topic == nullptr) return false;
  uint8_t* entry = nullptr;
  if (row[kQueueSource] != kNoSource) {
    entry = Place(env, sources, row[kQueueSource], row[kQueueAt], kQueueEntryBytes);
    if (entry == nullptr) return false;
  }
  Put32From(record, size);
  Put32(record + kMagicAt, kMagicMessageV1);
  Put32From(record + kQueueIdAt, row[kQueueId]);
  Put32From(record + kFlagAt, row[kFlag]);
  Put64(record + kQueueOffsetAt, row[kQueueOffset]);
  Put64(record + kPhysicalOffsetAt, row[kPhysicalOffset]);
  Put32From(record + kSysFlagAt, row[kSysFlag]);
  Put64(record + kBornTimestampAt, row[kBornTimestamp]);
  Put32From(record + kBornHostAt, row[kBornIp]);
  Put32From(record + kBornHostAt + 4, row[kBornPort]);
  Put64(record + kStoreTimestampAt, row[kStoreTimestamp]);
  Put32From(record + kStoreHostAt, row[kStoreIp]);
  Put32From(record + kStoreHostAt + 4, row[kStorePort]);
  Put32From(record + kReconsumeTimesAt, row[kReconsumeTimes]);
  Put64(record + kPreparedTransactionOffsetAt, row[kPreparedTransactionOffset]);
  Put32From(record + kBodyLengthAt, body_length);
  // JavaScript copied the body already: reading a typed array's place costs more than its copy.
  size_t cursor = kBodyFieldAt + static_cast<size_t>(body_length);
  record[cursor] = static_cast<uint8_t>(topic_length);
  std::memcpy(record + cursor + 1, topic, static_cast<size_t>(topic_length));
  cursor += 1 + static_cast<size_t>(topic_length);
  // The properties themselves JavaScript wrote already (strings stay on its side).
  Put16(record + cursor, static_cast<uint16_t>(properties_bytes));
  const size_t total = static_cast<size_t>(size);
  Put32(record + kChecksumAt, Crc32cCompute(0, record + kChecksumFrom, total - kChecksumFrom));
  if (entry == nullptr) return true;
  Put64(entry, row[kPhysicalOffset]);
  Put32From(entry + 8, size);
  Put64(entry + 12, row[kTagsCode]);
  return true;
}

}  // namespace

napi_value WriteRecords(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < 3) {
    napi_throw_type_error(env, nullptr, "Expected (sources, rows, count) arguments.");
    return nullptr;
  }
  std::vector<Source> sources;
  if (!ReadSources(env, argv[0], sources)) return nullptr;
  bool is_typed = false;
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  napi_is_typedarray(env, argv[1], &is_typed);
  if (!is_typed || napi_get_typedarray_info(env, argv[1], &type, &length, &data, nullptr, nullptr) != napi_ok ||
      type != napi_float64_array) {
    napi_throw_type_error(env, nullptr, "Argument rows must be a Float64Array.");
    return nullptr;
  }
  uint32_t count = 0;
  if (napi_get_value_uint32(env, argv[2], &count) != napi_ok) {
    napi_throw_type_error(env, nullptr, "Argument count must be a number.");
    return nullptr;
  }
  if (static_cast<size_t>(count) * kRowFields > length) {
    napi_throw_range_error(env, nullptr, "Argument count exceeds the rows given.");
    return nullptr;
  }
  const double* rows = static_cast<const double*>(data);
  for (uint32_t i = 0; i < count; i++) {
    if (!WriteRow(env, sources, rows + static_cast<size_t>(i) * kRowFields)) return nullptr;
  }
  return nullptr;
}

}  // namespace tributary
