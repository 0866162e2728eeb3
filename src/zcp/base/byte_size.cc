#include "zcp/base/byte_size.h"

#include <cctype>
#include <charconv>
#include <limits>

#include <fmt/format.h>

namespace zcp {

static int suffix_shift(std::string_view s) {
  if (s.empty() || s == "B") return 0;
  char c = static_cast<char>(std::toupper(static_cast<unsigned char>(s.front())));
  std::string_view tail = s.substr(1);
  if (!(tail.empty() || tail == "B" || tail == "iB" || tail == "ib")) return -1;
  switch (c) {
    case 'K': return 10;
    case 'M': return 20;
    case 'G': return 30;
    case 'T': return 40;
    default: return -1;
  }
}

Result<uint64_t> parse_byte_size(std::string_view text) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end == text.data()) {
    return Status::invalid("bad size '" + std::string(text) + "' (want e.g. 8K, 1M, 4G)");
  }
  int shift = suffix_shift(text.substr(static_cast<size_t>(end - text.data())));
  if (shift < 0) {
    return Status::invalid("bad size suffix in '" + std::string(text) + "' (K, M, G or T)");
  }
  if (shift > 0 && value > (std::numeric_limits<uint64_t>::max() >> shift)) {
    return Status::invalid("size '" + std::string(text) + "' is too large");
  }
  return value << shift;
}

std::string format_byte_size(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"", "K", "M", "G", "T"};
  int unit = 0;
  uint64_t v = bytes;
  while (unit < 4 && v >= 1024 && v % 1024 == 0) {
    v /= 1024;
    ++unit;
  }
  if (unit > 0 || bytes < 1024) return fmt::format("{}{}", v, unit == 0 ? "B" : kUnits[unit]);
  double d = static_cast<double>(bytes);
  unit = 0;
  while (unit < 4 && d >= 1024) {
    d /= 1024;
    ++unit;
  }
  return fmt::format("{:.1f}{}", d, kUnits[unit]);
}

std::string human_byte_size(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  int u = 0;
  while (b >= 1024 && u < 5) {
    b /= 1024;
    ++u;
  }
  return u == 0 ? fmt::format("{:.0f} B", b) : fmt::format("{:.1f} {}", b, units[u]);
}

}  // namespace zcp
