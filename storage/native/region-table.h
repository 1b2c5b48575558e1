// Book-keeping for mapped regions. JS holds a mapping as an external ArrayBuffer; every
// operation looks its Region up by the ArrayBuffer's data pointer. A Region is shared between
// the table, the ArrayBuffer's finalizer and any async operation in flight, so whichever lets go
// last frees it, and munmap happens exactly once: on explicit unmap or, failing that, on GC.
#pragma once
#include <napi.h>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <unordered_map>

namespace tributary {

struct Region {
  uint8_t* address = nullptr;
  size_t length = 0;
  bool unmapped = false;
  // Async msync/preheat operations running on the thread pool. Unmapping while one runs
  // would pull pages out from under a worker thread, so unmap refuses (EBUSY) until zero.
  int pending_operations = 0;
};

using RegionPointer = std::shared_ptr<Region>;

class RegionTable {
 public:
  void Add(const RegionPointer& region) { regions_[region->address] = region; }

  void Remove(const RegionPointer& region) {
    auto found = regions_.find(region->address);
    if (found != regions_.end() && found->second == region) regions_.erase(found);
  }

  // The live region behind an ArrayBuffer, or nullptr when the buffer is not (or no longer) a
  // mapping. A detached ArrayBuffer reports a null data pointer and finds nothing.
  RegionPointer Find(Napi::ArrayBuffer buffer) const {
    void* data = buffer.Data();
    if (data == nullptr) return nullptr;
    auto found = regions_.find(data);
    if (found == regions_.end() || found->second->unmapped) return nullptr;
    if (found->second->length != buffer.ByteLength()) return nullptr;
    return found->second;
  }

 private:
  std::unordered_map<void*, RegionPointer> regions_;
};

}  // namespace tributary
