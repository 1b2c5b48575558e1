#pragma once
#include <napi.h>
#include "region-table.h"

namespace tributary {

// Per-environment state (one per Node thread that loads the addon).
struct AddonState {
  RegionTable regions;
};

AddonState& StateOf(Napi::Env env);

// Resolves the region for argument `index`, throwing ERR_MAPPING_CLOSED when it is gone.
RegionPointer RequireRegion(const Napi::CallbackInfo& info, size_t index, const char* operation);

Napi::Value Map(const Napi::CallbackInfo& info);
Napi::Value Unmap(const Napi::CallbackInfo& info);
Napi::Value Msync(const Napi::CallbackInfo& info);
Napi::Value Madvise(const Napi::CallbackInfo& info);
Napi::Value Mlock(const Napi::CallbackInfo& info);
Napi::Value Munlock(const Napi::CallbackInfo& info);
Napi::Value MsyncAsync(const Napi::CallbackInfo& info);
Napi::Value Preheat(const Napi::CallbackInfo& info);
Napi::Value PrefaultWrite(const Napi::CallbackInfo& info);
Napi::Value Fallocate(const Napi::CallbackInfo& info);
Napi::Value LockFile(const Napi::CallbackInfo& info);
Napi::Value Crc32c(const Napi::CallbackInfo& info);
napi_value Crc32cRanges(napi_env env, napi_callback_info info);
napi_value Crc32cVerifyRanges(napi_env env, napi_callback_info info);
bool Crc32cIsHardware();

}  // namespace tributary
