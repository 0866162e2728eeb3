#include "zcp/url.h"

#include "zcp/base/socket.h"

namespace zcp {
namespace {

constexpr char kHexDigits[] = "0123456789ABCDEF";

bool is_alnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 3986 pchar without '%': unreserved, sub-delims, ':' and '@'.
bool is_pchar(char c) {
  return is_alnum(c) || std::string_view("-._~!$&'()*+,;=:@").find(c) != std::string_view::npos;
}

bool is_escape_at(std::string_view s, size_t i) {
  return s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0;
}

void append_escaped(std::string& out, char c) {
  auto byte = static_cast<unsigned char>(c);
  out += '%';
  out += kHexDigits[byte >> 4];
  out += kHexDigits[byte & 15];
}

// Path and query as sent: '/' and '?' stay (the first '?' already split
// them), valid %XX escapes stay, everything else that is not a pchar is
// escaped (spaces, controls, non-ASCII bytes, a stray '%').
std::string encode_target(std::string_view raw) {
  std::string out;
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (is_pchar(c) || c == '/' || c == '?' || is_escape_at(raw, i)) {
      out += c;
    } else {
      append_escaped(out, c);
    }
  }
  return out;
}

// One path segment from raw bytes: '/', '?', '#' and '%' are escaped too.
std::string encode_segment(std::string_view raw) {
  std::string out;
  for (char c : raw) {
    if (is_pchar(c)) {
      out += c;
    } else {
      append_escaped(out, c);
    }
  }
  return out;
}

// %XX -> byte, except %2F and %00: a file name must not gain a '/' or a
// NUL from decoding, so those stay escaped.
std::string decode_segment(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (!is_escape_at(s, i)) {
      out += s[i];
      continue;
    }
    auto byte = static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
    if (byte == '/' || byte == '\0') {
      out.append(s.substr(i, 3));
    } else {
      out += byte;
    }
    i += 2;
  }
  return out;
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Host names, IPv4 and [IPv6] literals, a port: nothing that could split
// the Host header or the request line.
bool is_authority(std::string_view authority) {
  for (char c : authority) {
    if (!is_alnum(c) && std::string_view("-._~:%[]").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

Status bad_url(std::string_view text, const std::string& why) {
  return Status::invalid(why + " in URL '" + std::string(text) + "'");
}

// "host[:port]" of a URL; `default_port` when none is given.
Result<HostPort> parse_authority(std::string_view authority, std::string_view text,
                                 uint16_t default_port) {
  if (authority.empty()) return bad_url(text, "missing host");
  if (authority.find('@') != std::string_view::npos) {
    return bad_url(text, "user:password@ is not supported");
  }
  if (!is_authority(authority)) return bad_url(text, "bad host");
  auto hp = parse_host_port(authority, default_port);
  if (!hp) return std::move(hp).take_status();
  if (hp->port == 0) return bad_url(text, "bad port 0");
  return hp;
}

}  // namespace

std::string Url::authority() const {
  std::string port_text = ":" + std::to_string(port);
  if (host.find(':') != std::string::npos) return "[" + host + "]" + port_text;
  return host + port_text;
}

std::string Url::to_string() const {
  std::string where = authority();
  uint16_t implied = tls ? 443 : 80;  // ":80" is what http:// implies, ":443" https://
  if (port == implied) where.resize(where.size() - 1 - std::to_string(port).size());
  return (tls ? "https://" : "http://") + where + target;
}

std::string Url::file_name() const {
  std::string_view path(target);
  path = path.substr(0, path.find('?'));
  std::string name = decode_segment(path.substr(path.rfind('/') + 1));
  // "." and ".." name directories, never a file to write.
  if (name == "." || name == "..") return {};
  return name;
}

Url Url::child(std::string_view name) const {
  Url out = *this;
  // The directory's query (?format=json) is about the listing, not the child.
  out.target = target.substr(0, target.find('?'));
  if (out.target.empty() || out.target.back() != '/') out.target += '/';
  out.target += encode_segment(name);
  return out;
}

Result<Url> parse_url(std::string_view text) {
  size_t sep = text.find("://");
  if (sep == std::string_view::npos) return bad_url(text, "missing http:// or https://");
  std::string scheme = ascii_lower(text.substr(0, sep));
  if (scheme != "http" && scheme != "https") {
    return bad_url(text, "unsupported scheme '" + scheme + ":' (only http:// and https://)");
  }
  bool tls = scheme == "https";
  std::string_view rest = text.substr(sep + 3);
  rest = rest.substr(0, rest.find('#'));  // a fragment is never sent
  size_t path_at = rest.find_first_of("/?");
  auto hp = parse_authority(rest.substr(0, path_at), text, tls ? 443 : 80);
  if (!hp) return std::move(hp).take_status();
  Url url;
  url.tls = tls;
  url.host = std::move(hp->host);
  url.port = hp->port;
  std::string_view raw_target = path_at == std::string_view::npos ? "" : rest.substr(path_at);
  url.target = encode_target(raw_target);
  if (url.target.empty() || url.target.front() != '/') url.target.insert(0, "/");
  return url;
}

}  // namespace zcp
