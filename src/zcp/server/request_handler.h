// What `zcp serve` answers to one parsed request: the file, a range of it,
// a 304, a directory listing or tar stream, or an error. Pure policy over
// the filesystem: no sockets here, so it is tested without a network.
#pragma once

#include "zcp/http/digest.h"
#include "zcp/http/http_request.h"
#include "zcp/http/http_response.h"
#include "zcp/server/mime.h"

namespace zcp {
class FileCache;
}

namespace zcp {

struct HandlerConfig {
  int root_fd = -1;                 // the served directory (borrowed)
  const MimeTypes* mime = nullptr;  // shared, read-only
  bool dotfiles = false;            // serve and list names starting with '.'
  DigestCache* digests = nullptr;   // Repr-Digest once known; null: never
  // What the HTML listing offers: an upload form when PUT is on (--upload),
  // with a token field when PUT needs one (--token).
  bool upload = false;
  bool upload_token = false;
  // The worker's open-file cache (file_cache.h); null: every request opens
  // its file afresh (--no-file-cache).
  FileCache* files = nullptr;
  // Bodies up to this many bytes are read into memory and sent together
  // with the head in one call; 0: always the engine. Measured (BENCHMARKS.md
  // section 4, server CPU per request, copy vs sendfile): 9.1 vs 12.3 us at
  // 4 KiB, 10.1 vs 11.1 at 8 KiB, even at 16 KiB, 13.9 vs 12.6 at 32 KiB.
  uint64_t copy_below = 8 * 1024;
};

// The full response for `req`. HEAD gets GET's headers and no body. Bodies
// the request carries are not read: such a connection is closed after the
// response (a GET with a body is legal but never needed here).
Response handle_request(const HttpRequest& req, const HandlerConfig& cfg);

}  // namespace zcp
