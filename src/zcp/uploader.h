// zcp put's engine room: PUT one file with Content-Length, the body sent
// by a zero-copy SendEngine (sendfile by default) straight from the page
// cache to the socket.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "zcp/downloader.h"
#include "zcp/engine_spec.h"
#include "zcp/url.h"

namespace zcp {

struct PutOptions {
  std::string token;  // sent as "Authorization: Bearer TOKEN"
  EngineSpec engine{"sendfile", 0};
  std::chrono::milliseconds timeout{30000};
  std::function<void(uint64_t, uint64_t)> progress;
};

struct PutResult {
  int status = 0;  // 201 created, 204 replaced
  uint64_t bytes = 0;
  double seconds = 0;
};

Result<PutResult> upload_file(const std::string& path, const Url& url, const PutOptions& opts,
                              GetFailure* failure);

}  // namespace zcp
