// zcp put and zcp get's engine rooms over https against an in-process TLS
// peer: the body goes pread + SSL_write up and SSL_read + write down
// (user space: this kernel has no kTLS), byte for byte, and the result
// says which path it took.
#include <fcntl.h>

#include <filesystem>

#include "support/test_support.h"
#include "support/tls_peer.h"
#include "zcp/downloader.h"
#include "zcp/tls/ktls.h"
#include "zcp/uploader.h"

namespace zcp {
namespace {

class HttpsTransfer : public test::FdLeakCheck {
 protected:
  Url url(uint16_t port, const std::string& target) const {
    Url u;
    u.host = "127.0.0.1";
    u.port = port;
    u.tls = true;
    u.target = target;
    return u;
  }
  Credential cred_ = *make_self_signed();
  test::TempDir dir_;
};

TEST_F(HttpsTransfer, PutSendsTheFileOverTls) {
  std::string data = test::pattern_bytes(3 * 1024 * 1024 + 11);
  test::write_file(dir_.file("up.bin"), data);
  std::string head, body;
  PutResult result;
  {
    test::TlsPeer peer(cred_, [&](TlsSession& s) {
      std::string extra;
      head = test::read_head(s, &extra);
      body = extra + test::read_n(s, data.size() - extra.size());
      EXPECT_TRUE(s.write("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n").is_ok());
    });
    PutOptions o;
    o.tls.pin = cred_.pin;
    auto r = upload_file(dir_.file("up.bin"), url(peer.port(), "/up.bin"), o);
    ASSERT_TRUE(r.is_ok()) << r.error().to_string();
    result = *r;
  }
  EXPECT_EQ(result.status, 201);
  if (!kernel_tls().available) {
    EXPECT_EQ(result.path, "userspace");
  }
  EXPECT_NE(head.find("Content-Length: " + std::to_string(data.size())), std::string::npos) << head;
  EXPECT_TRUE(test::same_bytes(body, data));
}

TEST_F(HttpsTransfer, PutRefusedForPinMismatch) {
  test::write_file(dir_.file("up.bin"), "x");
  test::TlsPeer peer(cred_, [](TlsSession&) {});
  PutOptions o;
  o.tls.pin = make_self_signed()->pin;
  auto r = upload_file(dir_.file("up.bin"), url(peer.port(), "/up.bin"), o);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.error().kind, GetFailure::kTlsPin) << r.error().to_string();
}

TEST_F(HttpsTransfer, GetLandsTheFileOverTls) {
  std::string data = test::pattern_bytes(2 * 1024 * 1024 + 5);
  GetResult result;
  {
    test::TlsPeer peer(cred_, [&](TlsSession& s) {
      test::read_head(s);
      EXPECT_TRUE(s.write("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(data.size()) +
                          "\r\nConnection: close\r\n\r\n" + data)
                      .is_ok());
    });
    GetOptions o;
    o.dest = dir_.file("got.bin");
    o.streams = 1;
    o.tls.pin = cred_.pin;
    auto r = download(url(peer.port(), "/got.bin"), o);
    ASSERT_TRUE(r.is_ok()) << r.error().to_string();
    result = *r;
  }
  EXPECT_EQ(result.size, data.size());
  if (!kernel_tls().available) {
    EXPECT_EQ(result.path, "userspace");
  }
  EXPECT_TRUE(test::same_bytes(test::read_file(dir_.file("got.bin")), data));
}

// A keep-alive answer sends the connection back to the pool: the path is
// still the TLS connection's, not that of what the move left behind.
TEST_F(HttpsTransfer, GetIntoThePoolKeepsItsPath) {
  std::string data = test::pattern_bytes(300 * 1024);
  GetResult result;
  {
    test::TlsPeer peer(cred_, [&](TlsSession& s) {
      test::read_head(s);
      EXPECT_TRUE(s.write("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(data.size()) +
                          "\r\n\r\n" + data)
                      .is_ok());
    });
    ClientPool pool;
    GetOptions o;
    o.dest = dir_.file("pooled.bin");
    o.streams = 1;
    o.pool = &pool;
    o.tls.pin = cred_.pin;
    auto r = download(url(peer.port(), "/pooled.bin"), o);
    ASSERT_TRUE(r.is_ok()) << r.error().to_string();
    result = *r;
  }
  if (!kernel_tls().available) {
    EXPECT_EQ(result.path, "userspace");
  }
  EXPECT_TRUE(test::same_bytes(test::read_file(dir_.file("pooled.bin")), data));
}

TEST_F(HttpsTransfer, GetUntrustedIsCurls60AndLeavesNoFile) {
  test::TlsPeer peer(cred_, [](TlsSession&) {});
  GetOptions o;
  o.dest = dir_.file("got.bin");
  o.streams = 1;
  auto r = download(url(peer.port(), "/got.bin"), o);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.error().kind, GetFailure::kTlsUntrusted) << r.error().to_string();
  EXPECT_FALSE(std::filesystem::exists(o.dest));
  EXPECT_FALSE(std::filesystem::exists(o.dest + ".part"));
}

}  // namespace
}  // namespace zcp
