// Internal to zcp get -r (tree_download.cc): the incremental pull's plan
// from the server's manifest and its execution (tree_sync_pull.cc).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "zcp/client/tree_download.h"
#include "zcp/client/tree_plan.h"
#include "zcp/http/http_client.h"

namespace zcp {

// How run_pull fetches a file: zcp serve's way (sizes from its manifest,
// odd names as one-member tars), or crawl mode's (tree_crawl.h: the URL a
// listing named, If-Modified-Since when DEST has it, Last-Modified kept).
enum class PullMode { kManifest, kListings };
// A crawled file whose listing gave no size (python's, lighttpd's).
inline constexpr uint64_t kUnlistedSize = UINT64_MAX;

// The directory URL's path without its query, ending in '/'.
std::string directory_target(const Url& url);
// `url` with another request target, as a message shows it.
std::string url_at(const Url& url, const std::string& target);

// GET `at` following redirects as single-file zcp get does (at most
// kMaxRedirects, never to another scheme): `c` carries requests to the
// start URL's origin, `other` to any other a redirect leads to. The final
// head, the connection whose body it starts, and the URL that answered.
using HeaderList = std::vector<std::pair<std::string, std::string>>;
struct Followed {
  HttpClient* client;
  ResponseHead head;
  Url url;
};
GetResultOr<Followed> get_following(std::optional<HttpClient>& c, std::optional<HttpClient>& other,
                                    const Url& start, const Url& at, const HeaderList& headers,
                                    const TreeGetOptions& o);

// Creates DEST (and its parents); kWrite naming it when it cannot be a directory.
GetError make_dest(const std::string& dest);

// Reads the manifest `head` starts (the connection stays usable), scans
// DEST (may be missing) and plans.
GetResultOr<SyncPlan> plan_pull(HttpClient& client, const std::string& dest,
                                const TreeGetOptions& o, const ResponseHead& head);
// Carries the plan out beneath r.dest (which exists), on `client` when
// the manifest left it usable, else on a new connection. Kind kNone: done.
GetError run_pull(const Url& url, std::optional<HttpClient> client, const SyncPlan& plan,
                  const TreeGetOptions& o, TreeGetResult& r, PullMode mode = PullMode::kManifest);

}  // namespace zcp
