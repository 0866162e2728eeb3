#include "zcp/http/http_response.h"

#include <ctime>
#include <iterator>

#include <fmt/format.h>

#include "zcp/http/validators.h"

namespace zcp {

std::string_view reason_phrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 416: return "Range Not Satisfiable";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    case 507: return "Insufficient Storage";
    default: return "Unknown";
  }
}

// The Date header changes once a second; format it once a second per thread.
static const std::string& cached_date() {
  thread_local int64_t last = -1;
  thread_local std::string text;
  int64_t now = static_cast<int64_t>(::time(nullptr));
  if (now != last) {
    last = now;
    text = http_date(now);
  }
  return text;
}

std::string build_head(const Response& r, bool http10) {
  std::string head;
  append_head(head, r, http10);
  return head;
}

void append_head(std::string& out, const Response& r, bool http10) {
  fmt::format_to(std::back_inserter(out), "HTTP/1.{} {} {}\r\nServer: zcp\r\nDate: {}\r\n",
                 http10 ? 0 : 1, r.status, reason_phrase(r.status), cached_date());
  for (const auto& [name, value] : r.headers) {
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  out += "\r\n";
}

Response text_response(int status, std::string content_type, std::string body) {
  Response r;
  r.status = status;
  r.set("Content-Type", std::move(content_type));
  r.set("Content-Length", std::to_string(body.size()));
  r.body.push_back(Segment::bytes(std::move(body)));
  return r;
}

Response error_response(int status, std::string_view detail) {
  std::string text = fmt::format("{} {}", status, reason_phrase(status));
  if (!detail.empty()) text += fmt::format(": {}", detail);
  text += "\n";
  return text_response(status, "text/plain; charset=utf-8", std::move(text));
}

std::string serialize_bytes_response(const Response& r, bool http10) {
  std::string out = build_head(r, http10);
  for (const Segment& seg : r.body) {
    if (!seg.is_file()) out += seg.bytes_view();
  }
  return out;
}

namespace {

class ChunkedSource final : public BodySource {
 public:
  explicit ChunkedSource(std::unique_ptr<BodySource> inner) : inner_(std::move(inner)) {}

  Result<bool> next(std::deque<Segment>& out) override {
    if (done_) return false;
    std::deque<Segment> pieces;
    auto more = inner_->next(pieces);
    if (!more) return more;
    for (auto& seg : pieces) {
      if (seg.size() == 0) continue;
      out.push_back(Segment::bytes(fmt::format("{:x}\r\n", seg.size())));
      out.push_back(std::move(seg));
      out.push_back(Segment::bytes("\r\n"));
    }
    if (!*more) {
      out.push_back(Segment::bytes("0\r\n\r\n"));
      done_ = true;
    }
    return true;
  }

 private:
  std::unique_ptr<BodySource> inner_;
  bool done_ = false;
};

}  // namespace

std::unique_ptr<BodySource> make_chunked_source(std::unique_ptr<BodySource> inner) {
  return std::make_unique<ChunkedSource>(std::move(inner));
}

}  // namespace zcp
