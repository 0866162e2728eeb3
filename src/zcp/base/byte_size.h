// Byte counts as people write them: "8K", "1M", "4G", "4GiB", "1500".
// Suffixes are binary (K = 1024), as in dd and curl's --limit-rate.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "zcp/status.h"

namespace zcp {

Result<uint64_t> parse_byte_size(std::string_view text);
// "8K", "1M", "4G" when exact, else "1536 B"-style with one decimal ("1.5M").
std::string format_byte_size(uint64_t bytes);
// For people reading sizes and rates, in IEC units everywhere zcp shows
// them (progress, summaries, listings): "512 B", "1.5 KiB", "1.1 GiB".
std::string human_byte_size(double bytes);

}  // namespace zcp
