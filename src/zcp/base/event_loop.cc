#include "zcp/base/event_loop.h"

#include <sys/eventfd.h>
#include <unistd.h>

namespace zcp {

Result<EventLoop> EventLoop::create() {
  UniqueFd fd(::epoll_create1(EPOLL_CLOEXEC));
  if (!fd) return Status::from_errno("epoll_create1");
  return EventLoop(std::move(fd));
}

Status EventLoop::add(int fd, uint32_t events, uint64_t tag) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = tag;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) return Status::from_errno("epoll_ctl add");
  return {};
}

Status EventLoop::modify(int fd, uint32_t events, uint64_t tag) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = tag;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fd, &ev) != 0) return Status::from_errno("epoll_ctl mod");
  return {};
}

void EventLoop::remove(int fd) { ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr); }

Result<std::vector<EventLoop::Event>> EventLoop::wait(int timeout_ms) {
  int n = ::epoll_wait(epoll_.get(), buffer_.data(), static_cast<int>(buffer_.size()), timeout_ms);
  std::vector<Event> out;
  if (n < 0) {
    if (errno == EINTR) return out;
    return Status::from_errno("epoll_wait");
  }
  out.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) out.push_back({buffer_[i].data.u64, buffer_[i].events});
  return out;
}

Result<Waker> Waker::create() {
  UniqueFd fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!fd) return Status::from_errno("eventfd");
  return Waker(std::move(fd));
}

void Waker::wake() {
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(fd_.get(), &one, sizeof(one));
}

void Waker::drain() {
  uint64_t value;
  [[maybe_unused]] ssize_t n = ::read(fd_.get(), &value, sizeof(value));
}

}  // namespace zcp
