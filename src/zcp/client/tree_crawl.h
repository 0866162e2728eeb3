// Crawl mode of zcp get -r (tree_download.h): a server that is not zcp
// serve (nginx autoindex, lighttpd, python http.server) is mirrored from
// its directory listings (listing_parse.h), walked breadth first on one
// keep-alive connection, then planned against DEST with tree_plan.h and
// fetched by run_pull's listing mode. Not for zcp serve (tar + manifest).
#pragma once

#include <chrono>
#include <cstdint>

#include "zcp/client/tree_download.h"
#include "zcp/http/http_client.h"

namespace zcp {

// Bounds, so that a server's symlink loop or a hostile listing ends:
inline constexpr int kMaxCrawlDepth = 64;                // directories below the start
inline constexpr size_t kMaxListingBytes = 8 << 20;      // one listing's body
inline constexpr uint64_t kMaxCrawlEntries = 1'000'000;  // entries in the whole tree
inline constexpr int kListingTimeFactor = 4;             // one listing's time: 4 x --timeout

// Whether `head`, the answer to ?format=tar, is zcp serve's tar stream:
// its Content-Type, never a guess from bytes (nothing else is extracted).
bool is_tar_answer(const ResponseHead& head);
// Whether it is another server's listing, which crawl mode reads (HTML or
// JSON): the answer to ?format=tar or ?format=manifest that means "not zcp".
bool is_listing_answer(const ResponseHead& head);

// The whole crawl mode: `head` (on `client`) began the start URL's
// listing; DEST comes to be only once every listing was read.
GetResultOr<TreeGetResult> mirror_listings(const Url& url, HttpClient client,
                                           const ResponseHead& head, const TreeGetOptions& o,
                                           TreeGetResult r,
                                           std::chrono::steady_clock::time_point start);

}  // namespace zcp
