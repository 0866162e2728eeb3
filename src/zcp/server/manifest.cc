#include "zcp/server/manifest.h"

#include "zcp/tar/tree_manifest.h"

namespace zcp {

Response manifest_response(const HttpRequest& req, const RequestPath& path, const HandlerConfig& cfg) {
  WalkOptions o;
  o.dotfiles = cfg.dotfiles;
  o.digests = query_param(path.query, "digest") == "sha-256";
  o.others = query_param(path.query, "others") == "1";  // zcp put -r: what --delete may remove
  auto source = make_manifest_source(cfg.root_fd, path.relative, o);
  if (!source) return error_response(500, source.status().to_string());
  Response r;
  r.set("Content-Type", "text/plain; charset=utf-8");
  r.set("Cache-Control", "no-store");  // a description of this moment only
  if (req.version_major == 1 && req.version_minor == 0) {
    r.close = true;  // no chunked encoding in HTTP/1.0: the close ends the body
    r.source = std::move(*source);
  } else {
    r.set("Transfer-Encoding", "chunked");
    r.source = make_chunked_source(std::move(*source));
  }
  return r;
}

}  // namespace zcp
