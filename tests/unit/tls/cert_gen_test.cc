// Generated certificates and their pins: the pin is the one openssl's own
// tools compute, and the one curl --pinnedpubkey accepts against a live
// TLS server in this process.
#include "zcp/tls/cert_gen.h"

#include <sys/socket.h>

#include <thread>

#include "support/test_support.h"
#include "zcp/base/socket.h"
#include "zcp/tls/pin.h"
#include "zcp/tls/tls_session.h"

namespace zcp {
namespace {

TEST(CertGen, PinMatchesOpensslTools) {
  auto cred = make_self_signed({"zcp.test", "10.1.2.3"});
  ASSERT_TRUE(cred.is_ok()) << cred.status().to_string();
  EXPECT_EQ(pin_of_certificate(cred->cert_pem).value(), cred->pin);
  test::TempDir dir;
  test::write_file(dir.file("c.pem"), cred->cert_pem);
  auto r = test::run_command("openssl x509 -in " + dir.file("c.pem") +
                             " -pubkey -noout | openssl pkey -pubin -outform der |"
                             " openssl dgst -sha256 -binary | base64");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ("sha256//" + r.output.substr(0, r.output.find('\n')), cred->pin);
  auto text = test::run_command("openssl x509 -in " + dir.file("c.pem") + " -noout -text");
  EXPECT_NE(text.output.find("DNS:zcp.test"), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("IP Address:10.1.2.3"), std::string::npos) << text.output;
}

TEST(CertGen, ParsePins) {
  auto a = make_self_signed();
  auto b = make_self_signed();
  ASSERT_TRUE(a.is_ok() && b.is_ok());
  EXPECT_NE(a->pin, b->pin);
  auto both = parse_pins(a->pin + ";" + b->pin);
  ASSERT_TRUE(both.is_ok()) << both.status().to_string();
  EXPECT_TRUE(pin_matches(*both, b->pin));
  EXPECT_FALSE(parse_pins("sha256//short=").is_ok());
  EXPECT_FALSE(parse_pins("/path/to/key.pem").is_ok());
  EXPECT_FALSE(parse_pins("").is_ok());
}

// Answers one HTTPS request with "ok" on a loopback listener.
class TinyHttpsServer {
 public:
  explicit TinyHttpsServer(const Credential& cred) {
    auto ctx = TlsContext::for_server_pem(cred.cert_pem, cred.key_pem);
    EXPECT_TRUE(ctx.is_ok()) << ctx.status().to_string();
    ctx_ = std::make_unique<TlsContext>(std::move(*ctx));
    auto l = listen_tcp(SocketAddress::loopback_v4(0));
    EXPECT_TRUE(l.is_ok());
    listener_ = std::move(*l);
    port_ = local_address(listener_.get())->port();
    thread_ = std::thread([this] { serve(); });
  }
  ~TinyHttpsServer() { thread_.join(); }
  uint16_t port() const { return port_; }

 private:
  void serve() {
    auto conn = accept_connection(listener_.get());
    if (!conn) return;
    ASSERT_TRUE(set_blocking_with_timeout(conn->get(), std::chrono::seconds(5)).is_ok());
    auto s = TlsSession::server(*ctx_, conn->get());
    if (!s || !(*s)->handshake_within(std::chrono::seconds(5))) return;
    std::string req;
    char buf[4096];
    while (req.find("\r\n\r\n") == std::string::npos) {
      auto n = (*s)->read(buf, sizeof(buf));
      if (!n || *n == 0) return;
      req.append(buf, *n);
    }
    (void)(*s)->write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
    (*s)->shutdown();
  }
  std::unique_ptr<TlsContext> ctx_;
  UniqueFd listener_;
  uint16_t port_ = 0;
  std::thread thread_;
};

TEST(CertGen, CurlAcceptsThePin) {
  auto cred = make_self_signed();
  ASSERT_TRUE(cred.is_ok());
  {
    TinyHttpsServer server(*cred);
    auto r = test::run_command("curl -sS -k --pinnedpubkey '" + cred->pin +
                               "' https://127.0.0.1:" + std::to_string(server.port()) + "/");
    EXPECT_EQ(r.code, 0) << r.output;
    EXPECT_EQ(r.output, "ok");
  }
  {
    auto other = make_self_signed();
    ASSERT_TRUE(other.is_ok());
    TinyHttpsServer server(*cred);
    auto r = test::run_command("curl -sS -k --pinnedpubkey '" + other->pin +
                               "' https://127.0.0.1:" + std::to_string(server.port()) + "/");
    EXPECT_EQ(r.code, 90) << r.output;  // CURLE_SSL_PINNEDPUBKEYNOTMATCH
  }
}

}  // namespace
}  // namespace zcp
