// Connection's side of the io_uring loop (worker_uring.cc drives it; the
// buffers are in ring_io.h): what read_some() and writing a reply do in
// io_uring mode, the PUT's hand-over from the multishot RECV, and what
// happens when the worker's SEND is done.
#include <algorithm>
#include <cstring>

#include "zcp/base/socket.h"
#include "zcp/server/connection.h"

namespace zcp {

// io_uring mode: the bytes the multishot RECV delivered (ring()->in).
Connection::Io Connection::ring_read(char* buf, size_t len) {
  RingIo& r = *ring_;
  if (!r.in.empty()) {
    size_t n = std::min(len, r.in.size());
    std::memcpy(buf, r.in.data(), n);
    if (n == r.in.size()) {
      r.in.clear();  // the usual case: one head, taken whole; the capacity stays
    } else {
      r.in.erase(0, n);
    }
    return {Io::Kind::kDone, n};
  }
  if (r.in_error) return {Io::Kind::kError};
  if (r.in_eof) return {Io::Kind::kEof};
  return {Io::Kind::kWouldBlock};
}

// io_uring mode, a write outside a reply's body (the 100 Continue): the
// bytes are copied for the worker's SEND and count as written.
Connection::Io Connection::ring_write(const iovec* iov, int count) {
  RingIo& r = *ring_;
  r.out.clear();
  for (int i = 0; i < count; ++i) r.out.append(static_cast<const char*>(iov[i].iov_base), iov[i].iov_len);
  r.iov[0] = {r.out.data(), r.out.size()};
  r.iov_first = 0;
  r.iov_count = r.out.empty() ? 0 : 1;
  r.send_left = r.out.size();
  return {Io::Kind::kDone, r.out.size()};
}

// io_uring mode: the rest of the head and the in-memory segments that end
// the body so far leave by the worker's one SEND(MSG) from where they are:
// head_ (not rebuilt while a SEND is pending: no request is parsed then)
// and a cached file's bytes (their owner pinned in RingIo until the
// completion); small owned segments are copied. It all counts as written
// now; a failed SEND closes the connection (on_send_done), as a failed
// sendmsg would. nullopt when a file range follows (or more segments than
// iovecs): write_bytes sends synchronously with MSG_MORE, as under epoll.
std::optional<bool> Connection::ring_write_bytes() {
  RingIo& r = *ring_;
  auto& body = reply_.response.body;
  size_t mem = 0;
  while (mem < body.size() && !body[mem].is_file()) ++mem;
  if (mem < body.size() || mem + 1 > static_cast<size_t>(RingIo::kMaxIov)) return std::nullopt;
  if (r.send_busy()) return false;  // one SEND at a time, in order
  size_t copied = 0;  // reserved first: iovecs point into r.out
  for (size_t k = 0; k < mem; ++k) {
    if (!body[k].held) copied += body[k].size();
  }
  r.out.clear();
  r.out.reserve(copied);
  r.iov_first = r.iov_count = 0;
  r.send_left = 0;
  auto add = [&r](const char* p, size_t n) {
    if (n == 0) return;
    r.iov[r.iov_count++] = {const_cast<char*>(p), n};
    r.send_left += n;
  };
  add(head_.data() + reply_.head_sent, head_.size() - reply_.head_sent);
  for (size_t k = 0; k < mem; ++k) {
    Segment& seg = body[k];
    std::string_view v = seg.bytes_view();
    if (k == 0) v.remove_prefix(reply_.seg_sent);
    reply_.body_sent += v.size();
    if (seg.held) {
      add(v.data(), v.size());
      r.pins.push_back(std::move(seg.held));
    } else {
      add(r.out.data() + r.out.size(), v.size());
      r.out.append(v);
    }
  }
  reply_.head_sent = head_.size();
  reply_.seg_sent = 0;
  body.clear();
  if (r.send_left > 0) deadline_ = Clock::now() + cfg_.send_timeout;
  return true;
}

// io_uring mode, a PUT parsed: its body is read from the socket (spliced
// by Upload, or by a relay or tree-upload thread), so the multishot RECV
// must stop before that and what it took must join in_. True: held until
// the RECV's last completion (the worker cancels it; resume_handover).
bool Connection::ring_hold_for_socket() {
  if (!ring_) return false;
  RingIo& r = *ring_;
  if (r.recv_armed) {
    r.handover = true;
    return true;
  }
  in_.append(r.in);
  r.in.clear();
  return false;
}

void Connection::resume_handover() {
  RingIo& r = *ring_;
  r.handover = false;
  if (state_ != State::kReadingHead) return;
  in_.append(r.in);
  r.in.clear();
  const HttpRequest& req = parser_.request();
  if (cfg_.tree_put && is_tree_put(req)) {
    start_tree_put(req);
  } else {
    start_upload(req);
  }
  if (state_ == State::kWriting) on_writable();  // refused, or the whole body came with the head
}

void Connection::on_send_done() {
  if (state_ == State::kClosed) return;
  if (ring_->send_failed) {
    fail("client closed");
    return;
  }
  if (state_ == State::kReadingHead) {
    handle_input();  // a pipelined request waited for this reply to leave
    if (state_ == State::kReadingHead && peer_done_ && !input_held()) close();
  }
  if (state_ == State::kWriting) on_writable();
}

void Connection::release_socket() {
  if (!fd_) return;
  shutdown_and_drain(fd_.get(), 16);
  fd_.reset();
}

}  // namespace zcp
