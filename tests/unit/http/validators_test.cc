#include "zcp/http/validators.h"

#include <gtest/gtest.h>

#include <string>

namespace zcp {
namespace {

constexpr int64_t kRfcExample = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT

TEST(Validators, EtagFromStat) {
  struct stat st {};
  st.st_ino = 0x1234;
  st.st_size = 0xff;
  st.st_mtim.tv_sec = 1;
  st.st_mtim.tv_nsec = 5;
  EXPECT_EQ(make_etag(st), "\"1234-ff-3b9aca05\"");
  std::string before = make_etag(st);
  st.st_mtim.tv_nsec = 6;  // a rewrite within the same second still changes it
  EXPECT_NE(make_etag(st), before);
}

TEST(Validators, FormatsImfFixdate) {
  EXPECT_EQ(http_date(kRfcExample), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
}

TEST(Validators, DatesRoundTrip) {
  for (int64_t t : {int64_t{0}, kRfcExample, int64_t{951782400} /* 2000-02-29 */,
                    int64_t{1700000000}, int64_t{4102444799} /* 2099-12-31 */}) {
    EXPECT_EQ(parse_http_date(http_date(t)), t) << http_date(t);
  }
}

TEST(Validators, ParsesAllThreeForms) {
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), kRfcExample);
  EXPECT_EQ(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), kRfcExample);
  EXPECT_EQ(parse_http_date("Sun Nov  6 08:49:37 1994"), kRfcExample);
  EXPECT_EQ(parse_http_date("  Sun, 06 Nov 1994 08:49:37 GMT "), kRfcExample);
}

TEST(Validators, GarbageIsNullopt) {
  for (const char* bad :
       {"", "garbage", "Sun, 06 Nov 1994 08:49:37", "Sun, 06 Nov 1994 08:49:37 UTC",
        "Sun, 6 Nov 1994 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT",
        "Sun, 31 Feb 1994 08:49:37 GMT", "Sun, 00 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 06 Nov 1994 08:60:00 GMT",
        "Sun, 06 Nov 1994 08:49:37 GMTx", "Sun, 06 Nov 94 08:49:37 GMT",
        "Xyz, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-1994 08:49:37 GMT",
        "Sun Nov 6 08:49:37 1994", "Sun Nov  6 08:49:37 94", "1994-11-06T08:49:37Z",
        "Sun, 06 Nov 1994 08:49:3"}) {
    EXPECT_FALSE(parse_http_date(bad).has_value()) << bad;
  }
  EXPECT_TRUE(parse_http_date("Thu, 29 Feb 1996 00:00:00 GMT").has_value());
  EXPECT_FALSE(parse_http_date("Thu, 29 Feb 1900 00:00:00 GMT").has_value());
}

TEST(Validators, IfNoneMatch) {
  std::string etag = "\"1-2-3\"";
  EXPECT_TRUE(etag_list_matches("*", etag));
  EXPECT_TRUE(etag_list_matches("\"1-2-3\"", etag));
  EXPECT_TRUE(etag_list_matches("W/\"1-2-3\"", etag));  // weak comparison
  EXPECT_TRUE(etag_list_matches("\"x\", W/\"1-2-3\"", etag));
  EXPECT_TRUE(etag_list_matches("\"a,b\" ,\"1-2-3\"", etag));  // a comma inside a tag
  EXPECT_TRUE(etag_list_matches("\"1-2-3\"", "W/\"1-2-3\""));
  EXPECT_FALSE(etag_list_matches("\"x\", \"y\"", etag));
  EXPECT_FALSE(etag_list_matches("", etag));
  EXPECT_FALSE(etag_list_matches("1-2-3", etag));  // unquoted
  EXPECT_FALSE(etag_list_matches("\"1-2-3", etag));
  EXPECT_FALSE(etag_list_matches("\"1-2-3\"x", etag));
  EXPECT_FALSE(etag_list_matches("\"1-2-3 \"", etag));
}

TEST(Validators, IfModifiedSince) {
  EXPECT_TRUE(not_modified_since("Sun, 06 Nov 1994 08:49:37 GMT", kRfcExample));
  EXPECT_TRUE(not_modified_since("Sun, 06 Nov 1994 08:49:37 GMT", kRfcExample - 1));
  EXPECT_FALSE(not_modified_since("Sun, 06 Nov 1994 08:49:37 GMT", kRfcExample + 1));
  EXPECT_FALSE(not_modified_since("yesterday", 0));
}

TEST(Validators, IfRange) {
  std::string etag = "\"1-2-3\"";
  EXPECT_TRUE(if_range_matches("\"1-2-3\"", etag, 0));
  EXPECT_FALSE(if_range_matches("W/\"1-2-3\"", etag, 0));  // weak never matches
  EXPECT_FALSE(if_range_matches("\"1-2-3\"", "W/\"1-2-3\"", 0));
  EXPECT_FALSE(if_range_matches("\"1-2-4\"", etag, 0));
  EXPECT_FALSE(if_range_matches("\"1-2-3\", \"x\"", etag, 0));
  EXPECT_TRUE(if_range_matches("Sun, 06 Nov 1994 08:49:37 GMT", etag, kRfcExample));
  EXPECT_FALSE(if_range_matches("Sun, 06 Nov 1994 08:49:37 GMT", etag, kRfcExample - 1));
  EXPECT_FALSE(if_range_matches("Sun, 06 Nov 1994 08:49:37 GMT", etag, kRfcExample + 1));
  EXPECT_FALSE(if_range_matches("garbage", etag, kRfcExample));
  EXPECT_FALSE(if_range_matches("", etag, 0));
}

}  // namespace
}  // namespace zcp
