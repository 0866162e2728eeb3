// tee_pump over real loopback TCP connections and real files: both sinks
// get exact bytes at an offset, either sink alone, a next host that leaves
// early, a full disk, a sender that stops short, and no descriptor leaked.
// Every socket has a 10 s timeout, so a bug fails a test instead of hanging it.
#include "zcp/fanout/tee_pump.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <thread>

#include "support/test_support.h"
#include "zcp/base/sigpipe.h"
#include "zcp/send_engine.h"

namespace zcp {
namespace {

using test::pattern_bytes;

constexpr std::chrono::milliseconds kTimeout{10000};
constexpr uint64_t kOffset = 4097;  // odd and not page-aligned

// A loopback connection whose both ends time out instead of blocking forever.
test::SocketPair bounded_pair() {
  auto pair = test::loopback_pair();
  EXPECT_TRUE(set_blocking_with_timeout(pair.client.get(), kTimeout).is_ok());
  EXPECT_TRUE(set_blocking_with_timeout(pair.server.get(), kTimeout).is_ok());
  return pair;
}

// What one tee_pump call did, seen from both ends.
struct Outcome {
  TeeResult r;
  std::string forwarded;  // what the next host's reader got
  Status writer;          // the sender's send_all
};

struct Plan {
  std::string data;     // what the sender sends
  uint64_t length = 0;  // what the pump is told to expect
  int file = -1;        // -1: store nothing
  uint64_t offset = kOffset;
  bool forward = true;                  // false: out = -1
  uint64_t reader_limit = UINT64_MAX;   // the reader closes after this many bytes
  std::chrono::milliseconds linger{0};  // ... and this long, the pump blocked on it
  size_t pipe_size = kDefaultPipeSize;
};

// The sender writes plan.data (then half-closes) on one thread, the next
// host reads on another, and the pump runs here between them.
Outcome run_pump(const Plan& plan) {
  Outcome o;
  auto in = bounded_pair();   // sender (client) -> pump (server)
  auto out = bounded_pair();  // pump (client) -> next host (server)
  std::thread writer([&] {
    o.writer = send_all(in.client.get(), plan.data);
    ::shutdown(in.client.get(), SHUT_WR);
  });
  std::string forwarded;
  std::thread reader([&] {
    char buf[65536];
    while (forwarded.size() < plan.reader_limit) {
      size_t want = std::min<uint64_t>(sizeof(buf), plan.reader_limit - forwarded.size());
      ssize_t n = ::recv(out.server.get(), buf, want, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      forwarded.append(buf, static_cast<size_t>(n));
    }
    if (plan.reader_limit != UINT64_MAX) {
      std::this_thread::sleep_for(plan.linger);
      out.server.reset();  // leaves early, bytes unread
    }
  });
  o.r = tee_pump(in.server.get(), plan.length, plan.file, plan.offset,
                 plan.forward ? out.client.get() : -1, plan.pipe_size);
  out.client.reset();  // EOF for the reader
  in.server.reset();   // a sender the pump stopped reading from fails rather than waits
  writer.join();
  reader.join();
  o.forwarded = std::move(forwarded);
  return o;
}

// A file that already holds `prefix` before the pump writes behind it.
UniqueFd file_with_prefix(const std::string& path, const std::string& prefix) {
  test::write_file(path, prefix);
  return test::open_or_die(path, O_WRONLY);
}

class TeePumpTest : public test::FdLeakCheck, public ::testing::WithParamInterface<size_t> {
 protected:
  test::TempDir dir_;
};

// Every status ok and every byte taken from the input.
void expect_clean(const Outcome& o, uint64_t size) {
  EXPECT_TRUE(o.r.in.is_ok()) << o.r.in.to_string();
  EXPECT_TRUE(o.r.file.is_ok()) << o.r.file.to_string();
  EXPECT_TRUE(o.r.out.is_ok()) << o.r.out.to_string();
  EXPECT_EQ(o.r.received, size);
}

// --- both sinks --------------------------------------------------------------

TEST_P(TeePumpTest, BothSinksGetExactBytes) {
  const std::string prefix = pattern_bytes(kOffset, 99);
  for (uint64_t size : {0ULL, 1ULL, 8191ULL, (1ULL << 20) + 3, 20ULL << 20}) {
    SCOPED_TRACE("size " + std::to_string(size));
    std::string path = dir_.file("copy");
    UniqueFd file = file_with_prefix(path, prefix);
    Plan plan{.data = pattern_bytes(size, size + 1), .length = size, .file = file.get()};
    plan.pipe_size = GetParam();
    Outcome o = run_pump(plan);
    expect_clean(o, size);
    EXPECT_TRUE(o.writer.is_ok()) << o.writer.to_string();
    EXPECT_TRUE(test::same_bytes(o.forwarded, plan.data));
    std::string stored = test::read_file(path);
    ASSERT_EQ(stored.size(), kOffset + size);
    EXPECT_TRUE(test::same_bytes(stored.substr(0, kOffset), prefix))
        << "bytes before offset changed";
    EXPECT_TRUE(test::same_bytes(stored.substr(kOffset), plan.data));
  }
}

// Into a new, empty file: the bytes before the offset stay a hole of zeros.
TEST_P(TeePumpTest, BytesBeforeOffsetOfANewFileStayZero) {
  std::string path = dir_.file("new");
  UniqueFd file = test::open_or_die(path, O_WRONLY | O_CREAT | O_TRUNC);
  Plan plan{.data = pattern_bytes((1 << 20) + 3, 5), .length = (1 << 20) + 3, .file = file.get()};
  plan.pipe_size = GetParam();
  Outcome o = run_pump(plan);
  EXPECT_TRUE(o.r.in.is_ok() && o.r.file.is_ok() && o.r.out.is_ok());
  EXPECT_EQ(o.r.received, plan.length);
  EXPECT_TRUE(test::same_bytes(o.forwarded, plan.data));
  std::string stored = test::read_file(path);
  ASSERT_EQ(stored.size(), kOffset + plan.length);
  EXPECT_EQ(stored.substr(0, kOffset), std::string(kOffset, '\0'));
  EXPECT_TRUE(test::same_bytes(stored.substr(kOffset), plan.data));
}

// --- one sink ----------------------------------------------------------------

TEST_P(TeePumpTest, ForwardOnly) {
  for (uint64_t size : {0ULL, 1ULL, 8191ULL, (1ULL << 20) + 3}) {
    SCOPED_TRACE("size " + std::to_string(size));
    Plan plan{.data = pattern_bytes(size, size + 2), .length = size, .file = -1};
    plan.pipe_size = GetParam();
    Outcome o = run_pump(plan);
    expect_clean(o, size);
    EXPECT_TRUE(test::same_bytes(o.forwarded, plan.data));
  }
}

TEST_P(TeePumpTest, StoreOnly) {
  const std::string prefix = pattern_bytes(kOffset, 98);
  for (uint64_t size : {0ULL, 1ULL, 8191ULL, (1ULL << 20) + 3}) {
    SCOPED_TRACE("size " + std::to_string(size));
    std::string path = dir_.file("stored");
    UniqueFd file = file_with_prefix(path, prefix);
    Plan plan{.data = pattern_bytes(size, size + 3),
              .length = size,
              .file = file.get(),
              .forward = false};
    plan.pipe_size = GetParam();
    Outcome o = run_pump(plan);
    expect_clean(o, size);
    EXPECT_TRUE(o.forwarded.empty()) << "out = -1 yet " << o.forwarded.size() << " bytes went out";
    std::string stored = test::read_file(path);
    ASSERT_EQ(stored.size(), kOffset + size);
    EXPECT_TRUE(test::same_bytes(stored.substr(0, kOffset), prefix));
    EXPECT_TRUE(test::same_bytes(stored.substr(kOffset), plan.data));
  }
}

// --- a failing sink ------------------------------------------------------------

// The next host reads `keep` bytes and closes: the file still gets every
// byte. Returns what went wrong ("" when nothing did), so it can run in a
// child process too.
std::string next_host_leaves_early(const std::string& dir, size_t pipe_size, uint64_t keep,
                                   uint64_t size, std::chrono::milliseconds linger) {
  std::string path = dir + "/early";
  UniqueFd file = test::open_or_die(path, O_WRONLY | O_CREAT | O_TRUNC);
  Plan plan{.data = pattern_bytes(size, 11), .length = size, .file = file.get()};
  plan.reader_limit = keep;
  plan.linger = linger;
  plan.pipe_size = pipe_size;
  Outcome o = run_pump(plan);
  std::string why;
  if (!o.r.in.is_ok()) why += "in: " + o.r.in.to_string() + "\n";
  if (!o.r.file.is_ok()) why += "file: " + o.r.file.to_string() + "\n";
  int err = o.r.out.error_number();
  if (o.r.out.is_ok() || o.r.out.code() != Code::kSystem || (err != EPIPE && err != ECONNRESET)) {
    why += "out: want EPIPE or ECONNRESET, got '" + o.r.out.to_string() + "'\n";
  }
  if (o.r.received != size) why += "received " + std::to_string(o.r.received) + "\n";
  if (o.forwarded != plan.data.substr(0, o.forwarded.size()) || o.forwarded.size() > keep) {
    why += "the next host got wrong bytes\n";
  }
  std::string stored = test::read_file(path);
  if (stored.size() != kOffset + size || stored.compare(kOffset, size, plan.data) != 0) {
    why += "the file is not the input (" + std::to_string(stored.size()) + " bytes)\n";
  }
  return why;
}

TEST_P(TeePumpTest, NextHostLeavesEarlyFileGetsEverything) {
  // What tee_pump should do itself (the test below): SIGPIPE blocked, a
  // raised one swallowed. Not SIG_IGN, which sigpipe.cc caches process-wide.
  ScopedSigpipeBlock no_sigpipe;
  for (uint64_t keep : {0ULL, 1ULL, 100000ULL, 3ULL << 20}) {
    for (auto linger : {std::chrono::milliseconds(0), std::chrono::milliseconds(50)}) {
      EXPECT_EQ(next_host_leaves_early(dir_.path(), GetParam(), keep, 16ULL << 20, linger), "")
          << "keep " << keep << ", linger " << linger.count() << " ms";
    }
  }
}

// Regression: splice(2) into a socket whose peer has gone raises SIGPIPE,
// and tee_pump, unlike the splice and sendfile send engines, did not block it (ScopedSigpipeBlock,
// sigpipe.h). A process that did not ignore SIGPIPE (any library user; a test with an in-process
// relay) dies. Run in a forked child (no other thread is alive here; its
// files land in this test's TempDir) with SIGPIPE's default disposition.
// Which error the kernel reports first (ECONNRESET, or EPIPE with the
// signal) depends on timing; a next host that stops reading and closes a
// little later, while the pump is blocked mid-splice, gets EPIPE every
// time. It now blocks SIGPIPE.
TEST_P(TeePumpTest, NextHostLeavesEarlyRaisesNoSigpipe) {
  std::string dir = dir_.path();
  size_t pipe_size = GetParam();
  EXPECT_EXIT(
      {
        ::signal(SIGPIPE, SIG_DFL);
        std::string why;
        for (int i = 0; i < 3 && why.empty(); ++i) {
          // The pump blocked mid-splice when the reset comes: the kernel
          // reports a partial splice, then EPIPE (with the signal) next.
          why += next_host_leaves_early(dir, pipe_size, 100000, 16 << 20,
                                        std::chrono::milliseconds(50));
          why += next_host_leaves_early(dir, pipe_size, 0, 4 << 20, std::chrono::milliseconds(0));
        }
        std::fputs(why.c_str(), stderr);
        std::_Exit(why.empty() ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

// The file lives on a 64 KiB tmpfs: ENOSPC mid-stream. The next host still
// gets every byte.
TEST_P(TeePumpTest, DiskFullNextHostGetsEverything) {
  test::SmallTmpfs fs("64k");
  if (!fs.mounted()) GTEST_SKIP() << fs.why();
  const uint64_t size = 4ULL << 20;
  UniqueFd file = test::open_or_die(fs.file("full"), O_WRONLY | O_CREAT | O_TRUNC);
  Plan plan{.data = pattern_bytes(size, 12), .length = size, .file = file.get()};
  plan.pipe_size = GetParam();
  Outcome o = run_pump(plan);
  EXPECT_TRUE(o.r.in.is_ok()) << o.r.in.to_string();
  EXPECT_TRUE(o.r.out.is_ok()) << o.r.out.to_string();
  EXPECT_EQ(o.r.file.error_number(), ENOSPC) << o.r.file.to_string();
  EXPECT_NE(o.r.file.to_string().find("No space left on device"), std::string::npos)
      << o.r.file.to_string();
  EXPECT_EQ(o.r.received, size);
  EXPECT_TRUE(test::same_bytes(o.forwarded, plan.data));
  // Whatever reached the file is the input's own bytes.
  std::string stored = test::read_file(fs.file("full"));
  ASSERT_LE(stored.size(), kOffset + size);
  if (stored.size() > kOffset) {
    EXPECT_TRUE(
        test::same_bytes(stored.substr(kOffset), plan.data.substr(0, stored.size() - kOffset)));
  }
}

// Store only and the disk fills: no sink is left, yet the pump reads the
// rest (and drops it), so the sender can finish and read the answer that
// says "disk full" instead of dying on a reset.
TEST_P(TeePumpTest, DiskFullStoreOnlyReadsToTheEnd) {
  test::SmallTmpfs fs("64k");
  if (!fs.mounted()) GTEST_SKIP() << fs.why();
  const uint64_t size = 32ULL << 20;  // more than the loopback socket buffers hold
  UniqueFd file = test::open_or_die(fs.file("full"), O_WRONLY | O_CREAT | O_TRUNC);
  Plan plan{.data = pattern_bytes(size, 13), .length = size, .file = file.get(), .forward = false};
  plan.pipe_size = GetParam();
  Outcome o = run_pump(plan);
  EXPECT_TRUE(o.r.in.is_ok()) << o.r.in.to_string();
  EXPECT_TRUE(o.r.out.is_ok()) << o.r.out.to_string();
  EXPECT_EQ(o.r.file.error_number(), ENOSPC) << o.r.file.to_string();
  EXPECT_EQ(o.r.received, size);
  EXPECT_TRUE(o.writer.is_ok()) << o.writer.to_string();
}

// --- the input ends early ---------------------------------------------------------

TEST_P(TeePumpTest, SenderStopsShort) {
  for (uint64_t sent : {0ULL, 1ULL, 8191ULL, (1ULL << 20) + 3}) {
    SCOPED_TRACE("sent " + std::to_string(sent));
    const uint64_t length = (2ULL << 20) + 1;
    std::string path = dir_.file("short");
    UniqueFd file = test::open_or_die(path, O_WRONLY | O_CREAT | O_TRUNC);
    Plan plan{.data = pattern_bytes(sent, 14), .length = length, .file = file.get()};
    plan.pipe_size = GetParam();
    Outcome o = run_pump(plan);
    EXPECT_EQ(o.r.in.code(), Code::kPeerClosed) << o.r.in.to_string();
    EXPECT_NE(o.r.in.to_string().find(std::to_string(sent) + " of " + std::to_string(length)),
              std::string::npos)
        << o.r.in.to_string();
    EXPECT_TRUE(o.r.file.is_ok()) << o.r.file.to_string();
    EXPECT_TRUE(o.r.out.is_ok()) << o.r.out.to_string();
    EXPECT_EQ(o.r.received, sent);
    EXPECT_TRUE(test::same_bytes(o.forwarded, plan.data));
    std::string stored = test::read_file(path);
    if (sent > 0) {
      ASSERT_EQ(stored.size(), kOffset + sent);
      EXPECT_TRUE(test::same_bytes(stored.substr(kOffset), plan.data));
    }
  }
}

// A length of 0 reads nothing: the sender's bytes stay in the socket.
TEST_P(TeePumpTest, ZeroLengthReadsNothing) {
  std::string path = dir_.file("zero");
  UniqueFd file = test::open_or_die(path, O_WRONLY | O_CREAT | O_TRUNC);
  auto in = bounded_pair();
  auto out = bounded_pair();
  ASSERT_TRUE(send_all(in.client.get(), "not for the pump").is_ok());
  TeeResult r = tee_pump(in.server.get(), 0, file.get(), kOffset, out.client.get(), GetParam());
  EXPECT_TRUE(r.in.is_ok() && r.file.is_ok() && r.out.is_ok());
  EXPECT_EQ(r.received, 0U);
  char buf[64];
  EXPECT_EQ(::recv(in.server.get(), buf, sizeof(buf), MSG_DONTWAIT), 16);
  EXPECT_EQ(test::read_file(path), "");
}

// 64 KiB: many chunks per megabyte; 1 MiB: the relay's own size.
std::string pipe_name(const ::testing::TestParamInfo<size_t>& p) {
  return "pipe" + std::to_string(p.param >> 10) + "K";
}
INSTANTIATE_TEST_SUITE_P(PipeSizes, TeePumpTest, ::testing::Values(size_t{65536}, kDefaultPipeSize),
                         pipe_name);

}  // namespace
}  // namespace zcp
