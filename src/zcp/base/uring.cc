#include "zcp/base/uring.h"

#include <sys/mman.h>

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
  // The ring's own descriptor, registered: io_uring_enter skips looking it
  // up per call (5.18+; without it liburing passes the plain fd).
  (void)io_uring_register_ring_fd(&u->ring_);
  return u;
}

Uring::~Uring() {
  io_uring_queue_exit(&ring_);  // first: the kernel lets go of the buffers
  if (buf_ring_) ::munmap(buf_ring_, buf_ring_bytes_);
  if (buffers_) ::munmap(buffers_, buffers_bytes_);
}

Status Uring::setup_buffers(unsigned count, unsigned size) {
  buf_ring_bytes_ = count * sizeof(io_uring_buf);
  void* r = ::mmap(nullptr, buf_ring_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (r == MAP_FAILED) return Status::from_errno("mmap (io_uring buffer ring)");
  buf_ring_ = static_cast<io_uring_buf_ring*>(r);
  buffers_bytes_ = static_cast<size_t>(count) * size;
  void* b = ::mmap(nullptr, buffers_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (b == MAP_FAILED) return Status::from_errno("mmap (io_uring buffers)");
  buffers_ = static_cast<char*>(b);
  buffer_size_ = size;
  buffer_mask_ = io_uring_buf_ring_mask(count);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<uintptr_t>(buf_ring_);
  reg.ring_entries = count;
  reg.bgid = kBufferGroup;
  if (int rc = io_uring_register_buf_ring(&ring_, &reg, 0); rc < 0) {
    return Status::from_errno("io_uring_register_buf_ring", -rc);
  }
  io_uring_buf_ring_init(buf_ring_);
  for (unsigned i = 0; i < count; ++i) {
    io_uring_buf_ring_add(buf_ring_, buffers_ + static_cast<size_t>(i) * size, size, static_cast<unsigned short>(i),
                          buffer_mask_, static_cast<int>(i));
  }
  io_uring_buf_ring_advance(buf_ring_, static_cast<int>(count));
  return {};
}

void Uring::recycle(unsigned id) {
  io_uring_buf_ring_add(buf_ring_, buffers_ + static_cast<size_t>(id) * buffer_size_, buffer_size_,
                        static_cast<unsigned short>(id), buffer_mask_, 0);
  io_uring_buf_ring_advance(buf_ring_, 1);
}

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
