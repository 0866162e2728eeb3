#include "zcp/base/temp_name.h"

#include <fmt/format.h>
#include <limits.h>

#include <cstdint>

namespace zcp {

std::string part_name_for(const std::string& dest) {
  size_t slash = dest.rfind('/');
  size_t base = slash == std::string::npos ? 0 : slash + 1;
  if (dest.size() - base + 5 <= NAME_MAX) return dest + ".part";
  // FNV-1a: stable across runs and builds (std::hash need not be), so -c
  // finds the same name.
  uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : dest.substr(base)) h = (h ^ c) * 1099511628211ULL;
  size_t cut = base + 200;
  while (cut > base && (static_cast<unsigned char>(dest[cut]) & 0xC0) == 0x80) --cut;  // UTF-8 whole
  return dest.substr(0, cut) + fmt::format("~{:016x}.part", h);
}

}  // namespace zcp
