// A response as the connection sends it: status, headers and a body made of
// segments (see body.h), and the helpers that build heads and framing.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "zcp/http/response_body.h"

namespace zcp {

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::deque<Segment> body;            // sent after the head
  std::unique_ptr<BodySource> source;  // more body, produced on demand
  bool close = false;                  // close the connection after this response
  bool head_only = false;              // HEAD: headers as for GET, no body

  void set(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
  }
};

// "Not Found" for 404; "Unknown" for codes zcp never sends.
std::string_view reason_phrase(int status);

// Status line, the given headers, Date and Server, and the blank line.
std::string build_head(const Response& r, bool http10);
// The same, appended to `out`: a connection reuses one buffer for every
// head it sends, so building one allocates nothing once it has grown.
void append_head(std::string& out, const Response& r, bool http10);

// The interim answer to "Expect: 100-continue".
inline constexpr std::string_view kContinueHead = "HTTP/1.1 100 Continue\r\n\r\n";

// A response whose whole body is `body`, with its type and length.
Response text_response(int status, std::string content_type, std::string body);

// A short text/plain error response: "404 Not Found: /missing\n".
Response error_response(int status, std::string_view detail = {});

// Head and body of a response made only of byte segments, as one string:
// for answers sent outside a Connection (the worker's 503 when full), so
// their Content-Length comes from the same text_response as every other.
std::string serialize_bytes_response(const Response& r, bool http10 = false);

// Wraps a body source in HTTP/1.1 chunked framing; zero-length segments
// are dropped (a zero-size chunk would end the body early).
std::unique_ptr<BodySource> make_chunked_source(std::unique_ptr<BodySource> inner);

}  // namespace zcp
