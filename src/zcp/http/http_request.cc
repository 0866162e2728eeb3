#include "zcp/http/http_request.h"

#include <http_parser.h>

#include <algorithm>
#include <string>

#include "zcp/http/http_text.h"

namespace zcp {

namespace {

// tchar (RFC 9110 section 5.6.2). http-parser lets spaces into names
// ("Content-Length : 5"), which RFC 9112 section 5.1 says to refuse: a
// proxy that reads the name differently is a smuggling vector.
bool is_token(std::string_view s) {
  constexpr std::string_view kPunct = "!#$%&'*+-.^_`|~";
  for (char c : s) {
    bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alnum && kPunct.find(c) == std::string_view::npos) return false;
  }
  return !s.empty();
}

// http-parser reports an unknown method at its first byte that fits no
// known method; a letter there means a method we do not implement (501),
// anything else (a TLS hello, binary junk) is simply malformed (400).
bool looks_like_method_byte(char c) { return (c >= 'A' && c <= 'Z') || c == '-' || c == '_'; }

// A method http-parser does not know is 501 only when the line has the
// shape of a request line, "TOKEN SP TARGET SP HTTP/d.d" (RFC 9112 section
// 3); "GARBAGE", "GET" alone or "FOO /x" are no request at all: 400. A line
// still arriving (its LF not yet read) gets the benefit of the doubt while
// what it shows could begin one: "BR", "BREW /po".
bool is_request_line_shaped(std::string_view line) {
  bool complete = false;
  if (size_t lf = line.find('\n'); lf != std::string_view::npos) {
    line = line.substr(0, lf);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    complete = true;
  }
  size_t sp1 = line.find(' ');
  if (sp1 == 0 || (complete && sp1 == std::string_view::npos)) return false;
  for (char c : line.substr(0, sp1)) {
    if (!looks_like_method_byte(c)) return false;
  }
  if (!complete) return true;
  size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || sp2 == sp1 + 1) return false;
  std::string_view version = line.substr(sp2 + 1);
  return version.size() == 8 && version.substr(0, 5) == "HTTP/" && version[5] >= '0' &&
         version[5] <= '9' && version[6] == '.' && version[7] >= '0' && version[7] <= '9';
}

}  // namespace

std::optional<std::string_view> HttpRequest::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return std::string_view(value);
  }
  return std::nullopt;
}

size_t HttpRequest::header_count(std::string_view name) const {
  size_t count = 0;
  for (const auto& entry : headers) {
    if (iequals(entry.first, name)) ++count;
  }
  return count;
}

std::optional<HttpError> host_error(const HttpRequest& req) {
  size_t hosts = req.header_count("Host");
  if (hosts > 1) return HttpError{400, "more than one Host header"};
  bool http11 = req.version_major == 1 && req.version_minor >= 1;
  if (hosts == 0 && http11) return HttpError{400, "HTTP/1.1 request without a Host header"};
  return std::nullopt;
}

std::optional<std::string_view> auth_credentials(std::string_view authorization,
                                                 std::string_view scheme) {
  authorization = trim_ows(authorization);
  size_t space = authorization.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  if (!iequals(authorization.substr(0, space), scheme)) return std::nullopt;
  // RFC 9110 section 11.4: one or more spaces between scheme and token68.
  std::string_view rest = authorization.substr(space);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  if (rest.empty()) return std::nullopt;
  return rest;
}

bool same_secret(std::string_view a, std::string_view b) {
  // Every byte of the longer one is looked at, whatever the lengths.
  size_t n = std::max(a.size(), b.size());
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < n; ++i) {
    auto x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    auto y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

bool HttpRequest::expects_continue() const {
  auto expect = header("Expect");
  return version_major == 1 && version_minor >= 1 && expect && *expect == "100-continue";
}

// The http-parser state and its callbacks. A callback that refuses the
// request stores why in `refusal` and returns nonzero, which stops the
// parser with an HPE_CB_* error.
struct HttpRequestParser::Impl {
  HttpRequestParser* self = nullptr;
  http_parser parser{};
  http_parser_settings settings{};
  State state = State::kNeedMore;
  size_t head_bytes = 0;    // bytes of this head consumed so far
  bool field_open = false;  // the last header callback was part of a name
  std::optional<HttpError> refusal;

  explicit Impl(HttpRequestParser* owner);
  void restart();
  int refuse(int status, std::string reason);
  int finish_head();
  int check_framing();

  static Impl& of(http_parser* p) { return *static_cast<Impl*>(p->data); }
  static int on_url(http_parser* p, const char* at, size_t len);
  static int on_header_field(http_parser* p, const char* at, size_t len);
  static int on_header_value(http_parser* p, const char* at, size_t len);
  static int on_headers_complete(http_parser* p);
  static int on_message_complete(http_parser* p);
};

HttpRequestParser::Impl::Impl(HttpRequestParser* owner) : self(owner) {
  http_parser_settings_init(&settings);
  settings.on_url = &Impl::on_url;
  settings.on_header_field = &Impl::on_header_field;
  settings.on_header_value = &Impl::on_header_value;
  settings.on_headers_complete = &Impl::on_headers_complete;
  settings.on_message_complete = &Impl::on_message_complete;
  restart();
}

void HttpRequestParser::Impl::restart() {
  http_parser_init(&parser, HTTP_REQUEST);
  parser.data = this;
  state = State::kNeedMore;
  head_bytes = 0;
  field_open = false;
  refusal.reset();
}

int HttpRequestParser::Impl::refuse(int status, std::string reason) {
  refusal = HttpError{status, std::move(reason)};
  return -1;
}

int HttpRequestParser::Impl::on_url(http_parser* p, const char* at, size_t len) {
  Impl& impl = of(p);
  std::string& target = impl.self->request_.target;
  target.append(at, len);
  if (target.size() > impl.self->limits_.max_target_bytes) {
    return impl.refuse(414, "request-target too long");
  }
  return 0;
}

// A name or value may arrive in several pieces (one per feed): a name
// callback after a value starts a new header, otherwise it continues one.
int HttpRequestParser::Impl::on_header_field(http_parser* p, const char* at, size_t len) {
  Impl& impl = of(p);
  auto& headers = impl.self->request_.headers;
  if (!impl.field_open) {
    if (headers.size() >= impl.self->limits_.max_headers) {
      return impl.refuse(431, "too many header fields");
    }
    headers.emplace_back();
    impl.field_open = true;
  }
  headers.back().first.append(at, len);
  return 0;
}

int HttpRequestParser::Impl::on_header_value(http_parser* p, const char* at, size_t len) {
  Impl& impl = of(p);
  impl.field_open = false;
  // http-parser calls on_header_field first; guard anyway, a value needs a name.
  if (impl.self->request_.headers.empty()) return impl.refuse(400, "header value without name");
  impl.self->request_.headers.back().second.append(at, len);
  return 0;
}

// Returning 1 tells http-parser the message has no body: it completes the
// message at the blank line, where on_message_complete pauses it.
int HttpRequestParser::Impl::on_headers_complete(http_parser* p) { return of(p).finish_head(); }

// Pausing here makes http_parser_execute return just past the blank line,
// leaving a body or a pipelined request to the caller.
int HttpRequestParser::Impl::on_message_complete(http_parser* p) {
  of(p).state = State::kDone;
  http_parser_pause(p, 1);
  return 0;
}

int HttpRequestParser::Impl::finish_head() {
  HttpRequest& req = self->request_;
  req.version_major = parser.http_major;
  req.version_minor = parser.http_minor;
  if (req.version_major != 1 || req.version_minor > 1) {
    return refuse(505, "HTTP version not supported");
  }
  req.method = http_method_str(static_cast<http_method>(parser.method));
  req.keep_alive = http_should_keep_alive(&parser) != 0;
  for (auto& [name, value] : req.headers) {
    if (!is_token(name)) return refuse(400, "invalid header name");
    value = std::string(trim_ows(value));
  }
  if (int rc = check_framing(); rc != 0) return rc;
  return 1;
}

// Content-Length and Transfer-Encoding decide where the body ends; any
// ambiguity between them is how request smuggling works, so refuse it.
int HttpRequestParser::Impl::check_framing() {
  HttpRequest& req = self->request_;
  std::optional<std::string_view> length;
  size_t encodings = 0;
  for (const auto& [name, value] : req.headers) {
    if (iequals(name, "Transfer-Encoding")) {
      ++encodings;
      if (!iequals(value, "chunked")) return refuse(501, "unsupported Transfer-Encoding");
    } else if (iequals(name, "Content-Length")) {
      if (length && *length != value) return refuse(400, "conflicting Content-Length");
      length = value;
    }
  }
  if (encodings > 0 && length) return refuse(400, "Transfer-Encoding with Content-Length");
  if (encodings > 1) return refuse(501, "repeated Transfer-Encoding");
  req.chunked = encodings == 1;
  if (length) {
    req.content_length = parse_decimal(*length);
    if (!req.content_length) return refuse(400, "bad Content-Length");
  }
  return 0;
}

HttpRequestParser::HttpRequestParser(HttpLimits limits) : impl_(new Impl(this)), limits_(limits) {}

HttpRequestParser::~HttpRequestParser() { delete impl_; }

void HttpRequestParser::reset() {
  impl_->restart();
  request_ = HttpRequest{};
  error_ = HttpError{};
  first_line_.clear();
}

namespace {

HttpError error_from_parser(http_errno err, char at, std::string_view first_line) {
  switch (err) {
    case HPE_HEADER_OVERFLOW:
      return {431, "request head too large"};
    case HPE_INVALID_METHOD:
      if (looks_like_method_byte(at) && is_request_line_shaped(first_line)) {
        return {501, "method not implemented"};
      }
      return {400, "not a request line"};
    case HPE_INVALID_TRANSFER_ENCODING:
      return {501, "unsupported Transfer-Encoding"};
    default:
      return {400, http_errno_description(err)};
  }
}

}  // namespace

HttpRequestParser::State HttpRequestParser::feed(std::string_view data, size_t& consumed) {
  consumed = 0;
  Impl& impl = *impl_;
  // A zero-length http_parser_execute means EOF to http-parser: never send one.
  if (impl.state != State::kNeedMore || data.empty()) return impl.state;
  // Feed no more than the head may still grow, so the limit holds exactly
  // and http-parser never sees bytes we would refuse anyway.
  size_t room = limits_.max_head_bytes - impl.head_bytes;
  std::string_view chunk = data.substr(0, room);
  // Keep the request line (up to its LF) for error_from_parser; bounded by
  // the head limit like everything else.
  if (first_line_.find('\n') == std::string::npos) {
    size_t lf = chunk.find('\n');
    first_line_.append(chunk.substr(0, lf == std::string_view::npos ? chunk.size() : lf + 1));
  }
  size_t parsed =
      chunk.empty() ? 0
                    : http_parser_execute(&impl.parser, &impl.settings, chunk.data(), chunk.size());
  consumed = parsed;
  impl.head_bytes += parsed;
  if (impl.state == State::kDone) return impl.state;
  auto err = HTTP_PARSER_ERRNO(&impl.parser);
  if (impl.refusal) {
    error_ = *impl.refusal;
  } else if (err != HPE_OK) {
    error_ = error_from_parser(err, parsed < chunk.size() ? chunk[parsed] : '\0', first_line_);
  } else if (parsed == chunk.size() && chunk.size() == data.size()) {
    return State::kNeedMore;
  } else if (parsed == chunk.size()) {
    error_ = {431, "request head too large"};
  } else {
    error_ = {400, "unexpected stop in request head"};
  }
  impl.state = State::kError;
  return impl.state;
}

}  // namespace zcp
