#include "cli/output.h"

#include "zcp/base/escape.h"

namespace zcp::cli {
namespace {

// A message names at most a URL and a path or two (PATH_MAX is 4096);
// a pax name of a megabyte is cut short rather than flooding stderr.
constexpr size_t kMaxShown = 8192;

}  // namespace

// Text the library quotes from a peer is escaped already: a backslash
// stays itself here, or an ESC would show as "\x5cx1b".
std::string shown(std::string_view text) { return escape_terminal_text(text, kMaxShown); }

std::string shown(const Status& status) { return shown(status.to_string()); }

std::string json_line(const nlohmann::json& value) {
  return value.dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
}

}  // namespace zcp::cli
