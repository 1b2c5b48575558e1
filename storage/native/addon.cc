// Entry point of the storage engine's native addon. It is deliberately mechanical: map, unmap,
// msync, madvise, mlock, preheat, preallocate, lock, checksum. Policy lives in TypeScript.
#include <sys/mman.h>
#include <unistd.h>

#include "mapping.h"

namespace tributary {

// A function bound straight to a plain N-API callback (for the hot checksum batch calls).
static Napi::Value RawFunction(Napi::Env env, napi_callback callback, const char* name) {
  napi_value function;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, callback, nullptr, &function);
  return Napi::Value(env, function);
}

static Napi::Object Advice(Napi::Env env) {
  Napi::Object advice = Napi::Object::New(env);
  advice.Set("normal", Napi::Number::New(env, MADV_NORMAL));
  advice.Set("random", Napi::Number::New(env, MADV_RANDOM));
  advice.Set("sequential", Napi::Number::New(env, MADV_SEQUENTIAL));
  advice.Set("willNeed", Napi::Number::New(env, MADV_WILLNEED));
  advice.Set("dontNeed", Napi::Number::New(env, MADV_DONTNEED));
  return advice;
}

Napi::Object InitAddon(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData(new AddonState());
  exports.Set("map", Napi::Function::New(env, Map, "map"));
  exports.Set("unmap", Napi::Function::New(env, Unmap, "unmap"));
  exports.Set("msync", Napi::Function::New(env, Msync, "msync"));
  exports.Set("msyncAsync", Napi::Function::New(env, MsyncAsync, "msyncAsync"));
  exports.Set("madvise", Napi::Function::New(env, Madvise, "madvise"));
  exports.Set("mlock", Napi::Function::New(env, Mlock, "mlock"));
  exports.Set("munlock", Napi::Function::New(env, Munlock, "munlock"));
  exports.Set("preheat", Napi::Function::New(env, Preheat, "preheat"));
  exports.Set("prefaultWrite", Napi::Function::New(env, PrefaultWrite, "prefaultWrite"));
  exports.Set("fallocate", Napi::Function::New(env, Fallocate, "fallocate"));
  exports.Set("lockFile", Napi::Function::New(env, LockFile, "lockFile"));
  exports.Set("crc32c", Napi::Function::New(env, Crc32c, "crc32c"));
  exports.Set("crc32cRanges", RawFunction(env, Crc32cRanges, "crc32cRanges"));
  exports.Set("crc32cVerifyRanges", RawFunction(env, Crc32cVerifyRanges, "crc32cVerifyRanges"));
  exports.Set("crc32cHardware", Napi::Boolean::New(env, Crc32cIsHardware()));
  exports.Set("pageSize", Napi::Number::New(env, static_cast<double>(sysconf(_SC_PAGESIZE))));
  exports.Set("advice", Advice(env));
  return exports;
}

}  // namespace tributary

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  return tributary::InitAddon(env, exports);
}

NODE_API_MODULE(tributary_native, Init)
