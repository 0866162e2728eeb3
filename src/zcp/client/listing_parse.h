// Directory listings of other web servers, read for zcp get -r's crawl
// mode (tree_crawl.h): nginx autoindex (HTML and JSON), lighttpd's
// mod_dirlisting, Apache / python http.server style <a href> lists, and
// zcp serve's own JSON. Pure text in, entries out; no I/O. Only hrefs that
// name one child of the listed directory are kept: anything with a scheme,
// a leading '/', a query or fragment, a '/' or NUL once percent-decoded, or
// "." / ".." is refused (counted, so the caller can say so).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zcp {

struct ListedEntry {
  std::string name;  // one path component, percent-decoded: the local name
  bool directory = false;
  std::optional<uint64_t> size;  // when the listing says it exactly
  std::optional<int64_t> mtime;  // seconds, when the listing says it to the second
};

struct Listing {
  std::vector<ListedEntry> entries;  // in listing order, each name once
  uint64_t refused = 0;              // hrefs leading elsewhere (not the parent link)
  // Names listed both as a file and as a directory ("x" and "x/"): the
  // directory is kept wherever it came, the file is named here.
  std::vector<std::string> conflicts;
};

// `html`: every <a href> of the page; nginx's exact sizes after the link
// are kept. `self_path` is the listing's own URL path, so links to it or
// its ancestors (Apache's "Parent Directory") are not counted as refused.
Listing parse_html_listing(std::string_view html, std::string_view self_path);
// nginx's autoindex_format json and zcp serve's ?format=json: an array of
// {"name", "type", "size", "mtime"}. nullopt when the text is not such JSON.
std::optional<Listing> parse_json_listing(std::string_view json);

// "a%20b" -> "a b"; nullopt for a bad escape, or a result holding '/' or NUL.
std::optional<std::string> decode_path_component(std::string_view text);

}  // namespace zcp
