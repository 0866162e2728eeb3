#include "zcp/server/access_log.h"

#include <gtest/gtest.h>

namespace zcp {
namespace {

// 2026-10-10 13:55:36 UTC.
constexpr std::chrono::system_clock::time_point kWhen{std::chrono::seconds(1791640536)};

AccessRecord record() {
  AccessRecord r;
  r.peer = SocketAddress::loopback_v4(40312);
  r.when = kWhen;
  r.request_line = "GET /a HTTP/1.1";
  r.status = 200;
  r.bytes = 2326;
  r.user_agent = "curl/7.88";
  r.seconds = 0.003;
  return r;
}

TEST(AccessLog, CombinedFormat) {
  EXPECT_EQ(format_access_line(record(), false),
            "127.0.0.1 - - [10/Oct/2026:13:55:36 +0000] \"GET /a HTTP/1.1\" 200 2326 \"-\" "
            "\"curl/7.88\" 0.003s port=40312");
}

TEST(AccessLog, Ipv6HostHasNoBrackets) {
  AccessRecord r = record();
  r.peer = SocketAddress::loopback_v6(1);
  EXPECT_EQ(format_access_line(r, false).rfind("::1 - - [", 0), 0U);
}

TEST(AccessLog, UnparsedRequestIsADash) {
  AccessRecord r = record();
  r.request_line.clear();
  EXPECT_NE(format_access_line(r, false).find("] \"-\" 200 "), std::string::npos);
}

TEST(AccessLog, PeerFieldsAreEscaped) {
  AccessRecord r = record();
  r.request_line = "GET /\x1b[2J\x9b\xc2\x9b\" HTTP/1.1";
  r.referer = "a\"b";
  r.user_agent = "ua\\x";
  r.note = "relay: \x1b]0;t\x07";
  std::string line = format_access_line(r, false);
  EXPECT_NE(line.find("\"GET /\\x1b[2J\\x9b\\xc2\\x9b\\x22 HTTP/1.1\""), std::string::npos) << line;
  EXPECT_NE(line.find("\"a\\x22b\" \"ua\\x5cx\""), std::string::npos) << line;
  EXPECT_NE(line.find("relay: \\x1b]0;t\\x07"), std::string::npos) << line;
  for (char c : line) EXPECT_GE(static_cast<unsigned char>(c), 0x20) << line;
}

TEST(AccessLog, JsonLine) {
  AccessRecord r = record();
  r.user_agent = "q\"\\\x9b";
  EXPECT_EQ(format_access_line(r, true),
            "{\"time\":\"2026-10-10T13:55:36Z\",\"peer\":\"127.0.0.1:40312\",\"request\":\"GET /a "
            "HTTP/1.1\",\"status\":200,\"bytes\":2326,\"referer\":\"\",\"user_agent\":"
            "\"q\\\\x22\\\\x5c\\\\x9b\",\"seconds\":0.003,\"note\":\"\"}");
}

// HTTPS lines name the body path; plain lines stay as they were.
TEST(AccessLog, TlsPathAfterThePort) {
  AccessRecord r = record();
  r.tls = "userspace";
  r.note = "n";
  EXPECT_EQ(format_access_line(r, false),
            "127.0.0.1 - - [10/Oct/2026:13:55:36 +0000] \"GET /a HTTP/1.1\" 200 2326 \"-\" "
            "\"curl/7.88\" 0.003s port=40312 tls=userspace n");
  std::string json = format_access_line(r, true);
  EXPECT_NE(json.find("\"note\":\"n\",\"tls\":\"userspace\"}"), std::string::npos) << json;
}

}  // namespace
}  // namespace zcp
