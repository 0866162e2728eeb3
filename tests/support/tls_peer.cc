#include "support/tls_peer.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <chrono>

#include "zcp/base/socket.h"

namespace zcp::test {

TlsPeer::TlsPeer(const Credential& cred, Handler handler, int connections)
    : handler_(std::move(handler)) {
  auto ctx = TlsContext::for_server_pem(cred.cert_pem, cred.key_pem);
  EXPECT_TRUE(ctx.is_ok()) << ctx.status().to_string();
  if (ctx) ctx_ = std::make_unique<TlsContext>(std::move(*ctx));
  auto l = listen_tcp(SocketAddress::loopback_v4(0));
  EXPECT_TRUE(l.is_ok()) << l.status().to_string();
  if (!l || !ctx_) return;
  listener_ = std::move(*l);
  port_ = local_address(listener_.get())->port();
  thread_ = std::thread([this, connections] { serve(connections); });
}

TlsPeer::~TlsPeer() {
  if (thread_.joinable()) thread_.join();
}

void TlsPeer::serve(int connections) {
  for (int i = 0; i < connections; ++i) {
    auto conn = accept_connection(listener_.get());
    if (!conn) return;
    if (!set_blocking_with_timeout(conn->get(), std::chrono::seconds(5))) continue;
    auto s = TlsSession::server(*ctx_, conn->get());
    if (!s) continue;
    if ((*s)->handshake_within(std::chrono::seconds(5))) {
      handler_(**s);
      (*s)->shutdown();
    }
    ::shutdown(conn->get(), SHUT_RDWR);
  }
}

std::string read_head(TlsSession& s, std::string* extra) {
  std::string got;
  char buf[4096];
  for (;;) {
    size_t end = got.find("\r\n\r\n");
    if (end != std::string::npos) {
      if (extra) *extra = got.substr(end + 4);
      return got.substr(0, end + 4);
    }
    auto n = s.read(buf, sizeof(buf));
    if (!n || *n == 0) return {};
    got.append(buf, *n);
  }
}

std::string read_n(TlsSession& s, size_t n) {
  std::string got;
  std::string buf(64 * 1024, '\0');
  while (got.size() < n) {
    auto r = s.read(buf.data(), std::min(buf.size(), n - got.size()));
    if (!r || *r == 0) break;
    got.append(buf.data(), *r);
  }
  return got;
}

}  // namespace zcp::test
