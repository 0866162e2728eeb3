// A connection's side of the io_uring loop (worker_uring.cc): the buffer a
// RECV fills and the bytes a SEND drains. They live here, owned by the
// Connection, so they outlive every SQE that names them; the worker keeps
// a closed connection until all its completions have arrived.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

namespace zcp {

struct RingIo {
  // A request head from a browser or wrk is a few hundred bytes; a larger
  // one simply takes more RECVs. 4 KiB keeps 1000 idle connections at 4 MiB.
  static constexpr size_t kInSize = 4096;
  std::unique_ptr<char[]> in = std::make_unique<char[]>(kInSize);
  size_t in_len = 0;  // bytes the last RECV delivered
  size_t in_off = 0;  // of those, taken by read_some
  bool in_eof = false;
  bool in_error = false;

  // A response's in-memory bytes, copied here by write_iov (~4 KiB: cheaper
  // than a syscall) and sent by one SEND; short sends are resubmitted.
  std::string out;
  size_t out_sent = 0;
  bool send_failed = false;

  bool recv_armed = false;
  bool send_armed = false;
  bool poll_armed = false;
  bool cancelled = false;           // closed: cancels for its RECV/POLL were queued
  std::chrono::steady_clock::time_point linger_until{};  // closed with a SEND in flight: cancel it then

  bool send_busy() const { return !out.empty(); }
  bool has_input() const { return in_off < in_len || in_eof || in_error; }
  // Anything the kernel may still touch (or that must still be sent).
  bool outstanding() const { return recv_armed || poll_armed || send_armed || send_busy(); }
};

}  // namespace zcp
