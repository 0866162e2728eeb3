// The one way peer-controlled text (names inside a tar stream, a server's
// error body, a relay's report, a request target) reaches a terminal or a
// log: control bytes cannot retitle or clear a terminal, forge a log line
// or hide text. Not for HTML (dir_listing escapes for HTML) or JSON.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace zcp {

// Printable UTF-8 passes unchanged; everything else becomes \xNN per byte:
// C0 controls and DEL, ESC, C1 controls raw (0x80-0x9f) or UTF-8 encoded
// (U+0080-U+009F), bytes that are not valid UTF-8, bidirectional overrides
// (U+202A-U+202E, U+2066-U+2069), line and paragraph separators, and the
// backslash and double quote (so a quoted log field stays one field).
// At most `max_bytes` of input are shown; a longer text ends in "...".
std::string escape_peer_text(std::string_view text, size_t max_bytes = 512);
// The same for a terminal line (the CLI's messages): a backslash and a
// double quote stay as they are, so text already escaped by
// escape_peer_text (a server's words quoted in a Status) is not escaped
// twice ("\x5cx1b"); control bytes and hidden code points still are.
std::string escape_terminal_text(std::string_view text, size_t max_bytes = 512);

}  // namespace zcp
