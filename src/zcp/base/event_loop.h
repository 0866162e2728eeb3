// A small epoll wrapper: one per worker thread. Level-triggered on purpose:
// handlers do bounded work per wakeup (fairness) and simply return, and the
// kernel tells us again while work remains; edge-triggered would force every
// handler to drain to EAGAIN or remember that it stopped early.
#pragma once

#include <sys/epoll.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "zcp/fd.h"
#include "zcp/status.h"

namespace zcp {

class EventLoop {
 public:
  static Result<EventLoop> create();

  // Registers `fd` (borrowed) for `events` (EPOLLIN / EPOLLOUT); `tag`
  // comes back with each event (a connection id, or a reserved value).
  Status add(int fd, uint32_t events, uint64_t tag);
  Status modify(int fd, uint32_t events, uint64_t tag);
  void remove(int fd);

  struct Event {
    uint64_t tag;
    uint32_t events;
  };
  // Waits up to `timeout_ms` (-1: forever); EINTR yields no events.
  Result<std::vector<Event>> wait(int timeout_ms);

 private:
  explicit EventLoop(UniqueFd fd) : epoll_(std::move(fd)) {}
  UniqueFd epoll_;
  std::vector<epoll_event> buffer_ = std::vector<epoll_event>(256);
};

// An eventfd that wakes a loop from another thread (shutdown, drain).
class Waker {
 public:
  static Result<Waker> create();
  int fd() const { return fd_.get(); }
  void wake();   // async-signal-safe
  void drain();  // called by the loop when the fd is readable

 private:
  explicit Waker(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace zcp
