#include "zcp/http/http_response.h"

#include <ctime>
#include <iterator>
#include <utility>

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

  // Pieces in memory (tar headers, small files' members, manifest lines)
  // are gathered into one chunk until a file range comes, 64 KiB are held
  // or kMaxPieces pieces fill one sendmsg, and that chunk's framing travels
  // with the file range's own chunk line: a tree of 4 KiB files costs one
  // send per ~14 files (they come as members read with pread), a tree of
  // larger ones one send and one sendfile per file, instead of eight sends.
  Result<bool> next(std::deque<Segment>& out) override {
    if (done_) return false;
    for (;;) {
      std::deque<Segment> pieces;
      auto more = inner_->next(pieces);
      if (!more) return more;
      bool file_out = false;
      for (auto& seg : pieces) {
        if (seg.size() == 0) continue;
        if (!seg.is_file()) {
          hold(std::move(seg));
          continue;
        }
        flush(out);
        out.push_back(Segment::bytes(std::exchange(tail_, {}) + fmt::format("{:x}\r\n", seg.size())));
        out.push_back(std::move(seg));
        tail_ = "\r\n";  // ends the file's chunk, sent with what follows
        file_out = true;
      }
      if (!*more) {
        flush(out);
        out.push_back(Segment::bytes(std::exchange(tail_, {}) + "0\r\n\r\n"));
        done_ = true;
        return true;
      }
      if (file_out) return true;
      if (held_bytes_ >= kGather || held_.size() >= kMaxPieces) {
        flush(out);
        return true;
      }
    }
  }

 private:
  static constexpr size_t kGather = 64 * 1024;
  // The connection gathers up to 16 segments into one sendmsg: the chunk
  // line, these, and the raw_ string.
  static constexpr size_t kMaxPieces = 13;
  // Pieces below this are copied together (a manifest line, a tar header);
  // larger ones (a small file's member) are passed on as they are, so that
  // no file byte is copied here: copying a 4 KiB file's member twice more
  // cost about as much as the sendfile it replaced.
  static constexpr size_t kCopyBelow = 2048;

  void hold(Segment seg) {
    held_bytes_ += seg.size();
    if (seg.size() < kCopyBelow) {
      raw_ += seg.bytes_view();
      return;
    }
    if (!raw_.empty()) held_.push_back(Segment::bytes(std::exchange(raw_, {})));
    held_.push_back(std::move(seg));
  }

  // The pending file chunk's end, then the gathered pieces as one chunk.
  void flush(std::deque<Segment>& out) {
    if (held_bytes_ == 0) return;
    if (!raw_.empty()) held_.push_back(Segment::bytes(std::exchange(raw_, {})));
    out.push_back(Segment::bytes(std::exchange(tail_, {}) + fmt::format("{:x}\r\n", held_bytes_)));
    for (Segment& piece : held_) out.push_back(std::move(piece));
    held_.clear();
    held_bytes_ = 0;
    tail_ = "\r\n";
  }

  std::unique_ptr<BodySource> inner_;
  std::deque<Segment> held_;  // the chunk being gathered
  uint64_t held_bytes_ = 0;
  std::string raw_;   // its small pieces, copied together
  std::string tail_;  // the previous chunk's end
  bool done_ = false;
};

}  // namespace

std::unique_ptr<BodySource> make_chunked_source(std::unique_ptr<BodySource> inner) {
  return std::make_unique<ChunkedSource>(std::move(inner));
}

}  // namespace zcp
