// A resolved socket address, IPv4 or IPv6, as the server reports where it
// listens. Resolving, listening and connecting live in the core's socket.h.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>

namespace zcp {

// A resolved socket address (IPv4 or IPv6).
class SocketAddress {
 public:
  SocketAddress() = default;
  SocketAddress(const sockaddr* sa, socklen_t len);

  static SocketAddress loopback_v4(uint16_t port);
  static SocketAddress loopback_v6(uint16_t port);

  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage_); }
  socklen_t length() const { return length_; }
  int family() const { return storage_.ss_family; }
  uint16_t port() const;
  // "127.0.0.1:8080" or "[::1]:8080".
  std::string to_string() const;

 private:
  sockaddr_storage storage_{};
  socklen_t length_ = 0;
};

}  // namespace zcp
