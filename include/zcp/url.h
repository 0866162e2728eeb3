// http:// and https:// URLs as zcp get/put take them: host names, IPv4, bracketed IPv6
// literals, an optional port, and a percent-encoded path and query.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "zcp/status.h"

namespace zcp {

struct Url {
  std::string host;    // "example.org", "127.0.0.1", "::1" (no brackets)
  uint16_t port = 80;  // 443 for https:// when none is given
  std::string target;  // request-target as sent: "/a%20b/c?x=1" ("/" when empty)
  bool tls = false;    // https:// (last: Url{host, port, target} stays http)

  // "host:port" / "[v6]:port" for the Host header and messages.
  std::string authority() const;
  // "http://[::1]:8080/a%20b" as given back in messages.
  std::string to_string() const;
  // The last path segment, percent-decoded ("a b.txt"); empty for ".../".
  std::string file_name() const;
  // The URL of `name` (raw bytes, encoded here) inside this directory URL.
  Url child(std::string_view name) const;
};

// Accepts "http[s]://host[:port][/path][?query]". Spaces and other bytes
// that need it are percent-encoded on the way in; existing %XX are kept.
// Refuses other schemes with kInvalid.
Result<Url> parse_url(std::string_view text);

}  // namespace zcp
