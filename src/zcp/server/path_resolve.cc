#include "zcp/server/path_resolve.h"

#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <optional>

namespace zcp {
namespace {

// Fills `error` (when given) and returns the Status the caller hands back.
Status refuse(PathError* error, int status, std::string reason) {
  if (error) *error = PathError{status, reason};
  return Status::invalid(std::move(reason));
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The byte encoded by "%XY" at text[i], or nothing when the escape is bad.
std::optional<char> decode_escape(std::string_view text, size_t i) {
  if (i + 2 >= text.size()) return std::nullopt;
  int hi = hex_value(text[i + 1]);
  int lo = hex_value(text[i + 2]);
  if (hi < 0 || lo < 0) return std::nullopt;
  return static_cast<char>(hi * 16 + lo);
}

bool is_control(char c) {
  auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

// Decodes one path segment; %2F and %5C are refused because a decoded
// separator would let one segment act as two (and Windows clients treat
// '\\' as one).
Result<std::string> decode_segment(std::string_view raw, PathError* error) {
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '%') {
      std::optional<char> decoded = decode_escape(raw, i);
      if (!decoded) return refuse(error, 400, "bad percent escape in path");
      c = *decoded;
      if (c == '/' || c == '\\') return refuse(error, 400, "encoded separator in path");
      i += 2;
    }
    if (c == '\0') return refuse(error, 400, "NUL in path");
    if (is_control(c)) return refuse(error, 400, "control character in path");
    out += c;
  }
  return out;
}

// "http://host/p?q" -> "/p?q" and "http://host?q" -> "?q", returning true;
// origin-form targets are left as they are.
bool strip_absolute_form(std::string_view* target) {
  for (std::string_view scheme : {"http://", "https://"}) {
    if (target->size() < scheme.size()) continue;
    bool match = true;
    for (size_t i = 0; i < scheme.size() && match; ++i) {
      match = std::tolower(static_cast<unsigned char>((*target)[i])) == scheme[i];
    }
    if (!match) continue;
    std::string_view rest = target->substr(scheme.size());
    size_t path_start = rest.find_first_of("/?");
    *target = path_start == std::string_view::npos ? std::string_view() : rest.substr(path_start);
    return true;
  }
  return false;
}

// Splits the decoded path into segments, dropping empty and "." ones. A
// path ending in "/", "/." or "//" names a directory (trailing_slash).
Status collect_segments(std::string_view path, RequestPath* out, PathError* error) {
  size_t start = 1;  // past the leading '/'
  bool last_was_dir = true;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    auto segment = decode_segment(path.substr(start, end - start), error);
    if (!segment) return std::move(segment).take_status();
    if (*segment == "..") return refuse(error, 403, "'..' in path");
    if (segment->size() > kMaxNameBytes) {
      return refuse(error, 414, "a path segment is longer than 255 bytes (NAME_MAX)");
    }
    last_was_dir = segment->empty() || *segment == ".";
    if (!last_was_dir) {
      if (!out->relative.empty()) out->relative += '/';
      out->relative += *segment;
    }
    if (out->relative.size() > kMaxPathBytes) {
      return refuse(error, 414, "the path is longer than 4095 bytes (PATH_MAX)");
    }
    start = end + 1;
  }
  out->trailing_slash = last_was_dir;
  return {};
}


bool is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

// Query-string decoding: '+' is a space and bad escapes stay as written,
// since a query value is only ever compared, never used as a path.
std::string decode_query_component(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    std::optional<char> decoded;
    if (text[i] == '%') decoded = decode_escape(text, i);
    if (decoded) {
      out += *decoded;
      i += 2;
    } else {
      out += text[i] == '+' ? ' ' : text[i];
    }
  }
  return out;
}

}  // namespace

// Every errno a path operation (openat2 beneath the root, mkdirat, an
// O_TMPFILE, linkat, renameat) can return, as the status to answer with;
// 500 is left for what only a server fault explains.
int status_for_errno(int err) {
  switch (err) {
    case ENOENT:        // a component is missing
    case ENOTDIR:       // a component is a file: "/a.bin/x"
      return 404;
    case ENAMETOOLONG:  // past NAME_MAX or PATH_MAX: a target above the limit
      return 414;
    case EXDEV:         // RESOLVE_BENEATH: a ".." or absolute symlink leaving the root
    case ELOOP:         // a magic link, a symlink loop, or RESOLVE_NO_SYMLINKS met one
    case EACCES:
    case EPERM:
    case EROFS:         // a read-only file system takes no upload
    case ENXIO:         // a socket or a FIFO without a writer
    case ENODEV:        // a device node
    case EISDIR:
      return 403;
    case ETXTBSY:       // a running executable cannot be replaced in place
    case EEXIST:        // something else took the name meanwhile
      return 409;
    case ENOSPC:
    case EDQUOT:
      return 507;
    case EMFILE:        // out of descriptors: a passing overload, not a server bug
    case ENFILE:
    case ENOMEM:
    case EAGAIN:        // RESOLVE_* raced a rename: worth a retry
      return 503;
    default:
      return 500;
  }
}

Result<RequestPath> parse_request_path(std::string_view target, PathError* error) {
  bool absolute_form = strip_absolute_form(&target);
  RequestPath out;
  size_t question = target.find('?');
  std::string_view path = target.substr(0, question);
  if (question != std::string_view::npos) out.query = std::string(target.substr(question + 1));
  if (absolute_form && path.empty()) path = "/";  // "http://host" names the root
  if (path.empty() || path.front() != '/') {
    return refuse(error, 400, "request target does not start with '/'");
  }
  Status status = collect_segments(path, &out, error);
  if (!status) return status;
  if (out.relative.empty()) out.relative = ".";
  return out;
}

bool has_dot_segment(std::string_view relative) {
  if (relative == ".") return false;  // the root itself
  size_t start = 0;
  while (start < relative.size()) {
    if (relative[start] == '.') return true;
    size_t slash = relative.find('/', start);
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return false;
}

Result<UniqueFd> open_beneath(int root_fd, const std::string& relative, int flags,
                              PathError* error) {
  auto fd = openat_beneath(root_fd, relative, flags);
  if (!fd && error) {
    *error = PathError{status_for_errno(fd.status().error_number()), fd.status().to_string()};
  }
  return fd;
}

std::string percent_encode_path(std::string_view path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(path.size());
  for (char c : path) {
    auto u = static_cast<unsigned char>(c);
    if (c == '/' || is_unreserved(u)) {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    }
  }
  return out;
}

namespace {

// Calls `found(value)` for each `key=value` of the query, in order, with
// both sides decoded, until it returns false. The one walk of a query
// string: query_param takes the first value, query_params every one.
template <class Found>
void for_each_query_value(std::string_view query, std::string_view key, Found found) {
  size_t start = 0;
  while (start <= query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    std::string_view pair = query.substr(start, end - start);
    size_t equals = pair.find('=');
    if (decode_query_component(pair.substr(0, equals)) == key) {
      std::string value = equals == std::string_view::npos
                              ? std::string()
                              : decode_query_component(pair.substr(equals + 1));
      if (!found(std::move(value))) return;
    }
    start = end + 1;
  }
}

}  // namespace

std::string query_param(std::string_view query, std::string_view key) {
  std::string first;
  for_each_query_value(query, key, [&](std::string value) {
    first = std::move(value);
    return false;
  });
  return first;
}

bool parse_tree_part(std::string_view text, uint32_t* index, uint32_t* count) {
  const size_t slash = text.find('/');
  if (slash == std::string_view::npos) return false;
  auto number = [](std::string_view digits, uint32_t& out) {
    if (digits.empty() || digits.size() > 2) return false;  // 64 at most: no sign, no overflow
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out);
    return ec == std::errc() && end == digits.data() + digits.size();
  };
  uint32_t k = 0, n = 0;
  if (!number(text.substr(0, slash), k) || !number(text.substr(slash + 1), n)) return false;
  if (k < 1 || k > n || n > kMaxTreeParts) return false;
  *index = k - 1;
  *count = n;
  return true;
}

std::vector<std::string> query_params(std::string_view query, std::string_view key) {
  std::vector<std::string> values;
  for_each_query_value(query, key, [&](std::string value) {
    values.push_back(std::move(value));
    return true;
  });
  return values;
}

}  // namespace zcp
