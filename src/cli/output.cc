#include "cli/output.h"

#include "zcp/base/escape.h"

namespace zcp::cli {
namespace {

// A message names at most a URL and a path or two (PATH_MAX is 4096);
// a pax name of a megabyte is cut short rather than flooding stderr.
constexpr size_t kMaxShown = 8192;

}  // namespace

// Text the library quotes from a peer is escaped already; escaping its
// backslashes again would show "\x5cx1b" for an ESC. On a terminal only
// control bytes and hidden code points matter, so a backslash or a quote
// stays itself here (the access log, a quoted field, keeps escaping them).
std::string shown(std::string_view text) {
  std::string escaped = escape_peer_text(text, kMaxShown);
  std::string out;
  out.reserve(escaped.size());
  for (size_t i = 0; i < escaped.size();) {
    std::string_view rest = std::string_view(escaped).substr(i);
    if (rest.rfind("\\x5c", 0) == 0 || rest.rfind("\\x22", 0) == 0) {
      out += rest[2] == '5' ? '\\' : '"';
      i += 4;
    } else {
      out += escaped[i++];
    }
  }
  return out;
}

std::string shown(const Status& status) { return shown(status.to_string()); }

std::string json_line(const nlohmann::json& value) {
  return value.dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
}

}  // namespace zcp::cli
