#include "zcp/engine_spec.h"

#include "zcp/base/byte_size.h"

namespace zcp {

std::string EngineSpec::to_string() const {
  return size == 0 ? name : name + ":" + format_byte_size(size);
}

static std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

Result<EngineSpec> parse_engine_spec(std::string_view text) {
  text = trim(text);
  EngineSpec spec;
  size_t colon = text.find(':');
  spec.name = std::string(text.substr(0, colon));
  if (spec.name.empty()) return Status::invalid("empty engine name in '" + std::string(text) + "'");
  if (colon != std::string_view::npos) {
    auto size = parse_byte_size(text.substr(colon + 1));
    if (!size) return std::move(size).take_status();
    if (*size == 0) return Status::invalid("engine size must be > 0 in '" + std::string(text) + "'");
    spec.size = *size;
  }
  return spec;
}

Result<std::vector<EngineSpec>> parse_engine_list(std::string_view text) {
  std::vector<EngineSpec> out;
  while (!text.empty()) {
    size_t comma = text.find(',');
    auto spec = parse_engine_spec(text.substr(0, comma));
    if (!spec) return std::move(spec).take_status();
    out.push_back(std::move(*spec));
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
  }
  if (out.empty()) return Status::invalid("no engine named");
  return out;
}

}  // namespace zcp
