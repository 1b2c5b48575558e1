// File-level calls Node's fs module lacks: space preallocation and an advisory lock.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "argument-guards.h"
#include "mapping.h"
#include "native-error.h"

namespace tributary {

// Preallocating a file turns a full disk into an error at allocation time. Without it the
// first write to an unbacked page of a mapped sparse file would raise SIGBUS instead.
// fallocate(fd, offset, length): synchronous preallocation.
Napi::Value Fallocate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  REQUIRE_ARGUMENT_COUNT(info, 3);
  REQUIRE_ARGUMENT_SIZE(info, 0, fd, fd);
  REQUIRE_ARGUMENT_SIZE(info, 1, offset, offset);
  REQUIRE_ARGUMENT_SIZE(info, 2, length, length);
  int error_number = posix_fallocate(static_cast<int>(fd), static_cast<off_t>(offset),
                                     static_cast<off_t>(length));
  if (error_number != 0) ErrnoError(env, error_number, "fallocate").ThrowAsJavaScriptException();
  return env.Undefined();
}

// lockFile(fd): an exclusive, non-blocking flock. The kernel drops it when the holder dies,
// so a store left behind by SIGKILL is never stuck "locked". Held elsewhere -> EWOULDBLOCK.
Napi::Value LockFile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  REQUIRE_ARGUMENT_COUNT(info, 1);
  REQUIRE_ARGUMENT_SIZE(info, 0, fd, fd);
  if (flock(static_cast<int>(fd), LOCK_EX | LOCK_NB) != 0) {
    ErrnoError(env, errno, "flock").ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

}  // namespace tributary
