// Directory listings for `zcp serve`: the entries of one directory, and
// their rendering as an HTML page for browsers or JSON for scripts.
#pragma once

#include <cstdint>
#include <string>
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

// `url_path` is the decoded path of the directory as requested ("/docs/").
// Names are HTML-escaped in text and percent-encoded in links, so a name
// with <, &, quotes, CR or LF cannot break the page.
std::string render_html_listing(const std::string& url_path, const std::vector<DirEntry>& entries);
// [{"name": "...", "type": "file"|"directory"|"other", "size": N, "mtime": N}, ...]
std::string render_json_listing(const std::vector<DirEntry>& entries);

}  // namespace zcp
