#include "zcp/fd.h"

#include <fcntl.h>
#include <unistd.h>

#include "support/test_support.h"

namespace zcp {
namespace {

class FdTest : public test::FdLeakCheck {};

TEST_F(FdTest, ClosesOnDestructionAndMove) {
  int before = count_open_fds();
  {
    auto fd = open_file("/dev/null", O_RDONLY);
    ASSERT_TRUE(fd.is_ok());
    EXPECT_EQ(count_open_fds(), before + 1);
    UniqueFd moved = std::move(*fd);
    EXPECT_FALSE(fd->valid());
    EXPECT_TRUE(moved.valid());
    UniqueFd other;
    other = std::move(moved);
    EXPECT_EQ(count_open_fds(), before + 1);
  }
  EXPECT_EQ(count_open_fds(), before);
}

TEST_F(FdTest, OpenedWithCloexec) {
  auto fd = open_file("/dev/null", O_RDONLY);
  ASSERT_TRUE(fd.is_ok());
  EXPECT_TRUE(::fcntl(fd->get(), F_GETFD) & FD_CLOEXEC);
}

TEST_F(FdTest, OpenErrorNamesThePath) {
  auto fd = open_file("/nonexistent/zcp", O_RDONLY);
  ASSERT_FALSE(fd.is_ok());
  EXPECT_EQ(fd.status().to_string(), "open /nonexistent/zcp: No such file or directory");
}

TEST_F(FdTest, PipeIsGrown) {
  auto p = make_pipe(1 << 20);
  ASSERT_TRUE(p.is_ok()) << p.status().to_string();
  EXPECT_GE(p->capacity, 65536U);
  EXPECT_EQ(static_cast<size_t>(::fcntl(p->write_end.get(), F_GETPIPE_SZ)), p->capacity);
}

TEST_F(FdTest, ExplicitCloseReportsAndReleases) {
  auto fd = open_file("/dev/null", O_RDONLY);
  ASSERT_TRUE(fd.is_ok());
  EXPECT_TRUE(fd->close().is_ok());
  EXPECT_FALSE(fd->valid());
  EXPECT_TRUE(fd->close().is_ok());  // closing twice is harmless
}

}  // namespace
}  // namespace zcp
