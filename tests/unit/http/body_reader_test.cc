// BodyReader over a real loopback connection with hand-written responses:
// each framing, bytes that came with the head, malformed and short bodies,
// timeouts, and file bodies spliced at an offset.
#include "zcp/http/body_reader.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

#include "support/test_support.h"

namespace zcp {
namespace {

using test::SocketPair;

class BodyReaderTest : public test::FdLeakCheck {};

void send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    ASSERT_GT(n, 0) << std::strerror(errno);
    data.remove_prefix(static_cast<size_t>(n));
  }
}

// Sends `response` and closes the sending side (the reader sees EOF).
void send_and_close(SocketPair& pair, std::string_view response) {
  send_all(pair.server.get(), response);
  ::shutdown(pair.server.get(), SHUT_WR);
}

// Sends `pieces` one by one with a pause between, so the reader sees each
// piece on its own (a chunk line split across segments).
std::thread send_slowly(int fd, std::vector<std::string> pieces) {
  return std::thread([fd, pieces = std::move(pieces)] {
    for (const auto& piece : pieces) {
      send_all(fd, piece);
      std::this_thread::sleep_for(std::chrono::milliseconds(15));
    }
  });
}

// Reads the body in pieces of `step` bytes until read() returns 0.
std::string read_all(BodyReader& body, size_t step = 1000) {
  std::string out;
  for (;;) {
    auto n = body.read(out, step);
    EXPECT_TRUE(n.is_ok()) << n.status().to_string();
    if (!n || *n == 0) return out;
  }
}

// A chunked encoding of `data` in pieces of `piece` bytes.
std::string chunked(const std::string& data, size_t piece, const std::string& ext = "") {
  std::string out;
  char size[32];
  for (size_t at = 0; at < data.size(); at += piece) {
    std::string part = data.substr(at, piece);
    std::snprintf(size, sizeof(size), "%zx", part.size());
    out += size + ext + "\r\n" + part + "\r\n";
  }
  return out + "0\r\n\r\n";
}

TEST_F(BodyReaderTest, ContentLength) {
  auto pair = test::loopback_pair();
  send_all(pair.server.get(), "hello world");
  BodyReader body(pair.client.get(), Framing::kLength, 11, {});
  EXPECT_FALSE(body.done());
  EXPECT_EQ(read_all(body, 4), "hello world");
  EXPECT_TRUE(body.done());
}

TEST_F(BodyReaderTest, EmptyLengthIsDoneAtOnce) {
  auto pair = test::loopback_pair();
  BodyReader body(pair.client.get(), Framing::kLength, 0, {});
  EXPECT_TRUE(body.done());
  std::string out;
  auto n = body.read(out, 10);
  ASSERT_TRUE(n.is_ok());
  EXPECT_EQ(*n, 0U);
}

TEST_F(BodyReaderTest, ChunkedWithExtensionsAndTrailers) {
  auto pair = test::loopback_pair();
  send_all(pair.server.get(),
           "5;name=value\r\nhello\r\n6 ; a=\"b;c\"\r\n world\r\nA\r\n0123456789\r\n"
           "0;last\r\nX-Trailer: 1\r\nY: two\r\n\r\n");
  BodyReader body(pair.client.get(), Framing::kChunked, 0, {});
  EXPECT_EQ(read_all(body, 3), "hello world0123456789");
  EXPECT_TRUE(body.done());
}

TEST_F(BodyReaderTest, ChunkLinesSplitAcrossSends) {
  auto pair = test::loopback_pair();
  std::thread writer = send_slowly(
      pair.server.get(), {"1", "0", "\r", "\nabcdefghijklmnop", "\r", "\n", "3;e", "xt\r\nxyz",
                          "\r\n0", "\r\nT: v", "\r\n", "\r", "\n"});
  BodyReader body(pair.client.get(), Framing::kChunked, 0, {});
  EXPECT_EQ(read_all(body), "abcdefghijklmnopxyz");
  EXPECT_TRUE(body.done());
  writer.join();
}

TEST_F(BodyReaderTest, UntilClose) {
  auto pair = test::loopback_pair();
  std::string data = test::pattern_bytes(70000);
  std::thread writer([&] { send_and_close(pair, data); });
  BodyReader body(pair.client.get(), Framing::kUntilClose, 0, "head-");
  EXPECT_TRUE(test::same_bytes(read_all(body, 4096), "head-" + data));
  EXPECT_TRUE(body.done());
  writer.join();
}

TEST_F(BodyReaderTest, ShortLengthBodyIsPeerClosed) {
  auto pair = test::loopback_pair();
  send_and_close(pair, std::string(40, 'x'));
  BodyReader body(pair.client.get(), Framing::kLength, 100, {});
  std::string out;
  Status s = body.read_exact(out, 100);
  EXPECT_EQ(s.code(), Code::kPeerClosed) << s.to_string();
  EXPECT_NE(s.to_string().find("60 bytes"), std::string::npos) << s.to_string();
  EXPECT_TRUE(s.retryable());
  EXPECT_FALSE(body.done());
}

TEST_F(BodyReaderTest, ShortBodyToFileIsPeerClosed) {
  test::TempDir dir;
  auto file = test::open_or_die(dir.file("out"), O_RDWR | O_CREAT);
  auto pair = test::loopback_pair();
  send_and_close(pair, std::string(40, 'x'));
  BodyReader body(pair.client.get(), Framing::kLength, 100, "0123456789");
  auto engine = make_splice_receiver(kDefaultPipeSize);
  Status s = body.to_file(file.get(), 0, 100, *engine, nullptr);
  EXPECT_EQ(s.code(), Code::kPeerClosed) << s.to_string();
  EXPECT_NE(s.to_string().find("50 bytes"), std::string::npos) << s.to_string();
  EXPECT_EQ(test::read_file(dir.file("out")), "0123456789" + std::string(40, 'x'));
}

// Sends `response` as a chunked body and closes; reads it 100 bytes at a
// time until it ends or fails. The last read's result; `done` says whether
// the body ended cleanly.
Result<size_t> read_chunked_to_end(const char* response, bool* done = nullptr) {
  auto pair = test::loopback_pair();
  send_and_close(pair, response);
  BodyReader body(pair.client.get(), Framing::kChunked, 0, {});
  std::string out;
  Result<size_t> n = size_t{0};
  do {
    n = body.read(out, 100);
  } while (n.is_ok() && *n > 0);
  if (done) *done = body.done();
  return n;
}

TEST_F(BodyReaderTest, ShortChunkedBodyIsPeerClosed) {
  for (const char* response : {"10\r\nabc", "3\r\nabc\r\n", "3\r\nabc\r\n0\r\n", "3\r\nab"}) {
    bool done = true;
    Result<size_t> n = read_chunked_to_end(response, &done);
    ASSERT_FALSE(n.is_ok()) << response;
    EXPECT_EQ(n.status().code(), Code::kPeerClosed) << response << ": " << n.status().to_string();
    EXPECT_FALSE(done);
  }
}

TEST_F(BodyReaderTest, MalformedChunkSizeIsInvalid) {
  for (const char* response :
       {"zz\r\n", "\r\n", "-1\r\nx\r\n", "0x10\r\n", "+5\r\n", " 5\r\n", "5 x\r\n", "5\nhello",
        "10000000000000000\r\n", "fffffffffffffffff0\r\n", "3\r\nabcX\r\n0\r\n\r\n"}) {
    Result<size_t> n = read_chunked_to_end(response);
    ASSERT_FALSE(n.is_ok()) << response;
    EXPECT_EQ(n.status().code(), Code::kInvalid) << response << ": " << n.status().to_string();
  }
}

TEST_F(BodyReaderTest, OverlongChunkLineIsInvalid) {
  auto pair = test::loopback_pair();
  std::string line = "5;" + std::string(10000, 'e') + "\r\nhello\r\n0\r\n\r\n";
  std::thread writer([&] { send_and_close(pair, line); });
  BodyReader body(pair.client.get(), Framing::kChunked, 0, {});
  std::string out;
  auto n = body.read(out, 100);
  writer.join();  // 10 KB: fits the socket buffers, so the writer never waits
  ASSERT_FALSE(n.is_ok());
  EXPECT_EQ(n.status().code(), Code::kInvalid) << n.status().to_string();
}

TEST_F(BodyReaderTest, LeftoverBytesComeFirst) {
  auto pair = test::loopback_pair();
  send_all(pair.server.get(), "56789");
  BodyReader length(pair.client.get(), Framing::kLength, 10, "01234");
  EXPECT_EQ(read_all(length, 3), "0123456789");
  EXPECT_TRUE(length.done());

  // Leftover with whole framing lines, and the rest on the socket.
  send_all(pair.server.get(), "c\r\n4\r\ndefg\r\n0\r\n\r\n");
  BodyReader chunks(pair.client.get(), Framing::kChunked, 0, "3\r\nab");
  EXPECT_EQ(read_all(chunks), "abcdefg");
  EXPECT_TRUE(chunks.done());
}

TEST_F(BodyReaderTest, HeaderInMemoryThenRestToFile) {
  test::TempDir dir;
  auto file = test::open_or_die(dir.file("out"), O_RDWR | O_CREAT);
  auto pair = test::loopback_pair();
  std::string data = test::pattern_bytes(100000);
  std::thread writer([&] { send_all(pair.server.get(), chunked(data, 30000, ";x=1")); });
  BodyReader body(pair.client.get(), Framing::kChunked, 0, {});
  std::string header;
  ASSERT_TRUE(body.read_exact(header, 512).is_ok());
  EXPECT_EQ(header, data.substr(0, 512));
  auto engine = make_splice_receiver(kDefaultPipeSize);
  uint64_t last = 0;
  auto moved = body.rest_to_file(file.get(), 0, *engine, [&](uint64_t n) { last = n; });
  ASSERT_TRUE(moved.is_ok()) << moved.status().to_string();
  EXPECT_EQ(*moved, data.size() - 512);
  EXPECT_EQ(last, *moved);
  EXPECT_TRUE(body.done());
  EXPECT_TRUE(test::same_bytes(test::read_file(dir.file("out")), data.substr(512)));
  writer.join();
}

TEST_F(BodyReaderTest, ToFileSplicesAtAnOffset) {
  test::TempDir dir;
  test::write_file(dir.file("out"), std::string(100, '-'));
  auto file = test::open_or_die(dir.file("out"), O_RDWR);
  auto pair = test::loopback_pair();
  std::string data = test::pattern_bytes(300001);
  std::thread writer([&] { send_all(pair.server.get(), std::string_view(data).substr(1000)); });
  BodyReader body(pair.client.get(), Framing::kLength, data.size(), data.substr(0, 1000));
  auto engine = make_splice_receiver(kDefaultPipeSize);
  std::vector<uint64_t> seen;
  Status s = body.to_file(file.get(), 100, data.size(), *engine,
                          [&](uint64_t n) { seen.push_back(n); });
  ASSERT_TRUE(s.is_ok()) << s.to_string();
  EXPECT_TRUE(body.done());
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.front(), 1000U);  // the leftover, written first
  EXPECT_EQ(seen.back(), data.size());
  // Everything but the leftover went socket -> pipe -> file.
  EXPECT_EQ(engine->stats().bytes, data.size() - 1000);
  EXPECT_TRUE(test::same_bytes(test::read_file(dir.file("out")), std::string(100, '-') + data));
  writer.join();
}

TEST_F(BodyReaderTest, ChunkedToFileInPieces) {
  test::TempDir dir;
  auto file = test::open_or_die(dir.file("out"), O_RDWR | O_CREAT);
  auto pair = test::loopback_pair();
  std::string data = test::pattern_bytes(250000, 3);
  std::thread writer([&] { send_all(pair.server.get(), chunked(data, 65536)); });
  BodyReader body(pair.client.get(), Framing::kChunked, 0, {});
  auto engine = make_copy_receiver(kDefaultRecvChunk);
  // Pieces that straddle chunk boundaries, as parallel ranges would.
  ASSERT_TRUE(body.to_file(file.get(), 0, 100000, *engine, nullptr).is_ok());
  ASSERT_TRUE(body.to_file(file.get(), 100000, 150000, *engine, nullptr).is_ok());
  std::string rest;
  auto n = body.read(rest, 10);
  ASSERT_TRUE(n.is_ok()) << n.status().to_string();
  EXPECT_EQ(*n, 0U);
  EXPECT_TRUE(body.done());
  EXPECT_TRUE(test::same_bytes(test::read_file(dir.file("out")), data));
  writer.join();
}

TEST_F(BodyReaderTest, ToFileBeyondTheBodyIsShort) {
  test::TempDir dir;
  auto file = test::open_or_die(dir.file("out"), O_RDWR | O_CREAT);
  auto pair = test::loopback_pair();
  send_all(pair.server.get(), "3\r\nabc\r\n0\r\n\r\n");
  BodyReader body(pair.client.get(), Framing::kChunked, 0, {});
  auto engine = make_splice_receiver(kDefaultPipeSize);
  Status s = body.to_file(file.get(), 0, 10, *engine, nullptr);
  EXPECT_EQ(s.code(), Code::kPeerClosed) << s.to_string();
  EXPECT_NE(s.to_string().find("7 bytes"), std::string::npos) << s.to_string();
  EXPECT_TRUE(body.done());
}

TEST_F(BodyReaderTest, UntilCloseRestToFile) {
  test::TempDir dir;
  auto file = test::open_or_die(dir.file("out"), O_RDWR | O_CREAT);
  auto pair = test::loopback_pair();
  std::string data = test::pattern_bytes(1 << 20, 11);
  std::thread writer([&] { send_and_close(pair, data); });
  BodyReader body(pair.client.get(), Framing::kUntilClose, 0, {});
  auto engine = make_splice_receiver(kDefaultPipeSize);
  auto moved = body.rest_to_file(file.get(), 0, *engine, nullptr);
  ASSERT_TRUE(moved.is_ok()) << moved.status().to_string();
  EXPECT_EQ(*moved, data.size());
  EXPECT_TRUE(body.done());
  EXPECT_TRUE(test::same_bytes(test::read_file(dir.file("out")), data));
  writer.join();
}

TEST_F(BodyReaderTest, StreamOffsetWritesAtThePosition) {
  auto pipe = make_pipe(1 << 16);
  ASSERT_TRUE(pipe.is_ok());
  auto pair = test::loopback_pair();
  auto engine = make_splice_receiver(kDefaultPipeSize);
  // The leftover goes with write(), the socket's bytes with splice(2) and
  // no offset: a pipe (stdout) cannot seek.
  send_all(pair.server.get(), "cdef");
  BodyReader length(pair.client.get(), Framing::kLength, 6, "ab");
  auto moved = length.rest_to_file(pipe->write_end.get(), kStreamOffset, *engine, nullptr);
  ASSERT_TRUE(moved.is_ok()) << moved.status().to_string();
  EXPECT_EQ(*moved, 6U);
  EXPECT_EQ(engine->stats().bytes, 4U);

  send_all(pair.server.get(), "2\r\ncd\r\n0\r\n\r\n");
  BodyReader chunks(pair.client.get(), Framing::kChunked, 0, "2\r\nab\r\n");
  moved = chunks.rest_to_file(pipe->write_end.get(), kStreamOffset, *engine, nullptr);
  ASSERT_TRUE(moved.is_ok()) << moved.status().to_string();
  EXPECT_EQ(*moved, 4U);
  char buf[32];
  EXPECT_EQ(::read(pipe->read_end.get(), buf, sizeof(buf)), 10);
  EXPECT_EQ(std::string(buf, 10), "abcdefabcd");
}

TEST_F(BodyReaderTest, SilentPeerTimesOut) {
  auto pair = test::loopback_pair();
  timeval tv{0, 100 * 1000};
  ASSERT_EQ(::setsockopt(pair.client.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
  BodyReader body(pair.client.get(), Framing::kLength, 10, {});
  std::string out;
  auto n = body.read(out, 10);
  ASSERT_FALSE(n.is_ok());
  EXPECT_EQ(n.status().code(), Code::kSystem);
  EXPECT_EQ(n.status().error_number(), ETIMEDOUT);
  EXPECT_NE(n.status().to_string().find("timed out"), std::string::npos);

  test::TempDir dir;
  auto file = test::open_or_die(dir.file("out"), O_RDWR | O_CREAT);
  auto engine = make_splice_receiver(kDefaultPipeSize);
  Status s = body.to_file(file.get(), 0, 10, *engine, nullptr);
  EXPECT_EQ(s.error_number(), ETIMEDOUT) << s.to_string();

  BodyReader chunks(pair.client.get(), Framing::kChunked, 0, {});
  auto c = chunks.read(out, 10);
  ASSERT_FALSE(c.is_ok());
  EXPECT_EQ(c.status().error_number(), ETIMEDOUT) << c.status().to_string();
}

}  // namespace
}  // namespace zcp
