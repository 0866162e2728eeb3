// Redirects as zcp get follows them (downloader.cc holds the one
// implementation): which statuses are redirects and where a Location
// leads. Single-file downloads and get -r's start URL and crawl share it;
// the hop limit is kMaxRedirects (zcp/downloader.h).
#pragma once

#include <string>

#include "zcp/status.h"
#include "zcp/url.h"

namespace zcp {

// 301, 302, 303, 307, 308.
bool is_redirect(int status);
// `location` resolved against `from` as curl -L does; refused when it
// leads to another scheme (never a downgrade from https, nor an upgrade).
Result<Url> follow_redirect(const Url& from, const std::string& location);

}  // namespace zcp
