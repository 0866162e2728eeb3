// How the CLI shows text it did not write itself: a Status (whose text
// may hold a server's header values, a tar member's name, a relay's
// words), a name from a peer, and the --json summaries. Not for the
// CLI's own messages, which are printed as they are.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "zcp/status.h"

namespace zcp::cli {

// escape_peer_text (base/escape.h) with room for a long path: the one
// helper, so control bytes never reach the user's terminal.
std::string shown(std::string_view text);
std::string shown(const Status& status);

// One line of JSON that cannot throw and is pure ASCII: non-ASCII
// characters as \uXXXX (so U+009B or U+202E never reach a terminal raw),
// bytes that are not UTF-8 (a Linux file name may be any bytes) each as
// U+FFFD. The one rule for every --json output.
std::string json_line(const nlohmann::json& value);

}  // namespace zcp::cli
