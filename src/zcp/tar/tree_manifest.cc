#include "zcp/tar/tree_manifest.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>

#include "zcp/http/digest.h"

namespace zcp {
namespace {

constexpr char kHex[] = "0123456789abcdef";

bool plain_byte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '.' || c == '_' || c == '-' || c == '~' || c == '/' || c == '+' || c == ',';
}

std::string encode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (plain_byte(c)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      if (!plain_byte(static_cast<unsigned char>(s[i]))) return std::nullopt;
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

// A relative path of plain components: what every side may act on.
bool safe_path(std::string_view p) {
  if (p.empty() || p.front() == '/' || p.back() == '/' || p.find('\0') != std::string_view::npos) {
    return false;
  }
  for (size_t start = 0;;) {
    size_t slash = p.find('/', start);
    std::string_view part = p.substr(start, slash == std::string_view::npos ? p.npos : slash - start);
    if (part.empty() || part == "." || part == ".." || part.size() > 255) return false;
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> f;
  for (size_t start = 0;;) {
    size_t sp = line.find(' ', start);
    f.push_back(line.substr(start, sp == std::string_view::npos ? line.npos : sp - start));
    if (sp == std::string_view::npos) return f;
    start = sp + 1;
  }
}

template <typename T>
bool number(std::string_view s, T& out, int base = 10) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out, base);
  return ec == std::errc() && p == s.data() + s.size();
}

std::optional<std::string> unhex_sha(std::string_view s) {
  if (s == "-") return std::string();
  if (s.size() != 64) return std::nullopt;
  std::string raw;
  for (size_t i = 0; i < 64; i += 2) {
    int hi = hex_value(s[i]), lo = hex_value(s[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    raw += static_cast<char>(hi * 16 + lo);
  }
  return raw;
}

Status bad_line(std::string why) { return Status(Code::kInvalid, "manifest", std::move(why)); }

}  // namespace

bool has_dot_component(std::string_view path) {
  return (!path.empty() && path[0] == '.') || path.find("/.") != std::string_view::npos;
}

std::string format_manifest_line(const ManifestEntry& e) {
  char mode[16];
  auto r = std::to_chars(mode, mode + sizeof mode, e.mode & 07777, 8);
  std::string m(mode, r.ptr);
  switch (e.type) {
    case 'd': return "d " + m + " " + std::to_string(e.mtime) + " " + encode(e.path) + "\n";
    case 'l':
      return "l " + std::to_string(e.mtime) + " " + encode(e.path) + " " + encode(e.target) + "\n";
    case 'o': return "o " + std::to_string(e.mtime) + " " + encode(e.path) + "\n";
    default: {
      std::string sha = "-";
      if (e.sha256.size() == 32) {
        sha.clear();
        for (unsigned char c : e.sha256) {
          sha += kHex[c >> 4];
          sha += kHex[c & 15];
        }
      }
      return "f " + m + " " + std::to_string(e.mtime) + " " + std::to_string(e.size) + " " + sha +
             " " + encode(e.path) + "\n";
    }
  }
}

Result<ManifestEntry> parse_manifest_line(std::string_view line) {
  if (line.size() > kMaxManifestLine) return bad_line("line too long");
  auto f = split_fields(line);
  ManifestEntry e;
  if (f[0].size() != 1) return bad_line("unknown entry type");
  e.type = f[0][0];
  std::optional<std::string> path;
  if (e.type == 'f' && f.size() == 6) {
    std::optional<std::string> sha = unhex_sha(f[4]);
    if (!number(f[1], e.mode, 8) || !number(f[2], e.mtime) || !number(f[3], e.size) || !sha) {
      return bad_line("bad file entry");
    }
    e.sha256 = std::move(*sha);
    path = decode(f[5]);
  } else if (e.type == 'd' && f.size() == 4) {
    if (!number(f[1], e.mode, 8) || !number(f[2], e.mtime)) return bad_line("bad directory entry");
    path = decode(f[3]);
  } else if (e.type == 'l' && f.size() == 4) {
    auto target = decode(f[3]);
    if (!number(f[1], e.mtime) || !target || target->empty()) return bad_line("bad link entry");
    e.target = std::move(*target);
    path = decode(f[2]);
  } else if (e.type == 'o' && f.size() == 3) {
    if (!number(f[1], e.mtime)) return bad_line("bad other entry");
    path = decode(f[2]);
  } else {
    return bad_line("unknown entry");
  }
  if (!path || !safe_path(*path)) return bad_line("unsafe path");
  e.path = std::move(*path);
  if (e.mode > 07777) return bad_line("bad mode");
  if (e.type == 'l' && !link_stays_inside(e.path, e.target)) {
    return bad_line("link leads outside the tree").at(e.path);
  }
  return e;
}

std::string format_manifest_end(uint64_t files, uint64_t bytes) {
  return "end " + std::to_string(files) + " " + std::to_string(bytes) + "\n";
}

bool is_manifest_end(std::string_view line) { return line.substr(0, 4) == "end "; }

bool link_stays_inside(std::string_view link_path, std::string_view target) {
  if (target.empty() || target.front() == '/' || target.find('\0') != std::string_view::npos) {
    return false;
  }
  // Depth of the link's directory, then each component of the target.
  int64_t depth = std::count(link_path.begin(), link_path.end(), '/');
  for (size_t start = 0;;) {
    size_t slash = target.find('/', start);
    std::string_view part = target.substr(start, slash == target.npos ? target.npos : slash - start);
    if (part == "..") {
      if (--depth < 0) return false;
    } else if (!part.empty() && part != ".") {
      ++depth;
    }
    if (slash == target.npos) return true;
    start = slash + 1;
  }
}

// ---- the walker --------------------------------------------------------

struct TreeWalker::Level {
  UniqueFd fd;
  std::string prefix;  // "" or "a/b/"
  std::vector<std::string> names;
  size_t next = 0;
};

TreeWalker::~TreeWalker() = default;

namespace {

// The names of `fd`'s directory (read through a dup), sorted bytewise.
Result<std::vector<std::string>> list_names(int fd, bool dotfiles, const std::string& path) {
  int dup = ::openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dup < 0) return Status::from_errno("open").at(path);
  DIR* d = ::fdopendir(dup);
  if (d == nullptr) {
    ::close(dup);
    return Status::from_errno("fdopendir").at(path);
  }
  std::vector<std::string> names;
  int err = 0;
  for (;;) {
    errno = 0;
    const dirent* e = ::readdir(d);
    if (e == nullptr) {
      err = errno;
      break;
    }
    std::string_view n = e->d_name;
    if (n == "." || n == ".." || (n[0] == '.' && !dotfiles)) continue;
    names.emplace_back(n);
  }
  ::closedir(d);
  if (err != 0) return Status::from_errno("readdir", err).at(path);
  std::sort(names.begin(), names.end());
  return names;
}

Result<std::unique_ptr<TreeWalker::Level>> make_level(UniqueFd fd, std::string prefix, bool dotfiles) {
  auto names = list_names(fd.get(), dotfiles, prefix.empty() ? "." : prefix);
  if (!names) return std::move(names).take_status();
  auto level = std::make_unique<TreeWalker::Level>();
  level->fd = std::move(fd);
  level->prefix = std::move(prefix);
  level->names = std::move(*names);
  return level;
}

// An entry named but not described: its mode, size and link target are
// not the client's business.
Result<std::optional<ManifestEntry>> other(ManifestEntry e) {
  e.type = 'o';
  e.mode = 0;
  return std::optional<ManifestEntry>(std::move(e));
}

}  // namespace

Result<TreeWalker> TreeWalker::open(int root_fd, const std::string& dir_relative, WalkOptions o) {
  auto top = openat_beneath(root_fd, dir_relative.empty() ? "." : dir_relative, O_RDONLY | O_DIRECTORY);
  if (!top) return std::move(top).take_status();
  TreeWalker w;
  w.options_ = o;
  auto level = make_level(std::move(*top), "", o.dotfiles);
  if (!level) return std::move(level).take_status();
  w.stack_.push_back(std::move(*level));
  return w;
}

Result<std::optional<ManifestEntry>> TreeWalker::next() {
  while (!stack_.empty()) {
    Level& top = *stack_.back();
    if (top.next == top.names.size()) {
      stack_.pop_back();
      continue;
    }
    const std::string& name = top.names[top.next++];
    ManifestEntry e;
    e.path = top.prefix + name;
    struct stat st {};
    if (::fstatat(top.fd.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) continue;  // removed while we walk
      return Status::from_errno("stat").at(e.path);
    }
    e.mode = st.st_mode & 07777;
    e.mtime = st.st_mtim.tv_sec;
    if (S_ISDIR(st.st_mode)) {
      e.type = 'd';
      int fd = ::openat(top.fd.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0) {
        if (errno == EACCES || errno == ENOENT) continue;
        return Status::from_errno("open").at(e.path);
      }
      auto level = make_level(UniqueFd(fd), e.path + "/", options_.dotfiles);
      if (!level) return std::move(level).take_status();
      stack_.push_back(std::move(*level));  // `top` is stale from here
      return std::optional<ManifestEntry>(std::move(e));
    }
    if (S_ISLNK(st.st_mode)) {
      std::string target(4096, '\0');
      ssize_t n = ::readlinkat(top.fd.get(), name.c_str(), target.data(), target.size());
      if (n < 0) continue;
      target.resize(static_cast<size_t>(n));
      if (!options_.all_links && !link_stays_inside(e.path, target)) {
        if (!options_.others) continue;  // not part of the tree
        return other(std::move(e));
      }
      e.type = 'l';
      e.mode = 0;
      e.target = std::move(target);
      return std::optional<ManifestEntry>(std::move(e));
    }
    if (!S_ISREG(st.st_mode)) {
      if (!options_.others) continue;
      return other(std::move(e));
    }
    e.type = 'f';
    e.size = static_cast<uint64_t>(st.st_size);
    if (options_.digests) {
      int fd = ::openat(top.fd.get(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
      if (fd < 0) continue;
      UniqueFd file(fd);
      auto sha = sha256_file(file.get(), 0, e.size);
      if (!sha) return std::move(sha).take_status().at(e.path);
      e.sha256 = std::move(*sha);
    }
    return std::optional<ManifestEntry>(std::move(e));
  }
  return std::optional<ManifestEntry>();
}

Result<uint64_t> remove_entry_at(int dir_fd, const std::string& name, const std::string& path) {
  if (::unlinkat(dir_fd, name.c_str(), 0) == 0) return uint64_t{1};
  if (errno == ENOENT) return uint64_t{0};
  if (errno != EISDIR && errno != EPERM) return Status::from_errno("unlink").at(path);
  int fd = ::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return Status::from_errno("open").at(path);
  UniqueFd dir(fd);
  auto names = list_names(dir.get(), true, path);
  if (!names) return std::move(names).take_status();
  uint64_t removed = 0;
  for (const std::string& n : *names) {
    auto r = remove_entry_at(dir.get(), n, path + "/" + n);
    if (!r) return r;
    removed += *r;
  }
  if (::unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) != 0) return Status::from_errno("rmdir").at(path);
  return removed + 1;
}

namespace {

class ManifestSource final : public BodySource {
 public:
  explicit ManifestSource(TreeWalker w) : walker_(std::move(w)) {}
  Result<bool> next(std::deque<Segment>& out) override {
    if (done_) return false;
    std::string chunk;
    if (!started_) {
      chunk = std::string(kManifestMagic) + "\n";
      started_ = true;
    }
    while (chunk.size() < 64 * 1024) {
      auto e = walker_.next();
      if (!e) return std::move(e).take_status();
      if (!*e) {
        chunk += format_manifest_end(files_, bytes_);
        done_ = true;
        break;
      }
      if ((*e)->type == 'f') {
        ++files_;
        bytes_ += (*e)->size;
      }
      chunk += format_manifest_line(**e);
    }
    out.push_back(Segment::bytes(std::move(chunk)));
    return !done_;
  }

 private:
  TreeWalker walker_;
  bool started_ = false, done_ = false;
  uint64_t files_ = 0, bytes_ = 0;
};

}  // namespace

Result<std::unique_ptr<BodySource>> make_manifest_source(int root_fd, const std::string& dir_relative,
                                                         WalkOptions o) {
  auto w = TreeWalker::open(root_fd, dir_relative, o);
  if (!w) return std::move(w).take_status();
  return std::unique_ptr<BodySource>(std::make_unique<ManifestSource>(std::move(*w)));
}

}  // namespace zcp
