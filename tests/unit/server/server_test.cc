// The server in-process on port 0 over real loopback sockets: responses,
// keep-alive, shutdown, and no descriptor left behind (wdt's FdTest), each
// on both event loops (epoll, io_uring).
#include "zcp/server.h"

#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "support/test_support.h"

namespace zcp {
namespace {

ServerConfig serving(const std::string& root) {
  ServerConfig c;
  c.root = root;
  return c;
}

class ServerTest : public test::FdLeakCheck,
                   public ::testing::WithParamInterface<ServerConfig::EventLoop> {
 protected:
  void start(ServerConfig cfg) {
    cfg.listen = "127.0.0.1:0";
    cfg.workers = 2;
    cfg.event_loop = GetParam();
    server_ = std::make_unique<test::RunningServer>(std::move(cfg));
    ASSERT_TRUE(server_->ok());
  }
  void TearDown() override {
    server_.reset();  // stops and joins before the descriptor count
    test::FdLeakCheck::TearDown();
  }
  // Sends `request` raw and reads until the server closes.
  std::string exchange(const std::string& request) {
    auto fd = connect_tcp(server_->address());
    EXPECT_TRUE(fd.is_ok());
    EXPECT_EQ(::send(fd->get(), request.data(), request.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(request.size()));
    test::Drainer d(fd->get());
    return d.take();
  }

  test::TempDir dir_;
  std::unique_ptr<test::RunningServer> server_;
};

TEST_P(ServerTest, ServesAFileExactly) {
  std::string data = test::pattern_bytes(300001);
  test::write_file(dir_.file("a.bin"), data);
  start(serving(dir_.path()));
  std::string got = exchange("GET /a.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  ASSERT_EQ(got.rfind("HTTP/1.1 200 OK\r\n", 0), 0U) << got.substr(0, 200);
  EXPECT_NE(got.find("Content-Length: 300001\r\n"), std::string::npos);
  size_t body = got.find("\r\n\r\n");
  ASSERT_NE(body, std::string::npos);
  EXPECT_TRUE(test::same_bytes(got.substr(body + 4), data));
}

TEST_P(ServerTest, PipelinedRequestsAnsweredInOrder) {
  test::write_file(dir_.file("1.txt"), "one");
  test::write_file(dir_.file("2.txt"), "two");
  start(serving(dir_.path()));
  std::string got = exchange(
      "GET /1.txt HTTP/1.1\r\nHost: x\r\n\r\nGET /missing HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /2.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  size_t a = got.find("\r\n\r\none"), b = got.find("HTTP/1.1 404"), c = got.find("\r\n\r\ntwo");
  ASSERT_NE(a, std::string::npos) << got;
  ASSERT_NE(b, std::string::npos) << got;
  ASSERT_NE(c, std::string::npos) << got;
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
}

TEST_P(ServerTest, MalformedRequestGets400AndClose) {
  start(serving(dir_.path()));
  std::string got = exchange("GET / HTTP/1.1\r\nNo colon here\r\n\r\n");
  EXPECT_EQ(got.rfind("HTTP/1.1 400", 0), 0U) << got;
  EXPECT_NE(got.find("Connection: close"), std::string::npos);
}

TEST_P(ServerTest, HugeHeadGets431) {
  start(serving(dir_.path()));
  std::string req = "GET / HTTP/1.1\r\nX: " + std::string(64 * 1024, 'a') + "\r\n\r\n";
  std::string got = exchange(req);
  EXPECT_EQ(got.rfind("HTTP/1.1 431", 0), 0U) << got.substr(0, 100);
}

TEST_P(ServerTest, RawModeSendsTheFileAndCloses) {
  std::string data = test::pattern_bytes(123457);
  test::write_file(dir_.file("raw.bin"), data);
  ServerConfig raw;
  raw.raw_file = dir_.file("raw.bin");
  start(raw);
  auto fd = connect_tcp(server_->address());
  ASSERT_TRUE(fd.is_ok());
  test::Drainer d(fd->get());
  EXPECT_TRUE(test::same_bytes(d.take(), data));
}

TEST_P(ServerTest, EveryEngineServesTheSameBytes) {
  std::string data = test::pattern_bytes((5 << 20) + 3);
  test::write_file(dir_.file("e.bin"), data);
  for (const char* engine : {"copy", "splice", "mmap", "sendfile"}) {
    ServerConfig cfg = serving(dir_.path());
    cfg.engine = *parse_engine_spec(engine);
    start(cfg);
    std::string got = exchange("GET /e.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    size_t body = got.find("\r\n\r\n");
    ASSERT_NE(body, std::string::npos) << engine;
    EXPECT_TRUE(test::same_bytes(got.substr(body + 4), data)) << engine;
    server_.reset();
  }
}

TEST_P(ServerTest, RunsTheEventLoopAskedFor) {
  start(serving(dir_.path()));
  bool uring = GetParam() == ServerConfig::EventLoop::kIoUring;
  EXPECT_STREQ(server_->server().event_loop(), uring ? "io_uring" : "epoll");
  EXPECT_EQ(server_->server().event_loop_note(), "");
}

// Keep-alive over one connection, many times: each reply must leave
// before the next request is read (one SEND in flight per connection).
TEST_P(ServerTest, KeepAliveRequestsOnOneConnection) {
  std::string data = test::pattern_bytes(4096);
  test::write_file(dir_.file("k.bin"), data);
  start(serving(dir_.path()));
  auto fd = connect_tcp(server_->address());
  ASSERT_TRUE(fd.is_ok());
  const std::string req = "GET /k.bin HTTP/1.1\r\nHost: x\r\n\r\n";
  for (int i = 0; i < 200; ++i) {
    ASSERT_EQ(::send(fd->get(), req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
    std::string got;
    char buf[8192];
    while (got.size() < data.size() || got.find("\r\n\r\n") == std::string::npos ||
           got.size() - got.find("\r\n\r\n") - 4 < data.size()) {
      ssize_t n = ::recv(fd->get(), buf, sizeof buf, 0);
      ASSERT_GT(n, 0) << "request " << i;
      got.append(buf, static_cast<size_t>(n));
    }
    ASSERT_EQ(got.rfind("HTTP/1.1 200 OK\r\n", 0), 0U) << i;
    EXPECT_TRUE(test::same_bytes(got.substr(got.find("\r\n\r\n") + 4), data)) << i;
  }
}

INSTANTIATE_TEST_SUITE_P(EventLoops, ServerTest,
                         ::testing::Values(ServerConfig::EventLoop::kEpoll, ServerConfig::EventLoop::kIoUring),
                         [](const auto& info) {
                           return info.param == ServerConfig::EventLoop::kIoUring ? "io_uring" : "epoll";
                         });

TEST(ServerCreate, ErrorsNameWhatFailed) {
  auto s = Server::create(serving("/nonexistent/zcp-root"));
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.status().to_string().find("/nonexistent/zcp-root"), std::string::npos);
  ServerConfig cfg = serving(".");
  cfg.listen = "127.0.0.1:99999";
  auto bad = Server::create(cfg);
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().code(), Code::kInvalid);
}

}  // namespace
}  // namespace zcp
