// HttpClient against zcp's own server in-process (files spliced to disk,
// ranges, keep-alive, HEAD, 404, chunked tar, IPv6) and against canned
// responses on a raw socket (head parsing, framing, errors, timeouts).
#include "zcp/http/http_client.h"

#include <fcntl.h>
#include <sys/socket.h>

#include <chrono>
#include <thread>

#include "support/test_support.h"
#include "zcp/server.h"

namespace zcp {
namespace {

using std::chrono::milliseconds;
using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr milliseconds kTimeout{5000};

// Reads the rest of `body` into memory, failing the test on an error.
std::string read_body(BodyReader& body) {
  std::string out;
  for (;;) {
    auto n = body.read(out, 65536);
    EXPECT_TRUE(n.is_ok()) << n.status().to_string();
    if (!n || *n == 0) return out;
  }
}

// Answers one connection with `pieces` (sent apart) after reading a
// request head, then closes it.
class CannedServer {
 public:
  void start(std::vector<std::string> pieces) {
    auto listener = listen_tcp(SocketAddress::loopback_v4(0));
    ASSERT_TRUE(listener.is_ok()) << listener.status().to_string();
    listener_ = std::move(*listener);
    port_ = local_address(listener_.get())->port();
    thread_ = std::thread([this, pieces = std::move(pieces)] { serve(pieces); });
  }
  ~CannedServer() { join(); }

  Url url() const {
    Url u;
    u.host = "127.0.0.1";
    u.port = port_;
    return u;
  }
  // The request as received (after join()).
  const std::string& request() const { return request_; }
  void join() {
    if (thread_.joinable()) thread_.join();
  }

 private:
  void serve(const std::vector<std::string>& pieces) {
    auto conn = accept_connection(listener_.get());
    if (!conn) return;
    char buf[4096];
    while (request_.find("\r\n\r\n") == std::string::npos) {
      ssize_t n = ::recv(conn->get(), buf, sizeof(buf), 0);
      if (n <= 0) return;
      request_.append(buf, static_cast<size_t>(n));
    }
    for (const auto& piece : pieces) {
      // Errors are the client's business here (it may hang up early).
      if (::send(conn->get(), piece.data(), piece.size(), MSG_NOSIGNAL) < 0) return;
      std::this_thread::sleep_for(milliseconds(10));
    }
  }

  UniqueFd listener_;
  uint16_t port_ = 0;
  std::string request_;
  std::thread thread_;
};

Result<ResponseHead> get(HttpClient& client, const std::string& target, const Headers& h = {},
                         std::string_view method = "GET") {
  if (Status s = client.send_head(method, target, h); !s) return s;
  return client.read_head(method == "HEAD");
}

// --- against the real server ------------------------------------------------

class HttpClientServerTest : public test::FdLeakCheck {
 protected:
  void start(const std::string& listen = "127.0.0.1:0") {
    ServerConfig cfg;
    cfg.root = dir_.path();
    cfg.listen = listen;
    cfg.workers = 1;
    server_ = std::make_unique<test::RunningServer>(std::move(cfg));
    ASSERT_TRUE(server_->ok());
  }
  void TearDown() override {
    server_.reset();  // stops and joins before the descriptor count
    test::FdLeakCheck::TearDown();
  }
  Url url(const std::string& path) {
    auto u = parse_url("http://" + server_->address().to_string() + path);
    EXPECT_TRUE(u.is_ok()) << u.status().to_string();
    return u ? *u : Url{};
  }
  HttpClient connect(const std::string& path = "/") {
    auto c = HttpClient::connect(url(path), kTimeout);
    EXPECT_TRUE(c.is_ok()) << c.status().to_string();
    return std::move(*c);
  }

  test::TempDir dir_;
  std::unique_ptr<test::RunningServer> server_;
};

TEST_F(HttpClientServerTest, GetsAFileSplicedToDisk) {
  std::string data = test::pattern_bytes((3 << 20) + 5);
  test::write_file(dir_.file("a.bin"), data);
  start();
  HttpClient client = connect();
  auto head = get(client, "/a.bin");
  ASSERT_TRUE(head.is_ok()) << head.status().to_string();
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->content_length, data.size());
  EXPECT_EQ(head->framing(), Framing::kLength);
  EXPECT_TRUE(head->keep_alive);
  test::TempDir out;
  auto file = test::open_or_die(out.file("a.bin"), O_RDWR | O_CREAT);
  auto engine = make_splice_receiver(kDefaultPipeSize);
  BodyReader body = client.body(*head);
  auto moved = body.rest_to_file(file.get(), 0, *engine, nullptr);
  ASSERT_TRUE(moved.is_ok()) << moved.status().to_string();
  EXPECT_EQ(*moved, data.size());
  EXPECT_TRUE(body.done());
  EXPECT_GT(engine->stats().bytes, 0U);
  EXPECT_TRUE(test::same_bytes(test::read_file(out.file("a.bin")), data));
}

TEST_F(HttpClientServerTest, RangeGets206) {
  std::string data = test::pattern_bytes(10000);
  test::write_file(dir_.file("r.bin"), data);
  start();
  HttpClient client = connect();
  auto head = get(client, "/r.bin", {{"Range", "bytes=100-199"}});
  ASSERT_TRUE(head.is_ok()) << head.status().to_string();
  EXPECT_EQ(head->status, 206);
  EXPECT_EQ(head->content_length, 100U);
  EXPECT_EQ(head->header("content-range"), "bytes 100-199/10000");
  BodyReader body = client.body(*head);
  EXPECT_EQ(read_body(body), data.substr(100, 100));
}

TEST_F(HttpClientServerTest, KeepAliveCarriesTheNextRequest) {
  test::write_file(dir_.file("1.txt"), "one");
  test::write_file(dir_.file("2.txt"), "two!");
  start();
  HttpClient client = connect();
  std::vector<std::pair<std::string, std::string>> steps = {
      {"/1.txt", "one"}, {"/2.txt", "two!"}, {"/1.txt", "one"}};
  for (const auto& [path, want] : steps) {
    auto head = get(client, path);
    ASSERT_TRUE(head.is_ok()) << path << ": " << head.status().to_string();
    EXPECT_EQ(head->status, 200);
    EXPECT_TRUE(head->keep_alive);
    BodyReader body = client.body(*head);
    EXPECT_EQ(read_body(body), want);
    EXPECT_TRUE(body.done());
  }
}

TEST_F(HttpClientServerTest, HeadHasNoBody) {
  test::write_file(dir_.file("h.bin"), test::pattern_bytes(5000));
  start();
  HttpClient client = connect();
  auto head = get(client, "/h.bin", {}, "HEAD");
  ASSERT_TRUE(head.is_ok()) << head.status().to_string();
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->content_length, 5000U);
  EXPECT_TRUE(head->keep_alive);
  BodyReader body = client.body(*head, true);
  EXPECT_TRUE(body.done());
  // The head ended exactly where it should: the connection still works.
  auto next = get(client, "/h.bin");
  ASSERT_TRUE(next.is_ok()) << next.status().to_string();
  BodyReader next_body = client.body(*next);
  EXPECT_EQ(read_body(next_body).size(), 5000U);
}

TEST_F(HttpClientServerTest, MissingFileIs404) {
  start();
  HttpClient client = connect();
  auto head = get(client, "/nope.txt");
  ASSERT_TRUE(head.is_ok()) << head.status().to_string();
  EXPECT_EQ(head->status, 404);
  BodyReader body = client.body(*head);
  read_body(body);
  EXPECT_TRUE(body.done());
}

TEST_F(HttpClientServerTest, TarListingIsChunked) {
  std::string data = test::pattern_bytes(100000);
  test::write_file(dir_.file("a.bin"), data);
  test::write_file(dir_.file("b.txt"), "bee");
  start();
  HttpClient client = connect();
  auto head = get(client, "/?format=tar");
  ASSERT_TRUE(head.is_ok()) << head.status().to_string();
  EXPECT_EQ(head->status, 200);
  EXPECT_TRUE(head->chunked);
  EXPECT_EQ(head->framing(), Framing::kChunked);
  BodyReader body = client.body(*head);
  std::string tar = read_body(body);
  EXPECT_TRUE(body.done());
  EXPECT_EQ(tar.size() % 512, 0U);
  EXPECT_GE(tar.size(), 100000U + 3 * 512);
  EXPECT_NE(tar.find("a.bin"), std::string::npos);
  EXPECT_NE(tar.find(data), std::string::npos);
  // The last chunk and its trailer were read exactly: the connection goes on.
  auto next = get(client, "/b.txt");
  ASSERT_TRUE(next.is_ok()) << next.status().to_string();
  BodyReader next_body = client.body(*next);
  EXPECT_EQ(read_body(next_body), "bee");
}

TEST_F(HttpClientServerTest, Ipv6Loopback) {
  if (!listen_tcp(SocketAddress::loopback_v6(0)).is_ok()) GTEST_SKIP() << "no IPv6 loopback";
  test::write_file(dir_.file("six.txt"), "over ::1");
  start("[::1]:0");
  Url u = url("/six.txt");
  EXPECT_EQ(u.host, "::1");
  auto client = HttpClient::connect(u, kTimeout);
  ASSERT_TRUE(client.is_ok()) << client.status().to_string();
  auto head = get(*client, u.target);
  ASSERT_TRUE(head.is_ok()) << head.status().to_string();
  EXPECT_EQ(head->status, 200);
  BodyReader body = client->body(*head);
  EXPECT_EQ(read_body(body), "over ::1");
}

// --- against canned responses ---------------------------------------------

class HttpClientTest : public test::FdLeakCheck {};

TEST_F(HttpClientTest, SendsHostAndUserAgent) {
  CannedServer server;
  server.start({"HTTP/1.1 204 No Content\r\n\r\n"});
  auto client = HttpClient::connect(server.url(), kTimeout);
  ASSERT_TRUE(client.is_ok()) << client.status().to_string();
  auto head = get(*client, "/x%20y", {{"X-Mine", "1"}});
  ASSERT_TRUE(head.is_ok()) << head.status().to_string();
  EXPECT_EQ(head->status, 204);
  EXPECT_TRUE(client->body(*head).done());
  server.join();
  std::string port = std::to_string(server.url().port);
  EXPECT_EQ(server.request(), "GET /x%20y HTTP/1.1\r\nHost: 127.0.0.1:" + port +
                                  "\r\nUser-Agent: zcp/0.1\r\nX-Mine: 1\r\n\r\n");
}

TEST_F(HttpClientTest, HeadFieldsTrimmedAndBodyBytesKept) {
  CannedServer server;
  server.start({"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Pad:  \t spaced value \t\r\n"
                       "Empty:\r\n\r\nhello"});
  auto client = HttpClient::connect(server.url(), kTimeout);
  ASSERT_TRUE(client.is_ok()) << client.status().to_string();
  auto head = get(*client, "/");
  ASSERT_TRUE(head.is_ok()) << head.status().to_string();
  EXPECT_EQ(head->header("x-pad"), "spaced value");
  EXPECT_EQ(head->header("Empty"), "");
  EXPECT_FALSE(head->header("Missing").has_value());
  EXPECT_EQ(head->content_length, 5U);
  BodyReader body = client->body(*head);
  EXPECT_EQ(read_body(body), "hello");
}

TEST_F(HttpClientTest, InterimResponseSkippedAndSplitHead) {
  CannedServer server;
  server.start({"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 20", "0 OK\r\nTransfer-Enc",
                       "oding: chunked\r\n\r", "\n3\r\nabc\r\n0\r\n\r\n"});
  auto client = HttpClient::connect(server.url(), kTimeout);
  ASSERT_TRUE(client.is_ok()) << client.status().to_string();
  auto head = get(*client, "/");
  ASSERT_TRUE(head.is_ok()) << head.status().to_string();
  EXPECT_EQ(head->status, 200);
  EXPECT_TRUE(head->chunked);
  BodyReader body = client->body(*head);
  EXPECT_EQ(read_body(body), "abc");
  EXPECT_TRUE(body.done());
}

TEST_F(HttpClientTest, NoLengthMeansUntilClose) {
  CannedServer server;
  server.start({"HTTP/1.1 200 OK\r\n\r\nuntil ", "close"});
  auto client = HttpClient::connect(server.url(), kTimeout);
  ASSERT_TRUE(client.is_ok()) << client.status().to_string();
  auto head = get(*client, "/");
  ASSERT_TRUE(head.is_ok()) << head.status().to_string();
  EXPECT_EQ(head->framing(), Framing::kUntilClose);
  EXPECT_FALSE(head->keep_alive);
  BodyReader body = client->body(*head);
  EXPECT_EQ(read_body(body), "until close");
  EXPECT_TRUE(body.done());
}

TEST_F(HttpClientTest, ConnectionCloseIsNotKeptAlive) {
  CannedServer server;
  server.start({"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"});
  auto client = HttpClient::connect(server.url(), kTimeout);
  ASSERT_TRUE(client.is_ok()) << client.status().to_string();
  auto head = get(*client, "/");
  ASSERT_TRUE(head.is_ok()) << head.status().to_string();
  EXPECT_FALSE(head->keep_alive);
}

TEST_F(HttpClientTest, MalformedHeadsAreInvalid) {
  std::vector<std::string> responses = {
      "HTTP/1.1 abc\r\n\r\n",
      "SSH-2.0-OpenSSH\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
      "HTTP/1.1 200 OK\r\nX: " + std::string(70000, 'a') + "\r\n\r\n"};
  for (const std::string& response : responses) {
    CannedServer server;
    server.start({response});
    auto client = HttpClient::connect(server.url(), kTimeout);
    ASSERT_TRUE(client.is_ok()) << client.status().to_string();
    auto head = get(*client, "/");
    ASSERT_FALSE(head.is_ok()) << response.substr(0, 40);
    EXPECT_EQ(head.status().code(), Code::kInvalid) << head.status().to_string();
    EXPECT_NE(head.status().to_string().find(server.url().authority()), std::string::npos)
        << head.status().to_string();
  }
}

TEST_F(HttpClientTest, CloseBeforeResponseIsPeerClosed) {
  CannedServer server;
  server.start({});
  auto client = HttpClient::connect(server.url(), kTimeout);
  ASSERT_TRUE(client.is_ok()) << client.status().to_string();
  auto head = get(*client, "/");
  ASSERT_FALSE(head.is_ok());
  EXPECT_EQ(head.status().code(), Code::kPeerClosed) << head.status().to_string();
  EXPECT_TRUE(head.status().retryable());
}

TEST_F(HttpClientTest, SilentServerTimesOut) {
  auto listener = listen_tcp(SocketAddress::loopback_v4(0));  // never accepts: the
  ASSERT_TRUE(listener.is_ok());                               // kernel's backlog does
  Url u;
  u.host = "127.0.0.1";
  u.port = local_address(listener->get())->port();
  auto client = HttpClient::connect(u, milliseconds(150));
  ASSERT_TRUE(client.is_ok()) << client.status().to_string();
  auto start = std::chrono::steady_clock::now();
  auto head = get(*client, "/");
  ASSERT_FALSE(head.is_ok());
  EXPECT_EQ(head.status().error_number(), ETIMEDOUT) << head.status().to_string();
  EXPECT_NE(head.status().to_string().find("timed out"), std::string::npos);
  EXPECT_NE(head.status().to_string().find(u.authority()), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(3000));
}

// SO_RCVTIMEO restarts with every byte: a head trickled a byte at a time
// must still end within the timeout as a whole.
TEST_F(HttpClientTest, TrickledHeadHitsTheDeadline) {
  const std::string head = "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\n\r\n";
  std::vector<std::string> bytes;
  for (char c : head) bytes.emplace_back(1, c);  // 10 ms apart: ~600 ms in all
  CannedServer server;
  server.start(bytes);
  auto client = HttpClient::connect(server.url(), milliseconds(200));
  ASSERT_TRUE(client.is_ok()) << client.status().to_string();
  auto start = std::chrono::steady_clock::now();
  auto got = get(*client, "/");
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(got.is_ok());
  EXPECT_EQ(got.status().error_number(), ETIMEDOUT) << got.status().to_string();
  EXPECT_NE(got.status().to_string().find(server.url().authority()), std::string::npos);
  EXPECT_GE(took, milliseconds(150));
  EXPECT_LT(took, milliseconds(2000));  // a loaded machine; the error is the point
}

TEST_F(HttpClientTest, InterimResponsesAreCapped) {
  const std::string interim = "HTTP/1.1 100 Continue\r\n\r\n";
  const std::string final_head = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  std::string sixteen, seventeen;
  for (int i = 0; i < 16; ++i) sixteen += interim;
  seventeen = sixteen + interim;
  {  // 16 interim heads (a generous real server) and the answer: fine
    CannedServer server;
    server.start({sixteen + final_head});
    auto client = HttpClient::connect(server.url(), kTimeout);
    ASSERT_TRUE(client.is_ok()) << client.status().to_string();
    auto head = get(*client, "/");
    ASSERT_TRUE(head.is_ok()) << head.status().to_string();
    EXPECT_EQ(head->status, 200);
  }
  {  // one more: refused as nonsense, at once, not after the timeout
    CannedServer server;
    server.start({seventeen + final_head});
    auto client = HttpClient::connect(server.url(), kTimeout);
    ASSERT_TRUE(client.is_ok()) << client.status().to_string();
    auto head = get(*client, "/");
    ASSERT_FALSE(head.is_ok());
    EXPECT_EQ(head.status().code(), Code::kInvalid) << head.status().to_string();
    EXPECT_NE(head.status().to_string().find("interim"), std::string::npos);
  }
}

// Interim heads count towards the 64 KiB a wait for an answer may read.
TEST_F(HttpClientTest, InterimHeadsShareTheHeadLimit) {
  const std::string big_interim =
      "HTTP/1.1 103 Early Hints\r\nLink: " + std::string(30000, 'l') + "\r\n\r\n";
  CannedServer server;
  server.start({big_interim + big_interim + big_interim + "HTTP/1.1 204 No Content\r\n\r\n"});
  auto client = HttpClient::connect(server.url(), kTimeout);
  ASSERT_TRUE(client.is_ok()) << client.status().to_string();
  auto head = get(*client, "/");
  ASSERT_FALSE(head.is_ok());
  EXPECT_EQ(head.status().code(), Code::kInvalid) << head.status().to_string();
  EXPECT_NE(head.status().to_string().find("64 KiB"), std::string::npos);
}

TEST_F(HttpClientTest, RefusedConnectionNamesTheAddress) {
  Url u;
  u.host = "127.0.0.1";
  {
    auto listener = listen_tcp(SocketAddress::loopback_v4(0));
    ASSERT_TRUE(listener.is_ok());
    u.port = local_address(listener->get())->port();
  }  // closed: nothing listens there now
  auto client = HttpClient::connect(u, kTimeout);
  ASSERT_FALSE(client.is_ok());
  EXPECT_EQ(client.status().error_number(), ECONNREFUSED) << client.status().to_string();
  EXPECT_NE(client.status().to_string().find(u.authority()), std::string::npos);
  EXPECT_TRUE(client.status().retryable());
}

TEST_F(HttpClientTest, RefusesHeaderInjection) {
  auto listener = listen_tcp(SocketAddress::loopback_v4(0));
  ASSERT_TRUE(listener.is_ok());
  Url u;
  u.host = "127.0.0.1";
  u.port = local_address(listener->get())->port();
  auto client = HttpClient::connect(u, kTimeout);
  ASSERT_TRUE(client.is_ok()) << client.status().to_string();
  EXPECT_EQ(client->send_head("GET", "/", {{"X", "a\r\nEvil: 1"}}).code(), Code::kInvalid);
  EXPECT_EQ(client->send_head("GET", "/a b", {}).code(), Code::kInvalid);
  EXPECT_EQ(client->send_head("GET\r\n", "/", {}).code(), Code::kInvalid);
  EXPECT_EQ(client->send_head("GET", "/", {{"Bad:Name", "v"}}).code(), Code::kInvalid);
}

}  // namespace
}  // namespace zcp
