#include "zcp/base/uring.h"

#include <cstdlib>
#include <cstring>

namespace zcp {
namespace {

// One thread submits and reaps (SINGLE_ISSUER), and completions are run
// only when it asks for them (DEFER_TASKRUN, 6.1+): no task-work IPIs
// between the loop's calls. Older kernels get a plain ring.
int init_ring(unsigned entries, io_uring* ring) {
  io_uring_params p{};
  p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQSIZE;
  p.cq_entries = entries * 4;  // a multishot accept and every connection's ops
  int rc = io_uring_queue_init_params(entries, ring, &p);
  if (rc != -EINVAL) return rc;
  p = io_uring_params{};
  p.flags = IORING_SETUP_CQSIZE;
  p.cq_entries = entries * 4;
  return io_uring_queue_init_params(entries, ring, &p);
}

}  // namespace

Status Uring::probe() {
  if (const char* v = std::getenv("ZCP_TEST_IO_URING_UNAVAILABLE"); v && *v && std::strcmp(v, "0") != 0) {
    return Status::from_errno("io_uring_queue_init", EPERM).at("ZCP_TEST_IO_URING_UNAVAILABLE");
  }
  io_uring ring{};
  if (int rc = init_ring(4, &ring); rc < 0) return Status::from_errno("io_uring_queue_init", -rc);
  io_uring_queue_exit(&ring);
  return {};
}

Result<std::unique_ptr<Uring>> Uring::create(unsigned entries) {
  std::unique_ptr<Uring> u(new Uring());
  if (int rc = init_ring(entries, &u->ring_); rc < 0) return Status::from_errno("io_uring_queue_init", -rc);
  return u;
}

Uring::~Uring() { io_uring_queue_exit(&ring_); }

io_uring_sqe* Uring::sqe() {
  for (;;) {
    if (io_uring_sqe* s = io_uring_get_sqe(&ring_)) return s;
    io_uring_submit(&ring_);  // full: hand the kernel what is queued
  }
}

Status Uring::submit_and_wait(int timeout_ms) {
  __kernel_timespec ts{timeout_ms / 1000, (timeout_ms % 1000) * 1000000LL};
  io_uring_cqe* cqe = nullptr;
  int rc = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
  if (rc >= 0 || rc == -ETIME || rc == -EINTR || rc == -EAGAIN || rc == -EBUSY) return {};
  return Status::from_errno("io_uring_submit_and_wait", -rc);
}

}  // namespace zcp
