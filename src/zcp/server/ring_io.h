// A connection's side of the io_uring loop (worker_uring.cc): the bytes a
// multishot RECV delivered and the SEND of a reply's in-memory bytes. They
// live here, owned by the Connection, so they outlive every SQE that names
// them; the worker keeps a closed connection until all its completions
// have arrived.
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace zcp {

struct RingIo {
  // What the multishot RECV delivered (the worker copies it out of the
  // ring's provided buffer and gives the buffer back at once, so an idle
  // connection holds no receive buffer), not yet taken by read_some. A
  // request head is ~100 bytes; this keeps its capacity between requests.
  std::string in;
  bool in_eof = false;
  bool in_error = false;

  // The SEND of a reply's in-memory bytes: a SENDMSG straight from the
  // connection's head buffer and the file cache's bytes (pinned here until
  // the completion), plus copies of small owned segments (chunk headers,
  // error pages) in `out`. A short send resumes at iov[iov_first].
  static constexpr int kMaxIov = 16;
  iovec iov[kMaxIov];
  int iov_first = 0;
  int iov_count = 0;
  msghdr msg{};
  size_t send_left = 0;  // bytes of iov[] not yet sent
  std::string out;
  std::vector<std::shared_ptr<const std::string>> pins;
  bool send_failed = false;

  bool recv_armed = false;       // the multishot RECV is live (until a CQE without F_MORE)
  bool recv_cancelling = false;  // its cancel is queued
  bool send_armed = false;
  bool poll_armed = false;
  uint32_t poll_events = 0;      // what the armed POLL waits for
  bool poll_cancelling = false;  // it waits for something else now: its cancel is queued
  // A PUT waits for the multishot RECV to stop (its body is read from the
  // socket by the upload, a relay or a tree-upload thread) so that what
  // the RECV already took joins the body's first bytes: Connection::
  // resume_handover() once its last completion is in.
  bool handover = false;
  bool cancelled = false;  // closed: cancels for its RECV/POLL were queued
  std::chrono::steady_clock::time_point linger_until{};  // closed with a SEND in flight: cancel it then

  bool send_busy() const { return send_left > 0; }
  bool has_input() const { return !in.empty() || in_eof || in_error; }
  // Anything the kernel may still touch (or that must still be sent).
  bool outstanding() const { return recv_armed || poll_armed || send_armed || send_busy(); }
  void sent(size_t n) {
    send_left -= n;
    while (n > 0 && iov_first < iov_count) {
      iovec& v = iov[iov_first];
      size_t k = n < v.iov_len ? n : v.iov_len;
      v.iov_base = static_cast<char*>(v.iov_base) + k;
      v.iov_len -= k;
      n -= k;
      if (v.iov_len == 0) ++iov_first;
    }
  }
  void send_done() {
    send_left = 0;
    iov_first = iov_count = 0;
    pins.clear();
  }
};

}  // namespace zcp
