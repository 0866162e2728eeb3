// HTTP validators and conditional requests (RFC 9110 section 13): the ETag
// and Last-Modified of a file, and what If-None-Match, If-Modified-Since
// and If-Range ask for.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace zcp {

// Strong ETag from inode, size and mtime (nanoseconds): "\"<hex>-<hex>-<hex>\"".
std::string make_etag(const struct stat& st);
// IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
std::string http_date(int64_t seconds_since_epoch);
// Parses IMF-fixdate, RFC 850 and asctime forms; nullopt when malformed.
std::optional<int64_t> parse_http_date(std::string_view text);

// If-None-Match: true when the list ("*" or "\"a\", W/\"b\"") matches `etag`
// by weak comparison, i.e. the client's copy is current (304 for GET/HEAD).
bool etag_list_matches(std::string_view if_none_match, std::string_view etag);
// If-Modified-Since: true when the file was not modified after that date.
bool not_modified_since(std::string_view if_modified_since, int64_t mtime);
// If-Range: true when the validator (an ETag, strong comparison, or an
// HTTP date equal to Last-Modified) still matches, so the Range applies;
// false means send the whole file with 200.
bool if_range_matches(std::string_view if_range, std::string_view etag, int64_t mtime);

}  // namespace zcp
