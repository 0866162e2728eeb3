// Listings of other servers for zcp get -r's crawl mode: nginx's HTML
// (exact sizes) and JSON, lighttpd's table, python's list, and every href
// that would lead outside the listed directory refused.
#include "zcp/client/listing_parse.h"

#include <gtest/gtest.h>

namespace zcp {
namespace {

TEST(ListingParse, NginxHtml) {
  const char* html =
      "<html>\r\n<head><title>Index of /t/</title></head>\r\n<body>\r\n<h1>Index of "
      "/t/</h1><hr><pre>"
      "<a href=\"../\">../</a>\r\n"
      "<a href=\"sub%20dir/\">sub dir/</a>                                          01-Dec-2026 "
      "16:11       -\r\n"
      "<a href=\"a%23b%25c%3Fd\">a#b%c?d</a>                                        01-Dec-2026 "
      "16:11      1234\r\n"
      "<a href=\"./x:y\">x:y</a>                                                    01-Dec-2026 "
      "16:11         0\r\n"
      "<a href=\"caf%C3%A9&amp;co\">caf&eacute;&amp;co</a>                            01-Dec-2026 "
      "16:11        7\r\n"
      "</pre><hr></body>\r\n</html>\r\n";
  Listing l = parse_html_listing(html, "/t/");
  ASSERT_EQ(l.entries.size(), 4u);
  EXPECT_EQ(l.refused, 0u);
  EXPECT_EQ(l.entries[0].name, "sub dir");
  EXPECT_TRUE(l.entries[0].directory);
  EXPECT_EQ(l.entries[1].name, "a#b%c?d");
  EXPECT_EQ(l.entries[1].size, 1234u);
  EXPECT_EQ(l.entries[2].name, "x:y");
  EXPECT_EQ(l.entries[2].size, 0u);
  EXPECT_EQ(l.entries[3].name, "caf\xc3\xa9&co");
}

TEST(ListingParse, LighttpdAndPython) {
  Listing l = parse_html_listing(
      "<tr class=\"d\"><td class=\"n\"><a href=\"../\">..</a>/</td></tr>"
      "<tr><td class=\"n\"><a href=\"d/\">d</a>/</td><td class=\"s\">- &nbsp;</td></tr>"
      "<tr><td class=\"n\"><a href=\"f.txt\">f.txt</a></td><td class=\"s\">1.2K</td></tr>"
      "<ul><li><a href='q%20r.bin'>q r.bin</a></li><li><A HREF=f.txt>again</A></li></ul>",
      "/x/");
  ASSERT_EQ(l.entries.size(), 3u);
  EXPECT_EQ(l.entries[0].name, "d");
  EXPECT_EQ(l.entries[1].name, "f.txt");
  EXPECT_FALSE(l.entries[1].size);  // "1.2K" is no exact size
  EXPECT_EQ(l.entries[2].name, "q r.bin");
}

TEST(ListingParse, RefusesWhatLeadsElsewhere) {
  Listing l = parse_html_listing(
      "<a href=\"../x\">1</a><a href=\"/etc/passwd\">2</a><a href=\"http://other/\">3</a>"
      "<a href=\"a%2F..%2F..%2Fx\">4</a><a href=\"%00\">5</a><a href=\"a%00b\">6</a>"
      "<a href=\"%2e%2e\">7</a><a href=\"a/b\">8</a><a href=\"x?y=1\">9</a><a href=\"x#f\">10</a>"
      "<a href=\"javascript:alert(1)\">11</a><a href=\"%zz\">12</a><a href=\"%4\">13</a>"
      "<a href=\"//other/x\">14</a><a href=\"?C=N;O=D\">sort</a><a href=\"/\">up</a>"
      "<a href=\"ok\">ok</a>",
      "/");
  ASSERT_EQ(l.entries.size(), 1u);
  EXPECT_EQ(l.entries[0].name, "ok");
  EXPECT_EQ(l.refused, 14u);
}

// "x" and "x/" in one listing cannot both land: the directory stays
// whichever came first, the file is named once; an Apache-style repeated
// link is no conflict.
TEST(ListingParse, FileAndDirectoryOfOneNameKeepTheDirectory) {
  for (const char* html : {"<a href=\"x\">x</a><a href=\"x/\">x/</a><a href=\"x\">x</a>",
                           "<a href=\"x/\">x/</a><a href=\"x\">x</a><a href=\"x/\">x/</a>"}) {
    Listing l =
        parse_html_listing(std::string(html) + "<a href=\"y\">y</a><a href=\"y\">y</a>", "/t/");
    ASSERT_EQ(l.entries.size(), 2u) << html;
    EXPECT_EQ(l.entries[0].name, "x");
    EXPECT_TRUE(l.entries[0].directory) << html;
    EXPECT_EQ(l.entries[1].name, "y");
    ASSERT_EQ(l.conflicts.size(), 1u) << html;
    EXPECT_EQ(l.conflicts[0], "x");
  }
  auto j = parse_json_listing(
      R"([{"name":"x","type":"file","size":3},{"name":"x","type":"directory"}])");
  ASSERT_TRUE(j);
  ASSERT_EQ(j->entries.size(), 1u);
  EXPECT_TRUE(j->entries[0].directory);
  EXPECT_EQ(j->conflicts, std::vector<std::string>{"x"});
}

TEST(ListingParse, NginxJson) {
  auto l = parse_json_listing(
      "[{ \"name\":\"d\", \"type\":\"directory\", \"mtime\":\"Tue, 01 Dec 2026 16:11:00 GMT\" },"
      "{ \"name\":\"a b\", \"type\":\"file\", \"mtime\":\"Tue, 01 Dec 2026 16:11:00 GMT\", "
      "\"size\":5 },"
      "{ \"name\":\"..\", \"type\":\"file\", \"size\":1 },{ \"name\":\"x/y\", \"type\":\"file\" },"
      "{ \"name\":\"l\", \"type\":\"other\" }]");
  ASSERT_TRUE(l);
  ASSERT_EQ(l->entries.size(), 2u);
  EXPECT_TRUE(l->entries[0].directory);
  EXPECT_EQ(l->entries[1].name, "a b");
  EXPECT_EQ(l->entries[1].size, 5u);
  EXPECT_EQ(l->entries[1].mtime, 1796141460);
  EXPECT_EQ(l->refused, 2u);
  EXPECT_FALSE(parse_json_listing("<html>"));
  EXPECT_FALSE(parse_json_listing("{\"name\":1}"));
}

}  // namespace
}  // namespace zcp
