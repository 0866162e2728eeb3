// HTTP Range requests (RFC 9110 section 14): "bytes=a-b", "bytes=a-",
// "bytes=-n" and lists of them, checked against the representation's size.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace zcp {

struct ByteRange {
  uint64_t first = 0;  // inclusive
  uint64_t last = 0;   // inclusive
  uint64_t length() const { return last - first + 1; }
};

struct RangeResult {
  enum class Kind {
    kNone,           // no usable Range header: send the whole file (200)
    kSatisfiable,    // send `ranges` (206)
    kUnsatisfiable,  // 416 with Content-Range: bytes */size
  } kind = Kind::kNone;
  std::vector<ByteRange> ranges;  // clamped to the size, in request order
};

// A malformed header (not "bytes=", bad numbers, overflow, a-b with b < a)
// is ignored as RFC 9110 allows: kNone. More than `max_ranges` ranges, or
// ranges that overlap or whose total exceeds the size (a known DoS shape)
// also yield kNone: the whole file is cheaper than thousands of parts.
RangeResult parse_range(std::string_view header, uint64_t size, size_t max_ranges = 16);

}  // namespace zcp
