#include "zcp/server/mime.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <utility>

namespace zcp {
namespace {

constexpr std::string_view kDefaultType = "application/octet-stream";

// What a server needs when /etc/mime.types is missing (a minimal container):
// enough for a browser to render pages and images instead of downloading them.
constexpr std::pair<std::string_view, std::string_view> kBuiltIns[] = {
    {"html", "text/html"},        {"htm", "text/html"},  {"txt", "text/plain"},
    {"json", "application/json"}, {"css", "text/css"},   {"js", "text/javascript"},
    {"png", "image/png"},         {"jpg", "image/jpeg"}, {"jpeg", "image/jpeg"},
};

std::string to_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The extension of the last path component: "a/b.TAR.gz" -> "gz". A name
// starting with '.' (".bashrc") or ending with one has none.
std::string_view extension_of(std::string_view filename) {
  size_t slash = filename.rfind('/');
  std::string_view base = slash == std::string_view::npos ? filename : filename.substr(slash + 1);
  size_t dot = base.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return {};
  return base.substr(dot + 1);
}

}  // namespace

MimeTypes MimeTypes::load(const std::string& path) {
  MimeTypes types;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    line.resize(std::min(line.size(), line.find('#')));
    std::istringstream fields(line);
    std::string type;
    std::string ext;
    if (!(fields >> type)) continue;
    // The first mention of an extension wins: Debian lists a registered type
    // before later aliases for the same extension (csh, tcl).
    while (fields >> ext) types.by_ext_.emplace(to_lower(ext), type);
  }
  // Built-ins only fill gaps, so the system's file keeps the last word.
  for (const auto& [ext, type] : kBuiltIns) types.by_ext_.emplace(ext, type);
  return types;
}

std::string MimeTypes::lookup(std::string_view filename) const {
  std::string_view ext = extension_of(filename);
  if (ext.empty()) return std::string(kDefaultType);
  auto it = by_ext_.find(to_lower(ext));
  if (it == by_ext_.end()) return std::string(kDefaultType);
  // Browsers guess a text type's charset otherwise, and may guess wrong.
  if (it->second.starts_with("text/")) return it->second + "; charset=utf-8";
  return it->second;
}

}  // namespace zcp
