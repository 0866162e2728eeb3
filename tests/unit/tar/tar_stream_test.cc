#include "zcp/tar/tar_stream.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <set>
#include <sstream>

#include "support/test_support.h"
#include "zcp/tar/tar_header.h"

namespace zcp {
namespace {

namespace fs = std::filesystem;

// --- helpers -----------------------------------------------------------------

using Command = test::CommandResult;
Command run(const std::string& command) { return test::run_command(command); }
std::string quote(const std::string& s) { return test::shell_quote(s); }

// Copies `count` bytes of `fd` from `offset` to `out` at `out_offset`,
// skipping holes (SEEK_DATA) so a sparse 9 GiB file costs no time or disk.
void copy_range(int fd, uint64_t offset, uint64_t count, int out, uint64_t out_offset) {
  const uint64_t end = offset + count;
  std::string buf(1 << 20, '\0');
  for (uint64_t at = offset; at < end;) {
    off_t data = ::lseek(fd, static_cast<off_t>(at), SEEK_DATA);
    if (data < 0 || static_cast<uint64_t>(data) >= end) return;  // only a hole is left
    off_t hole = ::lseek(fd, data, SEEK_HOLE);
    uint64_t stop = std::min(static_cast<uint64_t>(hole), end);
    for (at = static_cast<uint64_t>(data); at < stop;) {
      size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), stop - at));
      ssize_t n = ::pread(fd, buf.data(), want, static_cast<off_t>(at));
      ASSERT_GT(n, 0) << "short file";
      auto dest = static_cast<off_t>(out_offset + (at - offset));
      ASSERT_EQ(::pwrite(out, buf.data(), static_cast<size_t>(n), dest), n);
      at += static_cast<uint64_t>(n);
    }
  }
}

struct Drained {
  uint64_t size = 0;
  int max_extra_fds = 0;  // descriptors open beyond those before draining
  std::vector<uint64_t> file_ranges;  // the sizes of the file-range segments, in order
};

// Drains `source` into the file `path` as a sender would, segment by segment.
Drained drain_to_file(BodySource& source, const std::string& path) {
  UniqueFd out = test::open_or_die(path, O_WRONLY | O_CREAT | O_TRUNC);
  const int before = count_open_fds();
  Drained d;
  std::deque<Segment> segments;
  for (bool more = true; more;) {
    auto next = source.next(segments);
    EXPECT_TRUE(next.is_ok()) << next.status().to_string();
    if (!next) break;
    more = *next;
    d.max_extra_fds = std::max(d.max_extra_fds, count_open_fds() - before);
    for (; !segments.empty(); segments.pop_front()) {
      const Segment& s = segments.front();
      if (s.is_file()) {
        d.file_ranges.push_back(s.count);
        copy_range(s.file->get(), s.offset, s.count, out.get(), d.size);
      } else {
        EXPECT_EQ(::pwrite(out.get(), s.data.data(), s.data.size(), static_cast<off_t>(d.size)),
                  static_cast<ssize_t>(s.data.size()));
      }
      d.size += s.size();
    }
  }
  auto again = source.next(segments);  // done stays done
  EXPECT_TRUE(again.is_ok() && !*again && segments.empty());
  EXPECT_EQ(::ftruncate(out.get(), static_cast<off_t>(d.size)), 0);
  return d;
}

// Archives `dir_relative` beneath `root` into `tar_path`.
Drained make_tar(const std::string& root, const std::string& dir_relative, TarOptions options,
                 const std::string& tar_path) {
  UniqueFd root_fd = test::open_or_die(root, O_RDONLY | O_DIRECTORY);
  auto source = make_tar_source(root_fd.get(), dir_relative, std::move(options));
  EXPECT_TRUE(source.is_ok()) << source.status().to_string();
  if (!source) return {};
  root_fd.reset();  // the source holds its own
  return drain_to_file(**source, tar_path);
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Member names as GNU tar reads them; the listing must succeed silently.
std::vector<std::string> tar_names(const std::string& tar_path) {
  Command verbose = run("tar -tvf " + quote(tar_path) + " >/dev/null");
  EXPECT_EQ(verbose.code, 0) << verbose.output;
  EXPECT_EQ(verbose.output, "");
  Command list = run("tar --quoting-style=literal -tf " + quote(tar_path));
  EXPECT_EQ(list.code, 0) << list.output;
  return split_lines(list.output);
}

// No member may land outside the extraction directory.
void expect_safe_names(const std::vector<std::string>& names) {
  for (const auto& name : names) {
    EXPECT_FALSE(name.empty());
    EXPECT_NE(name.front(), '/') << name;
    for (const auto& part : fs::path(name)) EXPECT_NE(part, "..") << name;
  }
}

void extract(const std::string& tar_path, const std::string& out_dir) {
  fs::create_directories(out_dir);
  // -p: exact modes whatever the umask (GNU tar's default only for root).
  Command r = run("tar -xpf " + quote(tar_path) + " -C " + quote(out_dir));
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.output, "") << "GNU tar warned";
}

// Every extracted entry has its source's type, permission bits, mtime and
// size (the source seen through symlinks); returns the relative paths.
std::set<std::string> expect_same_metadata(const std::string& src, const std::string& out) {
  std::set<std::string> seen;
  for (const auto& e : fs::recursive_directory_iterator(out)) {
    std::string rel = fs::relative(e.path(), out).string();
    seen.insert(rel);
    struct stat got {
    }, want{};
    EXPECT_EQ(::lstat(e.path().c_str(), &got), 0) << rel;
    EXPECT_EQ(::stat((src + "/" + rel).c_str(), &want), 0) << rel;
    EXPECT_EQ(got.st_mode, want.st_mode) << rel;  // type and permissions
    EXPECT_EQ(got.st_mtim.tv_sec, want.st_mtim.tv_sec) << rel;
    if (S_ISREG(want.st_mode)) {
      EXPECT_EQ(got.st_size, want.st_size) << rel;
    }
  }
  return seen;
}

std::set<std::string> without_slashes(const std::vector<std::string>& names) {
  std::set<std::string> out;
  for (auto name : names) {
    while (!name.empty() && name.back() == '/') name.pop_back();
    out.insert(name);
  }
  return out;
}

// --- the tree ----------------------------------------------------------------

const std::string kLong150 = std::string(146, 'L') + ".txt";
// Five 60-byte directories: a path of over 300 bytes.
const std::string kDeepPath = [] {
  std::string path;
  for (char c = 'a'; c < 'f'; ++c) path += "deep-" + std::string(55, c) + "/";
  return path + "bottom.txt";
}();
// Fits ustar's prefix and name fields without pax.
const std::string kSplitPath = "split/" + std::string(90, 's') + "/" + std::string(50, 'f');
// Left out by default: dotfiles, symlinks leaving the root, a FIFO.
const char* const kSkipped[] = {".*", "escape", "escape-rel", "fifo"};

void add_file(const std::string& path, const std::string& data, fs::perms mode) {
  fs::create_directories(fs::path(path).parent_path());
  test::write_file(path, data);
  fs::permissions(path, mode);
}

void build_tree(const std::string& src, const std::string& outside) {
  const auto rw = fs::perms(0644);
  add_file(src + "/a/b/c/deep.txt", "deep\n", rw);
  fs::create_directories(src + "/a/b/empty-dir");
  add_file(src + "/empty.txt", "", rw);
  add_file(src + "/with spaces in name.txt", "spaces\n", rw);
  add_file(src + "/naïve – ü.txt", "utf-8\n", rw);
  add_file(src + "/日本語/ファイル.txt", "nihongo\n", rw);
  add_file(src + "/latin1-\xe9.bin", "not utf-8\n", rw);  // a name that is not UTF-8
  add_file(src + "/" + kLong150, "long\n", rw);
  add_file(src + "/long/" + kLong150, "long in dir\n", rw);
  add_file(src + "/" + kDeepPath, "bottom\n", rw);
  add_file(src + "/" + kSplitPath, "split\n", rw);
  add_file(src + "/random.bin", test::pattern_bytes((1 << 20) + 7), rw);
  add_file(src + "/private.txt", "secret\n", fs::perms(0600));
  add_file(src + "/tool.sh", "#!/bin/sh\n", fs::perms(0755));
  fs::permissions(src + "/a/b", fs::perms(0750));
  add_file(src + "/.hidden", "dot\n", rw);
  add_file(src + "/.hiddendir/x", "dot dir\n", rw);
  add_file(outside, "outside the root\n", rw);
  fs::create_symlink("/etc/passwd", src + "/escape");
  fs::create_symlink("../" + fs::path(outside).filename().string(), src + "/escape-rel");
  fs::create_symlink("random.bin", src + "/inside");
  fs::create_symlink("a/b", src + "/inside-dir");
  ASSERT_EQ(::mkfifo((src + "/fifo").c_str(), 0644), 0);
}

// Distinct, old mtimes on every file and directory, so a copy that got
// "now" instead would show.
void set_mtimes(const std::string& src) {
  int64_t t = 1'500'000'000;
  for (const auto& e : fs::recursive_directory_iterator(src)) {
    if (e.is_symlink() || !(e.is_regular_file() || e.is_directory())) continue;
    timespec times[2] = {{t, 0}, {t, 0}};
    t += 3607;
    ASSERT_EQ(::utimensat(AT_FDCWD, e.path().c_str(), times, AT_SYMLINK_NOFOLLOW), 0);
  }
}

std::string diff_excluding_skipped(const std::string& src, const std::string& out, bool dotfiles) {
  std::string command = "diff -r";
  for (const char* name : kSkipped) {
    if (!(dotfiles && std::string(name) == ".*")) command += " -x " + quote(name);
  }
  Command r = run(command + " " + quote(src) + " " + quote(out));
  return r.code == 0 ? "" : r.output.empty() ? "diff failed" : r.output;
}

class TarStreamTest : public test::FdLeakCheck {
 protected:
  void SetUp() override {
    test::FdLeakCheck::SetUp();
    build_tree(src_, tmp_.file("outside.txt"));
    set_mtimes(src_);
  }

  test::TempDir tmp_;
  std::string src_ = tmp_.file("src");
  std::string tar_ = tmp_.file("out.tar");
  std::string out_ = tmp_.file("out");
};

// --- the stream, read back by GNU tar ----------------------------------------

TEST_F(TarStreamTest, GnuTarExtractsTheSameTree) {
  Drained drained = make_tar(src_, "", {}, tar_);
  EXPECT_LE(drained.max_extra_fds, 2) << "one directory and one file open at a time";
  EXPECT_EQ(drained.size % 512, 0U);
  auto names = tar_names(tar_);
  expect_safe_names(names);
  extract(tar_, out_);
  EXPECT_EQ(diff_excluding_skipped(src_, out_, false), "");
  std::set<std::string> extracted = expect_same_metadata(src_, out_);
  EXPECT_EQ(without_slashes(names), extracted);
  EXPECT_EQ(names.size(), extracted.size()) << "no entry twice";
  for (const char* name : {".hidden", ".hiddendir", "escape", "escape-rel", "fifo"}) {
    EXPECT_EQ(extracted.count(name), 0U) << name;
  }
  EXPECT_TRUE(fs::is_directory(out_ + "/a/b/empty-dir"));
  EXPECT_TRUE(fs::is_regular_file(out_ + "/inside"));     // followed, stored as a file
  EXPECT_TRUE(fs::is_directory(out_ + "/inside-dir/c"));  // and as a directory
  EXPECT_EQ(fs::file_size(out_ + "/empty.txt"), 0U);
}

TEST_F(TarStreamTest, DirectoriesComeBeforeTheirContentsInNameOrder) {
  make_tar(src_, "", {}, tar_);
  auto names = tar_names(tar_);
  auto pos = [&](const std::string& name) {
    return std::find(names.begin(), names.end(), name) - names.begin();
  };
  EXPECT_LT(pos("a/"), pos("a/b/"));
  EXPECT_LT(pos("a/b/"), pos("a/b/c/"));
  EXPECT_LT(pos("a/b/c/"), pos("a/b/c/deep.txt"));
  EXPECT_LT(pos("a/b/c/deep.txt"), pos("a/b/empty-dir/"));  // depth first
  EXPECT_LT(pos("a/b/empty-dir/"), pos("empty.txt"));
  EXPECT_LT(pos("empty.txt"), pos("random.bin"));
  // The same tree gives the same bytes.
  std::string first = test::read_file(tar_);
  make_tar(src_, "", {}, tar_);
  EXPECT_TRUE(test::same_bytes(test::read_file(tar_), first));
}

TEST_F(TarStreamTest, DotfilesWhenAsked) {
  TarOptions options;
  options.dotfiles = true;
  make_tar(src_, "", options, tar_);
  extract(tar_, out_);
  EXPECT_EQ(diff_excluding_skipped(src_, out_, true), "");
  EXPECT_EQ(test::read_file(out_ + "/.hidden"), "dot\n");
  EXPECT_EQ(test::read_file(out_ + "/.hiddendir/x"), "dot dir\n");
}

// The prefix names every entry, the directory itself included; the root fd,
// not the directory archived, bounds where symlinks may lead.
TEST_F(TarStreamTest, PrefixAndSubdirectory) {
  TarOptions options;
  options.prefix = "docs";
  make_tar(tmp_.path(), "src/", options, tar_);
  auto names = tar_names(tar_);
  expect_safe_names(names);
  ASSERT_FALSE(names.empty());
  EXPECT_EQ(names.front(), "docs/");
  for (const auto& name : names) EXPECT_EQ(name.rfind("docs/", 0), 0U) << name;
  extract(tar_, out_);
  EXPECT_EQ(test::read_file(out_ + "/docs/escape-rel"), "outside the root\n");
  EXPECT_FALSE(fs::exists(out_ + "/docs/escape"));
  fs::remove(out_ + "/docs/escape-rel");
  EXPECT_EQ(diff_excluding_skipped(src_, out_ + "/docs", false), "");
  expect_same_metadata(src_, out_ + "/docs");
}

TEST_F(TarStreamTest, SymlinksToAncestorsAreNotFollowedForever) {
  std::string dir = tmp_.file("loops");
  add_file(dir + "/sub/file.txt", "x\n", fs::perms(0644));
  fs::create_symlink(".", dir + "/sub/self");
  fs::create_symlink("..", dir + "/sub/up");
  make_tar(dir, "", {}, tar_);
  std::vector<std::string> want = {"sub/", "sub/file.txt"};
  EXPECT_EQ(tar_names(tar_), want);
}

// 9 GiB, sparse: ustar's 11 octal digits stop at 8 GiB, so pax says the size.
TEST_F(TarStreamTest, SizeOver8GiBGoesInPax) {
  const uint64_t kHuge = uint64_t{9} << 30;
  std::string dir = tmp_.file("huge");
  add_file(dir + "/big.bin", "head", fs::perms(0644));
  add_file(dir + "/z.txt", "after the big one\n", fs::perms(0644));
  {
    UniqueFd big = test::open_or_die(dir + "/big.bin", O_WRONLY);
    ASSERT_EQ(::pwrite(big.get(), "tail", 4, static_cast<off_t>(kHuge - 4)), 4);
  }
  Drained drained = make_tar(dir, "", {}, tar_);
  EXPECT_EQ(drained.size, 512 * 3 + kHuge + 512 + 18 + 494 + 1024);  // pax, header, bodies, end
  Command verbose = run("tar -tvf " + quote(tar_));
  EXPECT_EQ(verbose.code, 0) << verbose.output;
  EXPECT_NE(verbose.output.find(" " + std::to_string(kHuge) + " "), std::string::npos)
      << verbose.output;
  // Extracting only the member after it proves tar found where big.bin ends.
  Command after = run("tar -xOf " + quote(tar_) + " z.txt");
  EXPECT_EQ(after.output, "after the big one\n");
  EXPECT_EQ(after.code, 0);
}

// --- small files: read with their headers -------------------------------------

std::string file_bytes(const std::string& path) {
  UniqueFd fd = test::open_or_die(path, O_RDONLY);
  std::string out;
  char buf[65536];
  for (ssize_t n; (n = ::read(fd.get(), buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  return out;
}

TEST_F(TarStreamTest, SmallFilesAreReadIntoTheStreamLargerOnesStayFileRanges) {
  std::string dir = tmp_.file("sizes");
  const uint64_t kSizes[] = {0, 1, 511, 512, 513, 4096, kTarCopyBelow, kTarCopyBelow + 1, 100000};
  for (uint64_t size : kSizes) {
    add_file(dir + "/f" + std::to_string(size), test::pattern_bytes(size), fs::perms(0644));
  }
  Drained drained = make_tar(dir, "", {}, tar_);
  // Names sort as text: f100000 before f16385.
  EXPECT_EQ(drained.file_ranges, (std::vector<uint64_t>{100000, kTarCopyBelow + 1}));
  EXPECT_LE(drained.max_extra_fds, 2);
  extract(tar_, out_);
  EXPECT_EQ(run("diff -r " + quote(dir) + " " + quote(out_)).code, 0);
  // The threshold changes the segments, never the archive's bytes.
  TarOptions all_ranges;
  all_ranges.copy_below = 0;
  std::string ranges_tar = tmp_.file("ranges.tar");
  Drained ranged = make_tar(dir, "", all_ranges, ranges_tar);
  EXPECT_EQ(ranged.file_ranges.size(), std::size(kSizes) - 1);  // all but the empty file
  EXPECT_EQ(file_bytes(ranges_tar), file_bytes(tar_));
}

// part=K/N: the parts are disjoint and together the whole tree, even when
// the tree changes between the parts' walks (files grow, shrink, appear):
// a file's part follows from its path alone, so no file falls in no part.
TEST_F(TarStreamTest, PartsCoverTheTreeOnceWhileItChanges) {
  std::string dir = tmp_.file("parts");
  for (int i = 0; i < 60; ++i) {
    add_file(dir + "/d" + std::to_string(i % 4) + "/f" + std::to_string(i),
             test::pattern_bytes(static_cast<uint64_t>(i) * 700), fs::perms(0644));
  }
  const uint32_t kParts = 3;
  std::set<std::string> seen;
  size_t members = 0;
  for (uint32_t k = 0; k < kParts; ++k) {
    // Before each part's walk, every file so far grows and a new one appears.
    for (int i = 0; i < 60; ++i) {
      std::string path = dir + "/d" + std::to_string(i % 4) + "/f" + std::to_string(i);
      add_file(path, test::pattern_bytes(static_cast<uint64_t>(i) * 700 + 1000 * (k + 1)),
               fs::perms(0644));
    }
    add_file(dir + "/d0/new" + std::to_string(k), "x", fs::perms(0644));
    TarOptions part;
    part.part_index = k;
    part.part_count = kParts;
    std::string tar = tmp_.file("part" + std::to_string(k) + ".tar");
    make_tar(dir, "", part, tar);
    for (const std::string& name : tar_names(tar)) {
      if (name.back() == '/') continue;  // directories are in every part
      ++members;
      EXPECT_TRUE(seen.insert(name).second) << name << " in two parts";
    }
  }
  EXPECT_EQ(members, seen.size());
  for (int i = 0; i < 60; ++i) {
    std::string name = "d" + std::to_string(i % 4) + "/f" + std::to_string(i);
    EXPECT_EQ(seen.count(name), 1U) << name << " in no part";
  }
}

// Beneath a deep tree, with a file after each subdirectory (its directory
// is reopened on the way back): still one directory and one file open.
TEST_F(TarStreamTest, DeepTreesHoldOneDirectoryDescriptor) {
  std::string dir = tmp_.file("deep");
  std::string path = dir;
  for (int depth = 0; depth < 40; ++depth) {
    path += "/d" + std::to_string(depth);
    add_file(path + "/z-after.txt", "level " + std::to_string(depth) + "\n", fs::perms(0644));
  }
  add_file(dir + "/z-top.bin", test::pattern_bytes(3 * kTarCopyBelow), fs::perms(0644));
  Drained drained = make_tar(dir, "", {}, tar_);
  EXPECT_LE(drained.max_extra_fds, 2);
  extract(tar_, out_);
  EXPECT_EQ(run("diff -r " + quote(dir) + " " + quote(out_)).code, 0);
}

// A regular file that ends before the size fstat gave (truncated between
// the two) fails the stream at that member: its header must not promise
// bytes that are not there. Sysfs attributes are such files every time
// (st_size 4096, a few bytes to read).
TEST_F(TarStreamTest, ASmallFileEndingEarlyFailsTheStream) {
  const std::string sysfs = "/sys/kernel/mm";
  struct stat st {};
  if (::stat((sysfs + "/transparent_hugepage/enabled").c_str(), &st) != 0 || st.st_size != 4096) {
    GTEST_SKIP() << "no sysfs attribute to read at " << sysfs;
  }
  UniqueFd root = test::open_or_die(sysfs, O_RDONLY | O_DIRECTORY);
  auto source = make_tar_source(root.get(), "transparent_hugepage", {});
  ASSERT_TRUE(source.is_ok()) << source.status().to_string();
  std::deque<Segment> segments;
  Status failure;
  for (int calls = 0; calls < 1000 && failure.is_ok(); ++calls) {
    auto more = (*source)->next(segments);
    if (!more) failure = more.status();
    else if (!*more) break;
  }
  ASSERT_FALSE(failure.is_ok()) << "the stream ended without an error";
  EXPECT_EQ(failure.code(), Code::kShortFile) << failure.to_string();
  EXPECT_NE(failure.to_string().find("file shrank while being read"), std::string::npos)
      << failure.to_string();
  EXPECT_FALSE(failure.subject().empty()) << "names the member";
  for (const Segment& seg : segments) EXPECT_FALSE(seg.is_file());
}

TEST_F(TarStreamTest, ErrorsNameTheProblem) {
  UniqueFd root = test::open_or_die(src_, O_RDONLY | O_DIRECTORY);
  auto missing = make_tar_source(root.get(), "no-such-dir", {});
  ASSERT_FALSE(missing.is_ok());
  EXPECT_EQ(missing.status().error_number(), ENOENT);
  auto above = make_tar_source(root.get(), "..", {});
  ASSERT_FALSE(above.is_ok());
  EXPECT_EQ(above.status().error_number(), EXDEV);
  auto file = make_tar_source(root.get(), "random.bin", {});
  ASSERT_FALSE(file.is_ok());
  EXPECT_EQ(file.status().error_number(), ENOTDIR);
  for (const char* prefix : {"../x", "/abs", "a/../../b"}) {
    TarOptions options;
    options.prefix = prefix;
    auto bad = make_tar_source(root.get(), "", options);
    ASSERT_FALSE(bad.is_ok()) << prefix;
    EXPECT_EQ(bad.status().code(), Code::kInvalid) << prefix;
  }
}

// --- header encoding ------------------------------------------------------------

uint64_t octal_field(const std::string& block, size_t off, size_t len) {
  uint64_t v = 0;
  for (size_t i = off; i < off + len && block[i] >= '0' && block[i] <= '7'; ++i) {
    v = v * 8 + static_cast<uint64_t>(block[i] - '0');
  }
  return v;
}

TEST(TarHeaderTest, UstarFieldsAndChecksum) {
  std::string h = encode_tar_header({"dir/file.txt", '0', 0640, 1234, 1'600'000'000});
  ASSERT_EQ(h.size(), 512U);
  EXPECT_EQ(h.substr(0, 13), std::string("dir/file.txt\0", 13));
  EXPECT_EQ(h.substr(257, 8), std::string("ustar\0"
                                          "00",
                                          8));
  EXPECT_EQ(octal_field(h, 100, 8), 0640U);
  EXPECT_EQ(octal_field(h, 124, 12), 1234U);
  EXPECT_EQ(octal_field(h, 136, 12), 1'600'000'000U);
  EXPECT_EQ(h[156], '0');
  uint64_t sum = 0;
  for (size_t i = 0; i < 512; ++i)
    sum += i >= 148 && i < 156 ? ' ' : static_cast<unsigned char>(h[i]);
  EXPECT_EQ(octal_field(h, 148, 8), sum);
  EXPECT_EQ(h.substr(154, 2), std::string("\0 ", 2));
}

TEST(TarHeaderTest, PaxOnlyWhenUstarCannotSayIt) {
  EXPECT_EQ(encode_tar_header({kSplitPath, '0', 0644, 1, 0}).size(), 512U);
  EXPECT_EQ(encode_tar_header({"d/", '5', 0755, 0, 0}).size(), 512U);
  std::string split = encode_tar_header({kSplitPath, '0', 0644, 1, 0});
  EXPECT_EQ(split.substr(345, 7), "split/s");  // the prefix field
  for (const std::string& name : {kLong150, kDeepPath, std::string("naïve.txt")}) {
    std::string h = encode_tar_header({name, '0', 0644, 1, 0});
    ASSERT_EQ(h.size(), 512U * 3) << name;
    EXPECT_EQ(h[156], 'x');
    EXPECT_NE(h.find(pax_record("path", name)), std::string::npos) << name;
  }
  std::string big = encode_tar_header({"big", '0', 0644, uint64_t{8} << 30, 0});
  EXPECT_NE(big.find("size=8589934592\n"), std::string::npos);
  EXPECT_EQ(octal_field(big, 512 + 124, 12), 0U);
}

TEST(TarHeaderTest, PaxRecordLengthCountsItself) {
  EXPECT_EQ(pax_record("path", "x"), "9 path=x\n");
  EXPECT_EQ(pax_record("ab", "cdef"), "11 ab=cdef\n");  // 9 + "1" would be 10: two digits
  for (size_t n = 80; n < 120; ++n) {
    std::string record = pax_record("path", std::string(n, 'p'));
    EXPECT_EQ(std::stoul(record), record.size()) << n;
  }
}

TEST(TarHeaderTest, Padding) {
  EXPECT_EQ(tar_padding(0).size(), 0U);
  EXPECT_EQ(tar_padding(1).size(), 511U);
  EXPECT_EQ(tar_padding(512).size(), 0U);
  EXPECT_EQ(tar_end_blocks(), std::string(1024, '\0'));
}

}  // namespace
}  // namespace zcp
