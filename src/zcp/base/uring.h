// A small liburing wrapper: one io_uring per worker thread, set up for a
// single submitting thread; an SQE is never refused for want of room (a
// full queue is submitted first); one submit-and-wait per loop iteration;
// one ring of provided buffers that multishot RECVs pick from. It knows
// nothing of sockets or HTTP (server/worker_uring.cc does).
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

  // Provided buffers (group kBufferGroup): `count` (a power of two) of
  // `size` bytes each that a RECV with IOSQE_BUFFER_SELECT fills; the CQE
  // names the one it took (buffer_id) and the caller gives it back with
  // recycle() once it has copied the bytes out. Pages are touched only as
  // the kernel fills them.
  static constexpr uint16_t kBufferGroup = 0;
  Status setup_buffers(unsigned count, unsigned size);
  static unsigned buffer_id(const io_uring_cqe& cqe) { return cqe.flags >> IORING_CQE_BUFFER_SHIFT; }
  const char* buffer(unsigned id) const { return buffers_ + static_cast<size_t>(id) * buffer_size_; }
  void recycle(unsigned id);
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
  io_uring_buf_ring* buf_ring_ = nullptr;  // mmap'd, registered with the ring
  size_t buf_ring_bytes_ = 0;
  char* buffers_ = nullptr;  // mmap'd, count * size
  size_t buffers_bytes_ = 0;
  unsigned buffer_size_ = 0;
  int buffer_mask_ = 0;
};

}  // namespace zcp
