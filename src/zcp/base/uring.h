// A small liburing wrapper: one io_uring per worker thread, set up for a
// single submitting thread; an SQE is never refused for want of room (a
// full queue is submitted first); one submit-and-wait per loop iteration.
// It knows nothing of sockets or HTTP (server/worker_uring.cc does).
#pragma once

#include <liburing.h>

#include <cstdint>
#include <memory>

#include "zcp/status.h"

namespace zcp {

class Uring {
 public:
  // Whether io_uring works here: a tiny ring is set up and torn down.
  // ZCP_TEST_IO_URING_UNAVAILABLE=1 makes it fail (a test hook: the
  // fallback to epoll is tested without root or a sysctl).
  static Status probe();
  static Result<std::unique_ptr<Uring>> create(unsigned entries);
  ~Uring();
  Uring(const Uring&) = delete;
  Uring& operator=(const Uring&) = delete;

  io_uring_sqe* sqe();  // never null
  // Room for `n` SQEs without a submit between them (a linked pair).
  void reserve(unsigned n) {
    if (io_uring_sq_space_left(&ring_) < n) io_uring_submit(&ring_);
  }
  // Submits what was queued and waits up to `timeout_ms` for one
  // completion; a timeout or EINTR is not an error.
  Status submit_and_wait(int timeout_ms);
  // Calls f(cqe) for every completion ready, then marks them seen.
  template <class F>
  void for_each_completion(F&& f) {
    unsigned head, seen = 0;
    io_uring_cqe* cqe;
    io_uring_for_each_cqe(&ring_, head, cqe) {
      f(*cqe);
      ++seen;
    }
    io_uring_cq_advance(&ring_, seen);
  }

 private:
  Uring() = default;
  io_uring ring_{};
};

}  // namespace zcp
