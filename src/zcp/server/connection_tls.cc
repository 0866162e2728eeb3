// Connection's TLS half: the kHandshake state (sniffing the first bytes,
// stepping the handshake) and the session-backed versions of the three
// socket functions. Plain HTTP never reaches this file: each entry point
// is behind `cfg_.tls` or `tls_`, one predictable branch on the hot path.
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include "zcp/server/connection.h"
#include "zcp/tls/ktls.h"
#include "zcp/tls/sniff.h"
#include "zcp/tls/tls_session.h"

namespace zcp {
namespace {

// Enough of a request line to tell a method from a TLS record (sniff.h).
constexpr size_t kSniffBytes = 16;
// Bytes gathered for one SSL_write: four 16 KiB records.
constexpr size_t kTlsGather = 64 * 1024;

}  // namespace

// Born in kHandshake: nothing happens until the client's first bytes,
// and all of the handshake must end within header_timeout.
void Connection::start_tls_wait() {
  state_ = State::kHandshake;
  deadline_ = Clock::now() + cfg_.header_timeout;
}

// kHandshake. The first bytes are peeked, not read, so OpenSSL sees the
// ClientHello whole. Anything that is not a TLS record is read for real
// (a peeked byte would wake level-triggered epoll forever) and judged.
void Connection::on_handshake() {
  if (!tls_) {
    if (in_.empty()) {
      char peek[2];
      ssize_t n = ::recv(fd_.get(), peek, sizeof(peek), MSG_PEEK);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
      if (n <= 0) return close();  // gone before a byte
      bool record = static_cast<unsigned char>(peek[0]) == 0x16 && (n < 2 || peek[1] == 0x03);
      if (!record) return sniff_plain();
      auto session = TlsSession::server(*cfg_.tls, fd_.get());
      if (!session) return close();
      tls_ = std::move(*session);
    } else {
      return sniff_plain();
    }
  }
  switch (tls_->handshake()) {
    case HandshakeStep::kWantRead: tls_want_write_ = false; return;
    case HandshakeStep::kWantWrite: tls_want_write_ = true; return;
    case HandshakeStep::kError: tls_.reset(); return close();  // no close_notify mid-handshake
    case HandshakeStep::kDone: break;
  }
  tls_up_ = true;
  tls_want_write_ = false;
  tls_path_ = to_string(choose_send_path(true, tls_->ktls_send(), true));
  enter(State::kReadingHead);
  head_started_ = false;
  // A request may have come with the client's Finished, already in
  // OpenSSL's buffer where epoll cannot see it: read now.
  on_readable();
}

// Not a TLS record: read up to kSniffBytes and decide.
void Connection::sniff_plain() {
  char buf[kSniffBytes];
  size_t want = kSniffBytes - std::min(in_.size(), kSniffBytes);
  if (want > 0) {
    ssize_t n = ::recv(fd_.get(), buf, want, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n <= 0) return close();
    in_.append(buf, static_cast<size_t>(n));
  }
  switch (classify_first_bytes(in_)) {
    case FirstBytes::kNeedMore: return;  // the deadline still runs
    case FirstBytes::kPlainHttp: return refuse_plain_http();
    case FirstBytes::kTls:               // a record header split oddly: not worth the trouble
    case FirstBytes::kUnknown: in_.clear(); return close();
  }
}

// nginx's answer, whole, then a close. 170 bytes fit any socket buffer.
void Connection::refuse_plain_http() {
  in_.clear();
  [[maybe_unused]] ssize_t n = ::send(fd_.get(), kPlainHttpOnTlsPort.data(),
                                      kPlainHttpOnTlsPort.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  if (cfg_.access_log) {
    log_ = LogRecord{};
    log_.pending = true;
    log_.arrived = std::chrono::system_clock::now();
    reply_ = Reply{};
    reply_.started = Clock::now();
    reply_.response.status = 400;
    log_access("plain HTTP request on the HTTPS port");
  }
  close();
}

bool Connection::tls_has_pending() const { return tls_->plaintext_pending() > 0; }

Connection::Io Connection::tls_read(char* buf, size_t len) {
  auto r = tls_->read(buf, len);
  if (r) return *r == 0 ? Io{Io::Kind::kEof} : Io{Io::Kind::kDone, *r};
  if (r.status().would_block()) return {Io::Kind::kWouldBlock};
  if (r.status().code() == Code::kPeerClosed) return {Io::Kind::kEof};  // no close_notify
  return {Io::Kind::kError};
}

// One SSL_write of the gathered bytes: with SSL_MODE_ENABLE_PARTIAL_WRITE
// it returns after each 16 KiB record, and a retry after EAGAIN offers the
// same bytes again (ACCEPT_MOVING_WRITE_BUFFER: tls_out_ may move), never
// fewer than the record it left pending. At most kTlsGather are copied per
// call, so a large in-memory body is not re-copied whole for each record.
Connection::Io Connection::tls_write(const iovec* iov, int count) {
  tls_out_.clear();
  for (int i = 0; i < count && tls_out_.size() < kTlsGather; ++i) {
    size_t take = std::min(iov[i].iov_len, kTlsGather - tls_out_.size());
    tls_out_.append(static_cast<const char*>(iov[i].iov_base), take);
  }
  auto w = tls_->write_some(tls_out_);
  if (w) return {Io::Kind::kDone, *w};
  return {w.status().would_block() ? Io::Kind::kWouldBlock : Io::Kind::kError};
}

// SSL_sendfile when the kernel encrypts, else pread into kTlsBodyBuffer
// (256 KiB) and SSL_write in 16 KiB records (tls_session.cc).
Progress Connection::tls_send_file(int file_fd, uint64_t offset, uint64_t count) {
  Progress p;
  p.status = tls_->send_file(file_fd, offset, count, &p.moved);
  return p;
}

void Connection::tls_close() {
  if (tls_up_) tls_->shutdown();
  tls_.reset();
}

}  // namespace zcp
