#include "zcp/server/dir_listing.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>

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

// ASCII letters folded, then bytes: "a.txt" < "B.txt" < "b.txt".
bool name_less(const std::string& a, const std::string& b) {
  auto fold = [](unsigned char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; };
  size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    int x = fold(static_cast<unsigned char>(a[i])), y = fold(static_cast<unsigned char>(b[i]));
    if (x != y) return x < y;
  }
  if (a.size() != b.size()) return a.size() < b.size();
  return a < b;
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

void parse_listing_order(std::string_view query, ListingPage* page) {
  std::string sort = query_param(query, "sort");
  if (sort == "size") page->sort = ListingPage::Sort::kSize;
  if (sort == "mtime") page->sort = ListingPage::Sort::kMtime;
  page->descending = query_param(query, "order") == "desc";
}

void sort_for_listing(std::vector<DirEntry>* entries, const ListingPage& page) {
  auto key_less = [&page](const DirEntry& a, const DirEntry& b) {
    // Directories have no size: -1 on the page, so they sort as smaller.
    switch (page.sort) {
      case ListingPage::Sort::kSize:
        if (a.size != b.size) return a.size < b.size;
        break;
      case ListingPage::Sort::kMtime:
        if (a.mtime != b.mtime) return a.mtime < b.mtime;
        break;
      case ListingPage::Sort::kName:
        break;
    }
    return name_less(a.name, b.name);
  };
  std::stable_sort(entries->begin(), entries->end(), [&](const DirEntry& a, const DirEntry& b) {
    bool a_dir = a.type == DirEntry::Type::kDirectory, b_dir = b.type == DirEntry::Type::kDirectory;
    if (a_dir != b_dir) return a_dir;
    return page.descending ? key_less(b, a) : key_less(a, b);
  });
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
