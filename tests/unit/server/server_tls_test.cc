// HTTPS in `zcp serve`: which --tls-* combinations are refused, the
// plain-text warning, the expected body path, and a real exchange over
// loopback (a file, and nginx's 400 for plain HTTP) with no fd leaked.
#include "zcp/server/server_tls.h"

#include <sys/socket.h>

#include "support/test_support.h"
#include "zcp/base/socket.h"
#include "zcp/tls/cert_gen.h"
#include "zcp/tls/sniff.h"
#include "zcp/tls/tls_session.h"

namespace zcp {
namespace {

TEST(CheckTlsConfig, RefusesHalfPairsAndClashes) {
  ServerConfig c;
  EXPECT_TRUE(check_tls_config(c).is_ok());
  EXPECT_FALSE(tls_configured(c));
  c.tls_cert = "a.pem";
  EXPECT_NE(check_tls_config(c).to_string().find("--tls-cert needs --tls-key"), std::string::npos);
  c.tls_key = "a.key";
  EXPECT_TRUE(check_tls_config(c).is_ok());
  c.tls_self_signed = true;
  EXPECT_EQ(check_tls_config(c).code(), Code::kInvalid);
  c = ServerConfig{};
  c.tls_key = "a.key";
  EXPECT_NE(check_tls_config(c).to_string().find("--tls-key needs --tls-cert"), std::string::npos);
  c = ServerConfig{};
  c.tls_self_signed = true;
  EXPECT_TRUE(check_tls_config(c).is_ok());
  EXPECT_TRUE(tls_configured(c));
  c.raw_file = "f";
  EXPECT_EQ(check_tls_config(c).code(), Code::kInvalid);
}

TEST(PlaintextRiskWarning, OnlyOffLoopbackWithoutTls) {
  EXPECT_EQ(plaintext_risk_warning("127.0.0.1:8080", false, true, true), "");
  EXPECT_EQ(plaintext_risk_warning("[::1]:8080", false, true, true), "");
  EXPECT_EQ(plaintext_risk_warning("0.0.0.0:8080", true, true, true), "");
  EXPECT_EQ(plaintext_risk_warning("0.0.0.0:8080", false, false, false), "");
  std::string w = plaintext_risk_warning("0.0.0.0:8080", false, true, true);
  EXPECT_NE(w.find("--token"), std::string::npos) << w;
  EXPECT_NE(w.find("clear text"), std::string::npos) << w;
  w = plaintext_risk_warning("[2001:db8::1]:80", false, false, true);
  EXPECT_NE(w.find("uploaded"), std::string::npos) << w;
  EXPECT_EQ(w.find("--token"), std::string::npos) << w;
}

TEST(ExpectedTlsPath, KernelDecides) {
  EXPECT_EQ(expected_tls_path(KernelTls{true, ""}), BodyPath::kKtls);
  EXPECT_EQ(expected_tls_path(KernelTls{false, "no CONFIG_TLS"}), BodyPath::kUserspace);
  EXPECT_EQ(choose_send_path(true, false, true), BodyPath::kUserspace);
  EXPECT_EQ(choose_send_path(true, true, true), BodyPath::kKtls);
}

class ServerTlsTest : public test::FdLeakCheck {
 protected:
  void SetUp() override {
    test::FdLeakCheck::SetUp();
    auto cred = make_self_signed();
    ASSERT_TRUE(cred.is_ok());
    cred_ = *cred;
    test::write_file(dir_.file("cert.pem"), cred_.cert_pem);
    test::write_file(dir_.file("key.pem"), cred_.key_pem);
    test::write_file(dir_.file("a.bin"), data_);
    ServerConfig c;
    c.root = dir_.path();
    c.listen = "127.0.0.1:0";
    c.workers = 1;
    c.tls_cert = dir_.file("cert.pem");
    c.tls_key = dir_.file("key.pem");
    server_ = std::make_unique<test::RunningServer>(std::move(c));
    ASSERT_TRUE(server_->ok());
  }
  void TearDown() override {
    server_.reset();
    test::FdLeakCheck::TearDown();
  }
  test::TempDir dir_;
  Credential cred_;
  std::string data_ = test::pattern_bytes(1 << 20);
  std::unique_ptr<test::RunningServer> server_;
};

TEST_F(ServerTlsTest, ServesAFileThroughTheSession) {
  TlsOptions o;
  o.pin = cred_.pin;
  auto ctx = TlsContext::for_client(o);
  ASSERT_TRUE(ctx.is_ok());
  auto fd = connect_tcp(server_->address());
  ASSERT_TRUE(fd.is_ok());
  auto s = TlsSession::client(*ctx, fd->get(), "127.0.0.1");
  ASSERT_TRUE(s.is_ok());
  ASSERT_TRUE((*s)->handshake_within(std::chrono::seconds(5)).is_ok());
  ASSERT_TRUE((*s)->write("GET /a.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").is_ok());
  std::string got;
  char buf[65536];
  for (;;) {
    auto n = (*s)->read(buf, sizeof(buf));
    if (!n || *n == 0) break;
    got.append(buf, *n);
  }
  ASSERT_EQ(got.rfind("HTTP/1.1 200 OK\r\n", 0), 0U) << got.substr(0, 200);
  size_t body = got.find("\r\n\r\n");
  ASSERT_NE(body, std::string::npos);
  EXPECT_TRUE(test::same_bytes(got.substr(body + 4), data_));
}

TEST_F(ServerTlsTest, PlainHttpGetsNginxs400) {
  auto fd = connect_tcp(server_->address());
  ASSERT_TRUE(fd.is_ok());
  std::string req = "GET /a.bin HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(::send(fd->get(), req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
  test::Drainer d(fd->get());
  EXPECT_EQ(d.take(), std::string(kPlainHttpOnTlsPort));
}

}  // namespace
}  // namespace zcp
