// TCP socket helpers over IPv4 and IPv6: parse "host:port" / "[v6]:port",
// listen, connect, accept. Every descriptor comes back as a UniqueFd with
// O_CLOEXEC; errors name the address.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "zcp/fd.h"
#include "zcp/socket_address.h"
#include "zcp/status.h"

namespace zcp {

struct HostPort {
  std::string host;  // without IPv6 brackets
  uint16_t port = 0;
};
// Splits "host:port", "[v6]:port", or (when `default_port` is non-zero)
// a bare "host" or "[v6]".
Result<HostPort> parse_host_port(std::string_view text, uint16_t default_port = 0);

// Resolves with getaddrinfo; the first address of the asked family wins
// (AF_UNSPEC: whichever the resolver lists first).
Result<SocketAddress> resolve(const HostPort& hp, int family = AF_UNSPEC);
// Every address, in the resolver's order (duplicates dropped), for a client
// that tries them in turn: "localhost" is ::1 first, yet a server may
// listen on 127.0.0.1 only.
// A positive `timeout` bounds the lookup (a resolver that never answers
// costs `timeout`, not its own retries): it then runs on a helper thread,
// which is left to finish on its own if the time runs out.
Result<std::vector<SocketAddress>> resolve_all(const HostPort& hp, int family = AF_UNSPEC,
                                               std::chrono::milliseconds timeout = {});

struct ListenOptions {
  int backlog = 1024;
  bool reuse_port = false;  // several workers share one port (SO_REUSEPORT)
  bool nonblocking = false;
};
Result<UniqueFd> listen_tcp(const SocketAddress& addr, const ListenOptions& opts = {});

// Blocking connect (the socket stays blocking unless made otherwise later).
Result<UniqueFd> connect_tcp(const SocketAddress& addr);

// accept4 with O_CLOEXEC (and O_NONBLOCK when asked); retries EINTR.
Result<UniqueFd> accept_connection(int listen_fd, bool nonblocking = false,
                                   SocketAddress* peer = nullptr);

Result<SocketAddress> local_address(int fd);
Result<SocketAddress> peer_address(int fd);
Status set_nonblocking(int fd, bool on = true);
// Blocking, TCP_NODELAY, and a read or write that makes no progress for
// `timeout` fails (SO_RCVTIMEO/SO_SNDTIMEO; 0: no limit).
Status set_blocking_with_timeout(int fd, std::chrono::milliseconds timeout);
// send() until all of `data` is out (blocking socket; no SIGPIPE).
Status send_all(int fd, std::string_view data);
// The first half of a gentle close: half-close, then drop up to `reads`
// x 4 KiB of unread input without blocking. Closing with unread bytes makes
// the kernel send an RST, which can destroy the tail of our last answer
// before the peer reads it.
void shutdown_and_drain(int fd, int reads);

// The Status for a failed recv/send/splice on a blocking socket with
// SO_RCVTIMEO / SO_SNDTIMEO: EAGAIN there means the timeout expired, and
// is reported as ETIMEDOUT ("Connection timed out").
Status socket_io_error(const char* op, int err);

}  // namespace zcp
