#include "zcp/client/refusal.h"

#include "zcp/base/escape.h"

namespace zcp {

// The server's own words for a refusal: the first line of a short text
// body, escaped and capped, so a 405 comes with "uploads are off".
std::string refusal_text(HttpClient& c, const ResponseHead& head) {
  auto type = head.header("Content-Type");
  if (!type || (type->rfind("text/", 0) != 0 && type->find("json") == std::string_view::npos)) return {};
  if (head.content_length && *head.content_length > 64 * 1024) return {};
  // What arrived in time is enough: the explanation is a courtesy.
  auto text = c.small_body(head, 1024, std::chrono::seconds(2));
  if (!text) return {};
  std::string_view line(*text);
  line = line.substr(0, line.find_first_of("\r\n"));
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
  return escape_peer_text(line, 200);
}

std::string refusal(HttpClient& c, const ResponseHead& head) {
  std::string status = std::to_string(head.status);
  std::string why = refusal_text(c, head);
  if (why.empty()) return "server answered " + status;
  // zcp serve's bodies begin with the status line's words ("405 Method Not
  // Allowed: ..."): do not say the number twice.
  if (why.rfind(status + " ", 0) == 0) return "server answered " + why;
  return "server answered " + status + ": " + why;
}

}  // namespace zcp
