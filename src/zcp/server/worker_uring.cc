// The io_uring loop of a Worker (zcp serve --event-loop io_uring): the same
// connections, accept, ticks and drain as worker.cc's epoll loop, but a
// connection's bytes arrive by one multishot RECV, armed once and live
// across requests, that fills buffers from the ring's provided-buffer pool
// (given back as soon as the bytes are copied out, so an idle connection
// holds none), and an in-memory reply (head + small body, the common case)
// leaves by one SENDMSG straight from the head buffer and the file cache's
// bytes. Everything an iteration queued goes in with its one
// io_uring_enter, which also waits: under load one call carries many
// connections' requests, where epoll pays a recv and a sendmsg for each.
// Anything else (sendfile bodies, uploads, tar streams, raw mode) waits
// with a one-shot POLL_ADD and runs the synchronous path unchanged; a PUT
// first stops the multishot RECV and takes what it had received
// (RingIo::handover).
//
// Lifetime rule: an SQE names a connection's buffers and descriptor, so a
// closed connection stays (socket open, buffers kept) until the last of
// its completions arrived; a RECV or POLL still armed is cancelled, a SEND
// is let finish (the reply's tail) until send_timeout.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cstdlib>

#include "zcp/server/worker.h"

namespace zcp {
namespace {

enum Op : uint64_t { kAccept = 1, kWake, kRecv, kSend, kPoll, kCancel };
constexpr int kOpBits = 3;
constexpr uint64_t tag(uint64_t id, Op op) { return id << kOpBits | op; }

// The SQ holds what one iteration queues (a full one is submitted early);
// the CQ is 4x (uring.cc): completions of 1000+ connections per wait.
constexpr unsigned kRingEntries = 1024;
constexpr auto kTickInterval = std::chrono::milliseconds(100);
constexpr auto kShutdownWait = std::chrono::seconds(2);
// The provided buffers multishot RECVs fill, per worker: a buffer is held
// only from the kernel's copy to ours (within one loop turn), so the pool
// needs about as many as completions in a turn, not one per connection.
// A request head is ~100 bytes; a longer one takes several. When the pool
// runs dry a RECV ends with ENOBUFS and is re-armed once the turn gave its
// buffers back: slower, nothing lost. 256 x 2 KiB: 512 KiB per worker.
constexpr unsigned kBufferCount = 256;
constexpr unsigned kBufferSize = 2048;
// Bytes received but not yet parsed (a client pipelining requests and not
// reading the answers): past this the RECV is cancelled until they drain.
constexpr size_t kMaxUnparsed = 64 * 1024;

// ZCP_TEST_URING_BUFFERS=N (a power of two): a tiny pool, so the tests can
// run more connections than buffers.
unsigned buffer_count() {
  const char* v = std::getenv("ZCP_TEST_URING_BUFFERS");
  if (!v || !*v) return kBufferCount;
  auto n = static_cast<unsigned>(std::strtoul(v, nullptr, 10));
  return n > 0 && n <= 32768 && (n & (n - 1)) == 0 ? n : kBufferCount;
}

}  // namespace

Status Worker::run_uring() {
  // Made here, on the worker's thread: the ring has a single submitter.
  auto ring = Uring::create(kRingEntries);
  if (!ring) return std::move(ring).take_status();
  ring_ = std::move(*ring);
  if (Status st = ring_->setup_buffers(buffer_count(), kBufferSize); !st) return st;
  arm_accept();
  arm_waker();
  Status result;
  Clock::time_point next_tick = Clock::now() + kTickInterval;
  for (;;) {
    if (stopping_ && !draining_) begin_drain();
    if (draining_ && (conns_.empty() || Clock::now() >= drain_deadline_)) break;
    if (Status st = ring_->submit_and_wait(static_cast<int>(kTickInterval.count())); !st) {
      result = st;
      break;
    }
    ring_->for_each_completion([this](const io_uring_cqe& cqe) { on_completion(cqe); });
    resume_accepting();
    if (Clock::now() >= next_tick) {
      tick();
      next_tick = Clock::now() + kTickInterval;
    }
    reap();
  }
  shut_ring();
  connections_ -= static_cast<int>(conns_.size());
  conns_.clear();  // past the drain deadline: whatever is left is cut off
  ring_.reset();
  return result;
}

// Cancels every SQE and waits (bounded) for their completions, so no
// buffer is freed while the kernel may still write into it.
void Worker::shut_ring() {
  io_uring_sqe* s = ring_->sqe();
  io_uring_prep_cancel64(s, 0, IORING_ASYNC_CANCEL_ANY);
  io_uring_sqe_set_data64(s, tag(0, kCancel));
  ++inflight_;
  auto until = Clock::now() + kShutdownWait;
  while (inflight_ > 0 && Clock::now() < until) {
    if (!ring_->submit_and_wait(100)) break;
    ring_->for_each_completion([this](const io_uring_cqe& cqe) {
      if (!(cqe.flags & IORING_CQE_F_MORE)) --inflight_;
    });
  }
}

void Worker::on_completion(const io_uring_cqe& cqe) {
  auto op = static_cast<Op>(cqe.user_data & ((1u << kOpBits) - 1));
  uint64_t id = cqe.user_data >> kOpBits;
  bool more = cqe.flags & IORING_CQE_F_MORE;
  if (!more) --inflight_;
  if (op == kAccept) return on_accept(cqe.res, more);
  if (op == kWake) {
    waker_.drain();
    if (!more) arm_waker();
    return;
  }
  if (op == kCancel) return;
  auto it = conns_.find(id);
  if (it == conns_.end()) return;  // cannot happen: kept until its last CQE
  Connection& c = *it->second;
  if (op == kRecv) on_recv(c, cqe);
  if (op == kSend) on_send(c, cqe.res);
  if (op == kPoll) {
    c.ring()->poll_armed = false;
    c.ring()->poll_cancelling = false;
    if (c.state() != Connection::State::kClosed) {
      if (cqe.res > 0) handle_events(c, static_cast<uint32_t>(cqe.res));
      // Re-arming a failing poll would spin: close, saying why.
      if (cqe.res < 0 && cqe.res != -ECANCELED) c.abort(Status::from_errno("poll (io_uring)", -cqe.res).to_string());
    }
  }
  sync_ring(id, c);
}

void Worker::on_accept(int res, bool more) {
  if (!more) accept_armed_ = false;
  if (res >= 0) {
    UniqueFd fd(res);
    if (!listener_) return;  // draining: one that slipped in is closed
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    ::getpeername(fd.get(), reinterpret_cast<sockaddr*>(&ss), &len);
    adopt(std::move(fd), SocketAddress(reinterpret_cast<sockaddr*>(&ss), len));
  } else if (res == -EMFILE || res == -ENFILE) {
    pause_accepting();
  } else if (res != -ECANCELED && cfg_.access_log) {
    cfg_.access_log("accept (io_uring): " + Status::from_errno("accept", -res).to_string());
  }
  if (!accept_armed_ && !accept_paused_ && listener_) arm_accept();
}

void Worker::on_recv(Connection& c, const io_uring_cqe& cqe) {
  RingIo& r = *c.ring();
  if (!(cqe.flags & IORING_CQE_F_MORE)) {
    r.recv_armed = false;  // ended: ENOBUFS, EOF, an error, a cancel; sync_recv re-arms if wanted
    r.recv_cancelling = false;
  }
  if (cqe.flags & IORING_CQE_F_BUFFER) {
    unsigned id = Uring::buffer_id(cqe);
    if (cqe.res > 0) r.in.append(ring_->buffer(id), static_cast<size_t>(cqe.res));
    ring_->recycle(id);
  }
  if (cqe.res == 0) {
    r.in_eof = true;
  } else if (cqe.res < 0 && cqe.res != -ECANCELED && cqe.res != -ENOBUFS && cqe.res != -EAGAIN &&
             cqe.res != -EINTR) {
    r.in_error = true;  // reset: read_some reports it
  }
  if (c.state() != Connection::State::kReadingHead) return;  // kept in r.in until it is read
  if (r.handover) {
    if (!r.recv_armed) c.resume_handover();  // the RECV has stopped: the PUT may take the socket
    return;
  }
  if (r.has_input() && !r.send_busy()) c.on_readable();
}

void Worker::on_send(Connection& c, int res) {
  RingIo& r = *c.ring();
  r.send_armed = false;
  if (res == -EAGAIN || res == -EINTR) return;  // sync_ring sends the rest again
  if (res < 0) {
    r.send_failed = true;
  } else {
    r.sent(static_cast<size_t>(res));
    if (r.send_busy()) return;  // short: the rest goes next iteration
  }
  r.send_done();
  c.on_send_done();
}

// The ring's counterpart of sync_interest: arms what the connection now
// waits for, at most one of each kind.
void Worker::sync_ring(uint64_t id, Connection& c) {
  RingIo& r = *c.ring();
  // Bytes that came while a reply was being written wait in r.in: the
  // connection reads them once it waits for a head again.
  if (c.state() == Connection::State::kReadingHead && r.has_input() && !r.send_busy() && !r.handover) {
    c.on_readable();
  }
  if (r.send_busy() && !r.send_armed && !r.send_failed) arm_send(id, c);
  if (c.state() == Connection::State::kClosed) {
    closed_.push_back(id);
    return;
  }
  sync_recv(id, c);
  if (c.state() == Connection::State::kReadingHead) return;  // the RECV's completions go on
  uint32_t want = c.interest();
  if (want == EPOLLOUT && r.send_busy()) return;  // the SEND's completion goes on
  if (want == 0) return;
  if (!r.poll_armed) {
    arm_poll(id, c, want);
  } else if (r.poll_events != want && !r.poll_cancelling) {
    // A POLL for input while the connection now writes (a stalled
    // upload's 408) may never fire: cancel it; its CQE re-arms for want.
    cancel(tag(id, kPoll));
    r.poll_cancelling = true;
  }
}

// The multishot RECV: armed while the connection waits for a head (and
// left live while it writes the answer: the next request lands in r.in),
// stopped for a PUT's hand-over and while too much waits unparsed.
void Worker::sync_recv(uint64_t id, Connection& c) {
  RingIo& r = *c.ring();
  bool stop = r.handover || c.unparsed_bytes() + r.in.size() > kMaxUnparsed;
  if (r.recv_armed) {
    if (stop && !r.recv_cancelling) {
      cancel(tag(id, kRecv));
      r.recv_cancelling = true;
    }
    return;
  }
  if (stop || !c.wants_input() || r.in_eof || r.in_error) return;
  io_uring_sqe* s = ring_->sqe();
  io_uring_prep_recv_multishot(s, c.fd(), nullptr, 0, 0);
  s->flags |= IOSQE_BUFFER_SELECT;
  s->buf_group = Uring::kBufferGroup;
  io_uring_sqe_set_data64(s, tag(id, kRecv));
  r.recv_armed = true;
  ++inflight_;
}

void Worker::arm_accept() {
  if (!listener_) return;
  io_uring_sqe* s = ring_->sqe();
  io_uring_prep_multishot_accept(s, listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  io_uring_sqe_set_data64(s, tag(0, kAccept));
  accept_armed_ = true;
  ++inflight_;
}

void Worker::arm_waker() {
  io_uring_sqe* s = ring_->sqe();
  io_uring_prep_poll_multishot(s, waker_.fd(), POLLIN);
  io_uring_sqe_set_data64(s, tag(0, kWake));
  ++inflight_;
}

// The reply's (rest of) bytes, from where they are (RingIo::iov): one
// iovec (a head alone) by SEND, more by SENDMSG.
void Worker::arm_send(uint64_t id, Connection& c) {
  RingIo& r = *c.ring();
  io_uring_sqe* s = ring_->sqe();
  int n = r.iov_count - r.iov_first;
  if (n == 1) {
    io_uring_prep_send(s, c.fd(), r.iov[r.iov_first].iov_base, r.iov[r.iov_first].iov_len, MSG_NOSIGNAL);
  } else {
    r.msg = msghdr{};
    r.msg.msg_iov = r.iov + r.iov_first;
    r.msg.msg_iovlen = static_cast<size_t>(n);
    io_uring_prep_sendmsg(s, c.fd(), &r.msg, MSG_NOSIGNAL);
  }
  io_uring_sqe_set_data64(s, tag(id, kSend));
  r.send_armed = true;
  ++inflight_;
}

void Worker::arm_poll(uint64_t id, Connection& c, uint32_t events) {
  io_uring_sqe* s = ring_->sqe();
  io_uring_prep_poll_add(s, c.fd(), events);
  io_uring_sqe_set_data64(s, tag(id, kPoll));
  c.ring()->poll_armed = true;
  c.ring()->poll_events = events;
  ++inflight_;
}

void Worker::cancel(uint64_t user_data) {
  io_uring_sqe* s = ring_->sqe();
  io_uring_prep_cancel64(s, user_data, 0);
  io_uring_sqe_set_data64(s, tag(0, kCancel));
  ++inflight_;
}

void Worker::cancel_accept() { cancel(tag(0, kAccept)); }

// A closed connection with SQEs outstanding: true while it must stay.
// Its RECV/POLL are cancelled once; a SEND may finish until send_timeout.
bool Worker::linger(uint64_t id, Connection& c) {
  RingIo& r = *c.ring();
  if (!r.outstanding()) {
    c.release_socket();
    return false;
  }
  if (!r.cancelled) {
    r.cancelled = true;
    r.linger_until = Clock::now() + cfg_.send_timeout;
    if (r.recv_armed) cancel(tag(id, kRecv));
    if (r.poll_armed) cancel(tag(id, kPoll));
  }
  return true;
}

// A reply's tail a client never reads: cancelled at linger_until.
void Worker::tick_lingering(Clock::time_point now) {
  for (auto& [id, c] : conns_) {
    RingIo* r = c->ring();
    if (c->state() != Connection::State::kClosed || !r->send_armed || now < r->linger_until) continue;
    cancel(tag(id, kSend));
    r->linger_until = Clock::time_point::max();  // once
  }
}

}  // namespace zcp
