// HttpClient over https against an in-process TLS peer: a body landed in a
// file through user space (no kTLS here) or read into memory, chunked,
// keep-alive, and refusals that leave no descriptor behind.
#include <fcntl.h>

#include "support/test_support.h"
#include "support/tls_peer.h"
#include "zcp/http/http_client.h"
#include "zcp/tls/ktls.h"

namespace zcp {
namespace {

using std::chrono::milliseconds;
constexpr milliseconds kTimeout{5000};

class HttpClientTls : public test::FdLeakCheck {
 protected:
  Url url(uint16_t port) const {
    Url u;
    u.host = "127.0.0.1";
    u.port = port;
    u.tls = true;
    u.target = "/f";
    return u;
  }
  TlsOptions pinned() const {
    TlsOptions o;
    o.pin = cred_.pin;
    return o;
  }
  Credential cred_ = *make_self_signed();
  test::TempDir dir_;
};

TEST_F(HttpClientTls, BodyLandsInAFileThroughUserspace) {
  std::string data = test::pattern_bytes(5 * 1024 * 1024 + 3);
  std::string request;
  {
    test::TlsPeer peer(cred_, [&](TlsSession& s) {
      request = test::read_head(s);
      std::string head =
          "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(data.size()) + "\r\n\r\n";
      EXPECT_TRUE(s.write(head + data).is_ok());
    });
    auto c = HttpClient::connect(url(peer.port()), kTimeout, pinned());
    ASSERT_TRUE(c.is_ok()) << c.status().to_string();
    ASSERT_NE(c->tls(), nullptr);
    EXPECT_EQ(c->body_path(true), kernel_tls().available && c->tls()->ktls_recv()
                                      ? BodyPath::kKtls
                                      : BodyPath::kUserspace);
    ASSERT_TRUE(c->send_head("GET", "/f", {}).is_ok());
    auto head = c->read_head();
    ASSERT_TRUE(head.is_ok()) << head.status().to_string();
    EXPECT_EQ(head->status, 200);
    BodyReader body = c->body(*head);
    UniqueFd out = test::open_or_die(dir_.file("out"), O_RDWR | O_CREAT | O_TRUNC);
    auto engine = make_splice_receiver(1 << 20);
    auto n = body.rest_to_file(out.get(), 0, *engine, {});
    ASSERT_TRUE(n.is_ok()) << n.status().to_string();
    EXPECT_EQ(*n, data.size());
    EXPECT_TRUE(body.done());
  }
  EXPECT_EQ(request.rfind("GET /f HTTP/1.1\r\nHost: 127.0.0.1:", 0), 0u) << request;
  EXPECT_TRUE(test::same_bytes(test::read_file(dir_.file("out")), data));
}

TEST_F(HttpClientTls, ChunkedAndKeepAlive) {
  test::TlsPeer peer(cred_, [&](TlsSession& s) {
    for (int i = 0; i < 2; ++i) {
      if (test::read_head(s).empty()) return;
      EXPECT_TRUE(s.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                          "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
                      .is_ok());
    }
  });
  auto c = HttpClient::connect(url(peer.port()), kTimeout, pinned());
  ASSERT_TRUE(c.is_ok()) << c.status().to_string();
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(c->send_head("GET", "/f", {}).is_ok());
    auto head = c->read_head();
    ASSERT_TRUE(head.is_ok()) << head.status().to_string();
    BodyReader body = c->body(*head);
    std::string got;
    for (;;) {
      auto n = body.read(got, 1024);
      ASSERT_TRUE(n.is_ok()) << n.status().to_string();
      if (*n == 0) break;
    }
    EXPECT_EQ(got, "hello world");
    EXPECT_TRUE(body.done());
  }
}

TEST_F(HttpClientTls, UntrustedLeavesNothingOpen) {
  test::TlsPeer peer(cred_, [](TlsSession&) {});
  auto c = HttpClient::connect(url(peer.port()), kTimeout, {});  // system store: self-signed
  ASSERT_FALSE(c.is_ok());
  EXPECT_EQ(c.status().code(), Code::kTlsUntrusted) << c.status().to_string();
  EXPECT_NE(c.status().to_string().find("self-signed"), std::string::npos);
}

TEST_F(HttpClientTls, TruncatedBodyIsAnError) {
  test::TlsPeer peer(cred_, [&](TlsSession& s) {
    test::read_head(s);
    EXPECT_TRUE(s.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten..").is_ok());
  });
  auto c = HttpClient::connect(url(peer.port()), kTimeout, pinned());
  ASSERT_TRUE(c.is_ok()) << c.status().to_string();
  ASSERT_TRUE(c->send_head("GET", "/f", {}).is_ok());
  auto head = c->read_head();
  ASSERT_TRUE(head.is_ok());
  BodyReader body = c->body(*head);
  UniqueFd out = test::open_or_die(dir_.file("out"), O_RDWR | O_CREAT | O_TRUNC);
  auto engine = make_splice_receiver(1 << 20);
  auto n = body.rest_to_file(out.get(), 0, *engine, {});
  EXPECT_FALSE(n.is_ok());
  EXPECT_EQ(n.status().code(), Code::kPeerClosed) << n.status().to_string();
}

}  // namespace
}  // namespace zcp
