// parse_url and Url: what zcp get/put accept, how targets are encoded, and
// the names file_name() and child() derive from them.
#include "zcp/url.h"

#include <gtest/gtest.h>

namespace zcp {
namespace {

Url parse_ok(std::string_view text) {
  auto url = parse_url(text);
  EXPECT_TRUE(url.is_ok()) << text << ": " << url.status().to_string();
  return url ? *url : Url{};
}

void expect_invalid(std::string_view text, std::string_view mention = {}) {
  auto url = parse_url(text);
  ASSERT_FALSE(url.is_ok()) << text << " parsed as " << url->to_string();
  EXPECT_EQ(url.status().code(), Code::kInvalid) << text;
  EXPECT_NE(url.status().to_string().find(mention), std::string::npos)
      << text << ": " << url.status().to_string();
}

TEST(ParseUrl, HostAndSlash) {
  Url u = parse_ok("http://h/");
  EXPECT_EQ(u.host, "h");
  EXPECT_EQ(u.port, 80);
  EXPECT_EQ(u.target, "/");
  EXPECT_EQ(u.authority(), "h:80");
  EXPECT_EQ(u.to_string(), "http://h/");
}

TEST(ParseUrl, EmptyPathIsSlash) {
  EXPECT_EQ(parse_ok("http://h").target, "/");
  EXPECT_EQ(parse_ok("http://h?x=1").target, "/?x=1");
  EXPECT_EQ(parse_ok("HTTP://h").target, "/");
}

TEST(ParseUrl, PortPathAndQueryKept) {
  Url u = parse_ok("http://h:8080/a%20b?x=1");
  EXPECT_EQ(u.host, "h");
  EXPECT_EQ(u.port, 8080);
  EXPECT_EQ(u.target, "/a%20b?x=1");
  EXPECT_EQ(u.authority(), "h:8080");
  EXPECT_EQ(u.to_string(), "http://h:8080/a%20b?x=1");
}

TEST(ParseUrl, BracketedIpv6) {
  Url u = parse_ok("http://[::1]:9/f");
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, 9);
  EXPECT_EQ(u.target, "/f");
  EXPECT_EQ(u.authority(), "[::1]:9");
  EXPECT_EQ(u.to_string(), "http://[::1]:9/f");
  EXPECT_EQ(parse_ok("http://[::1]/").authority(), "[::1]:80");
}

TEST(ParseUrl, EncodesWhatNeedsIt) {
  EXPECT_EQ(parse_ok("http://h/a b").target, "/a%20b");
  EXPECT_EQ(parse_ok("http://h/100%").target, "/100%25");
  EXPECT_EQ(parse_ok("http://h/%zz%4").target, "/%25zz%254");
  EXPECT_EQ(parse_ok("http://h/\xc3\xa9?q=a b").target, "/%C3%A9?q=a%20b");
  EXPECT_EQ(parse_ok("http://h/a\"<>\\^`{|}").target, "/a%22%3C%3E%5C%5E%60%7B%7C%7D");
  EXPECT_EQ(parse_ok("http://h/keep/~-._!$&'()*+,;=:@").target, "/keep/~-._!$&'()*+,;=:@");
}

TEST(ParseUrl, FragmentIsNotSent) {
  EXPECT_EQ(parse_ok("http://h/x#top").target, "/x");
  EXPECT_EQ(parse_ok("http://h#top").target, "/");
}

TEST(ParseUrl, Https) {
  Url u = parse_ok("HTTPS://h/a");
  EXPECT_TRUE(u.tls);
  EXPECT_EQ(u.port, 443);
  EXPECT_EQ(u.to_string(), "https://h/a");
  EXPECT_EQ(parse_ok("https://h:8443/").to_string(), "https://h:8443/");
  EXPECT_EQ(parse_ok("https://h:80/").to_string(), "https://h:80/");
  EXPECT_FALSE(parse_ok("http://h/").tls);
  EXPECT_EQ(parse_ok("http://h:443/").to_string(), "http://h:443/");
}

TEST(ParseUrl, RefusesOtherSchemes) {
  expect_invalid("ftp://h/f", "ftp");
  expect_invalid("httpx://h/f", "only http:// and https://");
  expect_invalid("h/f", "http://");
  expect_invalid("", "http://");
}

TEST(ParseUrl, RefusesBadAuthorities) {
  expect_invalid("http://", "missing host");
  expect_invalid("http:///f", "missing host");
  expect_invalid("http://:80/", "host");
  expect_invalid("http://h:x/", "port");
  expect_invalid("http://h:/", "port");
  expect_invalid("http://h:70000/", "port");
  expect_invalid("http://h:0/", "port");
  expect_invalid("http://::1/", "brackets");
  expect_invalid("http://[::1/", "]");
  expect_invalid("http://u:p@h/", "user");
  expect_invalid("http://h\r\nX: y/", "host");
  expect_invalid("http://a b/", "host");
}

TEST(UrlFileName, LastSegmentDecoded) {
  EXPECT_EQ(parse_ok("http://h/d/a%20b.txt").file_name(), "a b.txt");
  EXPECT_EQ(parse_ok("http://h/d/a b.txt").file_name(), "a b.txt");
  EXPECT_EQ(parse_ok("http://h/f.bin?x=1/2").file_name(), "f.bin");
  EXPECT_EQ(parse_ok("http://h/%C3%A9").file_name(), "\xc3\xa9");
}

TEST(UrlFileName, EmptyForDirectories) {
  EXPECT_EQ(parse_ok("http://h/").file_name(), "");
  EXPECT_EQ(parse_ok("http://h").file_name(), "");
  EXPECT_EQ(parse_ok("http://h/d/").file_name(), "");
  EXPECT_EQ(parse_ok("http://h/d/..").file_name(), "");
  EXPECT_EQ(parse_ok("http://h/d/%2e%2E").file_name(), "");
}

TEST(UrlFileName, NeverDecodesASlashOrNul) {
  EXPECT_EQ(parse_ok("http://h/a%2Fb").file_name(), "a%2Fb");
  EXPECT_EQ(parse_ok("http://h/a%00b").file_name(), "a%00b");
}

TEST(UrlChild, EncodesTheName) {
  Url dir = parse_ok("http://h:8080/dir/");
  Url c = dir.child("a b#?%/c");
  EXPECT_EQ(c.target, "/dir/a%20b%23%3F%25%2Fc");
  EXPECT_EQ(c.host, "h");
  EXPECT_EQ(c.port, 8080);
}

TEST(UrlChild, AddsSlashAndDropsQuery) {
  EXPECT_EQ(parse_ok("http://h/dir").child("x").target, "/dir/x");
  EXPECT_EQ(parse_ok("http://h/").child("x").target, "/x");
  EXPECT_EQ(parse_ok("http://h/dir/?format=json").child("x").target, "/dir/x");
}

TEST(UrlChild, FileNameRoundTrips) {
  Url dir = parse_ok("http://[::1]:1/d/");
  for (std::string name : {"a b.txt", "100%.bin", "\xc3\xa9t\xc3\xa9", "q?x#y"}) {
    EXPECT_EQ(dir.child(name).file_name(), name);
  }
}

}  // namespace
}  // namespace zcp
