#include "zcp/server/file_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "support/test_support.h"
#include "zcp/http/http_request.h"
#include "zcp/http/http_response.h"
#include "zcp/server/mime.h"
#include "zcp/server/request_handler.h"

namespace zcp {
namespace {

using namespace std::chrono_literals;
using Clock = FileCache::Clock;

// A served root with its descriptor, and a file cache over it whose clock
// the test moves by hand, so "within the bound" and "past it" are exact.
class FileCacheTest : public test::FdLeakCheck {
 protected:
  void SetUp() override {
    test::FdLeakCheck::SetUp();
    root_ = open_file(dir_.path(), O_PATH | O_DIRECTORY);
    ASSERT_TRUE(root_.is_ok());
  }
  void TearDown() override {
    root_ = Status::invalid("closed");  // before the leak check counts
    test::FdLeakCheck::TearDown();
  }
  std::string path(const std::string& name) const { return dir_.file(name); }
  // Replaces `name` the way editors and rsync do: a new inode renamed over it.
  void replace(const std::string& name, const std::string& data) {
    test::write_file(path(name + ".new"), data);
    ASSERT_EQ(::rename(path(name + ".new").c_str(), path(name).c_str()), 0);
  }
  FileCache cache(size_t entries = 16) {
    return FileCache(root_->get(), {entries, 100ms, 16 * 1024});
  }
  // The bytes a response would carry: from memory or read from the fd.
  static std::string body(const OpenFilePtr& f) {
    if (f->has_bytes) return f->bytes;
    std::string out(static_cast<size_t>(f->st.st_size), '\0');
    EXPECT_EQ(::pread(f->fd.get(), out.data(), out.size(), 0), static_cast<ssize_t>(out.size()));
    return out;
  }

  test::TempDir dir_;
  Result<UniqueFd> root_ = Status::invalid("not opened");
  Clock::time_point t0_ = Clock::now();
};

TEST_F(FileCacheTest, HitWithinTheBoundOpensNothing) {
  test::write_file(path("a.txt"), "alpha");
  auto c = cache();
  auto first = c.open("a.txt", t0_, nullptr);
  ASSERT_TRUE(first.is_ok()) << first.status().to_string();
  auto second = c.open("a.txt", t0_ + 99ms, nullptr);
  ASSERT_TRUE(second.is_ok());
  EXPECT_EQ(first->get(), second->get()) << "the same entry, not a new open";
  EXPECT_EQ(c.counters().opens, 1u);
  EXPECT_EQ(c.counters().hits, 1u);
  EXPECT_TRUE((*second)->has_bytes);
  EXPECT_EQ((*second)->bytes, "alpha");
  EXPECT_FALSE((*second)->etag.empty());
}

TEST_F(FileCacheTest, ReplacedFileIsSeenOnceTheBoundHasPassed) {
  test::write_file(path("a.txt"), "old contents");
  auto c = cache();
  ASSERT_EQ(body(*c.open("a.txt", t0_, nullptr)), "old contents");
  replace("a.txt", "new");
  // Within the documented bound the old inode may still be served ...
  EXPECT_EQ(body(*c.open("a.txt", t0_ + 50ms, nullptr)), "old contents");
  // ... never past it.
  auto after = c.open("a.txt", t0_ + 100ms, nullptr);
  ASSERT_TRUE(after.is_ok());
  EXPECT_EQ(body(*after), "new");
  EXPECT_EQ((*after)->st.st_size, 3);
}

TEST_F(FileCacheTest, TruncatedFileIsSeenOnceTheBoundHasPassed) {
  // One kept in memory, one too big for that (sent from its descriptor).
  std::string small = test::pattern_bytes(4096), big = test::pattern_bytes(100000);
  test::write_file(path("small.bin"), small);
  test::write_file(path("big.bin"), big);
  auto c = cache();
  ASSERT_TRUE(c.open("small.bin", t0_, nullptr).is_ok());
  ASSERT_TRUE(c.open("big.bin", t0_, nullptr).is_ok());
  ASSERT_EQ(::truncate(path("small.bin").c_str(), 10), 0);
  ASSERT_EQ(::truncate(path("big.bin").c_str(), 10), 0);
  // Kept bytes stay consistent with their stat until the bound: the old
  // version whole, never a mix.
  auto within = c.open("small.bin", t0_ + 10ms, nullptr);
  EXPECT_EQ((*within)->bytes, small);
  auto s = c.open("small.bin", t0_ + 100ms, nullptr);
  auto b = c.open("big.bin", t0_ + 100ms, nullptr);
  ASSERT_TRUE(s.is_ok() && b.is_ok());
  EXPECT_EQ(body(*s), small.substr(0, 10));
  EXPECT_EQ((*b)->st.st_size, 10);
  EXPECT_EQ(body(*b), big.substr(0, 10));
}

TEST_F(FileCacheTest, DeletedFileIs404OnceTheBoundHasPassed) {
  test::write_file(path("gone.txt"), "x");
  auto c = cache();
  ASSERT_TRUE(c.open("gone.txt", t0_, nullptr).is_ok());
  ASSERT_EQ(::unlink(path("gone.txt").c_str()), 0);
  PathError err;
  auto after = c.open("gone.txt", t0_ + 100ms, &err);
  EXPECT_FALSE(after.is_ok());
  EXPECT_EQ(err.status, 404);
  EXPECT_EQ(c.size(), 0u) << "a failed revalidation drops the entry";
}

TEST_F(FileCacheTest, ChmodIsSeenOnceTheBoundHasPassed) {
  test::write_file(path("m.txt"), "x");
  ASSERT_EQ(::chmod(path("m.txt").c_str(), 0644), 0);
  auto c = cache();
  ASSERT_TRUE(c.open("m.txt", t0_, nullptr).is_ok());
  ASSERT_EQ(::chmod(path("m.txt").c_str(), 0), 0);
  PathError err;
  auto after = c.open("m.txt", t0_ + 100ms, &err);
  if (::geteuid() == 0) {  // root opens a mode-0 file; the new mode is what it sees
    ASSERT_TRUE(after.is_ok());
    EXPECT_EQ((*after)->st.st_mode & 07777, 0u);
  } else {
    EXPECT_FALSE(after.is_ok());
    EXPECT_EQ(err.status, 403);
  }
}

TEST_F(FileCacheTest, SymlinkSwappedToOutsideTheRootIsRefusedNeverFollowed) {
  test::TempDir outside;
  test::write_file(outside.file("secret"), "outside the root");
  test::write_file(path("inside.txt"), "inside");
  ASSERT_EQ(::symlink("inside.txt", path("link").c_str()), 0);
  auto c = cache();
  ASSERT_EQ(body(*c.open("link", t0_, nullptr)), "inside");
  // Swap the link atomically for one that leaves the root.
  ASSERT_EQ(::symlink(outside.file("secret").c_str(), path("link.new").c_str()), 0);
  ASSERT_EQ(::rename(path("link.new").c_str(), path("link").c_str()), 0);
  auto within = c.open("link", t0_ + 50ms, nullptr);
  ASSERT_TRUE(within.is_ok());
  EXPECT_EQ(body(*within), "inside") << "within the bound: the old target, which is inside";
  PathError err;
  auto after = c.open("link", t0_ + 100ms, &err);
  EXPECT_FALSE(after.is_ok()) << "a fresh open beneath the root refuses the escape";
  EXPECT_EQ(err.status, 403);
  // Nor does a path that was never cached get through.
  EXPECT_FALSE(c.open("link", t0_ + 100ms, nullptr).is_ok());
}

TEST_F(FileCacheTest, FullCacheHoldsAtMostItsEntriesOpen) {
  for (int i = 0; i < 40; ++i) test::write_file(path("f" + std::to_string(i)), "x");
  int before = count_open_fds();
  auto c = cache(8);
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 40; ++i) {
      auto f = c.open("f" + std::to_string(i), t0_, nullptr);
      ASSERT_TRUE(f.is_ok()) << f.status().to_string();
    }
    EXPECT_EQ(c.size(), 8u);
    EXPECT_EQ(count_open_fds() - before, 8) << "evicted entries closed their descriptors";
  }
  EXPECT_EQ(c.counters().evictions, 3u * 40 - 8);
}

TEST_F(FileCacheTest, EvictsTheLeastRecentlyUsed) {
  for (const char* n : {"a", "b", "c"}) test::write_file(path(n), n);
  auto c = cache(2);
  ASSERT_TRUE(c.open("a", t0_, nullptr).is_ok());
  ASSERT_TRUE(c.open("b", t0_, nullptr).is_ok());
  ASSERT_TRUE(c.open("a", t0_, nullptr).is_ok());  // a is now the most recent
  ASSERT_TRUE(c.open("c", t0_, nullptr).is_ok());  // b goes
  uint64_t opens = c.counters().opens;
  ASSERT_TRUE(c.open("a", t0_, nullptr).is_ok());
  EXPECT_EQ(c.counters().opens, opens) << "a stayed";
  ASSERT_TRUE(c.open("b", t0_, nullptr).is_ok());
  EXPECT_EQ(c.counters().opens, opens + 1) << "b was evicted";
}

TEST_F(FileCacheTest, NeitherDirectoriesNorErrorsAreCached) {
  ASSERT_EQ(::mkdir(path("d").c_str(), 0755), 0);
  auto c = cache();
  auto d = c.open("d", t0_, nullptr);
  ASSERT_TRUE(d.is_ok());
  EXPECT_TRUE(S_ISDIR((*d)->st.st_mode));
  EXPECT_EQ(c.size(), 0u);
  PathError err;
  EXPECT_FALSE(c.open("later.txt", t0_, &err).is_ok());
  EXPECT_EQ(err.status, 404);
  test::write_file(path("later.txt"), "now here");
  auto later = c.open("later.txt", t0_ + 1ms, nullptr);
  ASSERT_TRUE(later.is_ok()) << "a 404 is not remembered";
  EXPECT_EQ(body(*later), "now here");
}

TEST_F(FileCacheTest, ExpireClosesWhatIsTooOldToTrust) {
  test::write_file(path("a"), "a");
  test::write_file(path("b"), "b");
  int before = count_open_fds();
  auto c = cache();
  ASSERT_TRUE(c.open("a", t0_, nullptr).is_ok());
  ASSERT_TRUE(c.open("b", t0_ + 60ms, nullptr).is_ok());
  c.expire(t0_ + 99ms);
  EXPECT_EQ(c.size(), 2u);
  c.expire(t0_ + 100ms);
  EXPECT_EQ(c.size(), 1u);
  EXPECT_EQ(count_open_fds() - before, 1);
  c.expire(t0_ + 160ms);
  EXPECT_EQ(c.size(), 0u);
  EXPECT_EQ(count_open_fds(), before) << "an idle cache holds no descriptor";
}

TEST_F(FileCacheTest, BigFilesKeepNoBytes) {
  test::write_file(path("big.bin"), test::pattern_bytes(16 * 1024 + 1));
  test::write_file(path("edge.bin"), test::pattern_bytes(16 * 1024));
  auto c = cache();
  EXPECT_FALSE((*c.open("big.bin", t0_, nullptr))->has_bytes);
  EXPECT_TRUE((*c.open("edge.bin", t0_, nullptr))->has_bytes);
  EXPECT_EQ((*c.open("edge.bin", t0_, nullptr))->bytes, test::pattern_bytes(16 * 1024));
}

// The request handler answers the same with and without the cache: the
// same status, headers and body bytes, for files, ranges, HEAD, 304s,
// dotfiles, directories and errors.
TEST_F(FileCacheTest, HandlerAnswersTheSameWithAndWithoutTheCache) {
  test::write_file(path("a.txt"), "hello\n");
  test::write_file(path("big.bin"), test::pattern_bytes(200000));
  test::write_file(path(".hidden"), "dot");
  ASSERT_EQ(::mkdir(path("d").c_str(), 0755), 0);
  MimeTypes mime = MimeTypes::load();
  auto c = cache();
  HandlerConfig plain{root_->get(), &mime, false, nullptr, false, false, nullptr, 16 * 1024};
  HandlerConfig cached = plain;
  cached.files = &c;
  auto text = [](const Response& r) {
    std::string out = std::to_string(r.status) + "\n";
    for (const auto& [k, v] : r.headers) out += k + ": " + v + "\n";
    for (const Segment& s : r.body) {
      if (!s.is_file()) {
        out += s.bytes_view();
        continue;
      }
      std::string part(s.count, '\0');
      EXPECT_EQ(::pread(s.file->get(), part.data(), part.size(), static_cast<off_t>(s.offset)),
                static_cast<ssize_t>(part.size()));
      out += part;
    }
    return out;
  };
  for (int pass = 0; pass < 2; ++pass) {  // the second pass hits the cache
    for (const char* target : {"/a.txt", "/big.bin", "/.hidden", "/d/", "/d", "/missing", "/a.txt/"}) {
      for (const char* method : {"GET", "HEAD"}) {
        HttpRequest req;
        req.method = method;
        req.target = target;
        req.headers = {{"Host", "x"}};
        EXPECT_EQ(text(handle_request(req, cached)), text(handle_request(req, plain)))
            << method << " " << target << " pass " << pass;
      }
    }
    HttpRequest range;
    range.method = "GET";
    range.target = "/big.bin";
    range.headers = {{"Host", "x"}, {"Range", "bytes=100-199"}};
    EXPECT_EQ(text(handle_request(range, cached)), text(handle_request(range, plain)));
    range.target = "/a.txt";
    range.headers = {{"Host", "x"}, {"Range", "bytes=1-3"}};
    EXPECT_EQ(text(handle_request(range, cached)), text(handle_request(range, plain)));
  }
  EXPECT_GT(c.counters().hits, 0u);
}

}  // namespace
}  // namespace zcp
