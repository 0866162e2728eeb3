#include "zcp/server/access_log.h"

#include <ctime>

#include <fmt/format.h>

#include "zcp/base/escape.h"

namespace zcp {
namespace {

constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

std::tm utc(std::chrono::system_clock::time_point when) {
  std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  return tm;
}

// "127.0.0.1:40312" -> "127.0.0.1", "[::1]:40312" -> "::1".
std::string host_of(const SocketAddress& peer) {
  std::string text = peer.to_string();
  size_t colon = text.rfind(':');
  if (colon != std::string::npos) text.resize(colon);
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  return text;
}

// A quoted combined-log field: "-" when empty, else escaped (escape_peer_text
// turns '"' and '\' into \xNN, so the field stays one field).
std::string quoted(std::string_view raw) {
  if (raw.empty()) return "\"-\"";
  return "\"" + escape_peer_text(raw) + "\"";
}

// A JSON string of escaped peer text: escape_peer_text leaves printable
// UTF-8 and \xNN escapes; JSON needs only the backslashes doubled.
std::string json_string(std::string_view raw) {
  std::string out = "\"";
  for (char c : escape_peer_text(raw)) {
    if (c == '\\' || c == '"') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string clf_time(std::chrono::system_clock::time_point when) {
  std::tm tm = utc(when);
  return fmt::format("{:02}/{}/{:04}:{:02}:{:02}:{:02} +0000", tm.tm_mday, kMonths[tm.tm_mon],
                     tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string format_access_line(const AccessRecord& r, bool json) {
  if (json) {
    std::tm tm = utc(r.when);
    return fmt::format(
        "{{\"time\":\"{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z\",\"peer\":{},\"request\":{},"
        "\"status\":{},\"bytes\":{},\"referer\":{},\"user_agent\":{},\"seconds\":{:.3f},"
        "\"note\":{}{}}}",
        tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
        json_string(r.peer.to_string()), json_string(r.request_line), r.status, r.bytes,
        json_string(r.referer), json_string(r.user_agent), r.seconds, json_string(r.note),
        r.tls ? fmt::format(",\"tls\":\"{}\"", r.tls) : std::string());
  }
  std::string line = fmt::format("{} - - [{}] {} {} {} {} {} {:.3f}s port={}", host_of(r.peer),
                                 clf_time(r.when), quoted(r.request_line), r.status, r.bytes,
                                 quoted(r.referer), quoted(r.user_agent), r.seconds, r.peer.port());
  if (r.tls) line += fmt::format(" tls={}", r.tls);
  if (!r.note.empty()) line += " " + escape_peer_text(r.note);
  return line;
}

}  // namespace zcp
