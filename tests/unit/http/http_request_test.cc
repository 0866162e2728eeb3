#include "zcp/http/http_request.h"

#include <gtest/gtest.h>

#include <string>

namespace zcp {
namespace {

using State = HttpRequestParser::State;

// Feeds `text` in one go; `consumed` says how much of it the head used.
State feed_all(HttpRequestParser& parser, std::string_view text, size_t* consumed = nullptr) {
  size_t used = 0;
  State state = parser.feed(text, used);
  if (consumed) *consumed = used;
  return state;
}

// The status a request is refused with, or 0 when it parses.
int refusal(std::string_view text, HttpLimits limits = {}) {
  HttpRequestParser parser(limits);
  State state = feed_all(parser, text);
  if (state == State::kError) return parser.error().status;
  return state == State::kDone ? 0 : -1;
}

TEST(HttpRequest, SimpleGet) {
  HttpRequestParser parser;
  std::string text = "GET /a%20b?format=json HTTP/1.1\r\nHost: example\r\nAccept: */*\r\n\r\n";
  size_t consumed = 0;
  ASSERT_EQ(feed_all(parser, text, &consumed), State::kDone);
  EXPECT_EQ(consumed, text.size());
  const HttpRequest& req = parser.request();
  EXPECT_EQ(req.method, "GET");
  EXPECT_EQ(req.target, "/a%20b?format=json");
  EXPECT_EQ(req.version_major, 1);
  EXPECT_EQ(req.version_minor, 1);
  ASSERT_EQ(req.headers.size(), 2U);
  EXPECT_EQ(req.headers[0].first, "Host");
  EXPECT_EQ(req.headers[0].second, "example");
  EXPECT_EQ(req.header("host"), "example");
  EXPECT_EQ(req.header("ACCEPT"), "*/*");
  EXPECT_FALSE(req.header("Range").has_value());
  EXPECT_TRUE(req.keep_alive);
  EXPECT_FALSE(req.content_length.has_value());
  EXPECT_FALSE(req.chunked);
}

TEST(HttpRequest, Head) {
  HttpRequestParser parser;
  ASSERT_EQ(feed_all(parser, "HEAD /x HTTP/1.1\r\nHost: h\r\n\r\n"), State::kDone);
  EXPECT_EQ(parser.request().method, "HEAD");
  EXPECT_EQ(parser.request().target, "/x");
}

TEST(HttpRequest, TrimsValuesAndCountsHeaders) {
  HttpRequestParser parser;
  ASSERT_EQ(feed_all(parser, "GET / HTTP/1.1\r\nX-A:   spaced \t \r\nx-a: two\r\nEmpty:\r\n\r\n"),
            State::kDone);
  const HttpRequest& req = parser.request();
  EXPECT_EQ(req.header("X-A"), "spaced");
  EXPECT_EQ(req.header_count("x-A"), 2U);
  EXPECT_EQ(req.header("empty"), "");
}

TEST(HttpRequest, ByteByByte) {
  std::string text =
      "GET /some/long/path?q=1 HTTP/1.1\r\nHost: example.com\r\nRange: bytes=0-99\r\n"
      "If-None-Match: \"abc\"\r\n\r\n";
  HttpRequestParser parser;
  State state = State::kNeedMore;
  size_t total = 0;
  for (char c : text) {
    ASSERT_EQ(state, State::kNeedMore);
    size_t consumed = 0;
    state = parser.feed(std::string_view(&c, 1), consumed);
    total += consumed;
  }
  ASSERT_EQ(state, State::kDone);
  EXPECT_EQ(total, text.size());
  const HttpRequest& req = parser.request();
  EXPECT_EQ(req.target, "/some/long/path?q=1");
  EXPECT_EQ(req.header("Host"), "example.com");
  EXPECT_EQ(req.header("range"), "bytes=0-99");
  EXPECT_EQ(req.header("if-none-match"), "\"abc\"");
  EXPECT_EQ(req.headers.size(), 3U);
}

TEST(HttpRequest, PipelinedStopsAfterFirstHead) {
  std::string first = "GET /one HTTP/1.1\r\nHost: h\r\n\r\n";
  std::string second = "GET /two HTTP/1.1\r\nHost: h\r\n\r\n";
  std::string both = first + second;
  HttpRequestParser parser;
  size_t consumed = 0;
  ASSERT_EQ(feed_all(parser, both, &consumed), State::kDone);
  EXPECT_EQ(consumed, first.size());
  EXPECT_EQ(parser.request().target, "/one");
  // Done until reset: nothing more is taken.
  EXPECT_EQ(feed_all(parser, second, &consumed), State::kDone);
  EXPECT_EQ(consumed, 0U);
  parser.reset();
  ASSERT_EQ(feed_all(parser, std::string_view(both).substr(first.size()), &consumed), State::kDone);
  EXPECT_EQ(consumed, second.size());
  EXPECT_EQ(parser.request().target, "/two");
  EXPECT_EQ(parser.request().headers.size(), 1U);
}

TEST(HttpRequest, Http10KeepAlive) {
  HttpRequestParser parser;
  ASSERT_EQ(feed_all(parser, "GET / HTTP/1.0\r\n\r\n"), State::kDone);
  EXPECT_EQ(parser.request().version_minor, 0);
  EXPECT_FALSE(parser.request().keep_alive);
  parser.reset();
  ASSERT_EQ(feed_all(parser, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"), State::kDone);
  EXPECT_TRUE(parser.request().keep_alive);
}

TEST(HttpRequest, ConnectionClose) {
  HttpRequestParser parser;
  ASSERT_EQ(feed_all(parser, "GET / HTTP/1.1\r\nConnection: close\r\n\r\n"), State::kDone);
  EXPECT_FALSE(parser.request().keep_alive);
}

TEST(HttpRequest, PutLeavesBody) {
  std::string head = "PUT /up.bin HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n";
  HttpRequestParser parser;
  size_t consumed = 0;
  ASSERT_EQ(feed_all(parser, head + "hello world", &consumed), State::kDone);
  EXPECT_EQ(consumed, head.size());
  EXPECT_EQ(parser.request().method, "PUT");
  EXPECT_EQ(parser.request().content_length, 11U);
}

TEST(HttpRequest, Chunked) {
  HttpRequestParser parser;
  std::string head = "PUT /u HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
  size_t consumed = 0;
  ASSERT_EQ(feed_all(parser, head + "5\r\nhello\r\n0\r\n\r\n", &consumed), State::kDone);
  EXPECT_EQ(consumed, head.size());
  EXPECT_TRUE(parser.request().chunked);
}

TEST(HttpRequest, AbsoluteFormKeptAsSent) {
  HttpRequestParser parser;
  ASSERT_EQ(feed_all(parser, "GET http://example.com:8080/a/b?c=d HTTP/1.1\r\n\r\n"), State::kDone);
  EXPECT_EQ(parser.request().target, "http://example.com:8080/a/b?c=d");
}

TEST(HttpRequest, NeedsMoreUntilBlankLine) {
  HttpRequestParser parser;
  size_t consumed = 0;
  EXPECT_EQ(parser.feed("GET / HTTP/1.1\r\nHost: h\r\n", consumed), State::kNeedMore);
  EXPECT_EQ(parser.feed("", consumed), State::kNeedMore);
  EXPECT_EQ(consumed, 0U);
  EXPECT_EQ(parser.feed("\r\n", consumed), State::kDone);
  EXPECT_EQ(consumed, 2U);
}

TEST(HttpRequest, Malformed400) {
  EXPECT_EQ(refusal("GET / HTTP/1.1\r\nBad Header: x\r\n\r\n"), 400);
  EXPECT_EQ(refusal("PUT / HTTP/1.1\r\nContent-Length : 5\r\n\r\n"), 400);
  EXPECT_EQ(refusal("GET / HTTP/1.1\r\n: novalue\r\n\r\n"), 400);
  EXPECT_EQ(refusal("GET / HTTP/x.1\r\n\r\n"), 400);
  EXPECT_EQ(refusal("\x16\x03\x01\x02\x00"), 400);
  EXPECT_EQ(refusal("GET / HTTP/1.1\r\nContent-Length: 12abc\r\n\r\n"), 400);
}

TEST(HttpRequest, Smuggling400) {
  EXPECT_EQ(refusal("PUT / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"),
            400);
  EXPECT_EQ(refusal("PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"),
            400);
  EXPECT_EQ(refusal("PUT / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"), 400);
}

TEST(HttpRequest, TargetTooLong414) {
  HttpLimits limits;
  limits.max_target_bytes = 100;
  std::string target = "/" + std::string(99, 'a');
  EXPECT_EQ(refusal("GET " + target + " HTTP/1.1\r\n\r\n", limits), 0);
  EXPECT_EQ(refusal("GET " + target + "a HTTP/1.1\r\n\r\n", limits), 414);
}

TEST(HttpRequest, HeadTooLarge431) {
  HttpLimits limits;
  limits.max_head_bytes = 200;
  std::string head = "GET / HTTP/1.1\r\nX: " + std::string(300, 'v') + "\r\n\r\n";
  EXPECT_EQ(refusal(head, limits), 431);
  // The same, arriving in small pieces.
  HttpRequestParser parser(limits);
  State state = State::kNeedMore;
  for (size_t i = 0; i < head.size() && state == State::kNeedMore; i += 7) {
    size_t consumed = 0;
    state = parser.feed(std::string_view(head).substr(i, 7), consumed);
  }
  ASSERT_EQ(state, State::kError);
  EXPECT_EQ(parser.error().status, 431);
  // A head of exactly the limit is fine.
  std::string exact = "GET / HTTP/1.1\r\nX: ";
  exact += std::string(200 - exact.size() - 4, 'v') + "\r\n\r\n";
  ASSERT_EQ(exact.size(), 200U);
  EXPECT_EQ(refusal(exact, limits), 0);
  EXPECT_EQ(refusal(exact + "body", limits), 0);
}

TEST(HttpRequest, TooManyHeaders431) {
  HttpLimits limits;
  limits.max_headers = 3;
  std::string head = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 3; ++i) head += "X-" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(refusal(head + "\r\n", limits), 0);
  EXPECT_EQ(refusal(head + "X-3: v\r\n\r\n", limits), 431);
}

TEST(HttpRequest, UnsupportedEncoding501) {
  EXPECT_EQ(refusal("PUT / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"), 501);
  EXPECT_EQ(refusal("PUT / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"), 501);
  EXPECT_EQ(refusal("PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n"),
            501);
  EXPECT_EQ(refusal("BREW /pot HTTP/1.1\r\n\r\n"), 501);
}

TEST(HttpRequest, Version505) {
  EXPECT_EQ(refusal("GET / HTTP/2.0\r\n\r\n"), 505);
  EXPECT_EQ(refusal("GET / HTTP/1.2\r\n\r\n"), 505);
  EXPECT_EQ(refusal("GET /\r\n\r\n"), 505);  // HTTP/0.9
}

TEST(HttpRequest, ErrorIsSticky) {
  HttpRequestParser parser;
  size_t consumed = 0;
  ASSERT_EQ(parser.feed("GET / HTTP/2.0\r\n\r\n", consumed), State::kError);
  EXPECT_EQ(parser.feed("GET / HTTP/1.1\r\n\r\n", consumed), State::kError);
  EXPECT_EQ(consumed, 0U);
  parser.reset();
  EXPECT_EQ(parser.feed("GET / HTTP/1.1\r\n\r\n", consumed), State::kDone);
}

}  // namespace
// RFC 9112 section 3.2.
TEST(HostHeader, ExactlyOneForHttp11) {
  auto parse = [](std::string_view text) {
    HttpRequestParser parser;
    EXPECT_EQ(feed_all(parser, text), State::kDone) << text;
    return host_error(parser.request());
  };
  EXPECT_FALSE(parse("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
  EXPECT_FALSE(parse("GET / HTTP/1.1\r\nhOsT: a\r\n\r\n"));
  EXPECT_FALSE(parse("GET / HTTP/1.0\r\n\r\n"));  // 1.0 may omit it
  EXPECT_EQ(parse("GET / HTTP/1.1\r\n\r\n")->status, 400);
  EXPECT_EQ(parse("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n")->status, 400);
  EXPECT_EQ(parse("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n")->status, 400);
  EXPECT_EQ(parse("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n")->status, 400);
}

// 501 is for a request with a method we lack; what is no request is 400.
TEST(HttpRequest, GarbageLineIs400UnknownMethodIs501) {
  EXPECT_EQ(refusal("GARBAGE\r\n\r\n"), 400);
  EXPECT_EQ(refusal("GET\r\n\r\n"), 400);
  EXPECT_EQ(refusal("BREW\r\n\r\n"), 400);
  EXPECT_EQ(refusal("BREW /pot\r\n\r\n"), 400);
  EXPECT_EQ(refusal("BREW /pot HTTP/1.1 extra\r\n\r\n"), 400);
  EXPECT_EQ(refusal("\x16\x03\x01\x02\x00\r\n\r\n"), 400);
  EXPECT_EQ(refusal("BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n"), 501);
  EXPECT_EQ(refusal("FROB / HTTP/1.1\r\n\r\n"), 501);
  // Arriving a byte at a time, a line is judged on what came: a method we
  // lack stays 501; a line that cannot begin a request is 400 at once.
  for (std::string_view text : {"BREW /pot HTTP/1.1\r\n\r\n", "\x16\x03\x01\r\n"}) {
    HttpRequestParser parser;
    State state = State::kNeedMore;
    for (size_t i = 0; i < text.size() && state == State::kNeedMore; ++i) {
      size_t used = 0;
      state = parser.feed(text.substr(i, 1), used);
    }
    ASSERT_EQ(state, State::kError) << text;
    EXPECT_EQ(parser.error().status, text[0] == 'B' ? 501 : 400) << text;
  }
}

TEST(AuthCredentials, SchemeIsCaseInsensitiveTokenIsExact) {
  EXPECT_EQ(auth_credentials("Bearer abc", "Bearer"), "abc");
  EXPECT_EQ(auth_credentials("bearer abc", "Bearer"), "abc");
  EXPECT_EQ(auth_credentials("BEARER abc", "Bearer"), "abc");
  EXPECT_EQ(auth_credentials("bEaReR   abc", "Bearer"), "abc");
  EXPECT_EQ(auth_credentials("Bearer ABC", "Bearer"), "ABC");
  EXPECT_FALSE(auth_credentials("Basic abc", "Bearer"));
  EXPECT_FALSE(auth_credentials("Bearerabc", "Bearer"));
  EXPECT_FALSE(auth_credentials("Bearer", "Bearer"));
  EXPECT_FALSE(auth_credentials("abc", "Bearer"));
  EXPECT_FALSE(auth_credentials("Bearer ", "Bearer"));
}

TEST(SameSecret, ComparesAllBytes) {
  EXPECT_TRUE(same_secret("s3cret", "s3cret"));
  EXPECT_FALSE(same_secret("s3cret", "S3cret"));
  EXPECT_FALSE(same_secret("s3cret", "s3cre"));
  EXPECT_FALSE(same_secret("s3cre", "s3cret"));
  EXPECT_FALSE(same_secret("", "x"));
  EXPECT_TRUE(same_secret("", ""));
}

}  // namespace zcp
