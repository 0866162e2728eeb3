// GET DIR/?format=manifest: the tree sync protocol's description of a
// served directory (tar/tree_manifest.h), streamed as the walk goes so a
// huge tree never sits in memory; "&digest=sha-256" adds each file's
// sha-256 (hashed on the worker thread, as Want-Repr-Digest is).
#pragma once

#include "zcp/http/http_request.h"
#include "zcp/http/http_response.h"
#include "zcp/server/path_resolve.h"
#include "zcp/server/request_handler.h"

namespace zcp {

Response manifest_response(const HttpRequest& req, const RequestPath& path, const HandlerConfig& cfg);

}  // namespace zcp
