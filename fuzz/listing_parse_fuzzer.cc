// A directory listing as zcp get -r's crawl mode reads it from a server
// that is not zcp serve (client/listing_parse.h): any bytes as HTML and as
// JSON. Must not throw or crash; every entry it keeps must be one safe
// path component (no '/', no NUL, not "." or "..", at most 255 bytes).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "zcp/client/listing_parse.h"

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

void check_entries(const zcp::Listing& l) {
  for (const zcp::ListedEntry& e : l.entries) {
    check(!e.name.empty() && e.name.size() <= 255 && e.name != "." && e.name != "..");
    check(e.name.find('/') == std::string::npos && e.name.find('\0') == std::string::npos);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  check_entries(zcp::parse_html_listing(text, "/a/b/"));
  if (auto json = zcp::parse_json_listing(text)) check_entries(*json);
  return 0;
}
