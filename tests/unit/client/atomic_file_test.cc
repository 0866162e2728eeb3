// AtomicFile: DEST appears only at commit(), DEST.part survives a failure
// for resume, and devices and FIFOs are written in place.
#include "zcp/client/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "support/test_support.h"

namespace zcp {
namespace {

using test::read_file;
using test::write_file;

class AtomicFileTest : public test::FdLeakCheck {
 protected:
  static void write_all(const AtomicFile& f, const std::string& data, uint64_t offset) {
    ASSERT_EQ(::pwrite(f.fd(), data.data(), data.size(), static_cast<off_t>(offset)),
              static_cast<ssize_t>(data.size()));
  }
  static bool exists(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
  }

  test::TempDir dir_;
};

TEST_F(AtomicFileTest, CommitRenamesPartOverDest) {
  const std::string dest = dir_.file("out.bin");
  write_file(dest, "old contents");
  auto f = AtomicFile::open(dest, {});
  ASSERT_TRUE(f.is_ok()) << f.status().to_string();
  EXPECT_FALSE(f->direct());
  EXPECT_EQ(f->part_path(), dest + ".part");
  EXPECT_EQ(f->existing_size(), 0u);
  write_all(*f, "new contents!", 0);
  EXPECT_EQ(read_file(dest), "old contents") << "DEST changed before commit";
  Status s = f->commit(std::nullopt);
  ASSERT_TRUE(s.is_ok()) << s.to_string();
  EXPECT_EQ(read_file(dest), "new contents!");
  EXPECT_FALSE(exists(dest + ".part"));
}

TEST_F(AtomicFileTest, PartKeptWhenDestroyedWithoutCommit) {
  const std::string dest = dir_.file("out.bin");
  {
    auto f = AtomicFile::open(dest, {});
    ASSERT_TRUE(f.is_ok()) << f.status().to_string();
    write_all(*f, "half", 0);
  }
  EXPECT_FALSE(exists(dest));
  EXPECT_EQ(read_file(dest + ".part"), "half");
}

TEST_F(AtomicFileTest, ResumeKeepsBytesAndReportsThem) {
  const std::string dest = dir_.file("out.bin");
  write_file(dest + ".part", "first half ");
  auto f = AtomicFile::open(dest, {.resume = true});
  ASSERT_TRUE(f.is_ok()) << f.status().to_string();
  EXPECT_EQ(f->existing_size(), 11u);
  write_all(*f, "second half", f->existing_size());
  ASSERT_TRUE(f->commit(std::nullopt).is_ok());
  EXPECT_EQ(read_file(dest), "first half second half");
}

TEST_F(AtomicFileTest, WithoutResumeThePartIsTruncated) {
  const std::string dest = dir_.file("out.bin");
  write_file(dest + ".part", "stale bytes from before");
  auto f = AtomicFile::open(dest, {});
  ASSERT_TRUE(f.is_ok()) << f.status().to_string();
  EXPECT_EQ(f->existing_size(), 0u);
  EXPECT_EQ(read_file(dest + ".part"), "");
}

TEST_F(AtomicFileTest, RestartDropsResumedBytes) {
  const std::string dest = dir_.file("out.bin");
  write_file(dest + ".part", "from a server that changed the file");
  auto f = AtomicFile::open(dest, {.resume = true});
  ASSERT_TRUE(f.is_ok()) << f.status().to_string();
  ASSERT_GT(f->existing_size(), 0u);
  ASSERT_TRUE(f->restart().is_ok());
  EXPECT_EQ(f->existing_size(), 0u);
  write_all(*f, "fresh", 0);
  ASSERT_TRUE(f->commit(std::nullopt).is_ok());
  EXPECT_EQ(read_file(dest), "fresh");
}

TEST_F(AtomicFileTest, PreallocateSetsTheSize) {
  const std::string dest = dir_.file("out.bin");
  auto f = AtomicFile::open(dest, {});
  ASSERT_TRUE(f.is_ok()) << f.status().to_string();
  ASSERT_TRUE(f->preallocate(1 << 20).is_ok());
  write_all(*f, "tail", (1 << 20) - 4);
  ASSERT_TRUE(f->commit(std::nullopt).is_ok());
  std::string got = read_file(dest);
  ASSERT_EQ(got.size(), 1u << 20);
  EXPECT_EQ(got.substr(got.size() - 4), "tail");
}

TEST_F(AtomicFileTest, FsyncAndMtime) {
  const std::string dest = dir_.file("out.bin");
  auto f = AtomicFile::open(dest, {.fsync = true});
  ASSERT_TRUE(f.is_ok()) << f.status().to_string();
  write_all(*f, "durable", 0);
  Status s = f->commit(1234567890);
  ASSERT_TRUE(s.is_ok()) << s.to_string();
  struct stat st {};
  ASSERT_EQ(::stat(dest.c_str(), &st), 0);
  EXPECT_EQ(st.st_mtim.tv_sec, 1234567890);
  EXPECT_EQ(st.st_mtim.tv_nsec, 0);
  EXPECT_EQ(read_file(dest), "durable");
}

TEST_F(AtomicFileTest, RelativeDestWithFsync) {
  // The directory to fsync is "." when DEST names no directory.
  const std::string saved = std::filesystem::current_path();
  ASSERT_EQ(::chdir(dir_.path().c_str()), 0);
  auto f = AtomicFile::open("plain", {.fsync = true});
  ASSERT_TRUE(f.is_ok()) << f.status().to_string();
  Status s = f->commit(std::nullopt);
  EXPECT_TRUE(s.is_ok()) << s.to_string();
  ASSERT_EQ(::chdir(saved.c_str()), 0);
  EXPECT_TRUE(exists(dir_.file("plain")));
}

TEST_F(AtomicFileTest, DevNullIsWrittenDirectlyAndNotReplaced) {
  auto f = AtomicFile::open("/dev/null", {.resume = true, .fsync = true});
  ASSERT_TRUE(f.is_ok()) << f.status().to_string();
  EXPECT_TRUE(f->direct());
  EXPECT_EQ(f->existing_size(), 0u);
  EXPECT_EQ(::write(f->fd(), "x", 1), 1);
  EXPECT_TRUE(f->preallocate(100).is_ok());
  EXPECT_TRUE(f->restart().is_ok());
  Status s = f->commit(1234567890);
  ASSERT_TRUE(s.is_ok()) << s.to_string();
  struct stat st {};
  ASSERT_EQ(::stat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_FALSE(exists("/dev/null.part"));
}

TEST_F(AtomicFileTest, FifoIsWrittenDirectly) {
  const std::string fifo = dir_.file("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::string got;
  // Opening a FIFO for writing blocks until a reader comes.
  std::thread reader([&] { got = read_file(fifo); });
  auto f = AtomicFile::open(fifo, {});
  ASSERT_TRUE(f.is_ok()) << f.status().to_string();
  EXPECT_TRUE(f->direct());
  EXPECT_EQ(::write(f->fd(), "through the fifo", 16), 16);
  Status s = f->commit(std::nullopt);
  reader.join();
  ASSERT_TRUE(s.is_ok()) << s.to_string();
  EXPECT_EQ(got, "through the fifo");
  struct stat st {};
  ASSERT_EQ(::lstat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_FALSE(exists(fifo + ".part"));
}

TEST_F(AtomicFileTest, DirectoryDestIsRefused) {
  auto f = AtomicFile::open(dir_.path(), {});
  ASSERT_FALSE(f.is_ok());
  EXPECT_EQ(f.status().code(), Code::kInvalid);
  EXPECT_NE(f.status().to_string().find(dir_.path()), std::string::npos);
  EXPECT_NE(f.status().to_string().find("is a directory"), std::string::npos);
}

TEST_F(AtomicFileTest, ErrorsNameThePath) {
  const std::string dest = dir_.file("missing/dir/out.bin");
  auto f = AtomicFile::open(dest, {});
  ASSERT_FALSE(f.is_ok());
  EXPECT_EQ(f.status().error_number(), ENOENT);
  EXPECT_NE(f.status().to_string().find(dest + ".part"), std::string::npos)
      << f.status().to_string();
}

TEST_F(AtomicFileTest, RenameFailureNamesBothPaths) {
  const std::string dest = dir_.file("out.bin");
  auto f = AtomicFile::open(dest, {});
  ASSERT_TRUE(f.is_ok()) << f.status().to_string();
  // A non-empty directory appears at DEST meanwhile: rename cannot replace it.
  ASSERT_EQ(::mkdir(dest.c_str(), 0755), 0);
  write_file(dest + "/inside", "x");
  Status s = f->commit(std::nullopt);
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.op(), "rename");
  EXPECT_NE(s.to_string().find(dest + ".part -> " + dest), std::string::npos) << s.to_string();
  EXPECT_TRUE(exists(dest + ".part")) << "the bytes are kept for a retry";
  EXPECT_FALSE(f->commit(std::nullopt).is_ok()) << "a second commit has no file";
}

}  // namespace
}  // namespace zcp
