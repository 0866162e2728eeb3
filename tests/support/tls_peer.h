// An in-process TLS server for tests: listens on 127.0.0.1 port 0, and for
// each of `connections` accepts, handshakes and hands the session to a
// handler on its own thread. Not HTTP: handlers read and write what they
// want (read_head() helps).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "zcp/fd.h"
#include "zcp/tls/cert_gen.h"
#include "zcp/tls/tls_session.h"

namespace zcp::test {

class TlsPeer {
 public:
  using Handler = std::function<void(TlsSession&)>;
  TlsPeer(const Credential& cred, Handler handler, int connections = 1);
  ~TlsPeer();  // joins
  TlsPeer(const TlsPeer&) = delete;
  TlsPeer& operator=(const TlsPeer&) = delete;
  uint16_t port() const { return port_; }

 private:
  void serve(int connections);
  std::unique_ptr<TlsContext> ctx_;
  Handler handler_;
  UniqueFd listener_;
  uint16_t port_ = 0;
  std::thread thread_;
};

// Reads up to and including the blank line of a request head ("" on EOF
// or error); body bytes read past it are appended to `extra`.
std::string read_head(TlsSession& s, std::string* extra = nullptr);
// Reads exactly `n` bytes (fewer on EOF or error).
std::string read_n(TlsSession& s, size_t n);

}  // namespace zcp::test
