// extract_tar over a real loopback socket with the splice receive engine:
// archives from GNU tar (gnu and pax formats) and from zcp's own tar
// stream come out identical to their source tree, and hostile archives
// create nothing outside DEST and no truncated file under a final name.
#include "zcp/tar/tar_extract.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <deque>
#include <filesystem>
#include <set>
#include <thread>

#include "support/test_support.h"
#include "zcp/tar/tar_header.h"
#include "zcp/tar/tar_stream.h"

namespace zcp {
namespace {

namespace fs = std::filesystem;

// --- running commands --------------------------------------------------------

using Command = test::CommandResult;
Command run(const std::string& command) { return test::run_command(command); }
std::string quote(const std::string& s) { return test::shell_quote(s); }

// --- feeding an archive through a socket -------------------------------------

struct Feed {
  Framing framing = Framing::kUntilClose;
  size_t leftover = 0;  // bytes handed to BodyReader as read with the head
};

struct Extracted {
  Result<ExtractStats> result = Status::invalid("not run");
  uint64_t progress = 0;  // the last progress report: file bytes so far
};

// A thread writes `archive` into one end of a loopback connection and
// closes it; extract_tar reads the other end with the splice engine.
Extracted extract_bytes(const std::string& archive, const std::string& dest, Feed feed = {},
                        const ExtractOptions& options = {}) {
  auto pair = test::loopback_pair();
  const size_t leftover = std::min(feed.leftover, archive.size());
  std::thread writer([&] {
    for (size_t done = leftover; done < archive.size();) {
      ssize_t n =
          ::send(pair.server.get(), archive.data() + done, archive.size() - done, MSG_NOSIGNAL);
      if (n <= 0) break;  // the reader gave up (a hostile archive)
      done += static_cast<size_t>(n);
    }
    ::shutdown(pair.server.get(), SHUT_WR);
  });
  auto engine = make_recv_engine(*parse_engine_spec("splice"));
  EXPECT_TRUE(engine.is_ok()) << engine.status().to_string();
  BodyReader body(pair.client.get(), feed.framing, archive.size(), archive.substr(0, leftover));
  Extracted out;
  std::function<void(uint64_t)> progress = [&](uint64_t n) {
    EXPECT_GE(n, out.progress);
    out.progress = n;
  };
  out.result = extract_tar(body, dest, **engine, progress, options);
  pair.client.reset();  // unblocks the writer if extraction stopped early
  writer.join();
  return out;
}

// zcp's own tar stream of `root`, drained into memory as a sender would.
std::string zcp_tar_bytes(const std::string& root) {
  UniqueFd root_fd = test::open_or_die(root, O_RDONLY | O_DIRECTORY);
  auto source = make_tar_source(root_fd.get(), ".", {});
  EXPECT_TRUE(source.is_ok()) << source.status().to_string();
  if (!source) return {};
  std::string out;
  std::deque<Segment> segments;
  for (bool more = true; more;) {
    auto next = (*source)->next(segments);
    EXPECT_TRUE(next.is_ok()) << next.status().to_string();
    if (!next) break;
    more = *next;
    for (; !segments.empty(); segments.pop_front()) {
      const Segment& s = segments.front();
      if (!s.is_file()) {
        out += s.data;
        continue;
      }
      std::string data(s.count, '\0');
      EXPECT_EQ(::pread(s.file->get(), data.data(), data.size(), static_cast<off_t>(s.offset)),
                static_cast<ssize_t>(data.size()));
      out += data;
    }
  }
  return out;
}

// GNU tar's archive of `root`: "-C root ." gives a leading "./" entry,
// `members` names the top-level entries instead (no entry for the root).
std::string gnu_tar_bytes(const std::string& root, const std::string& format,
                          const std::string& members, const std::string& tar_path) {
  Command r = run("tar --format=" + format + " -cf " + quote(tar_path) + " -C " + quote(root) +
                  " " + members);
  EXPECT_EQ(r.code, 0) << r.output;
  return test::read_file(tar_path);
}

// --- the tree ----------------------------------------------------------------

const std::string kLongPath =
    "long/" + std::string(60, 'n') + "/" + std::string(120, 'f') + ".txt";  // > 100 bytes

void add_file(const std::string& path, const std::string& data, unsigned mode) {
  fs::create_directories(fs::path(path).parent_path());
  test::write_file(path, data);
  ASSERT_EQ(::chmod(path.c_str(), mode), 0);
}

void build_tree(const std::string& src) {
  add_file(src + "/big.bin", test::pattern_bytes(1 << 20, 42), 0644);
  add_file(src + "/empty.txt", "", 0644);
  add_file(src + "/with spaces.txt", "spaces\n", 0644);
  add_file(src + "/héllo wörld/ünïcode – ok.txt", "utf-8\n", 0644);
  add_file(src + "/" + kLongPath, "long\n", 0644);
  add_file(src + "/private/secret.txt", "secret\n", 0600);
  add_file(src + "/tool.sh", "#!/bin/sh\n", 0755);
  fs::create_directories(src + "/empty-dir");
  ASSERT_EQ(::chmod((src + "/private").c_str(), 0700), 0);
  ASSERT_EQ(::chmod((src + "/empty-dir").c_str(), 0755), 0);
  // Distinct old mtimes (after all content exists), so "now" would show.
  int64_t t = 1'500'000'000;
  for (const auto& e : fs::recursive_directory_iterator(src)) {
    timespec times[2] = {{t, 0}, {t, 0}};
    t += 3607;
    ASSERT_EQ(::utimensat(AT_FDCWD, e.path().c_str(), times, AT_SYMLINK_NOFOLLOW), 0);
  }
}

// Same bytes (diff -r, which also sees extra files such as a left .part),
// type, permission bits and mtime for every entry under `src`.
void expect_same_tree(const std::string& src, const std::string& out) {
  Command diff = run("diff -r " + quote(src) + " " + quote(out));
  EXPECT_EQ(diff.code, 0) << diff.output;
  for (const auto& e : fs::recursive_directory_iterator(src)) {
    const std::string rel = fs::relative(e.path(), src).string();
    struct stat want {
    }, got{};
    ASSERT_EQ(::lstat(e.path().c_str(), &want), 0) << rel;
    ASSERT_EQ(::lstat((out + "/" + rel).c_str(), &got), 0) << rel;
    EXPECT_EQ(got.st_mode, want.st_mode) << rel;
    EXPECT_EQ(got.st_mtim.tv_sec, want.st_mtim.tv_sec) << rel;
  }
}

class TarExtractTest : public test::FdLeakCheck {
 protected:
  void SetUp() override {
    test::FdLeakCheck::SetUp();
    build_tree(src_);
  }

  // Extracts `archive` into a fresh directory in every way it can arrive
  // and compares it with the source tree.
  void expect_extracts_tree(const std::string& archive, const std::string& subdir = "") {
    const Feed feeds[] = {{Framing::kUntilClose, 0},
                          {Framing::kLength, 0},
                          {Framing::kLength, 700},
                          {Framing::kUntilClose, 3000}};
    int n = 0;
    for (const Feed& feed : feeds) {
      SCOPED_TRACE("feed " + std::to_string(n));
      const std::string out = tmp_.file("out" + std::to_string(n++));
      fs::create_directory(out);
      Extracted x = extract_bytes(archive, out, feed);
      ASSERT_TRUE(x.result.is_ok()) << x.result.status().to_string();
      EXPECT_EQ(x.result->files, 7u);
      EXPECT_EQ(x.result->bytes, (1u << 20) + 7 + 6 + 5 + 7 + 10);
      EXPECT_EQ(x.progress, x.result->bytes);
      expect_same_tree(src_, out + subdir);
    }
  }

  test::TempDir tmp_;
  std::string src_ = tmp_.file("src");
};

// --- well-formed archives ----------------------------------------------------

TEST_F(TarExtractTest, GnuFormatWithLeadingDotEntry) {
  expect_extracts_tree(gnu_tar_bytes(src_, "gnu", ".", tmp_.file("a.tar")));
}

TEST_F(TarExtractTest, PaxFormatWithLeadingDotEntry) {
  expect_extracts_tree(gnu_tar_bytes(src_, "pax", ".", tmp_.file("a.tar")));
}

TEST_F(TarExtractTest, WithoutAnEntryForTheRoot) {
  const std::string members =
      "big.bin empty.txt 'with spaces.txt' 'héllo wörld' long private tool.sh empty-dir";
  expect_extracts_tree(gnu_tar_bytes(src_, "pax", members, tmp_.file("a.tar")));
  expect_extracts_tree(gnu_tar_bytes(src_, "gnu", members, tmp_.file("b.tar")));
}

TEST_F(TarExtractTest, UnderATopDirectory) {
  // "tar -C tmp -cf - src": every member starts with "src/".
  std::string archive = gnu_tar_bytes(tmp_.path(), "pax", "src", tmp_.file("a.tar"));
  expect_extracts_tree(archive, "/src");
}

TEST_F(TarExtractTest, ZcpsOwnTarStream) { expect_extracts_tree(zcp_tar_bytes(src_)); }

TEST_F(TarExtractTest, ExtractingTwiceReplacesFiles) {
  const std::string archive = gnu_tar_bytes(src_, "pax", ".", tmp_.file("a.tar"));
  const std::string out = tmp_.file("out");
  fs::create_directory(out);
  ASSERT_TRUE(extract_bytes(archive, out).result.is_ok());
  test::write_file(out + "/big.bin", "changed");
  Extracted again = extract_bytes(archive, out);
  ASSERT_TRUE(again.result.is_ok()) << again.result.status().to_string();
  expect_same_tree(src_, out);
}

// A file is created with its final mode when open's umask keeps it (no
// fchmod then); setuid, group/other-writable and umask-stripped modes
// still come out right, and a regular .part left by an interrupted run
// is replaced, its mode not inherited.
TEST_F(TarExtractTest, ModesWhetherCreatedFinalOrChmodded) {
  const std::string modes_src = tmp_.file("modes");
  add_file(modes_src + "/ro", "ro\n", 0444);
  add_file(modes_src + "/shared", "shared\n", 0664);
  add_file(modes_src + "/suid", "suid\n", 04755);
  add_file(modes_src + "/open", "open\n", 0666);
  const std::string archive = gnu_tar_bytes(modes_src, "pax", ".", tmp_.file("m.tar"));
  struct Case {
    ExtractOptions options;
    uint32_t ro, shared, suid, open;
  };
  const Case cases[] = {{{true, 022}, 0444, 0664, 04755, 0666},
                        {{false, 022}, 0444, 0644, 0755, 0644},
                        {{false, 077}, 0400, 0600, 0700, 0600}};
  int n = 0;
  for (const Case& c : cases) {
    const std::string out = tmp_.file("mout" + std::to_string(n++));
    fs::create_directory(out);
    test::write_file(out + "/ro.part", "leftover");
    ASSERT_EQ(::chmod((out + "/ro.part").c_str(), 0777), 0);
    Extracted x = extract_bytes(archive, out, {}, c.options);
    ASSERT_TRUE(x.result.is_ok()) << x.result.status().to_string();
    auto mode_of = [&](const char* name) {
      struct stat st {};
      EXPECT_EQ(::stat((out + "/" + name).c_str(), &st), 0) << name;
      return st.st_mode & 07777;
    };
    EXPECT_EQ(mode_of("ro"), c.ro) << n;
    EXPECT_EQ(mode_of("shared"), c.shared) << n;
    EXPECT_EQ(mode_of("suid"), c.suid) << n;
    EXPECT_EQ(mode_of("open"), c.open) << n;
    EXPECT_EQ(test::read_file(out + "/ro"), "ro\n");
    EXPECT_FALSE(fs::exists(out + "/ro.part"));
  }
}

TEST_F(TarExtractTest, DestMustBeADirectory) {
  const std::string file = tmp_.file("plain");
  test::write_file(file, "x");
  Extracted x = extract_bytes(tar_end_blocks(), file);
  ASSERT_FALSE(x.result.is_ok());
  EXPECT_NE(x.result.status().to_string().find(file), std::string::npos);
}

// --- hand-built archives -----------------------------------------------------

std::string octal(uint64_t value, size_t digits) {
  std::string out(digits, '0');
  for (size_t i = digits; i-- > 0; value >>= 3) out[i] = static_cast<char>('0' + (value & 7));
  return out;
}

// One ustar header block; `checksum_delta` spoils the checksum.
std::string raw_header(const std::string& name, uint64_t size, char type,
                       const std::string& link = "", int checksum_delta = 0) {
  std::string b(kTarBlock, '\0');
  auto put = [&](size_t off, const std::string& text) { b.replace(off, text.size(), text); };
  put(0, name.substr(0, 100));
  put(100, octal(0644, 7));
  put(108, octal(0, 7));
  put(116, octal(0, 7));
  put(124, octal(size, 11));
  put(136, octal(1234567890, 11));
  put(148, std::string(8, ' '));
  b[156] = type;
  put(157, link.substr(0, 100));
  put(257, std::string("ustar\0"
                       "00",
                       8));
  uint64_t sum = 0;
  for (char c : b) sum += static_cast<unsigned char>(c);
  put(148, octal(sum + static_cast<uint64_t>(checksum_delta), 6) + std::string(1, '\0'));
  return b;
}

// A member: header, body and padding to a whole block.
std::string member(const std::string& name, const std::string& body, char type = '0',
                   const std::string& link = "") {
  return raw_header(name, body.size(), type, link) + body + tar_padding(body.size());
}

std::string pax_member(const std::string& records) { return member("PaxHeaders/x", records, 'x'); }

TEST_F(TarExtractTest, PaxRecordsOverrideTheHeader) {
  std::string records = pax_record("path", "dir/from pax.txt") +
                        pax_record("mtime", "1234567890.5") + pax_record("uid", "1000");
  std::string archive = pax_member(records) + member("ustar-name", "contents") + tar_end_blocks();
  const std::string out = tmp_.file("out");
  fs::create_directory(out);
  Extracted x = extract_bytes(archive, out);
  ASSERT_TRUE(x.result.is_ok()) << x.result.status().to_string();
  EXPECT_EQ(test::read_file(out + "/dir/from pax.txt"), "contents");
  EXPECT_FALSE(fs::exists(out + "/ustar-name"));
  struct stat st {};
  ASSERT_EQ(::stat((out + "/dir/from pax.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mtim.tv_sec, 1234567890);
  EXPECT_EQ(st.st_mtim.tv_nsec, 500000000);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
}

TEST_F(TarExtractTest, SkipsLinksAndEndsAfterOneZeroBlockAtEof) {
  std::string archive = member("sym", "", '2', "target") + member("hard", "", '1', "sym") +
                        member("fifo", "", '6') + member("kept", "kept\n") +
                        std::string(kTarBlock, '\0');
  const std::string out = tmp_.file("out");
  fs::create_directory(out);
  Extracted x = extract_bytes(archive, out);
  ASSERT_TRUE(x.result.is_ok()) << x.result.status().to_string();
  EXPECT_EQ(x.result->files, 1u);
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(out)) names.insert(e.path().filename().string());
  EXPECT_EQ(names, std::set<std::string>{"kept"});
}

TEST_F(TarExtractTest, MissingEndMarkerIsATruncatedArchive) {
  const std::string out = tmp_.file("out");
  fs::create_directory(out);
  Extracted x = extract_bytes(member("complete", "all of it"), out);
  ASSERT_FALSE(x.result.is_ok());
  EXPECT_EQ(x.result.status().code(), Code::kPeerClosed);
  EXPECT_EQ(test::read_file(out + "/complete"), "all of it") << "the member itself was whole";
}

// --- hostile archives --------------------------------------------------------

// DEST is top/wrap/dest, so "../../x" would still land inside top; a
// directory top/outside is there for symlinks to point at.
class HostileTarTest : public test::FdLeakCheck {
 protected:
  void SetUp() override {
    test::FdLeakCheck::SetUp();
    fs::create_directories(dest_);
    fs::create_directories(outside_);
    test::write_file(outside_ + "/target", "untouched");
  }

  // Everything under top except DEST's contents.
  std::set<std::string> outside_dest() const {
    std::set<std::string> names;
    auto it = fs::recursive_directory_iterator(top_.path());
    for (; it != fs::recursive_directory_iterator(); ++it) {
      std::string rel = fs::relative(it->path(), top_.path()).string();
      names.insert(rel);
      if (rel == "wrap/dest") it.disable_recursion_pending();
    }
    return names;
  }

  // Extracts; afterwards nothing new exists outside DEST and no .part is left.
  Extracted extract(const std::string& archive, Feed feed = {}) {
    Extracted x = extract_bytes(archive, dest_, feed);
    EXPECT_EQ(outside_dest(),
              (std::set<std::string>{"wrap", "wrap/dest", "outside", "outside/target"}));
    EXPECT_EQ(test::read_file(outside_ + "/target"), "untouched");
    for (const auto& e : fs::recursive_directory_iterator(dest_)) {
      EXPECT_NE(e.path().extension().string(), ".part") << e.path().string();
    }
    return x;
  }

  void expect_refused(const std::string& archive, const std::string& name) {
    Extracted x = extract(archive);
    ASSERT_FALSE(x.result.is_ok()) << name;
    EXPECT_EQ(x.result.status().code(), Code::kInvalid) << x.result.status().to_string();
    EXPECT_NE(x.result.status().to_string().find(name), std::string::npos)
        << x.result.status().to_string();
  }

  test::TempDir top_;
  std::string dest_ = top_.file("wrap/dest");
  std::string outside_ = top_.file("outside");
};

TEST_F(HostileTarTest, DotDotAndAbsoluteNames) {
  const std::string absolute = outside_ + "/evil";
  for (const std::string& name : {std::string("../evil"), std::string("a/../../evil"),
                                  std::string("../../evil"), absolute, std::string("/etc/evil")}) {
    SCOPED_TRACE(name);
    expect_refused(member(name, "evil\n") + tar_end_blocks(), name);
    EXPECT_FALSE(fs::exists(dest_ + "/a")) << "refused before creating parents";
  }
  EXPECT_FALSE(fs::exists("/etc/evil"));
}

TEST_F(HostileTarTest, DotDotDirectory) {
  expect_refused(member("../up/", "", '5') + tar_end_blocks(), "../up/");
}

TEST_F(HostileTarTest, PaxPathWithDotDot) {
  std::string archive =
      pax_member(pax_record("path", "../../x")) + member("innocent", "evil\n") + tar_end_blocks();
  expect_refused(archive, "../../x");
  EXPECT_FALSE(fs::exists(dest_ + "/innocent"));
}

TEST_F(HostileTarTest, EmptyNameAndNulInPaxPath) {
  expect_refused(member("", "x") + tar_end_blocks(), "empty name");
  std::string nul =
      pax_member(pax_record("path", std::string("a\0b", 3))) + member("x", "x") + tar_end_blocks();
  expect_refused(nul, "NUL");
}

TEST_F(HostileTarTest, SymlinkEntryThenFileThroughIt) {
  // Symlinks are skipped, so "link/evil" either fails or lands in DEST.
  std::string archive =
      member("link", "", '2', outside_) + member("link/evil", "evil\n") + tar_end_blocks();
  Extracted x = extract(archive);
  if (x.result.is_ok()) {
    EXPECT_EQ(test::read_file(dest_ + "/link/evil"), "evil\n");
    EXPECT_FALSE(fs::is_symlink(dest_ + "/link"));
  }
  EXPECT_FALSE(fs::exists(outside_ + "/evil"));
}

TEST_F(HostileTarTest, PlantedSymlinksInDest) {
  fs::create_symlink(outside_, dest_ + "/planted");
  fs::create_symlink("..", dest_ + "/up");
  const char* names[] = {"planted/evil", "planted/sub/evil", "up/evil"};
  for (const char* name : names) {
    SCOPED_TRACE(name);
    expect_refused(member(name, "evil\n") + tar_end_blocks(), name);
  }
  expect_refused(member("planted/", "", '5') + tar_end_blocks(), "planted");
  EXPECT_FALSE(fs::exists(top_.file("wrap/evil")));
}

TEST_F(HostileTarTest, PlantedSymlinkAsPartFile) {
  // O_NOFOLLOW: NAME.part pointing outside is not written through.
  fs::create_symlink(outside_ + "/target", dest_ + "/f.part");
  Extracted x = extract_bytes(member("f", "evil\n") + tar_end_blocks(), dest_);
  ASSERT_FALSE(x.result.is_ok());
  EXPECT_NE(x.result.status().to_string().find("f.part"), std::string::npos);
  EXPECT_EQ(test::read_file(outside_ + "/target"), "untouched");
  EXPECT_FALSE(fs::exists(dest_ + "/f"));
}

TEST_F(HostileTarTest, SizeLargerThanTheStream) {
  std::string archive = raw_header("dir/big", 1 << 20, '0') + std::string(1000, 'x');
  for (Framing framing : {Framing::kUntilClose, Framing::kLength}) {
    Extracted x = extract(archive, {framing, 0});
    ASSERT_FALSE(x.result.is_ok());
    EXPECT_EQ(x.result.status().code(), Code::kPeerClosed) << x.result.status().to_string();
    EXPECT_FALSE(fs::exists(dest_ + "/dir/big")) << "a truncated file under its final name";
  }
}

TEST_F(HostileTarTest, BadChecksum) {
  std::string archive = member("ok", "fine\n") + raw_header("bad", 5, '0', "", 1) + "evil\n" +
                        tar_padding(5) + tar_end_blocks();
  Extracted x = extract(archive);
  ASSERT_FALSE(x.result.is_ok());
  EXPECT_EQ(x.result.status().code(), Code::kInvalid);
  EXPECT_NE(x.result.status().to_string().find("checksum"), std::string::npos);
  EXPECT_FALSE(fs::exists(dest_ + "/bad"));
}

TEST_F(HostileTarTest, HugeExtendedHeaderIsRefused) {
  Extracted x = extract(raw_header("PaxHeaders/x", uint64_t{1} << 32, 'x'));
  ASSERT_FALSE(x.result.is_ok());
  EXPECT_EQ(x.result.status().code(), Code::kInvalid);
}

// What GNU tar 1.34 gave on this machine for the same archive modes (as
// nobody with umask 022 and 077, with and without -p; root preserves).
TEST(ExtractedModeTest, FollowsGnuTar) {
  struct Case {
    uint32_t archived, ordinary_022, ordinary_077;
  };
  const Case cases[] = {{04755, 0755, 0700}, {02755, 0755, 0700}, {01777, 0755, 0700},
                        {06777, 0755, 0700}, {0777, 0755, 0700},  {0666, 0644, 0600},
                        {0400, 0400, 0400},  {0, 0, 0},           {0700, 0700, 0700}};
  for (const Case& c : cases) {
    EXPECT_EQ(extracted_mode(c.archived, {false, 022}), c.ordinary_022) << std::oct << c.archived;
    EXPECT_EQ(extracted_mode(c.archived, {false, 077}), c.ordinary_077) << std::oct << c.archived;
    // -p (and root's default): every permission bit as archived, umask or not.
    EXPECT_EQ(extracted_mode(c.archived, {true, 077}), c.archived) << std::oct << c.archived;
  }
  // Type bits in a hostile mode field never reach chmod.
  EXPECT_EQ(extracted_mode(0170777, {true, 022}), 0777u);
  EXPECT_EQ(extracted_mode(0170777, {false, 022}), 0755u);
  // The default options are an ordinary user's with the usual umask.
  EXPECT_EQ(extracted_mode(04777, {}), 0755u);
}

}  // namespace
}  // namespace zcp
