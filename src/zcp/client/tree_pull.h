// Internal to zcp get -r (tree_download.cc): the incremental pull's plan
// from the server's manifest and its execution (tree_sync_pull.cc).
#pragma once

#include <optional>
#include <string>

#include "zcp/client/tree_download.h"
#include "zcp/client/tree_plan.h"
#include "zcp/http/http_client.h"

namespace zcp {

// Reads the manifest `head` starts (the connection stays usable), scans
// DEST (may be missing) and plans.
GetResultOr<SyncPlan> plan_pull(HttpClient& client, const std::string& dest,
                                const TreeGetOptions& o, const ResponseHead& head);
// Carries the plan out beneath r.dest (which exists), on `client` when
// the manifest left it usable, else on a new connection. Kind kNone: done.
GetError run_pull(const Url& url, std::optional<HttpClient> client, const SyncPlan& plan,
                  const TreeGetOptions& o, TreeGetResult& r);

}  // namespace zcp
