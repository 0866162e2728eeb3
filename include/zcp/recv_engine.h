// RecvEngine: moves bytes from a connected socket into a file at an offset,
// or drops them. One interface, one implementation per kernel path:
//   copy:SIZE      recv() into a user buffer, then pwrite()  (2 CPU copies)
//   splice:SIZE    socket -> pipe -> file with splice(2)     (1: the kernel
//                  copies skb data into page cache; no user-space copy)
//   discard:SIZE   recv() into a buffer and drop: the experiment's client
//   discard-splice socket -> pipe -> /dev/null: receive without any copy
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>

#include "zcp/engine_spec.h"
#include "zcp/send_engine.h"
#include "zcp/status.h"

namespace zcp {

inline constexpr uint64_t kUntilEof = std::numeric_limits<uint64_t>::max();
// As `offset`: write at the file's current position with write()/splice
// without an offset, for outputs that cannot seek (stdout, FIFOs, ttys).
inline constexpr uint64_t kStreamOffset = std::numeric_limits<uint64_t>::max();

class RecvEngine {
 public:
  virtual ~RecvEngine() = default;

  // Receives up to `limit` bytes (kUntilEof: until the peer closes) into
  // `file_fd` at `offset` (ignored by discard engines). Returns ok when
  // `limit` is reached or the peer closed (then eof is set); kWouldBlock on
  // a non-blocking socket with nothing to read (resume at offset + moved);
  // or the failing call (ENOSPC from the file, ECONNRESET from the peer).
  virtual Progress receive(int sock_fd, int file_fd, uint64_t offset, uint64_t limit) = 0;
  // Like receive(), but returns after the first read that moved bytes, with
  // all of them in the file. Callers that report progress loop on it: a slow
  // link reports each arrival, a fast one still moves a whole pipe or buffer
  // per call (capping `limit` instead cost 4x the splice calls, issue 11).
  virtual Progress receive_some(int sock_fd, int file_fd, uint64_t offset, uint64_t limit) {
    return receive(sock_fd, file_fd, offset, limit);
  }

  virtual std::string name() const = 0;
  // CPU copies of each byte on the receiving host, a property of the path.
  virtual int cpu_copies() const = 0;
  const EngineStats& stats() const { return stats_; }

 protected:
  EngineStats stats_;
};

// "copy" (default 1 MiB buffer), "splice" (1 MiB pipe), "discard" (8 KiB,
// the experiment's client), "discard:1M", "discard-splice".
Result<std::unique_ptr<RecvEngine>> make_recv_engine(const EngineSpec& spec);

std::unique_ptr<RecvEngine> make_copy_receiver(size_t chunk);
std::unique_ptr<RecvEngine> make_splice_receiver(size_t pipe_size);
std::unique_ptr<RecvEngine> make_discard_receiver(size_t chunk);
// The pipe is created lazily; /dev/null is opened once per engine.
std::unique_ptr<RecvEngine> make_discard_splice_receiver(size_t pipe_size);

inline constexpr size_t kDefaultRecvChunk = 1024 * 1024;
inline constexpr size_t kDefaultDiscardChunk = 8 * 1024;

}  // namespace zcp
