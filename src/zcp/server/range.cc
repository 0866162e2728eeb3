#include "zcp/server/range.h"

#include <algorithm>
#include <optional>

#include "zcp/http/http_text.h"

namespace zcp {

namespace {

// One range-spec as sent, before it meets the size. A missing first means
// a suffix range ("-n"); a missing last means "to the end" ("a-").
struct RangeSpec {
  std::optional<uint64_t> first;
  std::optional<uint64_t> last;
};



// "a-b", "a-" or "-n"; nullopt when malformed (which voids the header).
std::optional<RangeSpec> parse_spec(std::string_view text) {
  size_t dash = text.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  std::string_view head = text.substr(0, dash);
  std::string_view tail = text.substr(dash + 1);
  RangeSpec spec;
  if (head.empty()) {  // suffix range: "-n"
    spec.last = parse_decimal(tail);
    if (!spec.last) return std::nullopt;
    return spec;
  }
  spec.first = parse_decimal(head);
  if (!spec.first) return std::nullopt;
  if (tail.empty()) return spec;
  spec.last = parse_decimal(tail);
  if (!spec.last || *spec.last < *spec.first) return std::nullopt;
  return spec;
}

// RFC 9110 section 14.1.2: the unit is case-insensitive.
bool strip_bytes_unit(std::string_view& header) {
  constexpr std::string_view kUnit = "bytes=";
  if (header.size() < kUnit.size()) return false;
  for (size_t i = 0; i < kUnit.size(); ++i) {
    char c = header[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != kUnit[i]) return false;
  }
  header.remove_prefix(kUnit.size());
  return true;
}

// Splits the range-set on commas. Empty list elements are skipped, as RFC
// 9110 section 5.6.1.2 asks; more than `max_ranges` specs voids the header.
std::optional<std::vector<RangeSpec>> parse_specs(std::string_view set, size_t max_ranges) {
  std::vector<RangeSpec> specs;
  while (true) {
    size_t comma = set.find(',');
    std::string_view item = trim_ows(set.substr(0, comma));
    if (!item.empty()) {
      auto spec = parse_spec(item);
      if (!spec || specs.size() == max_ranges) return std::nullopt;
      specs.push_back(*spec);
    }
    if (comma == std::string_view::npos) break;
    set.remove_prefix(comma + 1);
  }
  if (specs.empty()) return std::nullopt;
  return specs;
}

// The bytes a spec selects in a file of `size` bytes, or nullopt when it
// is unsatisfiable (RFC 9110 section 14.1.1).
std::optional<ByteRange> resolve(const RangeSpec& spec, uint64_t size) {
  if (size == 0) return std::nullopt;
  if (!spec.first) {
    uint64_t suffix = *spec.last;
    if (suffix == 0) return std::nullopt;
    return ByteRange{suffix >= size ? 0 : size - suffix, size - 1};
  }
  if (*spec.first >= size) return std::nullopt;
  uint64_t last = spec.last ? std::min(*spec.last, size - 1) : size - 1;
  return ByteRange{*spec.first, last};
}

// Overlapping ranges, or more bytes than the file holds, are the shape of
// a range amplification attack (CVE-2011-3192): not worth serving.
bool abusive(std::vector<ByteRange> ranges, uint64_t size) {
  std::sort(ranges.begin(), ranges.end(),
            [](const ByteRange& a, const ByteRange& b) { return a.first < b.first; });
  uint64_t total = 0;
  for (size_t i = 0; i < ranges.size(); ++i) {
    if (i > 0 && ranges[i].first <= ranges[i - 1].last) return true;
    total += ranges[i].length();  // disjoint and within size: cannot overflow
  }
  return total > size;
}

}  // namespace

RangeResult parse_range(std::string_view header, uint64_t size, size_t max_ranges) {
  RangeResult result;
  std::string_view set = trim_ows(header);
  if (!strip_bytes_unit(set)) return result;
  auto specs = parse_specs(set, max_ranges);
  if (!specs) return result;
  bool empty_suffix = false;
  for (const RangeSpec& spec : *specs) {
    if (auto range = resolve(spec, size)) result.ranges.push_back(*range);
    empty_suffix |= size == 0 && !spec.first && *spec.last > 0;
  }
  // RFC 9110 calls "-n" (n > 0) satisfiable on an empty file, but the
  // answer would be zero bytes, which no ByteRange can hold: a 200 with
  // the empty body says the same.
  if (empty_suffix) return result;
  if (result.ranges.empty()) {
    result.kind = RangeResult::Kind::kUnsatisfiable;
  } else if (abusive(result.ranges, size)) {
    result.ranges.clear();
  } else {
    result.kind = RangeResult::Kind::kSatisfiable;
  }
  return result;
}

}  // namespace zcp
