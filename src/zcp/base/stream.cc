#include "zcp/base/stream.h"

#include <sys/socket.h>

#include <cerrno>

#include "zcp/base/socket.h"

namespace zcp {

Result<size_t> PlainStream::read(char* buf, size_t n) {
  ssize_t got;
  do {
    got = ::recv(fd_, buf, n, 0);
  } while (got < 0 && errno == EINTR);
  if (got < 0) return socket_io_error("recv", errno);
  return static_cast<size_t>(got);
}

Status PlainStream::write(std::string_view data) { return send_all(fd_, data); }

}  // namespace zcp
