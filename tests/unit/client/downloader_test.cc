// download() against a real zcp::Server on loopback: the kind of each
// failure comes back in the result, decided where it happened (a full disk
// is a write failure whether the socket or the file call returned it; a
// closed port is the connection; a 404 the HTTP answer), for one stream
// and for parallel ranges, and no empty .part stays behind.
#include "zcp/downloader.h"

#include <sys/stat.h>

#include "support/test_support.h"
#include "zcp/server.h"

namespace zcp {
namespace {

class DownloaderTest : public test::FdLeakCheck {
 protected:
  void SetUp() override {
    test::FdLeakCheck::SetUp();
    data_ = test::pattern_bytes(4 << 20, 11);
    test::write_file(root_.file("four.bin"), data_);
    ServerConfig c;
    c.root = root_.path();
    c.listen = "127.0.0.1:0";
    c.workers = 1;
    server_ = std::make_unique<test::RunningServer>(std::move(c));
    ASSERT_TRUE(server_->ok());
  }
  void TearDown() override {
    server_.reset();
    test::FdLeakCheck::TearDown();
  }
  Url url(const std::string& path) {
    auto u = parse_url("http://" + server_->address().to_string() + path);
    EXPECT_TRUE(u.is_ok());
    return *u;
  }
  static bool exists(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
  }

  test::TempDir root_, out_;
  std::string data_;
  std::unique_ptr<test::RunningServer> server_;
};

TEST_F(DownloaderTest, LandsTheBytes) {
  for (int streams : {1, 4}) {
    GetOptions o;
    o.dest = out_.file("got" + std::to_string(streams));
    o.streams = streams;
    auto r = download(url("/four.bin"), o);
    ASSERT_TRUE(r.is_ok()) << r.error().to_string();
    EXPECT_EQ(r.error().kind, GetFailure::kNone);
    EXPECT_EQ(r->streams, streams);
    EXPECT_TRUE(test::same_bytes(test::read_file(o.dest), data_));
  }
}

TEST_F(DownloaderTest, NotFoundIsAnHttpFailureAndLeavesNoPart) {
  GetOptions o;
  o.dest = out_.file("missing");
  auto r = download(url("/nope.bin"), o);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.error().kind, GetFailure::kHttp) << r.error().to_string();
  EXPECT_NE(r.error().to_string().find("404"), std::string::npos) << r.error().to_string();
  EXPECT_FALSE(exists(o.dest));
  EXPECT_FALSE(exists(o.dest + ".part"));
}

TEST_F(DownloaderTest, ClosedPortIsAConnectFailure) {
  // The server's port, once it stopped, has nobody listening.
  SocketAddress gone = server_->address();
  server_.reset();
  GetOptions o;
  o.dest = out_.file("refused");
  o.timeout = std::chrono::milliseconds(2000);
  auto u = parse_url("http://" + gone.to_string() + "/four.bin");
  ASSERT_TRUE(u.is_ok());
  auto r = download(*u, o);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.error().kind, GetFailure::kConnect) << r.error().to_string();
  EXPECT_FALSE(exists(o.dest + ".part"));
}

TEST_F(DownloaderTest, FullDiskIsAWriteFailureNamingThePart) {
  test::SmallTmpfs fs("1m");
  if (!fs.mounted()) GTEST_SKIP() << fs.why();
  for (int streams : {1, 4}) {
    GetOptions o;
    o.dest = fs.file("big" + std::to_string(streams));
    o.streams = streams;
    auto r = download(url("/four.bin"), o);
    ASSERT_FALSE(r.is_ok()) << "4 MiB fitted into a 1 MiB tmpfs";
    EXPECT_EQ(r.error().kind, GetFailure::kWrite) << streams << ": " << r.error().to_string();
    EXPECT_NE(r.error().to_string().find(".part"), std::string::npos) << r.error().to_string();
    EXPECT_FALSE(exists(o.dest)) << "a partial file under the final name";
  }
}

}  // namespace
}  // namespace zcp

namespace zcp {
namespace {

// One stream per CPU, at least 2 and at most 4 (the disk-landing measurement).
TEST(DefaultStreams, OnePerCpuFromTwoToFour) {
  unsigned cpus = std::thread::hardware_concurrency();
  int want = cpus < 2 ? 2 : cpus > 4 ? 4 : static_cast<int>(cpus);
  EXPECT_EQ(default_streams(), want);
}

}  // namespace
}  // namespace zcp
