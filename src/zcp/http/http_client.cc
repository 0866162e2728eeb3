#include "zcp/http/http_client.h"

#include <http_parser.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>

#include "zcp/base/socket.h"
#include "zcp/http/http_text.h"
#include "zcp/tls/tls_context.h"
#include "zcp/tls/tls_session.h"

namespace zcp {
namespace {

using Clock = std::chrono::steady_clock;
using Headers = std::vector<std::pair<std::string, std::string>>;

// Status lines + headers of one wait for an answer, interim heads
// included: an endless stream of 103s is as much a hostile head as one
// endless header.
constexpr size_t kMaxHead = 64 * 1024;
// A real server sends one 100 Continue and perhaps a 103 Early Hints or
// two before its answer; more is a server stalling while looking busy.
constexpr int kMaxInterim = 16;
constexpr size_t kMaxHeaders = 200;
// Bytes past the head are written out of user space, so read the head in
// pieces not much larger than a head.
constexpr size_t kHeadRecv = 16 * 1024;
constexpr std::string_view kUserAgent = "zcp/0.1";

// 1xx, 204 and 304 never have a body (RFC 9112 section 6.3).
bool has_body(int status) { return status >= 200 && status != 204 && status != 304; }

// The rest of a non-blocking connect, bounded by `timeout` (0: the
// kernel's own limit, about two minutes of SYN retries).
Status finish_connect(int fd, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  pollfd pfd{fd, POLLOUT, 0};
  for (;;) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    int64_t ms = std::clamp<int64_t>(left.count(), 0, 1 << 30);
    int wait = timeout.count() > 0 ? static_cast<int>(ms) : -1;
    int rc = ::poll(&pfd, 1, wait);
    if (rc > 0) break;
    if (rc == 0) return Status(Code::kSystem, "connect", {}, ETIMEDOUT);
    if (errno != EINTR) return Status::from_errno("poll");
  }
  int err = 0;
  socklen_t len = sizeof(err);
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
    return Status::from_errno("getsockopt SO_ERROR");
  }
  return err == 0 ? Status() : Status::from_errno("connect", err);
}

Result<UniqueFd> connect_within(const SocketAddress& addr, std::chrono::milliseconds timeout) {
  UniqueFd fd(::socket(addr.family(), SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return Status::from_errno("socket");
  // EINTR: the connect goes on in the background, as with EINPROGRESS.
  if (::connect(fd.get(), addr.get(), addr.length()) != 0) {
    if (errno != EINPROGRESS && errno != EINTR) return Status::from_errno("connect");
    if (Status s = finish_connect(fd.get(), timeout); !s) return s;
  }
  return fd;
}

bool has_header(const Headers& headers, std::string_view name) {
  for (const auto& entry : headers) {
    if (iequals(entry.first, name)) return true;
  }
  return false;
}

// CR, LF or NUL in any piece would let it end the line early and inject
// headers (or a second request) of its own.
bool line_safe(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) == s.npos;
}

Result<std::string> build_head(std::string_view method, std::string_view target,
                               const std::string& authority, const Headers& headers) {
  if (method.empty() || !line_safe(method) || method.find(' ') != method.npos || target.empty() ||
      !line_safe(target) || target.find(' ') != target.npos) {
    return Status::invalid("bad request line '" + std::string(method) + " " + std::string(target) +
                           "'");
  }
  std::string head = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\n";
  if (!has_header(headers, "Host")) head += "Host: " + authority + "\r\n";
  if (!has_header(headers, "User-Agent")) head += "User-Agent: " + std::string(kUserAgent) + "\r\n";
  for (const auto& [name, value] : headers) {
    if (name.empty() || !line_safe(name) || name.find(':') != name.npos || !line_safe(value)) {
      return Status::invalid("bad request header '" + name + "'");
    }
    head += name + ": " + value + "\r\n";
  }
  return head + "\r\n";
}

// http-parser in HTTP_RESPONSE mode, for one head. on_headers_complete
// always answers 1 ("no body"): the BodyReader frames the body, and the
// parser then completes the message right at the blank line, where
// on_message_complete pauses it, so http_parser_execute returns exactly
// the head's length and body bytes stay unparsed.
struct HeadParser {
  http_parser parser{};
  http_parser_settings settings{};
  ResponseHead head;
  bool head_request = false;
  bool bodiless = false;    // HEAD, 1xx, 204, 304: nothing follows the head
  bool field_open = false;  // the last header callback was part of a name
  bool complete = false;
  std::string refusal;

  explicit HeadParser(bool is_head_request);
  int refuse(std::string why) {
    refusal = std::move(why);
    return -1;
  }
  int finish_head();
  int check_framing();

  static HeadParser& of(http_parser* p) { return *static_cast<HeadParser*>(p->data); }
  static int on_header_field(http_parser* p, const char* at, size_t len);
  static int on_header_value(http_parser* p, const char* at, size_t len);
  static int on_headers_complete(http_parser* p) { return of(p).finish_head(); }
  static int on_message_complete(http_parser* p);
};

HeadParser::HeadParser(bool is_head_request) : head_request(is_head_request) {
  http_parser_settings_init(&settings);
  settings.on_header_field = &HeadParser::on_header_field;
  settings.on_header_value = &HeadParser::on_header_value;
  settings.on_headers_complete = &HeadParser::on_headers_complete;
  settings.on_message_complete = &HeadParser::on_message_complete;
  http_parser_init(&parser, HTTP_RESPONSE);
  parser.data = this;
}

// A name may arrive in pieces: a name callback after a value starts a new
// header, otherwise it continues the current one.
int HeadParser::on_header_field(http_parser* p, const char* at, size_t len) {
  HeadParser& self = of(p);
  auto& headers = self.head.headers;
  if (!self.field_open) {
    if (headers.size() >= kMaxHeaders) return self.refuse("more than 200 header fields");
    headers.emplace_back();
    self.field_open = true;
  }
  headers.back().first.append(at, len);
  return 0;
}

int HeadParser::on_header_value(http_parser* p, const char* at, size_t len) {
  HeadParser& self = of(p);
  self.field_open = false;
  if (self.head.headers.empty()) return self.refuse("header value without a name");
  self.head.headers.back().second.append(at, len);
  return 0;
}

int HeadParser::finish_head() {
  head.status = parser.status_code;
  if (parser.http_major != 1) return refuse("not an HTTP/1.x response");
  for (auto& entry : head.headers) entry.second = std::string(trim_ows(entry.second));
  if (int rc = check_framing(); rc != 0) return rc;
  bodiless = head_request || !has_body(head.status);
  // With a body, the flags are final here; bodiless, they are once the
  // parser has set F_SKIPBODY (see on_message_complete).
  if (!bodiless) head.keep_alive = http_should_keep_alive(&parser) != 0;
  return 1;
}

// Transfer-Encoding: chunked wins over Content-Length (RFC 9112 section
// 6.3); any other coding would need decoding zcp does not do.
int HeadParser::check_framing() {
  for (const auto& [name, value] : head.headers) {
    if (iequals(name, "Transfer-Encoding")) {
      if (!iequals(value, "chunked"))
        return refuse("unsupported Transfer-Encoding '" + value + "'");
      head.chunked = true;
    } else if (iequals(name, "Content-Length")) {
      auto length = parse_decimal(value);
      if (!length || (head.content_length && *head.content_length != *length)) {
        return refuse("bad Content-Length '" + value + "'");
      }
      head.content_length = length;
    }
  }
  return 0;
}

int HeadParser::on_message_complete(http_parser* p) {
  HeadParser& self = of(p);
  if (self.bodiless) self.head.keep_alive = http_should_keep_alive(p) != 0;
  self.complete = true;
  http_parser_pause(p, 1);
  return 0;
}

Status head_error(const HeadParser& hp) {
  std::string why = hp.refusal;
  if (why.empty()) why = http_errno_description(HTTP_PARSER_ERRNO(&hp.parser));
  return Status(Code::kInvalid, "read response", "malformed response head: " + why);
}

// What one wait for an answer may still take: SO_RCVTIMEO bounds each
// recv, but a server trickling bytes (or interim heads) could otherwise
// restart that clock forever.
struct HeadBudget {
  std::optional<Clock::time_point> deadline;  // none: the client has no timeout
  size_t bytes = kMaxHead;
  int interim = kMaxInterim;
};

// The socket's receive timeout (connect's, or what a relay set since for
// a host that may be fsyncing) bounds the whole wait, not each recv.
HeadBudget budget_for(int fd) {
  HeadBudget b;
  timeval tv{};
  socklen_t len = sizeof(tv);
  if (::getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, &len) == 0 &&
      (tv.tv_sec > 0 || tv.tv_usec > 0)) {
    b.deadline =
        Clock::now() + std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec);
  }
  return b;
}

// Until `fd` has bytes or the deadline passes (ETIMEDOUT, a timeout like
// SO_RCVTIMEO's, so callers classify it the same way).
Status wait_for_bytes(ByteStream& in, const HeadBudget& budget) {
  if (!budget.deadline || in.pending() > 0) return {};
  pollfd pfd{in.fd(), POLLIN, 0};
  for (;;) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(*budget.deadline - Clock::now());
    int64_t ms = std::clamp<int64_t>(left.count(), 0, 1 << 30);
    int rc = ms > 0 ? ::poll(&pfd, 1, static_cast<int>(ms)) : 0;
    if (rc > 0) return {};
    if (rc == 0) {
      return Status(Code::kSystem, "read response", "no final answer within the timeout",
                    ETIMEDOUT);
    }
    if (errno != EINTR) return Status::from_errno("poll");
  }
}

// Parses one response head from `pending` and the socket, within what is
// left of `budget`; what follows the head stays in `pending`.
Result<ResponseHead> read_one_head(ByteStream& in, std::string& pending, bool head_request,
                                   HeadBudget& budget) {
  HeadParser hp(head_request);
  size_t fed = 0;
  for (;;) {
    if (!pending.empty()) {
      // Feed no more than the heads may still grow, so the limit holds exactly.
      std::string_view piece = std::string_view(pending).substr(0, budget.bytes);
      size_t parsed =
          piece.empty() ? 0
                        : http_parser_execute(&hp.parser, &hp.settings, piece.data(), piece.size());
      pending.erase(0, parsed);
      budget.bytes -= parsed;
      fed += parsed;
      if (hp.complete) return std::move(hp.head);
      if (HTTP_PARSER_ERRNO(&hp.parser) != HPE_OK || parsed != piece.size()) return head_error(hp);
      if (budget.bytes == 0) return Status::invalid("response head over 64 KiB");
    }
    if (Status s = wait_for_bytes(in, budget); !s) return s;
    size_t old = pending.size();
    pending.resize(old + kHeadRecv);
    auto n = in.read(pending.data() + old, kHeadRecv);
    pending.resize(old + (n ? *n : 0));
    if (!n) return std::move(n).take_status();
    if (*n == 0) {
      return Status(Code::kPeerClosed, "read response",
                    fed == 0 ? "connection closed before a response"
                             : "connection closed inside the response head");
    }
  }
}

}  // namespace

std::optional<std::string_view> ResponseHead::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return std::string_view(value);
  }
  return std::nullopt;
}

Framing ResponseHead::framing() const {
  if (chunked) return Framing::kChunked;
  if (content_length) return Framing::kLength;
  return Framing::kUntilClose;
}

Result<HttpClient> HttpClient::connect(const Url& url, std::chrono::milliseconds timeout,
                                       const TlsOptions& tls) {
  if (!url.tls) return connect_with(url, timeout, nullptr);
  auto ctx = shared_client_context(tls);
  if (!ctx) return std::move(ctx).take_status().at(url.authority());
  return connect_with(url, timeout, ctx->get());
}

Result<HttpClient> HttpClient::connect_with(const Url& url, std::chrono::milliseconds timeout,
                                            const TlsContext* tls) {
  if (url.tls && !tls) {
    return Status(Code::kInvalid, "TLS", "no client trust settings for an https:// URL")
        .at(url.authority());
  }
  // Resolve, try each address in turn within the timeout, then block with
  // SO_*TIMEO. The error is the last address's.
  auto addrs = resolve_all(HostPort{url.host, url.port}, AF_UNSPEC, timeout);
  if (!addrs) return std::move(addrs).take_status().at(url.authority());
  Status last;
  for (const SocketAddress& addr : *addrs) {
    std::string where = url.authority();
    if (addr.to_string() != where) where += " (" + addr.to_string() + ")";
    auto fd = connect_within(addr, timeout);
    if (!fd) {
      last = std::move(fd).take_status().at(where);
      continue;
    }
    if (Status s = set_blocking_with_timeout(fd->get(), timeout); !s) return std::move(s).at(where);
    HttpClient client(std::move(*fd), url);
    if (!url.tls) return client;
    // TLS failures are the server's, not this address's: no next address.
    if (Status s = client.start_tls(*tls, timeout); !s) return std::move(s).at(where);
    return client;
  }
  return last;
}

HttpClient::HttpClient(UniqueFd fd, Url url)
    : fd_(std::move(fd)), url_(std::move(url)), stream_(std::make_unique<PlainStream>(fd_.get())) {}

Status HttpClient::start_tls(const TlsContext& ctx, std::chrono::milliseconds timeout) {
  auto session = TlsSession::client(ctx, fd_.get(), url_.host);
  if (!session) return std::move(session).take_status();
  if (Status s = (*session)->handshake_within(timeout); !s) return s;
  stream_ = std::move(*session);
  return {};
}

TlsSession* HttpClient::tls() const { return dynamic_cast<TlsSession*>(stream_.get()); }

BodyPath HttpClient::body_path(bool engine_splices) const {
  TlsSession* t = tls();
  return choose_recv_path(t != nullptr, t && t->ktls_recv(), engine_splices);
}

Status HttpClient::send_head(std::string_view method, const std::string& target,
                             const std::vector<std::pair<std::string, std::string>>& headers) {
  auto head = build_head(method, target, url_.authority(), headers);
  if (!head) return std::move(head).take_status();
  leftover_.clear();  // nothing of an earlier response may pass for this one's
  if (Status s = stream_->write(*head); !s) return std::move(s).at(url_.authority());
  return {};
}

// The timeout bounds the whole wait for the final answer, however many
// interim heads come first (at most kMaxInterim, within kMaxHead bytes).
Result<ResponseHead> HttpClient::read_head(bool head_request) {
  HeadBudget budget = budget_for(fd_.get());
  for (;;) {
    auto head = read_one_head(*stream_, leftover_, head_request, budget);
    if (!head) return std::move(head).take_status().at(url_.authority());
    // 100 Continue, 103 Early Hints: interim, the real answer follows.
    if (head->status >= 100 && head->status < 200 && head->status != 101) {
      if (--budget.interim < 0) {
        return Status(Code::kInvalid, "read response",
                      "more than " + std::to_string(kMaxInterim) + " interim (1xx) responses")
            .at(url_.authority());
      }
      continue;
    }
    return head;
  }
}

Result<ResponseHead> HttpClient::read_any_head() {
  HeadBudget budget = budget_for(fd_.get());
  auto head = read_one_head(*stream_, leftover_, false, budget);
  if (!head) return std::move(head).take_status().at(url_.authority());
  return head;
}

bool HttpClient::wait_readable(std::chrono::milliseconds wait) const {
  if (!leftover_.empty() || stream_->pending() > 0) return true;
  pollfd pfd{fd_.get(), POLLIN, 0};
  int rc;
  do {
    rc = ::poll(&pfd, 1, static_cast<int>(wait.count()));
  } while (rc < 0 && errno == EINTR);
  return rc > 0;
}

Result<std::string> HttpClient::small_body(const ResponseHead& head, size_t max,
                                           std::chrono::milliseconds deadline) {
  BodyReader reader = body(head);
  std::string out;
  auto until = std::chrono::steady_clock::now() + deadline;
  while (out.size() < max) {
    if (std::chrono::steady_clock::now() > until) return Status::invalid("response body too slow");
    auto n = reader.read(out, max - out.size());
    if (!n) return std::move(n).take_status();
    if (*n == 0) break;
  }
  return out;
}

BodyReader HttpClient::body(const ResponseHead& head, bool head_request) {
  if (head_request || !has_body(head.status)) {
    return BodyReader(stream_.get(), Framing::kLength, 0, {});
  }
  std::string pending = std::move(leftover_);
  leftover_.clear();
  return BodyReader(stream_.get(), head.framing(), head.content_length.value_or(0),
                    std::move(pending));
}

}  // namespace zcp
