// The server in-process on port 0 over real loopback sockets: responses,
// keep-alive, shutdown, and no descriptor left behind (wdt's FdTest), each
// on both event loops (epoll, io_uring).
#include "zcp/server.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include "support/test_support.h"

namespace zcp {
namespace {

ServerConfig serving(const std::string& root) {
  ServerConfig c;
  c.root = root;
  return c;
}

// A client socket whose reads give up after 10 s: a server that stalls
// fails the test instead of hanging it.
UniqueFd client(const SocketAddress& addr) {
  auto fd = connect_tcp(addr);
  EXPECT_TRUE(fd.is_ok());
  timeval tv{10, 0};
  ::setsockopt(fd->get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  int one = 1;  // every send() its own segment (the byte-by-byte test)
  ::setsockopt(fd->get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return std::move(*fd);
}

void send_all(int fd, const std::string& bytes) {
  ASSERT_EQ(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL), static_cast<ssize_t>(bytes.size()));
}

// One response with a Content-Length body: its head and body, or what
// came before the socket timed out or closed.
struct Reply {
  std::string head, body;
};
Reply read_reply(int fd) {
  std::string got;
  char buf[16384];
  size_t end = std::string::npos, length = 0;
  for (;;) {
    if (end == std::string::npos && (end = got.find("\r\n\r\n")) != std::string::npos) {
      size_t at = got.find("Content-Length: ");
      length = at < end ? std::strtoull(got.c_str() + at + 16, nullptr, 10) : 0;
    }
    if (end != std::string::npos && got.size() >= end + 4 + length) break;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;  // with SO_RCVTIMEO a signal is not restarted
    if (n <= 0) return {got + (n == 0 ? "[eof]" : "[recv: " + std::string(std::strerror(errno)) + "]"), ""};
    got.append(buf, static_cast<size_t>(n));
  }
  return {got.substr(0, end + 4), got.substr(end + 4, length)};
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

// A head that arrives a byte per segment: under io_uring every byte is a
// completion of the multishot RECV, parsed as it comes; twice on one
// connection, so the RECV stays armed across the reply.
TEST_P(ServerTest, RequestSplitByteByByte) {
  std::string data = test::pattern_bytes(4096);
  test::write_file(dir_.file("b.bin"), data);
  start(serving(dir_.path()));
  UniqueFd fd = client(server_->address());
  const std::string req = "GET /b.bin HTTP/1.1\r\nHost: x\r\n\r\n";
  for (int round = 0; round < 2; ++round) {
    for (char ch : req) {
      send_all(fd.get(), std::string(1, ch));
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    Reply r = read_reply(fd.get());
    ASSERT_EQ(r.head.rfind("HTTP/1.1 200 OK\r\n", 0), 0U) << round << ": " << r.head;
    EXPECT_TRUE(test::same_bytes(r.body, data)) << round;
  }
}

// More connections with a request in flight than the io_uring loop has
// receive buffers (ZCP_TEST_URING_BUFFERS=2 of 2 KiB per worker), and
// heads of 12 KiB (six buffers' worth, in one segment): RECVs that find the
// pool empty end with ENOBUFS and must be re-armed, not stall or lose
// bytes; every request is answered, twice per connection (keep-alive).
TEST_P(ServerTest, MoreConnectionsThanRingBuffers) {
  std::string data = test::pattern_bytes(4096);
  test::write_file(dir_.file("c.bin"), data);
  ::setenv("ZCP_TEST_URING_BUFFERS", "2", 1);
  start(serving(dir_.path()));
  ::unsetenv("ZCP_TEST_URING_BUFFERS");  // read by each worker as it started
  std::vector<UniqueFd> conns;
  for (int i = 0; i < 64; ++i) conns.push_back(client(server_->address()));
  const std::string req = "GET /c.bin HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(12000, 'p') + "\r\n\r\n";
  for (int round = 0; round < 2; ++round) {
    for (auto& c : conns) send_all(c.get(), req);  // all at once: the pool runs dry
    for (size_t i = 0; i < conns.size(); ++i) {
      Reply r = read_reply(conns[i].get());
      ASSERT_EQ(r.head.rfind("HTTP/1.1 200 OK\r\n", 0), 0U) << "round " << round << ", connection " << i << ": " << r.head.substr(0, 300);
      EXPECT_TRUE(test::same_bytes(r.body, data)) << "round " << round << ", connection " << i;
    }
  }
}

// A PUT after a GET on one keep-alive connection, its head and 7000 body
// bytes in one segment, the rest later: under io_uring the multishot RECV
// (2 KiB buffers) takes that segment as several completions in one turn,
// so when the PUT is parsed from the first, the others are already in; the
// RECV must stop and hand them to the upload, which reads the rest from
// the socket. The stored file is the whole body; the connection goes on.
TEST_P(ServerTest, PutAfterGetOnOneConnection) {
  test::write_file(dir_.file("g.txt"), "got me");
  ServerConfig cfg = serving(dir_.path());
  cfg.upload = true;
  start(cfg);
  std::string body = test::pattern_bytes(300000);
  UniqueFd fd = client(server_->address());
  for (int round = 0; round < 2; ++round) {
    send_all(fd.get(), "GET /g.txt HTTP/1.1\r\nHost: x\r\n\r\n");
    Reply r = read_reply(fd.get());
    ASSERT_EQ(r.head.rfind("HTTP/1.1 200 OK\r\n", 0), 0U) << r.head;
    EXPECT_EQ(r.body, "got me");
    std::string name = "up" + std::to_string(round) + ".bin";
    send_all(fd.get(), "PUT /" + name + " HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                           std::to_string(body.size()) + "\r\n\r\n" + body.substr(0, 7000));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    send_all(fd.get(), body.substr(7000));
    r = read_reply(fd.get());
    ASSERT_EQ(r.head.rfind("HTTP/1.1 20", 0), 0U) << r.head << r.body;
    EXPECT_TRUE(test::same_bytes(test::read_file(dir_.file(name)), body));
  }
  send_all(fd.get(), "GET /up1.bin HTTP/1.1\r\nHost: x\r\n\r\n");
  Reply r = read_reply(fd.get());
  ASSERT_EQ(r.head.rfind("HTTP/1.1 200 OK\r\n", 0), 0U) << r.head;
  EXPECT_TRUE(test::same_bytes(r.body, body));
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
