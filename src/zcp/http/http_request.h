// An HTTP/1.1 request head, parsed incrementally from a connection's input
// with Debian's http-parser (nodejs/http-parser 2.9, fuzzed upstream). Only
// the head is parsed here; bodies (PUT) are framed by Content-Length and
// read by the receive engine, never through this parser.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "zcp/status.h"

namespace zcp {

struct HttpRequest {
  std::string method;  // "GET", "HEAD", "PUT", ...
  std::string target;  // the raw request-target: "/a%20b?format=json"
  int version_major = 1;
  int version_minor = 1;
  std::vector<std::pair<std::string, std::string>> headers;  // in order, names as sent
  bool keep_alive = true;  // from the version and Connection headers
  std::optional<uint64_t> content_length;
  bool chunked = false;  // Transfer-Encoding: chunked was sent

  // First header with this name (case-insensitive), if any.
  std::optional<std::string_view> header(std::string_view name) const;
  // How many headers have this name (to refuse duplicate Content-Length).
  size_t header_count(std::string_view name) const;
  // "Expect: 100-continue" from an HTTP/1.1 client (1.0 knows no 100,
  // RFC 9110 section 15.2).
  bool expects_continue() const;
};

struct HttpLimits {
  size_t max_head_bytes = 16 * 1024;  // request line + headers: 431 beyond
  size_t max_target_bytes = 8 * 1024;  // request-target: 414 beyond
  size_t max_headers = 100;           // 431 beyond
};

// What went wrong, as the status code the server answers with.
struct HttpError {
  int status = 400;  // 400, 414, 431, 501 (unsupported method or encoding) ...
  std::string reason;
};

// RFC 9112 section 3.2: an HTTP/1.1 request carries exactly one Host
// field, any request at most one; 400 otherwise. HTTP/1.0 may omit it.
std::optional<HttpError> host_error(const HttpRequest& req);

// The credentials of an Authorization value for `scheme`: "Bearer abc" ->
// "abc". The scheme compares case-insensitively (RFC 9110 section 11.1),
// the credentials are returned as sent; nullopt for another scheme or none.
std::optional<std::string_view> auth_credentials(std::string_view authorization,
                                                 std::string_view scheme);

// Compares a secret in time that depends only on the lengths, so a token
// cannot be guessed byte by byte from how fast a refusal comes.
bool same_secret(std::string_view a, std::string_view b);

// Feeds bytes until one request head is complete.
class HttpRequestParser {
 public:
  explicit HttpRequestParser(HttpLimits limits = {});
  ~HttpRequestParser();
  HttpRequestParser(const HttpRequestParser&) = delete;
  HttpRequestParser& operator=(const HttpRequestParser&) = delete;

  enum class State { kNeedMore, kDone, kError };
  // Consumes bytes from `data`; `consumed` says how many were used (bytes
  // after a complete head belong to the body or to the next request).
  State feed(std::string_view data, size_t& consumed);
  // Valid after kDone.
  HttpRequest& request() { return request_; }
  // Valid after kError.
  const HttpError& error() const { return error_; }
  // Ready for the next request on the same connection.
  void reset();

 private:
  struct Impl;
  Impl* impl_;
  HttpRequest request_;
  HttpError error_;
  HttpLimits limits_;
  std::string first_line_;  // the request line's bytes so far (to tell 400 from 501)
};

}  // namespace zcp
