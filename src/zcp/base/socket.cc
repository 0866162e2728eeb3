#include "zcp/base/socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <sys/time.h>
#include <unistd.h>

#include <charconv>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

namespace zcp {

SocketAddress::SocketAddress(const sockaddr* sa, socklen_t len) {
  if (len > sizeof(storage_)) len = sizeof(storage_);
  std::memcpy(&storage_, sa, len);
  length_ = len;
}

SocketAddress SocketAddress::loopback_v4(uint16_t port) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return {reinterpret_cast<sockaddr*>(&sin), sizeof(sin)};
}

SocketAddress SocketAddress::loopback_v6(uint16_t port) {
  sockaddr_in6 sin6{};
  sin6.sin6_family = AF_INET6;
  sin6.sin6_port = htons(port);
  sin6.sin6_addr = in6addr_loopback;
  return {reinterpret_cast<sockaddr*>(&sin6), sizeof(sin6)};
}

uint16_t SocketAddress::port() const {
  if (family() == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
  if (family() == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
  }
  return 0;
}

std::string SocketAddress::to_string() const {
  char host[INET6_ADDRSTRLEN] = "?";
  if (family() == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr, host,
              sizeof(host));
    return std::string(host) + ":" + std::to_string(port());
  }
  if (family() == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr, host,
              sizeof(host));
    return "[" + std::string(host) + "]:" + std::to_string(port());
  }
  return "(unknown address family)";
}

static Result<uint16_t> parse_port(std::string_view text, std::string_view whole) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value > 65535) {
    return Status::invalid("bad port in '" + std::string(whole) + "'");
  }
  return static_cast<uint16_t>(value);
}

namespace {

// "::1:8080" is ambiguous (an address, or ::1 and a port?): suggest the
// bracketed form, taking a decimal tail that leaves an IPv6 address as the port.
std::string bracket_hint(std::string_view text, size_t colon) {
  std::string host(text.substr(0, colon));
  std::string_view tail = text.substr(colon + 1);
  in6_addr probe{};
  bool port_like = !tail.empty() && tail.size() <= 5 &&
                   tail.find_first_not_of("0123456789") == std::string_view::npos;
  if (port_like && ::inet_pton(AF_INET6, host.c_str(), &probe) == 1) {
    return fmt::format("an IPv6 address needs brackets: write '[{}]:{}'", host, tail);
  }
  return fmt::format("an IPv6 address needs brackets: write '[{}]:PORT'", text);
}

}  // namespace

Result<HostPort> parse_host_port(std::string_view text, uint16_t default_port) {
  HostPort hp;
  std::string_view rest;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos) {
      return Status::invalid("missing ']' in '" + std::string(text) + "'");
    }
    hp.host = std::string(text.substr(1, close - 1));
    rest = text.substr(close + 1);
  } else {
    size_t colon = text.rfind(':');
    if (colon != std::string_view::npos && text.find(':') != colon) {
      return Status::invalid(bracket_hint(text, colon));
    }
    hp.host = std::string(text.substr(0, colon));
    rest = colon == std::string_view::npos ? std::string_view{} : text.substr(colon);
  }
  if (hp.host.empty()) return Status::invalid("missing host in '" + std::string(text) + "'");
  if (rest.empty()) {
    if (default_port == 0) return Status::invalid("missing port in '" + std::string(text) + "'");
    hp.port = default_port;
    return hp;
  }
  if (rest.front() != ':') return Status::invalid("bad address '" + std::string(text) + "'");
  auto port = parse_port(rest.substr(1), text);
  if (!port) return std::move(port).take_status();
  hp.port = *port;
  return hp;
}

Result<SocketAddress> resolve(const HostPort& hp, int family) {
  auto all = resolve_all(hp, family);
  if (!all) return std::move(all).take_status();
  return all->front();
}

namespace {

// getaddrinfo with the AI_ADDRCONFIG retry; the result list is the caller's.
int lookup(const std::string& host, const std::string& port, int family, addrinfo** list) {
  addrinfo hints{};
  hints.ai_family = family;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG;
  int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, list);
  if (rc == EAI_ADDRFAMILY || rc == EAI_NONAME) {
    hints.ai_flags = 0;  // AI_ADDRCONFIG hides ::1 on hosts with only loopback v6
    rc = getaddrinfo(host.c_str(), port.c_str(), &hints, list);
  }
  return rc;
}

// A lookup on its own thread; whoever finishes last (the waiter giving up,
// or the lookup ending) frees what is left.
struct PendingLookup {
  std::mutex mu;
  std::condition_variable done_cv;
  bool done = false;
  int rc = 0;
  addrinfo* list = nullptr;
  ~PendingLookup() {
    if (list) freeaddrinfo(list);
  }
};

// Whether `host` is an IPv4 or IPv6 address literal of `family`.
bool parse_ip(const std::string& host, int family) {
  in6_addr buf{};
  return ((family == AF_UNSPEC || family == AF_INET) && inet_pton(AF_INET, host.c_str(), &buf) == 1) ||
         ((family == AF_UNSPEC || family == AF_INET6) && inet_pton(AF_INET6, host.c_str(), &buf) == 1);
}

int lookup_within(const std::string& host, const std::string& port, int family,
                  std::chrono::milliseconds timeout, addrinfo** list) {
  auto pending = std::make_shared<PendingLookup>();
  try {
    std::thread([pending, host, port, family] {
      addrinfo* found = nullptr;
      int rc = lookup(host, port, family, &found);
      std::lock_guard lock(pending->mu);
      pending->rc = rc;
      pending->list = found;
      pending->done = true;
      pending->done_cv.notify_all();
    }).detach();
  } catch (const std::system_error&) {
    return lookup(host, port, family, list);  // no thread to be had: wait the resolver's time
  }
  std::unique_lock lock(pending->mu);
  if (!pending->done_cv.wait_for(lock, timeout, [&] { return pending->done; })) return EAI_AGAIN;
  *list = std::exchange(pending->list, nullptr);
  return pending->rc;
}

}  // namespace

Result<std::vector<SocketAddress>> resolve_all(const HostPort& hp, int family,
                                               std::chrono::milliseconds timeout) {
  addrinfo* list = nullptr;
  std::string port = std::to_string(hp.port);
  // An address literal needs no resolver: no thread for it.
  bool literal = parse_ip(hp.host, family);
  int rc = timeout.count() > 0 && !literal ? lookup_within(hp.host, port, family, timeout, &list)
                                           : lookup(hp.host, port, family, &list);
  if (rc == EAI_AGAIN && timeout.count() > 0) {
    return Status(Code::kSystem, "resolve", fmt::format("no answer within {} ms", timeout.count()),
                  ETIMEDOUT)
        .at(hp.host);
  }
  if (rc != 0) {
    return Status(Code::kSystem, "resolve", gai_strerror(rc)).at(hp.host);
  }
  std::vector<SocketAddress> out;
  for (addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    SocketAddress addr(ai->ai_addr, ai->ai_addrlen);
    bool seen = false;
    for (const auto& a : out) seen = seen || a.to_string() == addr.to_string();
    if (!seen) out.push_back(addr);
  }
  freeaddrinfo(list);
  if (out.empty()) return Status(Code::kSystem, "resolve", "no address").at(hp.host);
  return out;
}

Result<UniqueFd> listen_tcp(const SocketAddress& addr, const ListenOptions& opts) {
  int type = SOCK_STREAM | SOCK_CLOEXEC | (opts.nonblocking ? SOCK_NONBLOCK : 0);
  UniqueFd fd(::socket(addr.family(), type, 0));
  if (!fd) return Status::from_errno("socket").at(addr.to_string());
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (opts.reuse_port && ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) {
    return Status::from_errno("setsockopt SO_REUSEPORT").at(addr.to_string());
  }
  if (addr.family() == AF_INET6) {
    ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  }
  if (::bind(fd.get(), addr.get(), addr.length()) != 0) {
    return Status::from_errno("bind").at(addr.to_string());
  }
  if (::listen(fd.get(), opts.backlog) != 0) {
    return Status::from_errno("listen").at(addr.to_string());
  }
  return fd;
}

Result<UniqueFd> connect_tcp(const SocketAddress& addr) {
  UniqueFd fd(::socket(addr.family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return Status::from_errno("socket").at(addr.to_string());
  int rc;
  do {
    rc = ::connect(fd.get(), addr.get(), addr.length());
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) return Status::from_errno("connect").at(addr.to_string());
  return fd;
}

Result<UniqueFd> accept_connection(int listen_fd, bool nonblocking, SocketAddress* peer) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  int flags = SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0);
  int fd;
  do {
    fd = ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&ss), &len, flags);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return Status::from_errno("accept");
  if (peer != nullptr) *peer = SocketAddress(reinterpret_cast<sockaddr*>(&ss), len);
  return UniqueFd(fd);
}

Result<SocketAddress> local_address(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    return Status::from_errno("getsockname");
  }
  return SocketAddress(reinterpret_cast<sockaddr*>(&ss), len);
}

Result<SocketAddress> peer_address(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    return Status::from_errno("getpeername");
  }
  return SocketAddress(reinterpret_cast<sockaddr*>(&ss), len);
}

Status socket_io_error(const char* op, int err) {
  if (err == EAGAIN || err == EWOULDBLOCK) return Status(Code::kSystem, op, {}, ETIMEDOUT);
  return Status::from_errno(op, err);
}

Status set_nonblocking(int fd, bool on) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) return Status::from_errno("fcntl F_GETFL");
  flags = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
  if (::fcntl(fd, F_SETFL, flags) != 0) return Status::from_errno("fcntl F_SETFL");
  return {};
}

Status set_blocking_with_timeout(int fd, std::chrono::milliseconds timeout) {
  if (Status s = set_nonblocking(fd, false); !s) return s;
  // Request heads and short answers go out at once, not after the previous ACK.
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (timeout.count() <= 0) return {};
  timeval tv{};
  tv.tv_sec = timeout.count() / 1000;
  tv.tv_usec = (timeout.count() % 1000) * 1000;
  for (int opt : {SO_RCVTIMEO, SO_SNDTIMEO}) {
    if (::setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv)) != 0) {
      return Status::from_errno("setsockopt SO_RCVTIMEO/SO_SNDTIMEO");
    }
  }
  return {};
}

void shutdown_and_drain(int fd, int reads) {
  ::shutdown(fd, SHUT_WR);
  char sink[4096];
  for (int i = 0; i < reads && ::recv(fd, sink, sizeof(sink), MSG_DONTWAIT) > 0; ++i) {
  }
}

Status send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return socket_io_error("send", errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

}  // namespace zcp
