// Synchronous operations on a mapped region: map, unmap, msync, madvise, mlock, munlock.
#include "mapping.h"

#include <sys/mman.h>
#include <unistd.h>
#include <v8.h>

#include "argument-guards.h"
#include "native-error.h"

namespace tributary {

AddonState& StateOf(Napi::Env env) { return *env.GetInstanceData<AddonState>(); }

RegionPointer RequireRegion(const Napi::CallbackInfo& info, size_t index, const char* operation) {
  Napi::Env env = info.Env();
  if (!info[index].IsArrayBuffer()) {
    Napi::TypeError::New(env, "The mapping argument must be an ArrayBuffer returned by map().")
        .ThrowAsJavaScriptException();
    return nullptr;
  }
  RegionPointer region = StateOf(env).regions.Find(info[index].As<Napi::ArrayBuffer>());
  if (!region) {
    UnmappedError(env, operation).ThrowAsJavaScriptException();
    return nullptr;
  }
  return region;
}

static void FinalizeMapping(napi_env, void* data, void*) {
  // Reached when the ArrayBuffer is collected. If JS never unmapped explicitly, the garbage
  // collector is the last owner and releases the address space here.
  auto* hint = static_cast<RegionPointer*>(data);
  Region& region = **hint;
  if (!region.unmapped) {
    munmap(region.address, region.length);
    region.unmapped = true;
  }
  delete hint;
}

// The ArrayBuffer over a mapping. Made through V8 with an empty deleter rather than through
// napi_create_external_arraybuffer: V8 counts an external buffer's length as memory the
// collector could free, so each new 64 MiB-1 GiB segment made it run several collections to
// free memory no collection can (3-4 extra GCs per mapping, 10x the GC time, in a
// micro-measurement; 5-40 ms pauses in the store's event-loop trial). A backing store with an
// empty deleter is not counted. The munmap stays ours: Unmap, or the finalizer below on GC.
static Napi::Value MappingBuffer(Napi::Env env, const RegionPointer& region) {
  v8::Isolate* isolate = v8::Isolate::GetCurrent();
  std::unique_ptr<v8::BackingStore> store = v8::ArrayBuffer::NewBackingStore(
      region->address, region->length, v8::BackingStore::EmptyDeleter, nullptr);
  v8::Local<v8::ArrayBuffer> buffer = v8::ArrayBuffer::New(isolate, std::move(store));
  // Node's napi_value is a v8::Local's slot, the conversion its own N-API code uses.
  napi_value value = reinterpret_cast<napi_value>(*buffer);
  auto* hint = new RegionPointer(region);
  if (napi_add_finalizer(env, value, hint, FinalizeMapping, nullptr, nullptr) != napi_ok) {
    delete hint;
    Napi::Error::New(env, "Could not register the mapping's finalizer.").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Value(env, value);
}

// map(fd, offset, length) -> ArrayBuffer over a MAP_SHARED read-write view of the file.
Napi::Value Map(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  REQUIRE_ARGUMENT_COUNT(info, 3);
  REQUIRE_ARGUMENT_SIZE(info, 0, fd, fd);
  REQUIRE_ARGUMENT_SIZE(info, 1, offset, offset);
  REQUIRE_ARGUMENT_SIZE(info, 2, length, length);
  if (length == 0) {
    Napi::RangeError::New(env, "A mapping must be at least one byte long.")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  void* address = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_SHARED,
                       static_cast<int>(fd), static_cast<off_t>(offset));
  if (address == MAP_FAILED) {
    ErrnoError(env, errno, "mmap").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto region = std::make_shared<Region>();
  region->address = static_cast<uint8_t*>(address);
  region->length = length;
  StateOf(env).regions.Add(region);
  return MappingBuffer(env, region);
}

// unmap(buffer): releases the address space now and detaches the ArrayBuffer, so every view
// of it reports length 0 and any later native call on it throws instead of faulting.
Napi::Value Unmap(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  REQUIRE_ARGUMENT_COUNT(info, 1);
  RegionPointer region = RequireRegion(info, 0, "unmap");
  if (!region) return env.Undefined();
  if (region->pending_operations > 0) {
    ErrnoError(env, EBUSY, "munmap").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (munmap(region->address, region->length) != 0) {
    ErrnoError(env, errno, "munmap").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  region->unmapped = true;
  StateOf(env).regions.Remove(region);
  info[0].As<Napi::ArrayBuffer>().Detach();
  return env.Undefined();
}

// Ranges passed to msync/madvise/mlock must start on a page boundary; the helpers widen the
// start down to the page that holds it, which is what callers always mean.
static uint8_t* PageStart(uint8_t* address) {
  static const uintptr_t page_mask = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE)) - 1;
  return reinterpret_cast<uint8_t*>(reinterpret_cast<uintptr_t>(address) & ~page_mask);
}

struct RangeArguments {
  RegionPointer region;
  uint8_t* start = nullptr;
  size_t length = 0;
};

// Reads (mapping, offset, length) and converts it to a page-aligned address range.
static bool ReadRange(const Napi::CallbackInfo& info, const char* operation, RangeArguments& out) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[1].IsNumber() || !info[2].IsNumber()) {
    Napi::TypeError::New(env, "Expected (mapping, offset, length) arguments.")
        .ThrowAsJavaScriptException();
    return false;
  }
  out.region = RequireRegion(info, 0, operation);
  if (!out.region) return false;
  double offset = info[1].As<Napi::Number>().DoubleValue();
  double length = info[2].As<Napi::Number>().DoubleValue();
  double size = static_cast<double>(out.region->length);
  if (!(offset >= 0) || !(length >= 0) || offset + length > size) {
    Napi::RangeError::New(env, "The range lies outside the mapping.").ThrowAsJavaScriptException();
    return false;
  }
  uint8_t* first = out.region->address + static_cast<size_t>(offset);
  out.start = PageStart(first);
  out.length = static_cast<size_t>(length) + static_cast<size_t>(first - out.start);
  return true;
}

Napi::Value Msync(const Napi::CallbackInfo& info) {
  RangeArguments range;
  if (!ReadRange(info, "msync", range)) return info.Env().Undefined();
  if (range.length > 0 && msync(range.start, range.length, MS_SYNC) != 0) {
    ErrnoError(info.Env(), errno, "msync").ThrowAsJavaScriptException();
  }
  return info.Env().Undefined();
}

// madvise(mapping, offset, length, advice) with advice as the numeric MADV_* value.
Napi::Value Madvise(const Napi::CallbackInfo& info) {
  RangeArguments range;
  if (!ReadRange(info, "madvise", range)) return info.Env().Undefined();
  if (info.Length() < 4 || !info[3].IsNumber()) {
    Napi::TypeError::New(info.Env(), "Argument advice must be a number.")
        .ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  int advice = info[3].As<Napi::Number>().Int32Value();
  if (range.length > 0 && madvise(range.start, range.length, advice) != 0) {
    ErrnoError(info.Env(), errno, "madvise").ThrowAsJavaScriptException();
  }
  return info.Env().Undefined();
}

Napi::Value Mlock(const Napi::CallbackInfo& info) {
  RangeArguments range;
  if (!ReadRange(info, "mlock", range)) return info.Env().Undefined();
  if (range.length > 0 && mlock(range.start, range.length) != 0) {
    ErrnoError(info.Env(), errno, "mlock").ThrowAsJavaScriptException();
  }
  return info.Env().Undefined();
}

Napi::Value Munlock(const Napi::CallbackInfo& info) {
  RangeArguments range;
  if (!ReadRange(info, "munlock", range)) return info.Env().Undefined();
  if (range.length > 0 && munlock(range.start, range.length) != 0) {
    ErrnoError(info.Env(), errno, "munlock").ThrowAsJavaScriptException();
  }
  return info.Env().Undefined();
}

}  // namespace tributary
