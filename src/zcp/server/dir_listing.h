// Directory listings for `zcp serve`: the entries of one directory, and
// their rendering as an HTML page for browsers or JSON for scripts.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "zcp/status.h"

namespace zcp {

struct DirEntry {
  std::string name;
  enum class Type { kFile, kDirectory, kSymlink, kOther } type = Type::kFile;
  uint64_t size = 0;
  int64_t mtime = 0;  // seconds since the epoch
};

// Lists the directory open at `dir_fd` (borrowed; it is not consumed),
// sorted by name, directories and files alike. Names starting with '.' are
// skipped unless `dotfiles`. Symlinks are reported by what they point to
// when that stays beneath `root_fd` (openat2 RESOLVE_BENEATH), and skipped
// when it does not.
Result<std::vector<DirEntry>> list_directory(int root_fd, int dir_fd, bool dotfiles);

// What the HTML page shows besides the entries: the order (directories
// always first) and, with `zcp serve --upload`, an upload form.
struct ListingPage {
  enum class Sort { kName, kSize, kMtime } sort = Sort::kName;
  bool descending = false;
  bool upload = false;        // PUT is on: show the form
  bool upload_token = false;  // PUT needs "Authorization: Bearer": the form asks for it
};

// The order a query asks for: "sort=name|size|mtime&order=asc|desc";
// anything else leaves the default (name, ascending).
void parse_listing_order(std::string_view query, ListingPage* page);

// Sorts for the page: directories first, then by `page.sort` (ties by
// name), the whole order reversed when descending. Names compare with
// ASCII letters folded, then bytewise, as the page's script compares them.
void sort_for_listing(std::vector<DirEntry>* entries, const ListingPage& page);

// The page for browsers (listing_html.cc): `url_path` is the decoded path
// of the directory as requested ("/docs/"); `entries` are shown in the
// order given. Names are HTML-escaped in text (bytes that are not UTF-8
// become U+FFFD) and percent-encoded in links, so a name with <, &, quotes,
// CR or LF cannot break the page. Links are relative (a proxy may mount the
// server under a prefix). Serve it with kListingCsp.
std::string render_html_listing(const std::string& url_path, const std::vector<DirEntry>& entries,
                                const ListingPage& page = {});
// Content-Security-Policy for the page: its own inline style and script,
// requests to its own origin (uploads), nothing else loads.
inline constexpr const char* kListingCsp =
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'";

// [{"name": "...", "type": "file"|"directory"|"other", "size": N, "mtime": N}, ...]
std::string render_json_listing(const std::vector<DirEntry>& entries);

}  // namespace zcp
