// What became of one host of a fan-out chain (zcp put FILE URL1 ... URLn):
// the sender's report has one per URL, in order.
#pragma once

#include <cstdint>
#include <string>

namespace zcp {

// What became of one host of the chain.
struct HopResult {
  std::string url;
  bool ok = false;  // the complete file is stored under its final name
  int status = 0;   // the host's HTTP status; 0: it never answered
  uint64_t bytes = 0;
  double seconds = 0;  // the host's own time, request to commit
  std::string error;   // why it failed
  // A relay's: how the body crossed it, "splice" (splice + tee, no copy) or
  // "userspace" (a TLS side: read, pwrite, write); "" for the last host.
  std::string path;
  // A host that could not be used over TLS: "tls-handshake", "tls-untrusted"
  // or "tls-pin" (the sender's exit code, as curl's 35, 60, 90); else "".
  std::string failure;
};

}  // namespace zcp
