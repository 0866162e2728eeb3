// ByteStream: the bytes of one connection, whether they cross the socket in
// clear (PlainStream here) or through a TLS session (tls/tls_session.h).
// HTTP code reads and writes through it; it is not a buffer or a parser.
#pragma once

#include <cstddef>
#include <string_view>

#include "zcp/status.h"

namespace zcp {

class ByteStream {
 public:
  virtual ~ByteStream() = default;
  // Up to `n` bytes into `buf`; 0 at the peer's orderly end. A blocking
  // socket's SO_RCVTIMEO shows as ETIMEDOUT/EAGAIN like recv's.
  virtual Result<size_t> read(char* buf, size_t n) = 0;
  // All of `data` (blocking socket; no SIGPIPE).
  virtual Status write(std::string_view data) = 0;
  // Bytes a read() returns without touching the socket (TLS records already
  // decrypted); 0 for a plain socket. poll() cannot see these.
  virtual size_t pending() const = 0;
  // The descriptor a RecvEngine may splice body bytes from, or -1 when they
  // must pass through read() (TLS without kernel offload).
  virtual int splice_fd() const = 0;
  // The socket itself, for poll() and socket options.
  virtual int fd() const = 0;
};

// A plain TCP socket, borrowed.
class PlainStream final : public ByteStream {
 public:
  explicit PlainStream(int fd) : fd_(fd) {}
  Result<size_t> read(char* buf, size_t n) override;
  Status write(std::string_view data) override;
  size_t pending() const override { return 0; }
  int splice_fd() const override { return fd_; }
  int fd() const override { return fd_; }

 private:
  int fd_;
};

}  // namespace zcp
