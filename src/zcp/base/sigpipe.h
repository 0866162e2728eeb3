// Keeps a write to a closed socket from killing the process with SIGPIPE.
// send() can say MSG_NOSIGNAL, but sendfile(2) and splice(2) cannot, so the
// engines block SIGPIPE in the calling thread for the duration of a call and
// swallow the one they raised (curl does the same in lib/sigpipe.h). A
// program that ignored SIGPIPE before its first transfer pays nothing.
#pragma once

#include <signal.h>

namespace zcp {

class ScopedSigpipeBlock {
 public:
  ScopedSigpipeBlock();
  ~ScopedSigpipeBlock();
  ScopedSigpipeBlock(const ScopedSigpipeBlock&) = delete;
  ScopedSigpipeBlock& operator=(const ScopedSigpipeBlock&) = delete;

 private:
  sigset_t old_mask_;
  bool was_pending_ = false;  // a SIGPIPE that was not ours stays pending
  bool was_blocked_ = false;
  bool active_ = true;  // false: SIGPIPE is ignored, nothing to do
};

}  // namespace zcp
