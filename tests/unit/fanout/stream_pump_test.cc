// stream_pump (the relay's path when either side is TLS in user space),
// here over PlainStreams on real loopback sockets: the file and the next
// host get exact bytes at an offset; an upstream that stops short is an
// input error; no descriptor leaked.
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "support/test_support.h"
#include "zcp/base/socket.h"
#include "zcp/base/stream.h"
#include "zcp/fanout/tee_pump.h"

namespace zcp {
namespace {

class StreamPumpTest : public test::FdLeakCheck {
 protected:
  test::TempDir dir_;
};

TEST_F(StreamPumpTest, FileAndNextHostGetExactBytes) {
  const uint64_t offset = 4097;
  std::string data = test::pattern_bytes((3 << 20) + 5);
  {
    auto in = test::loopback_pair();
    auto out = test::loopback_pair();
    UniqueFd file = test::open_or_die(dir_.file("copy"), O_RDWR | O_CREAT | O_TRUNC);
    std::thread writer([&] {
      (void)send_all(in.client.get(), data);
      ::shutdown(in.client.get(), SHUT_WR);
    });
    test::Drainer next(out.server.get());
    PlainStream upstream(in.server.get());
    PlainStream downstream(out.client.get());
    TeeResult r = stream_pump(upstream, data.size(), file.get(), offset, &downstream);
    writer.join();
    ::shutdown(out.client.get(), SHUT_WR);
    std::string forwarded = next.take();
    EXPECT_TRUE(r.in.is_ok()) << r.in.to_string();
    EXPECT_TRUE(r.file.is_ok()) << r.file.to_string();
    EXPECT_TRUE(r.out.is_ok()) << r.out.to_string();
    EXPECT_EQ(r.received, data.size());
    EXPECT_TRUE(test::same_bytes(forwarded, data));
  }
  std::string stored = test::read_file(dir_.file("copy"));
  ASSERT_EQ(stored.size(), offset + data.size());
  EXPECT_TRUE(test::same_bytes(stored.substr(offset), data));
}

TEST_F(StreamPumpTest, ShortUpstreamIsAnInputError) {
  auto in = test::loopback_pair();
  std::string data = test::pattern_bytes(100000);
  std::thread writer([&] {
    (void)send_all(in.client.get(), data);
    ::shutdown(in.client.get(), SHUT_WR);
  });
  UniqueFd file = test::open_or_die(dir_.file("copy"), O_RDWR | O_CREAT | O_TRUNC);
  PlainStream upstream(in.server.get());
  TeeResult r = stream_pump(upstream, data.size() + 10, file.get(), 0, nullptr);
  writer.join();
  EXPECT_FALSE(r.in.is_ok());
  EXPECT_EQ(r.received, data.size());
}

}  // namespace
}  // namespace zcp
