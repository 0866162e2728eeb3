// An engine as named on the command line: "copy:1M" is the copy engine with
// 1 MiB chunks; "sendfile" takes no size. The size means the user buffer
// (copy, discard), the pipe (splice) or the mapping window (mmap).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "zcp/status.h"

namespace zcp {

struct EngineSpec {
  std::string name;   // "copy", "sendfile", "splice", ...
  uint64_t size = 0;  // 0: the engine's default

  // "copy:1M"; a size of 0 prints as the bare name.
  std::string to_string() const;
};

Result<EngineSpec> parse_engine_spec(std::string_view text);
// "copy:8K,sendfile , splice" -> three specs.
Result<std::vector<EngineSpec>> parse_engine_list(std::string_view text);

}  // namespace zcp
