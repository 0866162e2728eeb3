#include "zcp/server/path_resolve.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support/test_support.h"

namespace zcp {
namespace {

using namespace std::string_literals;

class PathResolveTest : public test::FdLeakCheck {};

// The status parse_request_path refuses `target` with, or 0 when it accepts.
int refusal(std::string_view target) {
  PathError error;
  auto parsed = parse_request_path(target, &error);
  return parsed ? 0 : error.status;
}

TEST_F(PathResolveTest, DecodesPercentEscapes) {
  auto p = parse_request_path("/a%20b", nullptr);
  ASSERT_TRUE(p.is_ok()) << p.status().to_string();
  EXPECT_EQ(p->relative, "a b");
  EXPECT_FALSE(p->trailing_slash);
  EXPECT_EQ(p->query, "");
  auto utf8 = parse_request_path("/docs/%C3%A9t%c3%A9.txt", nullptr);
  ASSERT_TRUE(utf8.is_ok());
  EXPECT_EQ(utf8->relative, "docs/\xC3\xA9t\xC3\xA9.txt");
}

TEST_F(PathResolveTest, RootMapsToDot) {
  auto p = parse_request_path("/", nullptr);
  ASSERT_TRUE(p.is_ok());
  EXPECT_EQ(p->relative, ".");
  EXPECT_TRUE(p->trailing_slash);
  auto q = parse_request_path("/?format=json", nullptr);
  ASSERT_TRUE(q.is_ok());
  EXPECT_EQ(q->relative, ".");
  EXPECT_EQ(q->query, "format=json");
}

TEST_F(PathResolveTest, SplitsQueryAndMarksDirectoryUrls) {
  auto p = parse_request_path("/docs/sub/?format=json&x=1", nullptr);
  ASSERT_TRUE(p.is_ok());
  EXPECT_EQ(p->relative, "docs/sub");
  EXPECT_TRUE(p->trailing_slash);
  EXPECT_EQ(p->query, "format=json&x=1");
}

TEST_F(PathResolveTest, DropsEmptyAndDotSegments) {
  auto p = parse_request_path("//a/./b//c/.", nullptr);
  ASSERT_TRUE(p.is_ok());
  EXPECT_EQ(p->relative, "a/b/c");
  auto encoded_dot = parse_request_path("/a/%2e/b", nullptr);
  ASSERT_TRUE(encoded_dot.is_ok());
  EXPECT_EQ(encoded_dot->relative, "a/b");
}

TEST_F(PathResolveTest, AcceptsAbsoluteForm) {
  auto p = parse_request_path("http://h/x", nullptr);
  ASSERT_TRUE(p.is_ok()) << p.status().to_string();
  EXPECT_EQ(p->relative, "x");
  auto q = parse_request_path("HTTPS://host:8080/d/f%20g?a=b", nullptr);
  ASSERT_TRUE(q.is_ok());
  EXPECT_EQ(q->relative, "d/f g");
  EXPECT_EQ(q->query, "a=b");
  auto bare = parse_request_path("http://host", nullptr);
  ASSERT_TRUE(bare.is_ok());
  EXPECT_EQ(bare->relative, ".");
  auto bare_query = parse_request_path("http://host?format=json", nullptr);
  ASSERT_TRUE(bare_query.is_ok());
  EXPECT_EQ(bare_query->relative, ".");
  EXPECT_EQ(bare_query->query, "format=json");
}

TEST_F(PathResolveTest, RefusesMalformedTargets) {
  EXPECT_EQ(refusal(""), 400);
  EXPECT_EQ(refusal("a/b"), 400);
  EXPECT_EQ(refusal("*"), 400);
  EXPECT_EQ(refusal("ftp://h/x"), 400);
  EXPECT_EQ(refusal("/%zz"), 400);
  EXPECT_EQ(refusal("/a%4"), 400);
  EXPECT_EQ(refusal("/a%"), 400);
}

TEST_F(PathResolveTest, RefusesEncodedSeparatorsAndNul) {
  EXPECT_EQ(refusal("/a%2Fb"), 400);
  EXPECT_EQ(refusal("/a%2fb"), 400);
  EXPECT_EQ(refusal("/%2F..%2F..%2Fetc%2Fpasswd"), 400);
  EXPECT_EQ(refusal("/a%5Cb"), 400);
  EXPECT_EQ(refusal("/a%00b"), 400);
  EXPECT_EQ(refusal("/a\0b"s), 400);
}

TEST_F(PathResolveTest, RefusesControlCharacters) {
  EXPECT_EQ(refusal("/a%0Ab"), 400);
  EXPECT_EQ(refusal("/a%0d%0aSet-Cookie:x"), 400);
  EXPECT_EQ(refusal("/a\x01"), 400);
  EXPECT_EQ(refusal("/a%7F"), 400);
}

TEST_F(PathResolveTest, RefusesDotDotWith403) {
  EXPECT_EQ(refusal("/../etc/passwd"), 403);
  EXPECT_EQ(refusal("/a/../../b"), 403);
  EXPECT_EQ(refusal("/a/.."), 403);
  EXPECT_EQ(refusal("/a/%2e%2e/b"), 403);
  EXPECT_EQ(refusal("/a/.%2E"), 403);
  EXPECT_EQ(refusal("http://h/../x"), 403);
  EXPECT_EQ(refusal("/...a/..b"), 0);  // only ".." exactly is a parent step
  PathError error;
  EXPECT_FALSE(parse_request_path("/../x", &error).is_ok());
  EXPECT_FALSE(error.reason.empty());
}

TEST_F(PathResolveTest, DetectsDotSegments) {
  EXPECT_TRUE(has_dot_segment(".hidden"));
  EXPECT_TRUE(has_dot_segment("a/.git/config"));
  EXPECT_TRUE(has_dot_segment("a/b/.env"));
  EXPECT_FALSE(has_dot_segment("."));
  EXPECT_FALSE(has_dot_segment("a/b.c/d.txt"));
  EXPECT_FALSE(has_dot_segment("docs"));
}

// A served root with a file, a subdirectory and symlinks in and out of it.
class OpenBeneathTest : public test::FdLeakCheck {
 protected:
  void SetUp() override {
    test::FdLeakCheck::SetUp();
    ASSERT_EQ(::mkdir(dir_.file("root").c_str(), 0755), 0);
    ASSERT_EQ(::mkdir(dir_.file("root/sub").c_str(), 0755), 0);
    test::write_file(dir_.file("root/sub/file.txt"), "inside");
    test::write_file(dir_.file("secret.txt"), "outside");
    ASSERT_EQ(::symlink("sub/file.txt", dir_.file("root/link_in").c_str()), 0);
    ASSERT_EQ(::symlink("../link_in", dir_.file("root/sub/link_up").c_str()), 0);
    ASSERT_EQ(::symlink("/etc", dir_.file("root/link_etc").c_str()), 0);
    ASSERT_EQ(::symlink("../secret.txt", dir_.file("root/link_out").c_str()), 0);
    ASSERT_EQ(::symlink("/proc/self/root", dir_.file("root/link_proc").c_str()), 0);
    root_ = test::open_or_die(dir_.file("root"), O_RDONLY | O_DIRECTORY);
  }
  void TearDown() override {
    root_.reset();
    test::FdLeakCheck::TearDown();
  }

  std::string read_beneath(const std::string& relative) {
    auto fd = open_beneath(root_.get(), relative, O_RDONLY, nullptr);
    if (!fd) return "error: " + fd.status().to_string();
    char buf[64];
    ssize_t n = ::read(fd->get(), buf, sizeof(buf));
    return n < 0 ? "read error" : std::string(buf, static_cast<size_t>(n));
  }

  int refusal(const std::string& relative, int flags = O_RDONLY) {
    PathError error;
    auto fd = open_beneath(root_.get(), relative, flags, &error);
    return fd ? 0 : error.status;
  }

  test::TempDir dir_;
  UniqueFd root_;
};

TEST_F(OpenBeneathTest, OpensFilesAndSymlinksInside) {
  EXPECT_EQ(read_beneath("sub/file.txt"), "inside");
  EXPECT_EQ(read_beneath("link_in"), "inside");
  EXPECT_EQ(read_beneath("sub/link_up"), "inside");  // ".." that stays beneath
  auto dir = open_beneath(root_.get(), ".", O_RDONLY | O_DIRECTORY, nullptr);
  EXPECT_TRUE(dir.is_ok()) << dir.status().to_string();
}

TEST_F(OpenBeneathTest, OpenedWithCloexec) {
  auto fd = open_beneath(root_.get(), "sub/file.txt", O_RDONLY, nullptr);
  ASSERT_TRUE(fd.is_ok());
  EXPECT_TRUE(::fcntl(fd->get(), F_GETFD) & FD_CLOEXEC);
}

TEST_F(OpenBeneathTest, RefusesSymlinksLeavingTheRoot) {
  EXPECT_EQ(refusal("link_etc"), 403);
  EXPECT_EQ(refusal("link_etc/passwd"), 403);
  EXPECT_EQ(refusal("link_out"), 403);
  EXPECT_EQ(refusal("link_proc/etc/passwd"), 403);
  EXPECT_EQ(refusal("../secret.txt"), 403);
  EXPECT_EQ(refusal("sub/../../secret.txt"), 403);
  EXPECT_EQ(refusal("/etc/passwd"), 403);
}

TEST_F(OpenBeneathTest, MissingIs404) {
  EXPECT_EQ(refusal("nope.txt"), 404);
  EXPECT_EQ(refusal("sub/file.txt/x"), 404);  // ENOTDIR
}

TEST_F(OpenBeneathTest, DirectoryOpenedForWritingIs403) {
  EXPECT_EQ(refusal("sub", O_WRONLY), 403);  // EISDIR
}

TEST_F(OpenBeneathTest, LongNameIs414) {
  EXPECT_EQ(refusal(std::string(300, 'n'), O_RDONLY), 414);  // ENAMETOOLONG
}

// Every errno a path operation returns maps to a status; 500 only for
// what a client cannot cause.
TEST(StatusForErrno, EachErrno) {
  EXPECT_EQ(status_for_errno(ENOENT), 404);
  EXPECT_EQ(status_for_errno(ENOTDIR), 404);
  EXPECT_EQ(status_for_errno(ENAMETOOLONG), 414);
  for (int e : {EXDEV, ELOOP, EACCES, EPERM, EROFS, ENXIO, ENODEV, EISDIR}) {
    EXPECT_EQ(status_for_errno(e), 403) << e;
  }
  EXPECT_EQ(status_for_errno(ETXTBSY), 409);
  EXPECT_EQ(status_for_errno(EEXIST), 409);
  EXPECT_EQ(status_for_errno(ENOSPC), 507);
  EXPECT_EQ(status_for_errno(EDQUOT), 507);
  for (int e : {EMFILE, ENFILE, ENOMEM, EAGAIN}) EXPECT_EQ(status_for_errno(e), 503) << e;
  EXPECT_EQ(status_for_errno(EIO), 500);
}

TEST(ParseRequestPath, SegmentBeyondNameMaxIs414) {
  PathError err;
  EXPECT_TRUE(parse_request_path("/" + std::string(255, 'a'), &err).is_ok());
  EXPECT_FALSE(parse_request_path("/" + std::string(256, 'a'), &err).is_ok());
  EXPECT_EQ(err.status, 414);
  // Percent escapes count decoded: 86 * "%41" is 86 bytes.
  std::string escaped;
  for (int i = 0; i < 256; ++i) escaped += "%41";
  EXPECT_FALSE(parse_request_path("/" + escaped, &err).is_ok());
  EXPECT_EQ(err.status, 414);
}

TEST(ParseRequestPath, PathBeyondPathMaxIs414) {
  PathError err;
  std::string deep;
  for (int i = 0; i < 2100; ++i) deep += "/d";  // 4199 bytes decoded
  EXPECT_FALSE(parse_request_path(deep, &err).is_ok());
  EXPECT_EQ(err.status, 414);
  std::string dots;
  for (int i = 0; i < 2100; ++i) dots += "/.";  // collapses to the root
  auto root = parse_request_path(dots, &err);
  ASSERT_TRUE(root.is_ok());
  EXPECT_EQ(root->relative, ".");
}

TEST(ParseRequestPath, SlashDotAfterANameIsADirectoryUrl) {
  PathError err;
  auto p = parse_request_path("/a.bin/.", &err);
  ASSERT_TRUE(p.is_ok());
  EXPECT_EQ(p->relative, "a.bin");
  EXPECT_TRUE(p->trailing_slash);
  auto q = parse_request_path("/a.bin", &err);
  ASSERT_TRUE(q.is_ok());
  EXPECT_FALSE(q->trailing_slash);
}

TEST_F(OpenBeneathTest, ErrorNamesTheRelativePath) {
  auto fd = open_beneath(root_.get(), "nope.txt", O_RDONLY, nullptr);
  ASSERT_FALSE(fd.is_ok());
  EXPECT_EQ(fd.status().to_string(), "openat2 nope.txt: No such file or directory");
  EXPECT_EQ(fd.status().error_number(), ENOENT);
}

TEST_F(OpenBeneathTest, CreatesFilesBeneath) {
  auto fd = open_beneath(root_.get(), "sub/new.txt", O_WRONLY | O_CREAT | O_EXCL, nullptr);
  ASSERT_TRUE(fd.is_ok()) << fd.status().to_string();
  struct stat st;
  ASSERT_EQ(::stat(dir_.file("root/sub/new.txt").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
}

TEST_F(OpenBeneathTest, ParsedTargetOpensTheDecodedName) {
  test::write_file(dir_.file("root/sub/a b.txt"), "spaced");
  auto p = parse_request_path("/sub/a%20b.txt", nullptr);
  ASSERT_TRUE(p.is_ok());
  EXPECT_EQ(read_beneath(p->relative), "spaced");
}

TEST(PercentEncodePath, KeepsSlashAndUnreserved) {
  EXPECT_EQ(percent_encode_path("/docs/A-z_0.9~/"), "/docs/A-z_0.9~/");
  EXPECT_EQ(percent_encode_path("a b#?%&\"<>"), "a%20b%23%3F%25%26%22%3C%3E");
  EXPECT_EQ(percent_encode_path("\xC3\xA9\r\n"), "%C3%A9%0D%0A");
  EXPECT_EQ(percent_encode_path("a:b"), "a%3Ab");  // never read as a URL scheme
}

TEST(PercentEncodePath, RoundTripsThroughParse) {
  std::string name = "we ird/na#me?&%+\xE2\x82\xAC";
  auto p = parse_request_path("/" + percent_encode_path(name), nullptr);
  ASSERT_TRUE(p.is_ok()) << p.status().to_string();
  EXPECT_EQ(p->relative, name);
}

TEST(QueryParam, FindsAndDecodesValues) {
  EXPECT_EQ(query_param("format=json&x=1", "format"), "json");
  EXPECT_EQ(query_param("format=json&x=1", "x"), "1");
  EXPECT_EQ(query_param("format=json&x=1", "y"), "");
  EXPECT_EQ(query_param("q=a%20b+c", "q"), "a b c");
  EXPECT_EQ(query_param("flag&format=html", "format"), "html");
  // Every value of a repeated key, in order (a tree batch's only=).
  EXPECT_EQ(query_params("only=a&x=1&only=b%20c&only&only=d%2Fe", "only"),
            (std::vector<std::string>{"a", "b c", "", "d/e"}));
  EXPECT_TRUE(query_params("x=1", "only").empty());
  EXPECT_EQ(query_param("flag", "flag"), "");
  EXPECT_EQ(query_param("a=1&a=2", "a"), "1");
  EXPECT_EQ(query_param("bad=%zz", "bad"), "%zz");
  EXPECT_EQ(query_param("", "format"), "");
  EXPECT_EQ(query_param("for%6Dat=json", "format"), "json");
}

TEST(ParseTreePart, TakesKOfNAndRefusesTheRest) {
  uint32_t index = 99, count = 99;
  ASSERT_TRUE(parse_tree_part("1/2", &index, &count));
  EXPECT_EQ(index, 0u);
  EXPECT_EQ(count, 2u);
  ASSERT_TRUE(parse_tree_part("64/64", &index, &count));
  EXPECT_EQ(index, 63u);
  EXPECT_EQ(count, 64u);
  ASSERT_TRUE(parse_tree_part("1/1", &index, &count));
  for (const char* bad : {"0/0", "5/2", "-1/2", "0/2", "1/0", "1/65", "2/1", "1/", "/2", "1", "",
                          "1/2/3", "a/b", "+1/2", " 1/2", "1/2 ", "01/002", "1/99999999999999999999",
                          "4294967297/4294967298"}) {
    index = count = 7;
    EXPECT_FALSE(parse_tree_part(bad, &index, &count)) << bad;
    EXPECT_EQ(index, 7u) << bad;  // untouched
  }
}

}  // namespace
}  // namespace zcp
