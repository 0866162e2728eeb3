// Decodes fuzzer-made request-targets with parse_request_path and checks
// what the result promises: no '/', "." or ".." segment escapes, nothing
// that percent_encode_path cannot carry back. Also exercises query_param.
#include <cstddef>
#include <cstdint>
#include <string>

#include "zcp/server/path_resolve.h"

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

void check_relative(std::string_view relative) {
  if (relative == ".") return;
  check(!relative.empty() && relative.front() != '/' && relative.back() != '/');
  size_t start = 0;
  while (start <= relative.size()) {
    size_t slash = relative.find('/', start);
    if (slash == std::string_view::npos) slash = relative.size();
    std::string_view segment = relative.substr(start, slash - start);
    check(!segment.empty() && segment != "." && segment != "..");
    for (char c : segment) check(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f);
    start = slash + 1;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view target(reinterpret_cast<const char*>(data), size);
  zcp::PathError error;
  auto path = zcp::parse_request_path(target, &error);
  if (!path) {
    // 414: a segment beyond NAME_MAX or a path beyond PATH_MAX (issue 12).
    check(error.status == 400 || error.status == 403 || error.status == 414);
    return 0;
  }
  check_relative(path->relative);
  // A raw '\\' is served as a name byte, but its encoding %5C is refused.
  if (path->relative.find('\\') == std::string::npos) {
    auto again = zcp::parse_request_path("/" + zcp::percent_encode_path(path->relative), nullptr);
    check(again && again->relative == path->relative);
  }
  zcp::query_param(path->query, "format");
  zcp::query_param(path->query, path->relative);
  return 0;
}
