#include "zcp/server/worker.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace zcp {
namespace {

constexpr uint64_t kListenerTag = 0;
constexpr uint64_t kWakerTag = 1;
constexpr int kMaxAcceptsPerWakeup = 64;
constexpr auto kTickInterval = std::chrono::milliseconds(100);

// Built per refusal (its Date changes), by the same helper as every other
// response, so its Content-Length cannot drift from its body.
std::string busy_response() {
  Response r = error_response(503, "too many connections, retry");
  r.set("Retry-After", "1");
  r.set("Connection", "close");
  return serialize_bytes_response(r);
}

}  // namespace

Result<std::unique_ptr<Worker>> Worker::create(UniqueFd listener, const ConnectionConfig& cfg,
                                               std::atomic<int>& connections, Limits limits) {
  auto loop = EventLoop::create();
  if (!loop) return std::move(loop).take_status();
  auto waker = Waker::create();
  if (!waker) return std::move(waker).take_status();
  if (Status s = loop->add(listener.get(), EPOLLIN, kListenerTag); !s) return s;
  if (Status s = loop->add(waker->fd(), EPOLLIN, kWakerTag); !s) return s;
  return std::unique_ptr<Worker>(new Worker(std::move(listener), std::move(*loop),
                                            std::move(*waker), cfg, connections, limits));
}

Worker::Worker(UniqueFd listener, EventLoop loop, Waker waker, const ConnectionConfig& cfg,
               std::atomic<int>& connections, Limits limits)
    : listener_(std::move(listener)),
      loop_(std::move(loop)),
      waker_(std::move(waker)),
      cfg_(cfg),
      connections_(connections),
      limits_(limits) {
  if (limits_.file_cache_entries > 0 && cfg_.raw_file.empty()) {
    FileCache::Limits fl;
    fl.max_entries = limits_.file_cache_entries;
    fl.valid_for = limits_.file_cache_valid;
    fl.keep_bytes = cfg_.handler.copy_below;
    files_ = std::make_unique<FileCache>(cfg_.handler.root_fd, fl, cfg_.upload.stored);
    cfg_.handler.files = files_.get();
  }
}

Status Worker::run() {
  if (limits_.io_uring) return run_uring();
  Clock::time_point next_tick = Clock::now() + kTickInterval;
  for (;;) {
    if (stopping_ && !draining_) begin_drain();
    if (draining_ && (conns_.empty() || Clock::now() >= drain_deadline_)) break;
    auto events = loop_.wait(static_cast<int>(kTickInterval.count()));
    if (!events) return std::move(events).take_status();
    for (const auto& ev : *events) dispatch(ev.tag, ev.events);
    resume_accepting();
    if (Clock::now() >= next_tick) {
      tick();
      next_tick = Clock::now() + kTickInterval;
    }
    reap();
  }
  connections_ -= static_cast<int>(conns_.size());
  conns_.clear();  // past the drain deadline: whatever is left is cut off
  return {};
}

void Worker::dispatch(uint64_t tag, uint32_t events) {
  if (tag == kListenerTag) return accept_new();
  if (tag == kWakerTag) return waker_.drain();
  auto it = conns_.find(tag);
  if (it == conns_.end()) return;
  Connection& c = *it->second;
  handle_events(c, events);
  sync_interest(tag, c);
}

// Readiness (an epoll event, or a POLL_ADD completion) to the handler the
// connection waits with.
void Worker::handle_events(Connection& c, uint32_t events) {
  // Errors and hang-ups surface through the next recv/send, so they are
  // handed to whichever handler the connection waits with.
  constexpr uint32_t kTrouble = EPOLLERR | EPOLLHUP;
  uint32_t want = c.interest();
  if ((want & EPOLLIN) && (events & (EPOLLIN | kTrouble))) {
    c.on_readable();
  } else if ((want & EPOLLOUT) && (events & (EPOLLOUT | kTrouble))) {
    c.on_writable();
  }
  // TLS: plaintext OpenSSL read ahead is invisible to epoll; each call
  // consumes some, so this ends. Plain HTTP pays one null check.
  while (c.buffered_input() && (c.interest() & EPOLLIN)) c.on_readable();
}

// Keeps the epoll registration in step with what the connection waits for.
void Worker::sync_interest(uint64_t id, Connection& c) {
  uint32_t want = c.interest();
  auto reg = registered_.find(id);
  if (want == 0) {  // closed: its fd is gone, and with it the registration
    if (reg != registered_.end()) registered_.erase(reg);
    closed_.push_back(id);
    return;
  }
  // A connection epoll does not watch would wait for its deadline unserved:
  // close it now, saying why.
  if (reg == registered_.end()) {
    if (Status st = loop_.add(c.fd(), want, id); !st) {
      c.abort(st.to_string());
      closed_.push_back(id);
      return;
    }
    registered_[id] = want;
  } else if (reg->second != want) {
    if (Status st = loop_.modify(c.fd(), want, id); !st) {
      c.abort(st.to_string());
      closed_.push_back(id);
      return;
    }
    reg->second = want;
  }
}

void Worker::accept_new() {
  for (int i = 0; i < kMaxAcceptsPerWakeup && listener_; ++i) {
    SocketAddress peer;
    auto fd = accept_connection(listener_.get(), true, &peer);
    if (!fd) {
      int err = fd.status().error_number();
      if (err == EMFILE || err == ENFILE) pause_accepting();
      return;  // EAGAIN: no more pending
    }
    adopt(std::move(*fd), peer);
  }
}

// A new connection: a slot in the server-wide count, or a 503.
void Worker::adopt(UniqueFd fd, const SocketAddress& peer) {
  // Reserve a slot first: a check and a later increment would let the
  // workers together overshoot the limit.
  if (connections_.fetch_add(1) >= limits_.max_connections) {
    --connections_;
    refuse(std::move(fd));
    return;
  }
  int one = 1;  // responses are corked with MSG_MORE; do not let Nagle hold their tails
  ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  uint64_t id = next_id_++;
  auto conn = std::make_unique<Connection>(std::move(fd), peer, cfg_);
  Connection& c = *conn;
  c.on_handoff = [this, id](int handed) {
    if (ring_) return;  // handed over only with no SQE naming it (worker_uring.cc)
    loop_.remove(handed);
    registered_.erase(id);
  };
  conns_.emplace(id, std::move(conn));
  sync(id, c);
}

// The connections waiting in the backlog are taken once descriptors free
// up (connections close, or time out); 100 ms keeps the retry cheap.
void Worker::pause_accepting() {
  if (accept_paused_ || !listener_) return;
  if (!ring_) {
    loop_.remove(listener_.get());
  } else if (accept_armed_) {
    cancel_accept();  // its final CQE clears accept_armed_
  }
  accept_paused_ = true;
  accept_paused_until_ = Clock::now() + std::chrono::milliseconds(100);
  if (cfg_.access_log) cfg_.access_log("out of file descriptors: accepting again in 100 ms");
}

void Worker::resume_accepting() {
  if (!accept_paused_ || Clock::now() < accept_paused_until_) return;
  if (!listener_) return;
  if (ring_) {
    if (!accept_armed_) arm_accept();
    accept_paused_ = false;
    return;
  }
  if (Status st = loop_.add(listener_.get(), EPOLLIN, kListenerTag); !st) {
    // Stay paused and try again in 100 ms rather than never accept again.
    accept_paused_until_ = Clock::now() + std::chrono::milliseconds(100);
    if (cfg_.access_log) cfg_.access_log("cannot watch the listener: " + st.to_string());
    return;
  }
  accept_paused_ = false;
}

// A clean refusal: one small 503, then close (the socket buffer takes it).
void Worker::refuse(UniqueFd fd) {
  const std::string busy = busy_response();
  [[maybe_unused]] ssize_t n = ::send(fd.get(), busy.data(), busy.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  shutdown_and_drain(fd.get(), 4);  // so no RST destroys the 503
}

void Worker::tick() {
  auto now = Clock::now();
  if (files_) files_->expire(now);
  for (auto& [id, c] : conns_) {
    c->on_tick(now);
    sync(id, *c);
  }
  if (ring_) tick_lingering(now);
}

void Worker::begin_drain() {
  draining_ = true;
  drain_deadline_ = Clock::now() + limits_.drain_timeout;
  if (listener_) {
    // io_uring: the multishot accept holds the socket open until cancelled.
    if (ring_ && accept_armed_) cancel_accept();
    if (!ring_ && !accept_paused_) loop_.remove(listener_.get());
    listener_.reset();
  }
  for (auto& [id, c] : conns_) {
    c->start_draining();
    sync(id, *c);
  }
}

// Never destroy a connection inside its own callback: reap after dispatch.
void Worker::reap() {
  for (uint64_t id : closed_) {
    auto it = conns_.find(id);
    if (it == conns_.end() || it->second->state() != Connection::State::kClosed) continue;
    if (ring_ && linger(id, *it->second)) continue;  // until its last completion
    registered_.erase(id);
    conns_.erase(it);
    --connections_;
  }
  closed_.clear();
}

}  // namespace zcp
