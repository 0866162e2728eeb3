// Every send engine over a real loopback TCP connection: exact bytes, odd
// offsets, the >2 GiB per-call cap, a receiver that leaves, a file that
// shrinks, and resuming after EAGAIN on a non-blocking socket.
#include "zcp/send_engine.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support/test_support.h"

namespace zcp {
namespace {

using test::Drainer;
using test::open_or_die;
using test::pattern_bytes;

class SendEngineTest : public test::FdLeakCheck,
                       public ::testing::WithParamInterface<const char*> {
 protected:
  std::unique_ptr<SendEngine> engine() {
    auto spec = parse_engine_spec(GetParam());
    EXPECT_TRUE(spec.is_ok());
    auto e = make_send_engine(*spec);
    EXPECT_TRUE(e.is_ok()) << e.status().to_string();
    return std::move(*e);
  }
  // Sends [offset, offset + count) of `data` (stored in a file) and returns
  // what the peer received.
  std::string round_trip(const std::string& data, uint64_t offset, uint64_t count) {
    std::string path = dir_.file("src");
    test::write_file(path, data);
    UniqueFd file = open_or_die(path, O_RDONLY);
    auto pair = test::loopback_pair();
    Drainer drain(pair.client.get());
    Progress p = engine()->send(file.get(), offset, count, pair.server.get());
    EXPECT_TRUE(p.status.is_ok()) << p.status.to_string();
    EXPECT_EQ(p.moved, count);
    pair.server.reset();
    return drain.take();
  }

  test::TempDir dir_;
};

TEST_P(SendEngineTest, ExactBytesForEdgeSizes) {
  for (uint64_t size : {0ULL, 1ULL, 8191ULL, 8192ULL, 8193ULL, (3ULL << 20) + 17}) {
    std::string data = pattern_bytes(size, size);
    EXPECT_TRUE(test::same_bytes(round_trip(data, 0, size), data)) << "size " << size;
  }
}

TEST_P(SendEngineTest, OddOffsetAndCount) {
  std::string data = pattern_bytes(300001);
  for (uint64_t offset : {1ULL, 4095ULL, 4097ULL, 123457ULL}) {
    uint64_t count = data.size() - offset - 3;
    EXPECT_TRUE(test::same_bytes(round_trip(data, offset, count), data.substr(offset, count)))
        << "offset " << offset;
  }
}

// A sparse file just over 2 GiB: sendfile moves at most 0x7ffff000 bytes
// per call, so this only passes if the engine loops past the cap.
TEST_P(SendEngineTest, SparseFileOverTwoGiB) {
  const uint64_t size = (2ULL << 30) + 4097;
  const uint64_t marks[] = {0, 0x7ffff000 - 1, 0x7ffff000, 1ULL << 31, size - 1};
  std::string path = dir_.file("sparse");
  {
    UniqueFd fd = open_or_die(path, O_WRONLY | O_CREAT | O_TRUNC);
    ASSERT_EQ(::ftruncate(fd.get(), static_cast<off_t>(size)), 0);
    for (uint64_t m : marks) {
      char c = static_cast<char>('A' + m % 26);
      ASSERT_EQ(::pwrite(fd.get(), &c, 1, static_cast<off_t>(m)), 1);
    }
  }
  UniqueFd file = open_or_die(path, O_RDONLY);
  auto pair = test::loopback_pair();
  // Count the bytes and check the marks without keeping 2 GiB in memory.
  uint64_t received = 0;
  int marks_ok = 0;
  std::thread reader([&] {
    std::vector<char> buf(1 << 20);
    ssize_t n;
    while ((n = ::recv(pair.client.get(), buf.data(), buf.size(), 0)) > 0) {
      for (uint64_t m : marks) {
        if (m >= received && m < received + static_cast<uint64_t>(n)) {
          marks_ok += buf[m - received] == static_cast<char>('A' + m % 26);
        }
      }
      received += static_cast<uint64_t>(n);
    }
  });
  Progress p = engine()->send(file.get(), 0, size, pair.server.get());
  pair.server.reset();
  reader.join();
  EXPECT_TRUE(p.status.is_ok()) << p.status.to_string();
  EXPECT_EQ(p.moved, size);
  EXPECT_EQ(received, size);
  EXPECT_EQ(marks_ok, 5);
}

// The receiver closes at once: the sender must get an error, not SIGPIPE
// (which would kill this test process) and not a hang.
TEST_P(SendEngineTest, ReceiverClosesEarly) {
  std::string path = dir_.file("src");
  test::write_file(path, pattern_bytes(32ULL << 20));
  UniqueFd file = open_or_die(path, O_RDONLY);
  auto pair = test::loopback_pair();
  pair.client.reset();
  Progress p = engine()->send(file.get(), 0, 32ULL << 20, pair.server.get());
  EXPECT_EQ(p.status.code(), Code::kSystem) << p.status.to_string();
  EXPECT_TRUE(p.status.error_number() == EPIPE || p.status.error_number() == ECONNRESET)
      << p.status.to_string();
  EXPECT_LT(p.moved, 32ULL << 20);
}

TEST_P(SendEngineTest, FileShorterThanCount) {
  std::string data = pattern_bytes(1 << 20);
  std::string path = dir_.file("src");
  test::write_file(path, data);
  UniqueFd file = open_or_die(path, O_RDONLY);
  ASSERT_EQ(::truncate(path.c_str(), 300000), 0);  // shrinks after open
  auto pair = test::loopback_pair();
  Drainer drain(pair.client.get());
  Progress p = engine()->send(file.get(), 0, data.size(), pair.server.get());
  pair.server.reset();
  std::string got = drain.take();
  EXPECT_EQ(p.status.code(), Code::kShortFile) << p.status.to_string();
  EXPECT_NE(p.status.to_string().find("file ended at byte"), std::string::npos);
  EXPECT_LE(p.moved, 300000U);
  EXPECT_TRUE(test::same_bytes(got, data.substr(0, p.moved)))
      << "only real bytes of the file may go out";
}

// Non-blocking socket, reader not reading: the engine reports how far it
// got (kWouldBlock), then the file is cut; resuming ends in kShortFile.
// Bytes before the cut are the original's. Bytes after it that were already
// queued may read as zeros: zero-copy paths (splice's pipe, sendfile's
// socket buffer on loopback) hold references to page-cache pages, and
// truncation zeroes the tail of the cut page. That is why a receiver must
// check the length (HTTP: Content-Length) and, to be sure, a digest.
TEST_P(SendEngineTest, TruncatedWhileBlocked) {
  std::string data = pattern_bytes(16ULL << 20);
  std::string path = dir_.file("src");
  test::write_file(path, data);
  UniqueFd file = open_or_die(path, O_RDWR);
  auto pair = test::loopback_pair();
  ASSERT_TRUE(set_nonblocking(pair.server.get()).is_ok());
  auto eng = engine();
  Progress first = eng->send(file.get(), 0, data.size(), pair.server.get());
  ASSERT_TRUE(first.status.would_block()) << first.status.to_string();
  ASSERT_GT(first.moved, 0U);
  ASSERT_EQ(::ftruncate(file.get(), static_cast<off_t>(first.moved + 1000)), 0);
  ASSERT_TRUE(set_nonblocking(pair.server.get(), false).is_ok());
  Drainer drain(pair.client.get());
  Progress rest = eng->send(file.get(), first.moved, data.size() - first.moved,
                            pair.server.get());
  pair.server.reset();
  std::string got = drain.take();
  EXPECT_EQ(rest.status.code(), Code::kShortFile) << rest.status.to_string();
  EXPECT_EQ(got.size(), first.moved + rest.moved);
  EXPECT_LT(got.size(), data.size());
  size_t intact = std::min<size_t>(got.size(), first.moved + 1000);
  EXPECT_TRUE(test::same_bytes(got.substr(0, intact), data.substr(0, intact)));
}

// A slow reader on a non-blocking socket: resume at offset + moved after
// each EAGAIN, as an event loop would, and land every byte in order.
TEST_P(SendEngineTest, ResumesAfterWouldBlock) {
  std::string data = pattern_bytes((8ULL << 20) + 3);
  std::string path = dir_.file("src");
  test::write_file(path, data);
  UniqueFd file = open_or_die(path, O_RDONLY);
  auto pair = test::loopback_pair();
  int small = 16384;
  ::setsockopt(pair.server.get(), SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
  ASSERT_TRUE(set_nonblocking(pair.server.get()).is_ok());
  Drainer drain(pair.client.get());
  auto eng = engine();
  uint64_t done = 0;
  int would_blocks = 0;
  while (done < data.size()) {
    Progress p = eng->send(file.get(), done, data.size() - done, pair.server.get());
    done += p.moved;
    if (p.status.would_block()) {
      ++would_blocks;
      pollfd pfd{pair.server.get(), POLLOUT, 0};
      ASSERT_EQ(::poll(&pfd, 1, 10000), 1) << "socket never became writable";
      continue;
    }
    ASSERT_TRUE(p.status.is_ok()) << p.status.to_string();
  }
  pair.server.reset();
  EXPECT_GT(would_blocks, 0) << "the test did not exercise EAGAIN";
  EXPECT_TRUE(test::same_bytes(drain.take(), data));
}

INSTANTIATE_TEST_SUITE_P(Engines, SendEngineTest,
                         ::testing::Values("copy", "copy:1M", "sendfile", "splice", "splice:64K",
                                           "mmap", "mmap:8K"),
                         test::engine_param_name);

TEST(SendEngineFactory, RejectsUnknownNamesClearly) {
  auto e = make_send_engine({"sendfil", 0});
  ASSERT_FALSE(e.is_ok());
  EXPECT_EQ(e.status().code(), Code::kInvalid);
  EXPECT_NE(e.status().to_string().find("sendfil"), std::string::npos);
  EXPECT_FALSE(make_send_engine({"sendfile", 4096}).is_ok());
}

TEST(SendEngineFactory, NamesAreCanonical) {
  EXPECT_EQ((*make_send_engine({"copy", 0}))->name(), "copy:8K");
  EXPECT_EQ((*make_send_engine({"copy", 1 << 20}))->name(), "copy:1M");
  EXPECT_EQ((*make_send_engine({"splice", 0}))->name(), "splice");
  EXPECT_EQ((*make_send_engine({"mmap", 0}))->name(), "mmap");
}

}  // namespace
}  // namespace zcp
