#include "zcp/tls/tls_session.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "zcp/base/sigpipe.h"
#include "zcp/tls/pin.h"
#include "zcp/tls/verify_error.h"

namespace zcp {
namespace {

using Clock = std::chrono::steady_clock;

bool is_ip_literal(const std::string& host) {
  unsigned char buf[16];
  return ::inet_pton(AF_INET, host.c_str(), buf) == 1 ||
         ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

bool fd_blocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  return flags >= 0 && (flags & O_NONBLOCK) == 0;
}

// A handshake that failed inside OpenSSL: its reason, with a hint for the
// common case of a peer that does not speak TLS at all.
Status handshake_error(std::string why) {
  if (why.find("wrong version number") != std::string::npos ||
      why.find("packet length too long") != std::string::npos ||
      why.find("http request") != std::string::npos) {
    why += " (is the peer speaking plain HTTP, not TLS?)";
  }
  return Status(Code::kTlsHandshake, "TLS handshake", why);
}

}  // namespace

TlsSession::TlsSession(SslPtr ssl, int fd, bool server, std::string host)
    : ssl_(std::move(ssl)),
      fd_(fd),
      server_(server),
      blocking_(fd_blocking(fd)),
      host_(std::move(host)) {}

Result<std::unique_ptr<TlsSession>> TlsSession::client(const TlsContext& ctx, int fd,
                                                       const std::string& host) {
  SslPtr ssl(SSL_new(ctx.get()));
  if (!ssl || SSL_set_fd(ssl.get(), fd) != 1) return openssl_error("SSL_new");
  // SNI names hosts, never addresses (RFC 6066 section 3); the check
  // afterwards covers both.
  if (!is_ip_literal(host) &&
      SSL_ctrl(ssl.get(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
               const_cast<char*>(host.c_str())) != 1) {
    return openssl_error("SSL_set_tlsext_host_name " + host);
  }
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl.get());
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  int ok = is_ip_literal(host) ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str())
                               : X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
  if (ok != 1) return openssl_error("X509_VERIFY_PARAM_set1_host " + host);
  SSL_set_connect_state(ssl.get());
  std::unique_ptr<TlsSession> s(new TlsSession(std::move(ssl), fd, false, host));
  s->pins_ = ctx.pins();
  s->insecure_ = ctx.insecure();
  s->flags_ = ctx.flags();
  return s;
}

Result<std::unique_ptr<TlsSession>> TlsSession::server(const TlsContext& ctx, int fd) {
  SslPtr ssl(SSL_new(ctx.get()));
  if (!ssl || SSL_set_fd(ssl.get(), fd) != 1) return openssl_error("SSL_new");
  SSL_set_accept_state(ssl.get());
  return std::unique_ptr<TlsSession>(new TlsSession(std::move(ssl), fd, true, {}));
}

HandshakeStep TlsSession::handshake() {
  if (!error_.is_ok()) return HandshakeStep::kError;
  ERR_clear_error();
  int ret;
  {
    ScopedSigpipeBlock no_sigpipe;  // the socket BIO writes with write(2)
    ret = SSL_do_handshake(ssl_.get());
  }
  if (ret == 1) {
    ktls_send_ = BIO_get_ktls_send(SSL_get_wbio(ssl_.get())) != 0;
    ktls_recv_ = BIO_get_ktls_recv(SSL_get_rbio(ssl_.get())) != 0;
    if (!server_) error_ = check_peer();
    return error_.is_ok() ? HandshakeStep::kDone : HandshakeStep::kError;
  }
  int err = SSL_get_error(ssl_.get(), ret);
  if (err == SSL_ERROR_WANT_READ) return HandshakeStep::kWantRead;
  if (err == SSL_ERROR_WANT_WRITE) return HandshakeStep::kWantWrite;
  int sys = errno;
  std::string why = drain_openssl_errors();
  if (err == SSL_ERROR_SYSCALL && sys != 0 && why.empty()) {
    error_ = Status(Code::kTlsHandshake, "TLS handshake", {}, sys);
  } else if (why.empty() || why.find("unexpected eof") != std::string::npos) {
    error_ = Status(Code::kTlsHandshake, "TLS handshake",
                    "the peer closed the connection mid-handshake");
  } else {
    error_ = handshake_error(why);
  }
  return HandshakeStep::kError;
}

// The socket is non-blocking for the handshake (restored after), so the
// deadline holds whatever SO_RCVTIMEO says, or when it says nothing.
Status TlsSession::handshake_within(std::chrono::milliseconds timeout) {
  int flags = ::fcntl(fd_, F_GETFL);
  if (flags < 0 || ::fcntl(fd_, F_SETFL, flags | O_NONBLOCK) != 0)
    return Status::from_errno("fcntl");
  Status s = step_until(timeout);
  if (::fcntl(fd_, F_SETFL, flags) != 0 && s) return Status::from_errno("fcntl");
  return s;
}

Status TlsSession::step_until(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    HandshakeStep step = handshake();
    if (step == HandshakeStep::kDone) return {};
    if (step == HandshakeStep::kError) return error_;
    pollfd pfd{fd_, static_cast<short>(step == HandshakeStep::kWantRead ? POLLIN : POLLOUT), 0};
    int wait = -1;
    if (timeout.count() > 0) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
      wait = static_cast<int>(std::clamp<int64_t>(left, 0, 1 << 30));
    }
    int rc = ::poll(&pfd, 1, wait);
    if (rc == 0)
      return Status(Code::kSystem, "TLS handshake", "no answer within the timeout", ETIMEDOUT);
    if (rc < 0 && errno != EINTR) return Status::from_errno("poll");
  }
}

Status TlsSession::check_peer() {
  X509Ptr cert(SSL_get1_peer_certificate(ssl_.get()));
  if (!cert)
    return Status(Code::kTlsUntrusted, "TLS certificate", "the server sent no certificate")
        .at(host_);
  // A matching pin is trust enough (a self-signed server's key, known in
  // advance); a wrong one fails even under -k, as in curl.
  if (!pins_.empty()) {
    auto pin = public_key_pin(X509_get0_pubkey(cert.get()));
    if (!pin) return std::move(pin).take_status();
    return pin_matches(pins_, *pin) ? Status() : pin_failure(*pin, host_, flags_);
  }
  if (insecure_) return {};
  long result = SSL_get_verify_result(ssl_.get());
  return result == X509_V_OK ? Status() : verify_failure(result, host_, flags_);
}

Status TlsSession::io_error(const char* op, int ret) {
  int err = SSL_get_error(ssl_.get(), ret);
  int sys = errno;
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
    ERR_clear_error();
    // Blocking sockets get here only when SO_RCVTIMEO/SO_SNDTIMEO expired.
    return blocking_ ? Status(Code::kSystem, op, {}, ETIMEDOUT) : Status::from_errno(op, EAGAIN);
  }
  std::string why = drain_openssl_errors();
  if (err == SSL_ERROR_SYSCALL && why.empty()) {
    if (sys == 0)
      return Status(Code::kPeerClosed, op, "connection closed without TLS close_notify");
    return Status::from_errno(op, sys);
  }
  if (why.find("unexpected eof") != std::string::npos) {
    return Status(Code::kPeerClosed, op, "connection closed without TLS close_notify");
  }
  return Status(Code::kInvalid, op, why.empty() ? "TLS error" : why);
}

Result<size_t> TlsSession::read(char* buf, size_t n) {
  ERR_clear_error();
  size_t got = 0;
  int ret;
  {
    ScopedSigpipeBlock no_sigpipe;  // a read may answer a key update
    ret = SSL_read_ex(ssl_.get(), buf, n, &got);
  }
  if (ret == 1) return got;
  if (SSL_get_error(ssl_.get(), ret) == SSL_ERROR_ZERO_RETURN) return size_t{0};
  return io_error("SSL_read", ret);
}

Result<size_t> TlsSession::write_some(std::string_view data) {
  ERR_clear_error();
  size_t done = 0;
  int ret;
  {
    ScopedSigpipeBlock no_sigpipe;
    ret = SSL_write_ex(ssl_.get(), data.data(), data.size(), &done);
  }
  if (ret == 1) return done;
  return io_error("SSL_write", ret);
}

Status TlsSession::write(std::string_view data) {
  while (!data.empty()) {
    auto n = write_some(data);
    if (!n) return std::move(n).take_status();
    data.remove_prefix(*n);
  }
  return {};
}

size_t TlsSession::pending() const {
  // SSL_has_pending also counts raw bytes read ahead but not yet
  // decrypted: poll() must not wait for those either.
  auto n = static_cast<size_t>(std::max(0, SSL_pending(ssl_.get())));
  return n > 0 ? n : (SSL_has_pending(ssl_.get()) ? 1 : 0);
}

size_t TlsSession::plaintext_pending() const {
  return static_cast<size_t>(std::max(0, SSL_pending(ssl_.get())));
}

Status TlsSession::send_file(int file_fd, uint64_t offset, uint64_t n, uint64_t* moved) {
  *moved = 0;
  while (*moved < n) {
    uint64_t left = n - *moved;
    auto at = static_cast<off_t>(offset + *moved);
    if (ktls_send_) {
      // The kernel encrypts page-cache pages on their way out.
      ERR_clear_error();
      ossl_ssize_t sent;
      {
        ScopedSigpipeBlock no_sigpipe;
        sent = SSL_sendfile(ssl_.get(), file_fd, at,
                            static_cast<size_t>(std::min<uint64_t>(left, 1 << 30)), 0);
      }
      if (sent <= 0)
        return sent == 0 ? Status(Code::kShortFile, "SSL_sendfile")
                         : io_error("SSL_sendfile", static_cast<int>(sent));
      *moved += static_cast<uint64_t>(sent);
      continue;
    }
    std::string_view piece = buffered(file_fd, static_cast<uint64_t>(at), left);
    if (piece.empty()) {
      if (file_buffer_.empty()) file_buffer_.resize(kTlsBodyBuffer);
      size_t want = static_cast<size_t>(std::min<uint64_t>(left, file_buffer_.size()));
      ssize_t r = ::pread(file_fd, file_buffer_.data(), want, at);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return Status::from_errno("pread");
      if (r == 0) return Status(Code::kShortFile, "pread", "file ended early");
      window_ = {file_fd, static_cast<uint64_t>(at), static_cast<size_t>(r)};
      piece = {file_buffer_.data(), static_cast<size_t>(r)};
    }
    // Partial writes count: a non-blocking caller resumes at offset +
    // moved, where the window still holds the bytes a retried SSL_write
    // must be given again (at the same address, as OpenSSL wants).
    while (!piece.empty()) {
      auto w = write_some(piece);
      if (!w) return std::move(w).take_status();
      piece.remove_prefix(*w);
      *moved += *w;
    }
    window_ = {};  // all of it went out
  }
  return {};
}

std::string_view TlsSession::buffered(int file_fd, uint64_t at, uint64_t left) const {
  if (file_fd != window_.fd || at < window_.offset || at >= window_.offset + window_.size) return {};
  auto skip = static_cast<size_t>(at - window_.offset);
  auto n = static_cast<size_t>(std::min<uint64_t>(window_.size - skip, left));
  return {file_buffer_.data() + skip, n};
}

void TlsSession::shutdown() {
  ScopedSigpipeBlock no_sigpipe;
  (void)SSL_shutdown(ssl_.get());
  ERR_clear_error();
}

std::string TlsSession::version() const { return SSL_get_version(ssl_.get()); }

std::string TlsSession::cipher() const {
  const SSL_CIPHER* c = SSL_get_current_cipher(ssl_.get());
  return c ? SSL_CIPHER_get_name(c) : "";
}

std::string TlsSession::peer_pin() const {
  X509Ptr cert(SSL_get1_peer_certificate(ssl_.get()));
  if (!cert) return {};
  auto pin = public_key_pin(X509_get0_pubkey(cert.get()));
  return pin ? *pin : std::string();
}

}  // namespace zcp
