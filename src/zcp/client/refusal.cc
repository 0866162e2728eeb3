#include "zcp/client/refusal.h"

#include <cctype>

#include "zcp/base/escape.h"

namespace zcp {

namespace {

// An HTML error page's <title> ("404 Not Found" from nginx), whitespace
// folded; empty without one: its first line would be "<html>".
std::string html_title(std::string_view page) {
  std::string lower(page);
  for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  size_t open = lower.find("<title>");
  if (open == std::string::npos) return {};
  open += 7;
  size_t close = lower.find("</title>", open);
  if (close == std::string::npos) return {};
  std::string out;
  for (char ch : page.substr(open, close - open)) {
    bool space = ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
    if (space && (out.empty() || out.back() == ' ')) continue;
    out += space ? ' ' : ch;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace

// The server's own words for a refusal: the first line of a short text
// body (an HTML page's title), escaped and capped, so a 405 comes with
// "uploads are off".
std::string refusal_text(HttpClient& c, const ResponseHead& head) {
  auto type = head.header("Content-Type");
  if (!type || (type->rfind("text/", 0) != 0 && type->find("json") == std::string_view::npos)) return {};
  if (head.content_length && *head.content_length > 64 * 1024) return {};
  // What arrived in time is enough: the explanation is a courtesy.
  auto text = c.small_body(head, 1024, std::chrono::seconds(2));
  if (!text) return {};
  if (type->rfind("text/html", 0) == 0) return escape_peer_text(html_title(*text), 200);
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
