// The small text rules HTTP shares everywhere: field names compare
// case-insensitively (ASCII folding is all RFC 9110 asks), and field values
// lose optional whitespace (OWS: spaces and tabs) at both ends; numbers are
// plain decimal digits.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>

namespace zcp {

inline char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

inline std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A whole field of decimal digits (Content-Length, range bounds, ...):
// nothing else accepted, and overflow is an error instead of wrapping.
inline std::optional<uint64_t> parse_decimal(std::string_view text) {
  uint64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

}  // namespace zcp
