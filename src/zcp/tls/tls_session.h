// TlsSession: one TLS connection over a borrowed TCP socket, as a
// ByteStream. The handshake goes step by step (handshake() returns
// want-read / want-write on a non-blocking socket) so an epoll loop can
// drive it; handshake_within() does the same for a blocking client with a
// deadline. After the handshake a client's session has checked the peer
// (chain, host name, pins) before any byte of a request goes out. Bodies:
// send_file() uses SSL_sendfile only when kTLS send is on, pread +
// SSL_write otherwise; splice_fd() offers the socket for splice only when
// kTLS receive is on.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "zcp/base/stream.h"
#include "zcp/status.h"
#include "zcp/tls/ossl.h"
#include "zcp/tls/tls_context.h"

namespace zcp {

enum class HandshakeStep { kDone, kWantRead, kWantWrite, kError };

class TlsSession final : public ByteStream {
 public:
  // `fd` is borrowed, connected, and outlives the session. `host` is sent
  // as SNI (unless an IP literal) and checked against the certificate.
  static Result<std::unique_ptr<TlsSession>> client(const TlsContext& ctx, int fd,
                                                    const std::string& host);
  static Result<std::unique_ptr<TlsSession>> server(const TlsContext& ctx, int fd);
  ~TlsSession() override = default;

  // One step of the handshake; kError: error() says why (kTlsHandshake,
  // kTlsUntrusted, kTlsPinMismatch).
  HandshakeStep handshake();
  const Status& error() const { return error_; }
  // Steps, polling the socket, until done or `timeout` (0: none) passes.
  Status handshake_within(std::chrono::milliseconds timeout);

  // ByteStream. read(): 0 at close_notify; a close without it is an error
  // (kPeerClosed: the body may be truncated). On a non-blocking socket
  // "not yet" is kWouldBlock; on a blocking one with SO_RCVTIMEO, ETIMEDOUT.
  Result<size_t> read(char* buf, size_t n) override;
  Status write(std::string_view data) override;
  size_t pending() const override;
  // Decrypted bytes only (SSL_pending): what a read() returns at once. A
  // partial record counts in pending() but needs the socket first.
  size_t plaintext_pending() const;
  // Only when the kernel decrypts and OpenSSL holds no plaintext that a
  // splice from the socket would skip.
  int splice_fd() const override { return ktls_recv_ && pending() == 0 ? fd_ : -1; }
  int fd() const override { return fd_; }

  // Writes what the socket takes now (non-blocking servers): bytes taken,
  // kWouldBlock when none.
  Result<size_t> write_some(std::string_view data);
  // `n` bytes of `file_fd` from `offset`; `*moved` counts what went out
  // (resume at offset + *moved after kWouldBlock).
  Status send_file(int file_fd, uint64_t offset, uint64_t n, uint64_t* moved);
  // close_notify, best effort (the peer may be gone).
  void shutdown();

  bool ktls_send() const { return ktls_send_; }
  bool ktls_recv() const { return ktls_recv_; }
  std::string version() const;  // "TLSv1.3"
  std::string cipher() const;   // "TLS_AES_256_GCM_SHA384"
  // The peer certificate's pin ("" when it sent none).
  std::string peer_pin() const;

 private:
  TlsSession(SslPtr ssl, int fd, bool server, std::string host);
  Status step_until(std::chrono::milliseconds timeout);
  Status check_peer();  // client: chain, host name, pins
  Status io_error(const char* op, int ret);

  SslPtr ssl_;
  int fd_;
  bool server_;
  bool blocking_ = true;  // the socket's mode when the session began
  std::string host_;
  std::vector<std::string> pins_;
  bool insecure_ = false;
  std::string flags_;  // TlsContext::flags(), for the refusal's hint
  bool ktls_send_ = false;
  bool ktls_recv_ = false;
  Status error_;
  std::vector<char> file_buffer_;  // send_file without kTLS
  // What file_buffer_ holds that has not gone out yet. A non-blocking
  // caller returns for it at offset + moved after EAGAIN; reading it
  // again would copy up to a buffer-full per wakeup that sent a few
  // records (measured: 1.5x the file's bytes pread). Emptied when the
  // last of it is sent, so a later file on the same descriptor number
  // never meets bytes of the one before.
  struct FileWindow {
    int fd = -1;
    uint64_t offset = 0;
    size_t size = 0;
  } window_;
  std::string_view buffered(int file_fd, uint64_t at, uint64_t left) const;
};

// The buffer a user-space body passes through when kTLS is off (pread +
// SSL_write, SSL_read + write): measured in docs/BENCHMARKS.md.
inline constexpr size_t kTlsBodyBuffer = 256 * 1024;

}  // namespace zcp
