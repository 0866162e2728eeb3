// Content-Type from the file name's extension, using the system's
// /etc/mime.types (Debian package media-types); application/octet-stream
// when unknown. Loaded once, read-only afterwards, so workers share it.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>

namespace zcp {

class MimeTypes {
 public:
  // Loads `path`; a missing file leaves only the built-in few (html, txt,
  // json, css, js, png, jpg) so the server still answers sensibly.
  static MimeTypes load(const std::string& path = "/etc/mime.types");
  // "index.HTML" -> "text/html"; text types get "; charset=utf-8".
  std::string lookup(std::string_view filename) const;
  size_t size() const { return by_ext_.size(); }

 private:
  std::unordered_map<std::string, std::string> by_ext_;  // lower-case ext -> type
};

}  // namespace zcp
