// Connection's side of the io_uring loop (worker_uring.cc drives it; the
// buffers are in ring_io.h): what read_some() and write_iov() do in
// io_uring mode, and what happens when the worker's SEND is done.
#include <algorithm>
#include <cstring>

#include "zcp/base/socket.h"
#include "zcp/server/connection.h"

namespace zcp {

// io_uring mode: the bytes the last RECV delivered (the worker arms the
// next one once these are taken).
Connection::Io Connection::ring_read(char* buf, size_t len) {
  RingIo& r = *ring_;
  if (r.in_off < r.in_len) {
    size_t n = std::min(len, r.in_len - r.in_off);
    std::memcpy(buf, r.in.get() + r.in_off, n);
    r.in_off += n;
    return {Io::Kind::kDone, n};
  }
  if (r.in_error) return {Io::Kind::kError};
  if (r.in_eof) return {Io::Kind::kEof};
  return {Io::Kind::kWouldBlock};
}

// io_uring mode: the bytes are copied into the connection's out buffer for
// the worker's SEND, and count as written; a failed SEND closes the
// connection (on_send_done), as a failed sendmsg would.
Connection::Io Connection::ring_write(const iovec* iov, int count) {
  RingIo& r = *ring_;
  r.out.clear();
  r.out_sent = 0;
  for (int i = 0; i < count; ++i) r.out.append(static_cast<const char*>(iov[i].iov_base), iov[i].iov_len);
  return {Io::Kind::kDone, r.out.size()};
}

void Connection::on_send_done() {
  if (state_ == State::kClosed) return;
  if (ring_->send_failed) {
    fail("client closed");
    return;
  }
  if (state_ == State::kReadingHead) {
    handle_input();  // a pipelined request waited for this reply to leave
    if (state_ == State::kReadingHead && peer_done_) close();
  }
  if (state_ == State::kWriting) on_writable();
}

void Connection::release_socket() {
  if (!fd_) return;
  shutdown_and_drain(fd_.get(), 16);
  fd_.reset();
}

}  // namespace zcp
