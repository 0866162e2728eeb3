// What `zcp serve` answers to one parsed request: the file, a range of it,
// a 304, a directory listing or tar stream, or an error. Pure policy over
// the filesystem: no sockets here, so it is tested without a network.
#pragma once

#include "zcp/http/digest.h"
#include "zcp/http/http_request.h"
#include "zcp/http/http_response.h"
#include "zcp/server/mime.h"

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
};

// The full response for `req`. HEAD gets GET's headers and no body. Bodies
// the request carries are not read: such a connection is closed after the
// response (a GET with a body is legal but never needed here).
Response handle_request(const HttpRequest& req, const HandlerConfig& cfg);

}  // namespace zcp
