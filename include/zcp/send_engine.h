// SendEngine: moves `count` bytes of an open file, from `offset`, to a
// connected socket. One interface, one implementation per kernel path:
//   copy:SIZE   pread() into a user buffer, then send()      (2 CPU copies)
//   mmap:SIZE   mmap() a window of the file, send() from it  (1 CPU copy)
//   splice:SIZE file -> pipe -> socket with splice(2)        (0 copies)
//   sendfile    sendfile(2)                                  (0 copies)
// Engines never decide policy: no retries, no timeouts, no logging.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "zcp/engine_spec.h"
#include "zcp/status.h"

namespace zcp {

// What a transfer call achieved. Partial progress is a result, not an
// error: `moved` is always how far it got, whatever the status says.
struct Progress {
  uint64_t moved = 0;
  Status status;     // ok; kWouldBlock: resume at offset + moved; or an error
  bool eof = false;  // receive side: the peer closed its end cleanly
  // Receive side: the failing call wrote the local file (ENOSPC, EIO),
  // not the socket; set where it failed so no caller guesses from text.
  bool file_failed = false;
};

// Counters kept by an engine across calls, for `zcp bench`'s table.
struct EngineStats {
  uint64_t syscalls = 0;  // data-path calls: read, send, splice, mmap ...
  uint64_t bytes = 0;     // bytes moved
  uint64_t user_bytes = 0;  // bytes that passed through a user-space buffer
};

class SendEngine {
 public:
  virtual ~SendEngine() = default;

  // Sends exactly `count` bytes unless the status says otherwise:
  //  - kWouldBlock: a non-blocking socket is full; call again with
  //    offset + moved and count - moved once it is writable;
  //  - kShortFile: the file ended early (truncated while being sent);
  //  - kSystem: the call and errno (EPIPE/ECONNRESET when the peer left).
  // Never raises SIGPIPE. An engine object serves one transfer at a time
  // (splice keeps bytes in its pipe between calls).
  virtual Progress send(int file_fd, uint64_t offset, uint64_t count, int sock_fd) = 0;

  virtual std::string name() const = 0;
  // CPU copies of each byte on the sending host, a property of the path.
  virtual int cpu_copies() const = 0;
  const EngineStats& stats() const { return stats_; }

 protected:
  EngineStats stats_;
};

// "copy" (default 8 KiB, the experiment's baseline), "copy:1M", "sendfile",
// "splice" (1 MiB pipe), "mmap" (64 MiB window).
Result<std::unique_ptr<SendEngine>> make_send_engine(const EngineSpec& spec);

// The per-engine constructors, for code that wants one without parsing.
std::unique_ptr<SendEngine> make_copy_sender(size_t chunk);
std::unique_ptr<SendEngine> make_sendfile_sender();
std::unique_ptr<SendEngine> make_splice_sender(size_t pipe_size);
std::unique_ptr<SendEngine> make_mmap_sender(size_t window);

inline constexpr size_t kDefaultCopyChunk = 8 * 1024;
inline constexpr size_t kDefaultPipeSize = 1024 * 1024;
inline constexpr size_t kDefaultMmapWindow = 64 * 1024 * 1024;

// Status for a file that ended at `at` when `wanted` bytes were expected.
Status short_file_status(const char* op, uint64_t at, uint64_t wanted);

}  // namespace zcp
