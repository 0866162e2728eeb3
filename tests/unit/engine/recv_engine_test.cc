// Every receive engine over a real loopback TCP connection: exact bytes at
// an offset, a byte limit, EAGAIN on a non-blocking socket, a peer reset.
#include "zcp/recv_engine.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support/test_support.h"

namespace zcp {
namespace {

using test::open_or_die;
using test::pattern_bytes;

class RecvEngineTest : public test::FdLeakCheck,
                       public ::testing::WithParamInterface<const char*> {
 protected:
  std::unique_ptr<RecvEngine> engine() {
    auto spec = parse_engine_spec(GetParam());
    auto e = make_recv_engine(*spec);
    EXPECT_TRUE(e.is_ok()) << e.status().to_string();
    return std::move(*e);
  }
  bool discards() const { return std::string(GetParam()).rfind("discard", 0) == 0; }

  // The client sends `data` and closes (on a thread); the engine receives.
  Progress receive(const std::string& data, int file_fd, uint64_t offset, uint64_t limit) {
    auto pair = test::loopback_pair();
    std::thread writer([&] {
      size_t done = 0;
      while (done < data.size()) {
        ssize_t n = ::send(pair.client.get(), data.data() + done, data.size() - done, MSG_NOSIGNAL);
        if (n <= 0) break;
        done += static_cast<size_t>(n);
      }
      ::shutdown(pair.client.get(), SHUT_WR);
    });
    Progress p = engine()->receive(pair.server.get(), file_fd, offset, limit);
    writer.join();
    return p;
  }

  test::TempDir dir_;
};

TEST_P(RecvEngineTest, ExactBytesAtAnOffset) {
  for (uint64_t size : {0ULL, 1ULL, 8191ULL, 8193ULL, (3ULL << 20) + 5}) {
    std::string data = pattern_bytes(size, size + 1);
    std::string path = dir_.file("out");
    UniqueFd file = open_or_die(path, O_RDWR | O_CREAT | O_TRUNC);
    const uint64_t offset = 12345;
    Progress p = receive(data, file.get(), offset, kUntilEof);
    EXPECT_TRUE(p.status.is_ok()) << p.status.to_string();
    EXPECT_TRUE(p.eof);
    EXPECT_EQ(p.moved, size);
    std::string got = test::read_file(path);
    if (discards()) {
      EXPECT_TRUE(got.empty()) << "a discard engine wrote to the file";
    } else if (size > 0) {
      ASSERT_EQ(got.size(), offset + size);
      EXPECT_TRUE(test::same_bytes(got.substr(offset), data)) << "size " << size;
      EXPECT_EQ(got.substr(0, offset), std::string(offset, '\0'));
    }
  }
}

TEST_P(RecvEngineTest, StopsAtLimit) {
  std::string data = pattern_bytes(1 << 20);
  std::string path = dir_.file("out");
  UniqueFd file = open_or_die(path, O_RDWR | O_CREAT | O_TRUNC);
  auto pair = test::loopback_pair();
  ASSERT_EQ(::send(pair.client.get(), data.data(), data.size(), 0),
            static_cast<ssize_t>(data.size()));
  auto eng = engine();
  Progress p = eng->receive(pair.server.get(), file.get(), 0, 100000);
  EXPECT_TRUE(p.status.is_ok()) << p.status.to_string();
  EXPECT_FALSE(p.eof);
  EXPECT_EQ(p.moved, 100000U);
  pair.client.reset();
  Progress rest = eng->receive(pair.server.get(), file.get(), 100000, kUntilEof);
  EXPECT_TRUE(rest.eof);
  EXPECT_EQ(rest.moved, data.size() - 100000);
  if (!discards()) {
    EXPECT_TRUE(test::same_bytes(test::read_file(path), data));
  }
}

// receive_some() returns what arrived without waiting for `limit`: on a
// blocking socket with the peer still open, receive() would wait here for
// bytes that never come. The discard engines keep receive()'s semantics.
TEST_P(RecvEngineTest, ReceiveSomeReturnsWhatArrived) {
  if (discards()) GTEST_SKIP() << "discard engines have no progress callers";
  std::string path = dir_.file("out");
  UniqueFd file = open_or_die(path, O_RDWR | O_CREAT | O_TRUNC);
  auto pair = test::loopback_pair();
  ASSERT_EQ(::send(pair.client.get(), "hello", 5, 0), 5);
  auto eng = engine();
  Progress p = eng->receive_some(pair.server.get(), file.get(), 3, 1 << 20);
  EXPECT_TRUE(p.status.is_ok()) << p.status.to_string();
  EXPECT_FALSE(p.eof);
  EXPECT_EQ(p.moved, 5U);
  EXPECT_EQ(test::read_file(path), std::string(3, '\0') + "hello");
}

TEST_P(RecvEngineTest, WouldBlockWhenNothingToRead) {
  std::string path = dir_.file("out");
  UniqueFd file = open_or_die(path, O_RDWR | O_CREAT | O_TRUNC);
  auto pair = test::loopback_pair();
  ASSERT_TRUE(set_nonblocking(pair.server.get()).is_ok());
  auto eng = engine();
  Progress p = eng->receive(pair.server.get(), file.get(), 0, kUntilEof);
  EXPECT_TRUE(p.status.would_block()) << p.status.to_string();
  EXPECT_EQ(p.moved, 0U);
  ASSERT_EQ(::send(pair.client.get(), "hello", 5, 0), 5);
  pair.client.reset();
  // The data and the FIN are both queued by now on loopback.
  Progress rest = eng->receive(pair.server.get(), file.get(), 0, kUntilEof);
  EXPECT_TRUE(rest.status.is_ok()) << rest.status.to_string();
  EXPECT_EQ(rest.moved, 5U);
  EXPECT_TRUE(rest.eof);
  if (!discards()) {
    EXPECT_EQ(test::read_file(path), "hello");
  }
}

TEST_P(RecvEngineTest, PeerResetIsAnError) {
  std::string path = dir_.file("out");
  UniqueFd file = open_or_die(path, O_RDWR | O_CREAT | O_TRUNC);
  auto pair = test::loopback_pair();
  ASSERT_EQ(::send(pair.client.get(), "abc", 3, 0), 3);
  linger hard{1, 0};  // close with RST instead of FIN
  ::setsockopt(pair.client.get(), SOL_SOCKET, SO_LINGER, &hard, sizeof(hard));
  pair.client.reset();
  Progress p = engine()->receive(pair.server.get(), file.get(), 0, kUntilEof);
  EXPECT_EQ(p.status.code(), Code::kSystem) << p.status.to_string();
  EXPECT_EQ(p.status.error_number(), ECONNRESET);
  EXPECT_FALSE(p.eof);
}

TEST_P(RecvEngineTest, FullDiskIsAnError) {
  if (discards()) GTEST_SKIP() << "discard engines write nothing";
  test::SmallTmpfs fs("64k");
  if (!fs.mounted()) GTEST_SKIP() << fs.why();
  UniqueFd full = open_or_die(fs.file("out"), O_RDWR | O_CREAT | O_TRUNC);
  Progress p = receive(pattern_bytes(1 << 20), full.get(), 0, kUntilEof);
  EXPECT_EQ(p.status.code(), Code::kSystem) << p.status.to_string();
  EXPECT_EQ(p.status.error_number(), ENOSPC) << p.status.to_string();
  EXPECT_LE(p.moved, 64U << 10);
}

// kStreamOffset: outputs that cannot seek (stdout as a pipe) get write()
// or an offset-less splice, in order.
TEST_P(RecvEngineTest, StreamsIntoAPipe) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  UniqueFd r(fds[0]), w(fds[1]);
  std::string data = pattern_bytes(40000);
  std::string got;
  std::thread reader([&] {
    char buf[4096];
    ssize_t n;
    while ((n = ::read(r.get(), buf, sizeof(buf))) > 0) got.append(buf, static_cast<size_t>(n));
  });
  Progress p = receive(data, w.get(), kStreamOffset, kUntilEof);
  w.reset();
  reader.join();
  EXPECT_TRUE(p.status.is_ok()) << p.status.to_string();
  EXPECT_EQ(p.moved, data.size());
  if (!discards()) {
    EXPECT_TRUE(test::same_bytes(got, data));
  }
}

INSTANTIATE_TEST_SUITE_P(Engines, RecvEngineTest,
                         ::testing::Values("copy", "copy:8K", "splice", "splice:64K", "discard",
                                           "discard:1M", "discard-splice"),
                         test::engine_param_name);

TEST(RecvEngineFactory, RejectsUnknownNames) {
  auto e = make_recv_engine({"splise", 0});
  ASSERT_FALSE(e.is_ok());
  EXPECT_NE(e.status().to_string().find("splise"), std::string::npos);
}

}  // namespace
}  // namespace zcp
