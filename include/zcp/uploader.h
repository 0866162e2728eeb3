// zcp put's engine room: PUT one file with Content-Length, the body sent
// by a zero-copy SendEngine (sendfile by default) straight from the page
// cache to the socket.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "zcp/downloader.h"
#include "zcp/engine_spec.h"
#include "zcp/hop_result.h"
#include "zcp/tls_options.h"
#include "zcp/url.h"

namespace zcp {

struct PutOptions {
  std::string token;  // sent as "Authorization: Bearer TOKEN"
  EngineSpec engine{"sendfile", 0};
  std::chrono::milliseconds timeout{30000};
  TlsOptions tls;  // https:// URLs: how the server is trusted
  std::function<void(uint64_t, uint64_t)> progress;
};

struct PutResult {
  int status = 0;  // 201 created, 204 replaced
  uint64_t bytes = 0;
  double seconds = 0;
  // How the body left: "splice" (--engine sendfile/splice), "copy", "ktls"
  // (SSL_sendfile: the kernel encrypts), "userspace" (pread + SSL_write).
  std::string path;
};

GetResultOr<PutResult> upload_file(const std::string& path, const Url& url, const PutOptions& opts);

struct ChainReport {
  std::vector<HopResult> hosts;  // one per URL, in order
  uint64_t bytes = 0;
  double seconds = 0;            // until the last host's outcome was known
};

// zcp put FILE URL1 URL2 ...: the file goes once, to the first host that
// accepts it; relays pass it along (see chain.h). Any https host this
// side connects to is trusted as o.tls says. Fails only for local reasons
// (FILE or o.tls.cacert unreadable); every host's fate is in the report.
Result<ChainReport> put_chain(const std::string& path, const std::vector<Url>& urls,
                              const PutOptions& opts);

}  // namespace zcp
