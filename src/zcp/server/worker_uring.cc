// The io_uring loop of a Worker (zcp serve --event-loop io_uring): the same
// connections, accept, ticks and drain as worker.cc's epoll loop, but a
// request head arrives by RECV into the connection's buffer and an
// in-memory reply (head + small body, the common case) leaves by one SEND,
// with the next RECV linked behind it. Everything an iteration queued goes
// in with its one io_uring_enter, which also waits: under load one call
// carries many connections' requests, where epoll pays a recv and a
// sendmsg for each. Anything else (sendfile bodies, uploads, tar streams,
// raw mode) waits with a one-shot POLL_ADD and runs the synchronous path
// unchanged.
//
// Lifetime rule: an SQE names a connection's buffers and descriptor, so a
// closed connection stays (socket open, buffers kept) until the last of
// its completions arrived; a RECV or POLL still armed is cancelled, a SEND
// is let finish (the reply's tail) until send_timeout.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

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

}  // namespace

Status Worker::run_uring() {
  // Made here, on the worker's thread: the ring has a single submitter.
  auto ring = Uring::create(kRingEntries);
  if (!ring) return std::move(ring).take_status();
  ring_ = std::move(*ring);
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
  if (op == kRecv) on_recv(c, cqe.res);
  if (op == kSend) on_send(c, cqe.res);
  if (op == kPoll) {
    c.ring()->poll_armed = false;
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

void Worker::on_recv(Connection& c, int res) {
  RingIo& r = *c.ring();
  r.recv_armed = false;
  if (res > 0) {
    r.in_len = static_cast<size_t>(res);
    r.in_off = 0;
  } else if (res == 0) {
    r.in_eof = true;
  } else if (res != -ECANCELED && res != -EAGAIN && res != -EINTR) {
    r.in_error = true;  // reset: read_some reports it
  }  // cancelled (a short SEND broke the link, or a close): re-armed if still wanted
  if (r.has_input() && c.state() != Connection::State::kClosed) c.on_readable();
}

void Worker::on_send(Connection& c, int res) {
  RingIo& r = *c.ring();
  r.send_armed = false;
  if (res == -EAGAIN || res == -EINTR) return;  // sync_ring sends the rest again
  if (res < 0) {
    r.send_failed = true;
    r.out.clear();
  } else {
    r.out_sent += static_cast<size_t>(res);
    if (r.out_sent < r.out.size()) return;  // short: the rest goes next iteration
    r.out.clear();
    r.out_sent = 0;
  }
  c.on_send_done();
}

// The ring's counterpart of sync_interest: arms what the connection now
// waits for, at most one of each kind.
void Worker::sync_ring(uint64_t id, Connection& c) {
  RingIo& r = *c.ring();
  if (r.send_busy() && !r.send_armed && !r.send_failed) arm_send(id, c);
  if (c.state() == Connection::State::kClosed) {
    closed_.push_back(id);
    return;
  }
  uint32_t want = c.interest();
  if (c.state() == Connection::State::kReadingHead) {
    // No RECV beside a pending SEND unless linked behind it (arm_send).
    if (!r.send_busy() && !r.recv_armed && !r.has_input()) arm_recv(id, c);
    return;
  }
  if (want == EPOLLOUT && r.send_busy()) return;  // the SEND's completion goes on
  if (want != 0 && !r.poll_armed) arm_poll(id, c, want);
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

void Worker::arm_recv(uint64_t id, Connection& c) {
  RingIo& r = *c.ring();
  r.in_len = r.in_off = 0;
  io_uring_sqe* s = ring_->sqe();
  io_uring_prep_recv(s, c.fd(), r.in.get(), RingIo::kInSize, 0);
  io_uring_sqe_set_data64(s, tag(id, kRecv));
  r.recv_armed = true;
  ++inflight_;
}

// The reply's (rest of) bytes. A keep-alive connection with nothing else
// to parse gets its next RECV linked behind: it starts once the SEND is
// done, in the same submit (a short SEND cancels it; on_recv re-arms).
void Worker::arm_send(uint64_t id, Connection& c) {
  RingIo& r = *c.ring();
  bool link = c.wants_next_head() && !r.recv_armed && !r.has_input();
  ring_->reserve(link ? 2 : 1);  // a link must not straddle two submits
  io_uring_sqe* s = ring_->sqe();
  io_uring_prep_send(s, c.fd(), r.out.data() + r.out_sent, r.out.size() - r.out_sent, MSG_NOSIGNAL);
  io_uring_sqe_set_data64(s, tag(id, kSend));
  r.send_armed = true;
  ++inflight_;
  if (!link) return;
  s->flags |= IOSQE_IO_LINK;
  arm_recv(id, c);
}

void Worker::arm_poll(uint64_t id, Connection& c, uint32_t events) {
  io_uring_sqe* s = ring_->sqe();
  io_uring_prep_poll_add(s, c.fd(), events);
  io_uring_sqe_set_data64(s, tag(id, kPoll));
  c.ring()->poll_armed = true;
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
