#include "zcp/server/dir_listing.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "support/test_support.h"
#include "zcp/base/byte_size.h"
#include "zcp/fd.h"

namespace zcp {
namespace {

constexpr int64_t kMtime = 1700000000;  // 2023-11-14 22:13:20 UTC
// Every character that could break HTML markup or a header line.
const std::string kNastyName = "x<y&z\"q'\r\nw>.txt";

// A served root: root/{a.txt, b.txt, c/, .hidden, c/inner.txt} plus
// symlinks that stay inside (listed) and leave it or dangle (skipped).
class DirListingTest : public test::FdLeakCheck {
 protected:
  void SetUp() override {
    test::FdLeakCheck::SetUp();
    ASSERT_EQ(::mkdir(dir_.file("root").c_str(), 0755), 0);
    ASSERT_EQ(::mkdir(dir_.file("root/c").c_str(), 0755), 0);
    make_file("root/b.txt", "bbbb");
    make_file("root/a.txt", "aa");
    make_file("root/.hidden", "h");
    make_file("root/c/inner.txt", "inner");
    make_file("secret.txt", "outside");
    root_ = test::open_or_die(dir_.file("root"), O_RDONLY | O_DIRECTORY);
  }
  void TearDown() override {
    root_.reset();
    test::FdLeakCheck::TearDown();
  }

  void make_file(const std::string& name, const std::string& data) {
    test::write_file(dir_.file(name), data);
    struct timespec times[2] = {{kMtime, 0}, {kMtime, 0}};
    ASSERT_EQ(::utimensat(AT_FDCWD, dir_.file(name).c_str(), times, 0), 0);
  }
  void link(const std::string& target, const std::string& name) {
    ASSERT_EQ(::symlink(target.c_str(), dir_.file(name).c_str()), 0);
  }

  std::vector<DirEntry> list(const std::string& dir, bool dotfiles = false) {
    UniqueFd fd = test::open_or_die(dir_.file(dir), O_RDONLY | O_DIRECTORY);
    auto entries = list_directory(root_.get(), fd.get(), dotfiles);
    EXPECT_TRUE(entries.is_ok()) << entries.status().to_string();
    return entries ? *entries : std::vector<DirEntry>{};
  }

  static std::vector<std::string> names(const std::vector<DirEntry>& entries) {
    std::vector<std::string> out;
    for (const DirEntry& e : entries) out.push_back(e.name);
    return out;
  }

  test::TempDir dir_;
  UniqueFd root_;
};

TEST_F(DirListingTest, ListsSortedAndSkipsDotfiles) {
  std::vector<DirEntry> entries = list("root");
  ASSERT_EQ(names(entries), (std::vector<std::string>{"a.txt", "b.txt", "c"}));
  EXPECT_EQ(entries[0].type, DirEntry::Type::kFile);
  EXPECT_EQ(entries[0].size, 2U);
  EXPECT_EQ(entries[0].mtime, kMtime);
  EXPECT_EQ(entries[1].size, 4U);
  EXPECT_EQ(entries[2].type, DirEntry::Type::kDirectory);
}

TEST_F(DirListingTest, DotfilesWhenAsked) {
  std::vector<DirEntry> entries = list("root", true);
  EXPECT_EQ(names(entries), (std::vector<std::string>{".hidden", "a.txt", "b.txt", "c"}));
}

TEST_F(DirListingTest, SymlinksInsideAreListedAsTheirTargets) {
  link("a.txt", "root/link_file");
  link("c", "root/link_dir");
  link("../a.txt", "root/c/link_up");  // leaves c/ but stays beneath root
  std::vector<DirEntry> entries = list("root");
  ASSERT_EQ(names(entries),
            (std::vector<std::string>{"a.txt", "b.txt", "c", "link_dir", "link_file"}));
  EXPECT_EQ(entries[3].type, DirEntry::Type::kDirectory);
  EXPECT_EQ(entries[4].type, DirEntry::Type::kFile);
  EXPECT_EQ(entries[4].size, 2U);
  std::vector<DirEntry> inner = list("root/c");
  ASSERT_EQ(names(inner), (std::vector<std::string>{"inner.txt", "link_up"}));
  EXPECT_EQ(inner[1].size, 2U);
}

TEST_F(DirListingTest, SymlinksLeavingTheRootOrDanglingAreSkipped) {
  link("/etc", "root/link_etc");
  link("/etc/passwd", "root/link_passwd");
  link("../secret.txt", "root/link_out");
  link("../../secret.txt", "root/c/link_out2");
  link("missing", "root/link_dangling");
  link(dir_.file("root/a.txt"), "root/link_absolute_inside");  // absolute: openat2 refuses
  EXPECT_EQ(names(list("root")), (std::vector<std::string>{"a.txt", "b.txt", "c"}));
  EXPECT_EQ(names(list("root/c")), (std::vector<std::string>{"inner.txt"}));
}

TEST_F(DirListingTest, DirFdIsBorrowedAndReusable) {
  UniqueFd fd = test::open_or_die(dir_.file("root"), O_RDONLY | O_DIRECTORY);
  auto first = list_directory(root_.get(), fd.get(), false);
  auto second = list_directory(root_.get(), fd.get(), false);
  ASSERT_TRUE(first.is_ok() && second.is_ok());
  EXPECT_EQ(names(*first), names(*second));
  EXPECT_EQ(first->size(), 3U);
  EXPECT_GE(::fcntl(fd.get(), F_GETFD), 0);  // still open
}

TEST_F(DirListingTest, NotADirectoryIsAnError) {
  UniqueFd fd = test::open_or_die(dir_.file("root/a.txt"), O_RDONLY);
  auto entries = list_directory(root_.get(), fd.get(), false);
  ASSERT_FALSE(entries.is_ok());
  EXPECT_EQ(entries.status().error_number(), ENOTDIR);
}

TEST_F(DirListingTest, HtmlEscapesNamesAndEncodesLinks) {
  make_file("root/" + kNastyName, "n");
  std::string html = render_html_listing("/docs/<b>/", list("root"));
  EXPECT_EQ(html.find('\r'), std::string::npos);
  EXPECT_EQ(html.find("<y"), std::string::npos);
  EXPECT_EQ(html.find("<b>"), std::string::npos);
  EXPECT_NE(html.find("Index of /docs/&lt;b&gt;/"), std::string::npos);
  EXPECT_NE(html.find(">x&lt;y&amp;z&quot;q&#39;&#xD;&#xA;w&gt;.txt</a>"), std::string::npos)
      << html;
  EXPECT_NE(html.find("href=\"x%3Cy%26z%22q%27%0D%0Aw%3E.txt\""), std::string::npos);
  EXPECT_NE(html.find("href=\"c/\">c/</a>"), std::string::npos);  // directories end in '/'
  EXPECT_NE(html.find("href=\"a.txt\">a.txt</a>"), std::string::npos);
  EXPECT_NE(html.find("2023-11-14 22:13"), std::string::npos);
  // One line per row: the name's LF must not split its row.
  size_t row = html.find("<tr><td><a href=\"x%3C");
  ASSERT_NE(row, std::string::npos);
  EXPECT_NE(html.find("</tr>", row), std::string::npos);
  EXPECT_LT(html.find("</tr>", row), html.find('\n', row));
}

TEST_F(DirListingTest, HtmlParentLinkExceptAtRoot) {
  std::vector<DirEntry> entries = list("root");
  EXPECT_NE(render_html_listing("/docs/", entries).find("href=\"../\""), std::string::npos);
  EXPECT_EQ(render_html_listing("/", entries).find("href=\"../\""), std::string::npos);
  EXPECT_NE(render_html_listing("/", {}).find("</html>"), std::string::npos);
}

TEST(DirListingHtml, NonUtf8AndControlBytesAreReplacedOrReferenced) {
  std::vector<DirEntry> entries = {{"bad\xff\x01 \xC3\xA9\xE2\x82", DirEntry::Type::kFile, 1, 0},
                                   {"<script>alert(1)</script>", DirEntry::Type::kDirectory, 0, 0},
                                   {"javascript:alert(1)", DirEntry::Type::kFile, 1, 0}};
  std::string html = render_html_listing("/", entries);
  // Invalid bytes (0xFF, a truncated sequence) become U+FFFD each; valid UTF-8 stays.
  EXPECT_NE(html.find(">bad\xEF\xBF\xBD&#x1; \xC3\xA9\xEF\xBF\xBD\xEF\xBF\xBD</a>"),
            std::string::npos)
      << html;
  EXPECT_NE(html.find("href=\"bad%FF%01%20%C3%A9%E2%82\""), std::string::npos);
  EXPECT_EQ(html.find("<script>alert"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;/</a>"), std::string::npos);
  // A name is never a scheme: its ':' is encoded, so the link stays relative.
  EXPECT_NE(html.find("href=\"javascript%3Aalert%281%29\""), std::string::npos);
  EXPECT_EQ(html.find("\xff"), std::string::npos);
  // Lead bytes past 0xF4 are never UTF-8, whatever follows; nor are
  // overlong forms or surrogates.
  for (std::string bad : {"\xff\x80\x80", "\xf8\x88\x80\x80\x80", "\xc0\xaf", "\xed\xa0\x80"}) {
    std::string page = render_html_listing("/", {{bad, DirEntry::Type::kFile, 1, 0}});
    EXPECT_EQ(page.find(bad), std::string::npos) << "passed through raw";
    EXPECT_NE(page.find(">\xEF\xBF\xBD"), std::string::npos);
  }
}

TEST(DirListingHtml, SizesDatesAndViews) {
  std::vector<DirEntry> entries = {{"big.bin", DirEntry::Type::kFile, 1536, kMtime},
                                   {"sub", DirEntry::Type::kDirectory, 0, kMtime}};
  std::string html = render_html_listing("/docs/", entries);
  EXPECT_NE(html.find("<td title=\"1536 bytes\">1.5 KiB</td>"),
            std::string::npos)
      << html;
  EXPECT_NE(html.find("<time datetime=\"2023-11-14T22:13:20Z\">2023-11-14 22:13 UTC</time>"),
            std::string::npos);
  EXPECT_NE(html.find("<tr class=\"d\"><td><a href=\"sub/\">sub/</a></td><td>-</td>"),
            std::string::npos);
  EXPECT_NE(html.find("<button class=\"b\" name=\"format\" value=\"tar\">"), std::string::npos);
  EXPECT_NE(html.find("<button class=\"b\" name=\"format\" value=\"json\">"), std::string::npos);
  // Views and orders are GET forms, never links: wget -r follows every
  // href, and a tar of each directory would repeat the whole tree.
  EXPECT_EQ(html.find("href=\"?"), std::string::npos);
  EXPECT_NE(html.find("<th aria-sort=\"ascending\"><form><input type=\"hidden\" name=\"sort\" "
                      "value=\"name\"><button name=\"order\" value=\"desc\">Name</button>"),
            std::string::npos);
  EXPECT_NE(html.find("value=\"size\"><button name=\"order\" value=\"desc\">Size</button>"),
            std::string::npos);
  EXPECT_NE(html.find("value=\"mtime\"><button name=\"order\" value=\"desc\">Modified</button>"),
            std::string::npos);
  EXPECT_NE(html.find("<meta name=\"viewport\""), std::string::npos);
  // Nothing external: no URL with a scheme or a protocol-relative one.
  EXPECT_EQ(html.find("http:"), std::string::npos);
  EXPECT_EQ(html.find("https:"), std::string::npos);
  EXPECT_EQ(html.find("//fonts"), std::string::npos);
  EXPECT_EQ(html.find(" src="), std::string::npos);
}

TEST(DirListingHtml, BreadcrumbLinksEachAncestor) {
  std::string html = render_html_listing("/a/b&/c/", {});
  EXPECT_NE(
      html.find("<a href=\"../../../\">/</a><a href=\"../../\">a</a><span class=\"s\">/</span>"
                "<a href=\"../\">b&amp;</a><span class=\"s\">/</span>"
                "<span aria-current=\"page\">c</span>"),
      std::string::npos)
      << html;
  EXPECT_NE(html.find("<a href=\"../\">../</a>"), std::string::npos);
  std::string root = render_html_listing("/", {});
  EXPECT_NE(root.find("<a href=\"./\">/</a></h1>"), std::string::npos) << root;
}

TEST(DirListingHtml, UploadFormOnlyWhenUploadsAreOn) {
  ListingPage off;
  std::string html = render_html_listing("/", {}, off);
  EXPECT_EQ(html.find("id=\"up\""), std::string::npos);
  EXPECT_EQ(html.find("type=\"file\""), std::string::npos);
  EXPECT_EQ(html.find("PUT"), std::string::npos);
  ListingPage open;
  open.upload = true;
  html = render_html_listing("/", {}, open);
  EXPECT_NE(html.find("<input type=\"file\" id=\"files\" multiple"), std::string::npos);
  EXPECT_NE(html.find("method:'PUT'"), std::string::npos);
  EXPECT_EQ(html.find("type=\"password\""), std::string::npos);
  ListingPage guarded = open;
  guarded.upload_token = true;
  html = render_html_listing("/", {}, guarded);
  EXPECT_NE(html.find("<input type=\"password\" id=\"token\""), std::string::npos);
  EXPECT_NE(html.find("'Bearer '+tk.value"), std::string::npos);
}

std::vector<std::string> sorted_names(std::string_view query) {
  std::vector<DirEntry> entries = {
      {"a", DirEntry::Type::kFile, 3, 30},      {"B", DirEntry::Type::kFile, 1, 20},
      {"c", DirEntry::Type::kFile, 2, 10},      {"z", DirEntry::Type::kDirectory, 0, 5},
      {"y", DirEntry::Type::kDirectory, 0, 50}, {"b", DirEntry::Type::kFile, 1, 20}};
  ListingPage page;
  parse_listing_order(query, &page);
  sort_for_listing(&entries, page);
  std::vector<std::string> out;
  for (const DirEntry& e : entries) out.push_back(e.name);
  return out;
}

TEST(DirListingOrder, DirectoriesFirstThenTheAskedKey) {
  using V = std::vector<std::string>;
  EXPECT_EQ(sorted_names(""), (V{"y", "z", "a", "B", "b", "c"}));  // letters folded, then bytes
  EXPECT_EQ(sorted_names("sort=name&order=desc"), (V{"z", "y", "c", "b", "B", "a"}));
  EXPECT_EQ(sorted_names("sort=size"), (V{"y", "z", "B", "b", "c", "a"}));
  EXPECT_EQ(sorted_names("sort=size&order=desc"), (V{"z", "y", "a", "c", "b", "B"}));
  EXPECT_EQ(sorted_names("sort=mtime&order=asc"), (V{"z", "y", "c", "B", "b", "a"}));
  EXPECT_EQ(sorted_names("sort=mtime&order=desc"), (V{"y", "z", "a", "b", "B", "c"}));
  EXPECT_EQ(sorted_names("sort=bogus&order=sideways"), sorted_names(""));
}

TEST(DirListingOrder, HeaderMarksTheCurrentOrderAndTogglesIt) {
  ListingPage page;
  parse_listing_order("sort=size&order=desc", &page);
  std::string html = render_html_listing("/", {}, page);
  EXPECT_NE(html.find("<th aria-sort=\"descending\"><form><input type=\"hidden\" name=\"sort\" "
                      "value=\"size\"><button name=\"order\" value=\"asc\">Size</button>"),
            std::string::npos)
      << html;
  EXPECT_NE(html.find("<th><form><input type=\"hidden\" name=\"sort\" value=\"name\"><button "
                      "name=\"order\" value=\"asc\">Name</button>"),
            std::string::npos);
}

TEST(DirListingHtml, TenThousandEntriesStayCompact) {
  std::vector<DirEntry> entries;
  for (int i = 0; i < 10000; ++i) {
    entries.push_back({fmt::format("file-{:05}.dat", i), DirEntry::Type::kFile,
                       static_cast<uint64_t>(i) * 1000, kMtime + i});
  }
  std::string html = render_html_listing("/data/", entries);
  size_t per_entry = (html.size() - render_html_listing("/data/", {}).size()) / entries.size();
  std::cout << "10000 entries: " << html.size() << " bytes, " << per_entry << " per entry\n";
  EXPECT_LT(per_entry, 180U);  // ~145 bytes plus the name twice (14 here)
}

TEST_F(DirListingTest, JsonRoundTripsNames) {
  make_file("root/" + kNastyName, "n");
  std::string text = render_json_listing(list("root"));
  auto json = nlohmann::json::parse(text, nullptr, false);
  ASSERT_FALSE(json.is_discarded()) << text;
  ASSERT_TRUE(json.is_array());
  ASSERT_EQ(json.size(), 4U);
  EXPECT_EQ(json[0]["name"], "a.txt");
  EXPECT_EQ(json[0]["type"], "file");
  EXPECT_EQ(json[0]["size"], 2);
  EXPECT_EQ(json[0]["mtime"], kMtime);
  EXPECT_EQ(json[2]["name"], "c");
  EXPECT_EQ(json[2]["type"], "directory");
  EXPECT_EQ(json[3]["name"], kNastyName);
  EXPECT_EQ(text.find('\n'), std::string::npos);  // the name's LF is escaped
}

TEST(DirListingJson, TypesAndEmptyList) {
  EXPECT_EQ(render_json_listing({}), "[]");
  std::vector<DirEntry> entries = {{"fifo", DirEntry::Type::kOther, 0, 0},
                                   {"bad\xff", DirEntry::Type::kSymlink, 0, 0}};
  auto json = nlohmann::json::parse(render_json_listing(entries), nullptr, false);
  ASSERT_FALSE(json.is_discarded());
  EXPECT_EQ(json[0]["type"], "other");
  EXPECT_EQ(json[1]["type"], "other");
  EXPECT_EQ(json[1]["name"], "bad\xEF\xBF\xBD");  // invalid UTF-8 becomes U+FFFD
}

}  // namespace
}  // namespace zcp
