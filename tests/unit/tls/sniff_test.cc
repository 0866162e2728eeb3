// The first bytes on a TLS port: a ClientHello, plain HTTP, or neither;
// and the canned answer to plain HTTP frames itself correctly.
#include "zcp/tls/sniff.h"

#include <gtest/gtest.h>

#include <string>

namespace zcp {
namespace {

TEST(Sniff, Classifies) {
  EXPECT_EQ(classify_first_bytes(""), FirstBytes::kNeedMore);
  EXPECT_EQ(classify_first_bytes("\x16"), FirstBytes::kNeedMore);
  EXPECT_EQ(classify_first_bytes(std::string("\x16\x03\x01\x02\x00", 5)), FirstBytes::kTls);
  EXPECT_EQ(classify_first_bytes("\x16\x02"), FirstBytes::kUnknown);
  EXPECT_EQ(classify_first_bytes("GET / HTTP/1.1\r\n"), FirstBytes::kPlainHttp);
  EXPECT_EQ(classify_first_bytes("PUT"), FirstBytes::kNeedMore);
  EXPECT_EQ(classify_first_bytes("PUT /x"), FirstBytes::kPlainHttp);
  EXPECT_EQ(classify_first_bytes(" GET"), FirstBytes::kUnknown);
  EXPECT_EQ(classify_first_bytes("get / HTTP/1.1"), FirstBytes::kUnknown);
  EXPECT_EQ(classify_first_bytes("AAAAAAAAAAAAAAAAAAAA"), FirstBytes::kUnknown);
}

TEST(Sniff, CannedAnswerLengthIsRight) {
  std::string_view a = kPlainHttpOnTlsPort;
  size_t end = a.find("\r\n\r\n");
  ASSERT_NE(end, std::string_view::npos);
  EXPECT_EQ(a.substr(end + 4).size(), 46u);
  EXPECT_NE(a.find("The plain HTTP request was sent to HTTPS port"), std::string_view::npos);  // nginx's words
  EXPECT_NE(a.find("Content-Length: 46\r\n"), std::string_view::npos);
}

}  // namespace
}  // namespace zcp
