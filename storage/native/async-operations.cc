// Operations that run on the libuv thread pool so the event loop never waits for the disk:
// msync of a range, preheating a fresh segment, faulting pages in for writing ahead of the
// appender, and preallocating file space.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>

#include "argument-guards.h"
#include "mapping.h"
#include "native-error.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

namespace tributary {

// One madvise(MADV_POPULATE_*) call holds the process's mmap lock for reading while it faults
// its range in; an mmap or munmap on the event loop (a segment roll) waits for it, and faults
// queue behind that waiting writer. 16 MiB per call stalled rolls by up to 9 ms; 1 MiB takes
// well under a millisecond.
static constexpr size_t kPopulateStepBytes = 1024 * 1024;

static size_t PageSize() {
  static const size_t page_size = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return page_size;
}

// Base for work on a region: pins the region (unmap refuses while pending_operations > 0) and
// the ArrayBuffer (so GC cannot finalize it mid-operation), and settles a promise with either
// a result or an errno error.
class RegionWorker : public Napi::AsyncWorker {
 public:
  RegionWorker(Napi::Env env, const char* name, RegionPointer region, Napi::ArrayBuffer buffer)
      : Napi::AsyncWorker(env, name),
        region_(std::move(region)),
        deferred_(Napi::Promise::Deferred::New(env)),
        keep_alive_(Napi::Persistent(buffer)) {
    region_->pending_operations++;
  }

  Napi::Promise Promise() const { return deferred_.Promise(); }

  void SetRange(size_t offset, size_t length) {
    offset_ = offset;
    length_ = length;
  }

 protected:
  void OnOK() override {
    region_->pending_operations--;
    Napi::Env env = Env();
    if (error_number_ != 0) {
      deferred_.Reject(ErrnoError(env, error_number_, failed_syscall_).Value());
    } else {
      deferred_.Resolve(env.Undefined());
    }
  }

  void Fail(int error_number, const char* syscall) {
    error_number_ = error_number;
    failed_syscall_ = syscall;
  }

  // The range widened down to a page boundary, as msync and madvise require.
  uint8_t* PageAlignedRange(size_t& length) const {
    uint8_t* first = region_->address + offset_;
    uint8_t* start = reinterpret_cast<uint8_t*>(reinterpret_cast<uintptr_t>(first) &
                                                ~(static_cast<uintptr_t>(PageSize()) - 1));
    length = length_ + static_cast<size_t>(first - start);
    return start;
  }

  RegionPointer region_;
  size_t offset_ = 0;
  size_t length_ = 0;

 private:
  Napi::Promise::Deferred deferred_;
  Napi::Reference<Napi::ArrayBuffer> keep_alive_;
  int error_number_ = 0;
  const char* failed_syscall_ = "";
};

class MsyncWorker : public RegionWorker {
 public:
  using RegionWorker::RegionWorker;
  void Execute() override {
    size_t length = 0;
    uint8_t* start = PageAlignedRange(length);
    if (length > 0 && msync(start, length, MS_SYNC) != 0) Fail(errno, "msync");
  }
};

// Faults a range in for writing ahead of the appender (MADV_POPULATE_WRITE, Linux 5.14+):
// the first store into a clean page of a shared file mapping traps so the kernel can mark the
// page dirty, which cost appends of 16 KiB records two thirds of their time. Populating for
// write takes those traps here, on a pool thread, without touching the bytes, so it is safe
// next to an appender writing the same pages. The pages become dirty zeros; the caller keeps
// the range a few MiB ahead of the writer so real data overwrites them before writeback would
// bother. Rejects with EINVAL on kernels without the advice.
class PrefaultWriteWorker : public RegionWorker {
 public:
  using RegionWorker::RegionWorker;
  void Execute() override {
    size_t length = 0;
    uint8_t* start = PageAlignedRange(length);
    // In steps, so the mmap lock each call holds is let go often (see kPopulateStepBytes).
    for (size_t done = 0; done < length; done += kPopulateStepBytes) {
      size_t part = std::min(kPopulateStepBytes, length - done);
      if (madvise(start + done, part, MADV_POPULATE_WRITE) != 0) return Fail(errno, "madvise");
    }
  }
};

// Readies a fresh segment on a pool thread, so appends never wait for the disk:
// 1. posix_fallocate reserves its blocks, so a full disk is an error here and never a SIGBUS
//    on a later write into the mapping; status[0] becomes 1 (or -errno on failure).
// 2. With populate, the first populate_bytes (every page when 0) are faulted in
//    (MADV_POPULATE_READ, Linux 5.14+; else a read of one byte per page). Reading, not
//    writing, keeps the pages clean: a write-populated segment is all dirty zeros that
//    writeback would put on disk before the real data overwrites them, doubling the disk
//    traffic. A later append's first write to a page then costs a minor fault (about a
//    microsecond) instead of a block allocation. status[1] counts the pages done. The
//    appender's write prefault window keeps pages ahead of it faulted in from there on, so
//    populating all of a 1 GiB segment only held 1 GiB resident.
// 3. MADV_WILLNEED over the same range, then mlock of the whole file when asked.
// JS reads status with Atomics.load at any time, without waiting for the promise.
class PreheatWorker : public RegionWorker {
 public:
  PreheatWorker(Napi::Env env, RegionPointer region, Napi::ArrayBuffer buffer, int fd,
                Napi::Int32Array status, bool lock, bool populate, size_t populate_bytes)
      : RegionWorker(env, "tributary:preheat", std::move(region), buffer),
        fd_(fd),
        status_(status.Data()),
        status_keep_alive_(Napi::Persistent(status)),
        lock_(lock),
        populate_(populate),
        populate_bytes_(populate_bytes) {}

  void Execute() override {
    int reserved = posix_fallocate(fd_, 0, static_cast<off_t>(region_->length));
    __atomic_store_n(&status_[0], reserved == 0 ? 1 : -reserved, __ATOMIC_RELEASE);
    if (reserved != 0) return Fail(reserved, "fallocate");
    uint8_t* base = region_->address;
    size_t length = region_->length;
    size_t advised = populate_bytes_ == 0 ? length : std::min(length, populate_bytes_);
    if (populate_) {
      const size_t page = PageSize();
      // In steps, which also lets status[1] report progress.
      for (size_t done = 0; done < advised; done += kPopulateStepBytes) {
        size_t part = std::min(kPopulateStepBytes, advised - done);
        if (!Populate(base + done, part, page)) return;
        __atomic_store_n(&status_[1], static_cast<int32_t>((done + part) / page), __ATOMIC_RELEASE);
      }
    }
    if (madvise(base, advised, MADV_WILLNEED) != 0) return Fail(errno, "madvise");
    if (lock_ && mlock(base, length) != 0) return Fail(errno, "mlock");
  }

 private:

  bool Populate(uint8_t* start, size_t length, size_t page) {
    if (madvise(start, length, MADV_POPULATE_READ) == 0) return true;
    if (errno != EINVAL) {
      Fail(errno, "madvise");
      return false;
    }
    uint8_t sink = 0;
    for (size_t at = 0; at < length; at += page) sink ^= *static_cast<volatile uint8_t*>(start + at);
    (void)sink;
    return true;
  }

  int fd_;
  int32_t* status_;
  Napi::Reference<Napi::Int32Array> status_keep_alive_;
  bool lock_;
  bool populate_;
  size_t populate_bytes_;
};

// Shared argument reading for (mapping, offset, length, ...) async calls.
static bool ReadAsyncRange(const Napi::CallbackInfo& info, const char* operation,
                           RegionPointer& region, size_t& offset, size_t& length) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[1].IsNumber() || !info[2].IsNumber()) {
    Napi::TypeError::New(env, "Expected (mapping, offset, length) arguments.")
        .ThrowAsJavaScriptException();
    return false;
  }
  region = RequireRegion(info, 0, operation);
  if (!region) return false;
  double start = info[1].As<Napi::Number>().DoubleValue();
  double size = info[2].As<Napi::Number>().DoubleValue();
  if (!(start >= 0) || !(size >= 0) || start + size > static_cast<double>(region->length)) {
    Napi::RangeError::New(env, "The range lies outside the mapping.").ThrowAsJavaScriptException();
    return false;
  }
  offset = static_cast<size_t>(start);
  length = static_cast<size_t>(size);
  return true;
}

// Queues a worker over (mapping, offset, length) arguments and returns its promise.
template <typename Worker>
static Napi::Value QueueRangeWorker(const Napi::CallbackInfo& info, const char* operation,
                                    const char* resource_name) {
  RegionPointer region;
  size_t offset = 0;
  size_t length = 0;
  if (!ReadAsyncRange(info, operation, region, offset, length)) return info.Env().Undefined();
  auto* worker = new Worker(info.Env(), resource_name, region, info[0].As<Napi::ArrayBuffer>());
  worker->SetRange(offset, length);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

// msyncAsync(mapping, offset, length) -> Promise<void>
Napi::Value MsyncAsync(const Napi::CallbackInfo& info) {
  return QueueRangeWorker<MsyncWorker>(info, "msync", "tributary:msync");
}

// prefaultWrite(mapping, offset, length) -> Promise<void>
Napi::Value PrefaultWrite(const Napi::CallbackInfo& info) {
  return QueueRangeWorker<PrefaultWriteWorker>(info, "prefaultWrite", "tributary:prefault");
}

// preheat(mapping, fd, status, lock, populate[, populateBytes]) -> Promise<void>
// `status` is an Int32Array of at least 2 elements (see PreheatWorker); populateBytes
// (default 0: the whole file) bounds the range faulted in and advised.
Napi::Value Preheat(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  REQUIRE_ARGUMENT_COUNT(info, 5);
  RegionPointer region = RequireRegion(info, 0, "preheat");
  if (!region) return env.Undefined();
  REQUIRE_ARGUMENT_SIZE(info, 1, fd, fd);
  if (!info[2].IsTypedArray() || info[2].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
      info[2].As<Napi::Int32Array>().ElementLength() < 2) {
    Napi::TypeError::New(env, "Argument status must be an Int32Array of 2 or more elements.")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (!info[3].IsBoolean() || !info[4].IsBoolean()) {
    Napi::TypeError::New(env, "Arguments lock and populate must be booleans.")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  size_t populate_bytes = 0;
  if (info.Length() > 5) {
    double requested = info[5].IsNumber() ? info[5].As<Napi::Number>().DoubleValue() : -1;
    if (!(requested >= 0)) {
      Napi::TypeError::New(env, "Argument populateBytes must be a non-negative number.")
          .ThrowAsJavaScriptException();
      return env.Undefined();
    }
    populate_bytes = static_cast<size_t>(requested);
  }
  Napi::Int32Array status = info[2].As<Napi::Int32Array>();
  status[0] = 0;
  status[1] = 0;
  auto* worker = new PreheatWorker(env, region, info[0].As<Napi::ArrayBuffer>(), static_cast<int>(fd), status,
                                   info[3].As<Napi::Boolean>().Value(), info[4].As<Napi::Boolean>().Value(),
                                   populate_bytes);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace tributary
