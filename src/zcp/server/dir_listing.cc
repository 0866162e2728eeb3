#include "zcp/server/dir_listing.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <memory>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "zcp/base/byte_size.h"
#include "zcp/fd.h"
#include "zcp/server/path_resolve.h"

namespace zcp {
namespace {

struct DirCloser {
  void operator()(DIR* dir) const { ::closedir(dir); }
};
using DirPtr = std::unique_ptr<DIR, DirCloser>;

// A fresh open file description of the directory: a dup() would share
// dir_fd's read position, so listing twice would find nothing the second time.
Result<DirPtr> open_dir_stream(int dir_fd) {
  int fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::from_errno("openat").at("directory listing");
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) {
    Status status = Status::from_errno("fdopendir");
    ::close(fd);
    return status;
  }
  return DirPtr(dir);
}

// Where `fd` lives, from the kernel's own record of it.
std::optional<std::string> fd_path(int fd) {
  std::string link = "/proc/self/fd/" + std::to_string(fd);
  std::string out(4096, '\0');
  ssize_t n = ::readlink(link.c_str(), out.data(), out.size());
  if (n <= 0 || static_cast<size_t>(n) >= out.size()) return std::nullopt;
  out.resize(static_cast<size_t>(n));
  return out;
}

// The directory's path relative to the root ("." or "docs/sub"), so that a
// symlink is judged exactly as open_beneath() will judge it when served.
// Nothing when it cannot be told (no /proc, or a directory outside root).
std::optional<std::string> path_beneath_root(int root_fd, int dir_fd) {
  std::optional<std::string> root = fd_path(root_fd);
  std::optional<std::string> dir = fd_path(dir_fd);
  if (!root || !dir) return std::nullopt;
  if (*dir == *root) return ".";
  std::string prefix = *root == "/" ? "/" : *root + "/";
  if (!dir->starts_with(prefix)) return std::nullopt;
  return dir->substr(prefix.size());
}

DirEntry entry_from_stat(std::string name, const struct stat& st) {
  DirEntry entry;
  entry.name = std::move(name);
  if (S_ISREG(st.st_mode)) {
    entry.type = DirEntry::Type::kFile;
    entry.size = static_cast<uint64_t>(st.st_size);
  } else {
    entry.type = S_ISDIR(st.st_mode) ? DirEntry::Type::kDirectory : DirEntry::Type::kOther;
  }
  entry.mtime = st.st_mtim.tv_sec;
  return entry;
}

// Stats what a symlink points to, opened beneath the root; nothing when the
// link dangles or leaves the root (the server would answer 404 or 403).
std::optional<struct stat> stat_link_target(int root_fd, const std::optional<std::string>& rel_dir,
                                            const std::string& name) {
  if (!rel_dir) return std::nullopt;
  std::string path = *rel_dir == "." ? name : *rel_dir + "/" + name;
  auto fd = open_beneath(root_fd, path, O_PATH, nullptr);
  struct stat st;
  if (!fd || ::fstat(fd->get(), &st) != 0) return std::nullopt;
  return st;
}

// One directory entry as listed, or nothing when it is not to be shown.
std::optional<DirEntry> describe(int root_fd, int dir_fd, const std::optional<std::string>& rel_dir,
                                 const char* name) {
  struct stat st;
  // The entry may vanish between readdir and here; then it is not listed.
  if (::fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return std::nullopt;
  if (!S_ISLNK(st.st_mode)) return entry_from_stat(name, st);
  std::optional<struct stat> target = stat_link_target(root_fd, rel_dir, name);
  if (!target) return std::nullopt;
  return entry_from_stat(name, *target);
}

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        // CR, LF and other controls as references: the markup stays one
        // line per entry whatever the name holds.
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          out += fmt::format("&#x{:X};", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string format_mtime(int64_t mtime) {
  time_t t = static_cast<time_t>(mtime);
  struct tm tm;
  if (::gmtime_r(&t, &tm) == nullptr) return "-";
  char buf[32];
  size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M", &tm);
  return std::string(buf, n);
}

std::string html_row(const DirEntry& entry) {
  bool is_dir = entry.type == DirEntry::Type::kDirectory;
  std::string suffix = is_dir ? "/" : "";
  std::string size =
      entry.type == DirEntry::Type::kFile ? human_byte_size(static_cast<double>(entry.size)) : "-";
  return fmt::format("<tr><td><a href=\"{}{}\">{}{}</a></td><td>{}</td><td>{}</td></tr>\n",
                     percent_encode_path(entry.name), suffix, html_escape(entry.name), suffix, size,
                     format_mtime(entry.mtime));
}

const char* json_type(DirEntry::Type type) {
  switch (type) {
    case DirEntry::Type::kFile:
      return "file";
    case DirEntry::Type::kDirectory:
      return "directory";
    default:
      return "other";
  }
}

}  // namespace

Result<std::vector<DirEntry>> list_directory(int root_fd, int dir_fd, bool dotfiles) {
  auto dir = open_dir_stream(dir_fd);
  if (!dir) return std::move(dir).take_status();
  std::optional<std::string> rel_dir = path_beneath_root(root_fd, dir_fd);
  std::vector<DirEntry> entries;
  while (true) {
    errno = 0;
    const dirent* ent = ::readdir(dir->get());
    if (ent == nullptr) break;
    std::string_view name = ent->d_name;
    if (name == "." || name == "..") continue;
    if (name.front() == '.' && !dotfiles) continue;
    std::optional<DirEntry> entry = describe(root_fd, dir_fd, rel_dir, ent->d_name);
    if (entry) entries.push_back(std::move(*entry));
  }
  if (errno != 0) return Status::from_errno("readdir");
  std::sort(entries.begin(), entries.end(),
            [](const DirEntry& a, const DirEntry& b) { return a.name < b.name; });
  return entries;
}

std::string render_html_listing(const std::string& url_path, const std::vector<DirEntry>& entries) {
  std::string title = "Index of " + html_escape(url_path);
  std::string out = fmt::format(
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{0}</title></head>\n"
      "<body><h1>{0}</h1>\n<table>\n",
      title);
  // Links are relative, so the page also works behind a proxy that mounts
  // the server under a prefix; `url_path` ends in '/' (a directory URL).
  if (url_path != "/" && !url_path.empty()) {
    out += "<tr><td><a href=\"../\">../</a></td><td>-</td><td>-</td></tr>\n";
  }
  for (const DirEntry& entry : entries) out += html_row(entry);
  out += "</table></body></html>\n";
  return out;
}

std::string render_json_listing(const std::vector<DirEntry>& entries) {
  nlohmann::json out = nlohmann::json::array();
  for (const DirEntry& entry : entries) {
    out.push_back({{"name", entry.name},
                   {"type", json_type(entry.type)},
                   {"size", entry.size},
                   {"mtime", entry.mtime}});
  }
  // Names need not be UTF-8; replacing bad bytes (U+FFFD) keeps dump() from
  // throwing, which the core must not do.
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace zcp
