#include "zcp/base/socket.h"

#include <sys/socket.h>
#include <unistd.h>

#include "support/test_support.h"

namespace zcp {
namespace {

class SocketTest : public test::FdLeakCheck {};

TEST(HostPort, ParsesV4V6AndNames) {
  auto a = parse_host_port("127.0.0.1:8080");
  ASSERT_TRUE(a.is_ok());
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 8080);
  auto b = parse_host_port("[::1]:9");
  ASSERT_TRUE(b.is_ok());
  EXPECT_EQ(b->host, "::1");
  EXPECT_EQ(b->port, 9);
  auto c = parse_host_port("localhost", 80);
  ASSERT_TRUE(c.is_ok());
  EXPECT_EQ(c->port, 80);
  auto d = parse_host_port("[fe80::1]", 443);
  ASSERT_TRUE(d.is_ok());
  EXPECT_EQ(d->host, "fe80::1");
}

TEST(HostPort, RejectsBadInputClearly) {
  for (const char* bad : {"", ":80", "host:", "host:99999", "host:8x", "[::1", "::1:80",
                          "[::1]x80", "host"}) {
    auto r = parse_host_port(bad);
    EXPECT_FALSE(r.is_ok()) << bad;
    EXPECT_EQ(r.status().code(), Code::kInvalid) << bad;
  }
}

TEST_F(SocketTest, ListenConnectAcceptV4AndV6) {
  for (bool v6 : {false, true}) {
    auto pair = test::loopback_pair(v6);
    ASSERT_TRUE(pair.client.valid() && pair.server.valid());
    ASSERT_EQ(::send(pair.client.get(), "x", 1, 0), 1);
    char c = 0;
    ASSERT_EQ(::recv(pair.server.get(), &c, 1, 0), 1);
    EXPECT_EQ(c, 'x');
    auto peer = peer_address(pair.server.get());
    ASSERT_TRUE(peer.is_ok());
    EXPECT_EQ(peer->to_string().rfind(v6 ? "[::1]:" : "127.0.0.1:", 0), 0U) << peer->to_string();
  }
}

TEST_F(SocketTest, ConnectErrorNamesTheAddress) {
  // Bind a port, then close it: nothing listens there now.
  uint16_t port;
  {
    auto l = listen_tcp(SocketAddress::loopback_v4(0));
    ASSERT_TRUE(l.is_ok());
    port = local_address(l->get())->port();
  }
  auto c = connect_tcp(SocketAddress::loopback_v4(port));
  ASSERT_FALSE(c.is_ok());
  EXPECT_EQ(c.status().to_string(),
            "connect 127.0.0.1:" + std::to_string(port) + ": Connection refused");
  EXPECT_TRUE(c.status().retryable());
}

TEST_F(SocketTest, BindErrorNamesTheAddress) {
  auto l = listen_tcp(SocketAddress::loopback_v4(0));
  ASSERT_TRUE(l.is_ok());
  auto again = listen_tcp(*local_address(l->get()));
  ASSERT_FALSE(again.is_ok());
  EXPECT_NE(again.status().to_string().find("bind 127.0.0.1:"), std::string::npos);
  EXPECT_NE(again.status().to_string().find("Address already in use"), std::string::npos);
}

TEST_F(SocketTest, ReusePortLetsWorkersShare) {
  auto a = listen_tcp(SocketAddress::loopback_v4(0), {.reuse_port = true});
  ASSERT_TRUE(a.is_ok());
  auto b = listen_tcp(*local_address(a->get()), {.reuse_port = true});
  EXPECT_TRUE(b.is_ok()) << b.status().to_string();
}

TEST(Resolve, LocalhostAndErrors) {
  auto r = resolve({"127.0.0.1", 80});
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->to_string(), "127.0.0.1:80");
  auto v6 = resolve({"::1", 80});
  ASSERT_TRUE(v6.is_ok()) << v6.status().to_string();
  EXPECT_EQ(v6->to_string(), "[::1]:80");
  auto bad = resolve({"no-such-host.invalid", 80});
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().to_string().find("no-such-host.invalid"), std::string::npos);
}

}  // namespace
}  // namespace zcp
