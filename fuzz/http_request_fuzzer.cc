// Feeds bytes to HttpRequestParser whole, byte by byte and in pieces, checks
// that the pieces change nothing, and runs the Range and If-* parsers on the
// header values it found.
#include <cstddef>
#include <cstdint>
#include <string>

#include "zcp/http/http_request.h"
#include "zcp/http/validators.h"
#include "zcp/server/range.h"

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

void exercise_headers(const zcp::HttpRequest& req) {
  for (const auto& [name, value] : req.headers) {
    for (uint64_t size : {uint64_t{0}, uint64_t{1}, uint64_t{1000}, UINT64_MAX}) {
      zcp::RangeResult r = zcp::parse_range(value, size);
      for (const zcp::ByteRange& b : r.ranges) check(b.first <= b.last && b.last < size);
      check((r.kind == zcp::RangeResult::Kind::kSatisfiable) == !r.ranges.empty());
    }
    zcp::etag_list_matches(value, "\"1-2-3\"");
    zcp::if_range_matches(value, "\"1-2-3\"", 784111777);
    zcp::not_modified_since(value, 784111777);
    // Whatever date parses must survive formatting and parsing again.
    if (auto t = zcp::parse_http_date(value)) check(zcp::parse_http_date(zcp::http_date(*t)) == t);
    (void)name;
  }
}

// Parses every pipelined head in `input`, `split` bytes per feed (0: all
// at once); returns a transcript to compare across splits.
std::string parse_all(std::string_view input, uint8_t split) {
  zcp::HttpRequestParser parser(zcp::HttpLimits{1024, 256, 16});
  std::string transcript;
  size_t pos = 0;
  while (pos < input.size()) {
    std::string_view chunk = input.substr(pos, split == 0 ? input.size() : split);
    size_t consumed = 0;
    auto state = parser.feed(chunk, consumed);
    check(consumed <= chunk.size());
    pos += consumed;
    if (state == zcp::HttpRequestParser::State::kNeedMore) {
      check(consumed == chunk.size());
      continue;
    }
    if (state == zcp::HttpRequestParser::State::kError) {
      // Which error wins may depend on the split (an over-long target is
      // seen when a piece ends), that there is one may not.
      int status = parser.error().status;
      check(status == 400 || status == 414 || status == 431 || status == 501 || status == 505);
      return transcript + "error";
    }
    const zcp::HttpRequest& req = parser.request();
    check(req.target.size() <= 256 && req.headers.size() <= 16);
    transcript += req.method + " " + req.target + " " + std::to_string(pos) + "\n";
    if (split == 0) exercise_headers(req);
    parser.reset();
  }
  return transcript + "end";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  // Piece size from a hash of the input, so that the corpus stays plain
  // requests and every mutation also moves the splits.
  uint32_t hash = 2166136261u;
  for (unsigned char c : input) hash = (hash ^ c) * 16777619u;
  std::string whole = parse_all(input, 0);
  check(whole == parse_all(input, 1));
  check(whole == parse_all(input, static_cast<uint8_t>(2 + hash % 15)));
  return 0;
}
