// One line of `zcp serve`'s access log, in the combined log format that
// log tools read (Apache's, nginx's default) or as one JSON object a line
// (--log-format json). Every field a client controls is escaped here, with
// escape_peer_text, whatever the caller passes: this is the only way a
// request reaches the log. Not the writer: the CLI owns stderr.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "zcp/socket_address.h"

namespace zcp {

struct AccessRecord {
  SocketAddress peer;
  std::chrono::system_clock::time_point when;  // when the request arrived
  std::string request_line;  // "GET /a HTTP/1.1" as sent (raw), or "" when unparsed
  int status = 0;
  uint64_t bytes = 0;        // body bytes sent; for a PUT, body bytes received
  std::string referer;       // raw header values; empty: none
  std::string user_agent;
  double seconds = 0;        // head to last byte
  std::string note;          // why it ended early, a relay's summary; may hold peer text
  const char* tls = nullptr;  // HTTPS: the body path ("userspace", "ktls"); null: plain HTTP
};

// Combined:  127.0.0.1 - - [10/Oct/2026:13:55:36 +0000] "GET /a HTTP/1.1" 200 2326 "-" "curl/7.88"
// followed by zcp's own fields: " 0.003s port=40312", " tls=userspace" over
// HTTPS, and the note, if any.
// JSON: {"time":"2026-10-10T13:55:36Z","peer":"127.0.0.1:40312",...}.
std::string format_access_line(const AccessRecord& r, bool json);

// "[10/Oct/2026:13:55:36 +0000]"'s inside, in UTC, never the locale's names.
std::string clf_time(std::chrono::system_clock::time_point when);

}  // namespace zcp
