#include "zcp/tar/tar_stream.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <string_view>
#include <vector>

#include "zcp/tar/tar_header.h"
#include "zcp/tar/tree_manifest.h"

namespace zcp {
namespace {

Result<UniqueFd> open_beneath(int root_fd, const std::string& path, uint64_t flags) {
  return openat_beneath(root_fd, path, static_cast<int>(flags));
}

// Errors that leave one entry out of the archive instead of ending it: a
// symlink leaving the root (EXDEV) or looping (ELOOP), an entry removed
// while we walk or a dangling link (ENOENT), one the server may not read.
bool skippable(const Status& status) {
  switch (status.error_number()) {
    case EXDEV:
    case ELOOP:
    case ENOENT:
    case ENOTDIR:
    case EACCES:
    case EPERM:
      return true;
    default:
      return false;
  }
}

struct OpenedEntry {
  UniqueFd fd;  // invalid: skip the entry
  struct stat st {};
};

// A name readdir called a regular file, opened at once (2 calls instead of
// 5, ~0.05 s per 10,000 files), relative to its directory's descriptor
// `dir_fd` rather than by its whole path beneath the root. That is as safe
// as openat2(RESOLVE_BENEATH): `name` is one component from readdir (no
// '/', never "." or ".."), O_NOFOLLOW refuses a symlink swapped in since,
// so the file opened is an entry of that very directory, which was opened
// beneath the root. Should the directory move out of the root while we
// walk it, we still read only what it held, which whoever moved it could
// as well have copied into the tree. O_NONBLOCK guards against a FIFO
// swapped in since, and fstat decides. A file the send engine will move
// (above `copy_below`) loses O_NONBLOCK (io_uring honours it on files);
// one read with pread keeps it (regular files ignore it; read_body copes).
Result<OpenedEntry> open_regular(int dir_fd, const std::string& name, const std::string& path,
                                 uint64_t copy_below) {
  OpenedEntry entry;
  int raw = ::openat(dir_fd, name.c_str(), O_RDONLY | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
  if (raw < 0) {
    Status s = Status::from_errno("openat").at(path);
    if (skippable(s)) return entry;
    return s;
  }
  UniqueFd fd(raw);
  if (::fstat(fd.get(), &entry.st) != 0) return Status::from_errno("fstat").at(path);
  if (!S_ISREG(entry.st.st_mode)) return entry;
  if (static_cast<uint64_t>(entry.st.st_size) > copy_below && ::fcntl(fd.get(), F_SETFL, 0) != 0) {
    return Status::from_errno("fcntl").at(path);
  }
  entry.fd = std::move(fd);
  return entry;
}

// Appends `size` bytes of `fd` from offset 0 and the tar padding after
// them to `out`. A file that ends early (truncated since its fstat) is an
// error, as for a file range the send engine finds short: the header that
// went before it promised `size` bytes, and the client must see a broken
// stream rather than a member holding bytes of another.
Status read_body(int fd, uint64_t size, const std::string& label, std::string& out) {
  const size_t at = out.size();
  out.resize(at + size + tar_padding(size).size());  // zeros: the padding
  bool blocking = false;
  for (uint64_t got = 0; got < size;) {
    ssize_t n = ::pread(fd, out.data() + at + got, size - got, static_cast<off_t>(got));
    if (n > 0) {
      got += static_cast<uint64_t>(n);
      continue;
    }
    if (n == 0) {
      return Status(Code::kShortFile, "pread",
                    "file shrank while being read: it ended at byte " + std::to_string(got) +
                        ", its header says " + std::to_string(size))
          .at(label);
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN && !blocking && ::fcntl(fd, F_SETFL, 0) == 0) {  // a file system that honours O_NONBLOCK
      blocking = true;
      continue;
    }
    return Status::from_errno("pread").at(label);
  }
  return {};
}

// Opens `path` for reading when it is (or a symlink beneath the root leads
// to) a directory or a regular file. Probes with O_PATH first: opening a
// FIFO would block and opening a device may have side effects.
Result<OpenedEntry> open_entry(int root_fd, const std::string& path) {
  OpenedEntry entry;
  auto probe = open_beneath(root_fd, path, O_PATH);
  if (!probe) {
    if (skippable(probe.status())) return entry;
    return std::move(probe).take_status();
  }
  if (::fstat(probe->get(), &entry.st) != 0) return Status::from_errno("fstat").at(path);
  bool dir = S_ISDIR(entry.st.st_mode);
  if (!dir && !S_ISREG(entry.st.st_mode)) return entry;
  // O_NONBLOCK: should a FIFO replace the file in between, we do not hang.
  auto fd = open_beneath(root_fd, path, O_RDONLY | O_NOCTTY | (dir ? O_DIRECTORY : O_NONBLOCK));
  if (!fd) {
    if (skippable(fd.status())) return entry;
    return std::move(fd).take_status();
  }
  if (::fstat(fd->get(), &entry.st) != 0) return Status::from_errno("fstat").at(path);
  if (S_ISDIR(entry.st.st_mode) != dir || !(dir || S_ISREG(entry.st.st_mode))) return entry;
  // io_uring and friends honour O_NONBLOCK on files: give the engine a plain fd.
  if (!dir) {
    int flags = ::fcntl(fd->get(), F_GETFL);
    if (flags < 0 || ::fcntl(fd->get(), F_SETFL, flags & ~O_NONBLOCK) != 0) {
      return Status::from_errno("fcntl").at(path);
    }
  }
  entry.fd = std::move(*fd);
  return entry;
}

bool special_type(unsigned char d_type) {
  return d_type == DT_FIFO || d_type == DT_SOCK || d_type == DT_CHR || d_type == DT_BLK;
}

// The names in directory `dir` (consumed), sorted bytewise so the archive
// is the same each time. Dotfiles and obvious special files are left out.
// A name and what readdir said it is (DT_UNKNOWN on some file systems).
struct Name {
  std::string name;
  unsigned char type = DT_UNKNOWN;
  bool operator<(const Name& o) const { return name < o.name; }
};

// `dir` is borrowed: the walk keeps it to open the files in it.
Result<std::vector<Name>> read_names(int dir, bool dotfiles, const std::string& path) {
  int dup = ::fcntl(dir, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) return Status::from_errno("fcntl F_DUPFD_CLOEXEC").at(path);
  DIR* stream = ::fdopendir(dup);
  if (stream == nullptr) {
    Status s = Status::from_errno("fdopendir").at(path);
    ::close(dup);
    return s;
  }
  std::vector<Name> names;
  int err = 0;
  for (;;) {
    errno = 0;
    const dirent* e = ::readdir(stream);
    if (e == nullptr) {
      err = errno;
      break;
    }
    std::string_view name = e->d_name;
    if (name == "." || name == ".." || (name[0] == '.' && !dotfiles)) continue;
    if (special_type(e->d_type)) continue;
    names.push_back({std::string(name), e->d_type});
  }
  ::closedir(stream);
  if (err != 0) return Status::from_errno("readdir", err).at(path);
  std::sort(names.begin(), names.end());
  return names;
}

TarEntry dir_entry(std::string member, const struct stat& st) {
  TarEntry e;
  e.name = std::move(member);
  e.type = '5';
  e.mode = st.st_mode & 07777;
  e.mtime = st.st_mtim.tv_sec;
  return e;
}

// Options.prefix with a trailing '/', or an error when it could place
// entries outside the directory the client extracts into.
Result<std::string> normalize_prefix(std::string prefix) {
  if (prefix.empty()) return prefix;
  if (prefix.front() == '/') return Status::invalid("tar prefix is absolute: " + prefix);
  if (prefix.back() != '/') prefix += '/';
  for (size_t start = 0, slash; (slash = prefix.find('/', start)) != std::string::npos;
       start = slash + 1) {
    if (std::string_view(prefix).substr(start, slash - start) == "..") {
      return Status::invalid("tar prefix has '..': " + prefix);
    }
  }
  return prefix;
}

// One directory on the walk's stack: its entries, read in full and sorted
// when it is entered, and the next to visit.
struct Level {
  std::string path_prefix;    // beneath the root fd: "" or "docs/sub/"
  std::string member_prefix;  // in the archive: "" or "docs/sub/"
  std::vector<Name> names;
  size_t next = 0;
  // The directory itself while it is the deepest level (its regular files
  // are opened relative to it); closed when a subdirectory is entered, so
  // a deep tree holds one, and reopened beneath the root on return.
  UniqueFd fd;
  dev_t dev = 0;  // identity, to spot a symlink back to an ancestor
  ino_t ino = 0;
};

class TarSource final : public BodySource {
 public:
  TarSource(UniqueFd root, TarOptions options)
      : root_(std::move(root)), options_(std::move(options)) {}

  Status start(const std::string& dir_relative);
  Result<bool> next(std::deque<Segment>& out) override;

 private:
  Result<Level> enter(UniqueFd dir, const struct stat& st, const std::string& path,
                      const std::string& member) const;
  Result<bool> visit(const std::string& name, unsigned char type, std::deque<Segment>& out);
  Result<bool> visit_regular(const std::string& name, const std::string& path,
                             const std::string& relative, const std::string& member,
                             std::deque<Segment>& out);
  Result<int> level_fd(Level& level) const;
  bool on_stack(const struct stat& st) const;
  Status start_only(UniqueFd dir, const struct stat& st, const std::string& member_prefix);
  Result<bool> visit_only(const std::string& name, std::deque<Segment>& out);
  Result<bool> add_link(const std::string& path, const std::string& relative,
                        const std::string& member, const struct stat& st, std::deque<Segment>& out);
  Status add_file(UniqueFd fd, const struct stat& st, const std::string& member,
                  std::deque<Segment>& out) const;
  bool other_part(const std::string& relative) const;

  UniqueFd root_;
  TarOptions options_;
  std::vector<Level> stack_;
  std::string top_;      // the tree's top beneath the root: "" or "docs/"
  std::string pending_;  // the top directory's own header, when it has a name
  bool done_ = false;
};

// Opens and lists the top directory now, so that a missing or unreadable
// one fails the request before any response header is sent.
Status TarSource::start(const std::string& dir_relative) {
  std::string path = dir_relative;
  while (!path.empty() && path.back() == '/') path.pop_back();
  if (path.empty()) path = ".";
  auto dir = open_beneath(root_.get(), path, O_RDONLY | O_DIRECTORY);
  if (!dir) return std::move(dir).take_status();
  struct stat st {};
  if (::fstat(dir->get(), &st) != 0) return Status::from_errno("fstat").at(path);
  auto prefix = normalize_prefix(options_.prefix);
  if (!prefix) return std::move(prefix).take_status();
  // With no prefix the top directory is the extraction directory: no entry.
  if (!prefix->empty()) pending_ = encode_tar_header(dir_entry(*prefix, st));
  top_ = path == "." ? "" : path + "/";
  if (!options_.only.empty()) return start_only(std::move(*dir), st, *prefix);
  auto level = enter(std::move(*dir), st, top_, *prefix);
  if (!level) return std::move(level).take_status();
  stack_.push_back(std::move(*level));
  return {};
}

Result<Level> TarSource::enter(UniqueFd dir, const struct stat& st, const std::string& path,
                               const std::string& member) const {
  auto names = read_names(dir.get(), options_.dotfiles, path.empty() ? "." : path);
  if (!names) return std::move(names).take_status();
  Level level;
  level.fd = std::move(dir);
  level.path_prefix = path;
  level.member_prefix = member;
  level.names = std::move(*names);
  level.dev = st.st_dev;
  level.ino = st.st_ino;
  return level;
}

// Appends one entry's segments; false when it has none (skipped).
Result<bool> TarSource::visit(const std::string& name, unsigned char type, std::deque<Segment>& out) {
  std::string path = stack_.back().path_prefix + name;
  std::string member = stack_.back().member_prefix + name;
  const std::string relative = path.substr(top_.size());
  // DT_REG is never a symlink: the direct open's O_NOFOLLOW loses nothing.
  if (type == DT_REG) return visit_regular(name, path, relative, member, out);
  if (options_.keep_links && type != DT_DIR) {
    struct stat lst {};
    if (::fstatat(root_.get(), path.c_str(), &lst, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(lst.st_mode)) {
      if (other_part(relative)) return false;
      return add_link(path, relative, member, lst, out);
    }
  }
  auto opened = open_entry(root_.get(), path);
  if (!opened) return std::move(opened).take_status();
  if (!opened->fd) return false;
  const struct stat& st = opened->st;
  if (!S_ISDIR(st.st_mode)) {
    if (other_part(relative)) return false;
    if (options_.want && !options_.want(relative)) return false;
    if (Status s = add_file(std::move(opened->fd), st, member, out); !s) return s;
    return true;
  }
  // A symlink to an ancestor would make the walk endless.
  if (on_stack(st)) return false;
  auto level = enter(std::move(opened->fd), st, path + "/", member + "/");
  if (!level) return std::move(level).take_status();
  out.push_back(Segment::bytes(encode_tar_header(dir_entry(member + "/", st))));
  stack_.back().fd.reset();  // one directory descriptor at a time (Level::fd)
  stack_.push_back(std::move(*level));
  return true;
}

// A name readdir called a regular file: asked for (want) before it is
// opened, then opened beside its siblings (open_regular).
Result<bool> TarSource::visit_regular(const std::string& name, const std::string& path,
                                      const std::string& relative, const std::string& member,
                                      std::deque<Segment>& out) {
  if (other_part(relative)) return false;
  if (options_.want && !options_.want(relative)) return false;
  auto dir = level_fd(stack_.back());
  if (!dir) return skippable(dir.status()) ? Result<bool>(false) : std::move(dir).take_status();
  auto opened = open_regular(*dir, name, path, options_.copy_below);
  if (!opened) return std::move(opened).take_status();
  if (!opened->fd) return false;
  if (Status s = add_file(std::move(opened->fd), opened->st, member, out); !s) return s;
  return true;
}

// The level's directory, reopened beneath the root when a subdirectory's
// visit closed it.
Result<int> TarSource::level_fd(Level& level) const {
  if (!level.fd) {
    std::string dir = level.path_prefix.empty() ? "." : level.path_prefix;
    auto fd = open_beneath(root_.get(), dir, O_RDONLY | O_DIRECTORY);
    if (!fd) return std::move(fd).take_status();
    level.fd = std::move(*fd);
  }
  return level.fd.get();
}

// part=K/N: which part an entry belongs to depends on its path alone, so
// every part's request, walking the tree at its own moment, gives each
// file to exactly one part even while the tree changes (a choice made
// from sizes or walk order could hand a file to no part when another
// file grows or appears between the walks). A hash spreads many files
// evenly; a few big ones can fall unevenly, which costs time, not bytes.
bool TarSource::other_part(const std::string& relative) const {
  if (options_.part_count <= 1) return false;
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : relative) h = (h ^ c) * 1099511628211ull;
  // FNV's low bits are a parity of the bytes' low bits: mix the high
  // ones down (murmur3's finalizer) before taking the remainder.
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h % options_.part_count != options_.part_index;
}

bool TarSource::on_stack(const struct stat& st) const {
  return std::any_of(stack_.begin(), stack_.end(), [&](const Level& level) {
    return level.dev == st.st_dev && level.ino == st.st_ino;
  });
}

// Header, body, padding. The size is the one fstat saw at open: a file
// that shrinks later makes the sender (or read_body) fail, not lie. Up to
// copy_below the body is read now and travels with its header as one
// piece of bytes; above, it is a file range for the send engine.
Status TarSource::add_file(UniqueFd fd, const struct stat& st, const std::string& member,
                           std::deque<Segment>& out) const {
  auto size = static_cast<uint64_t>(st.st_size);
  TarEntry entry;
  entry.name = member;
  entry.mode = st.st_mode & 07777;
  entry.size = size;
  entry.mtime = st.st_mtim.tv_sec;
  std::string bytes = encode_tar_header(entry);
  if (size <= options_.copy_below) {
    if (Status s = read_body(fd.get(), size, member, bytes); !s) return s;
    out.push_back(Segment::bytes(std::move(bytes)));
    return {};
  }
  out.push_back(Segment::bytes(std::move(bytes)));
  out.push_back(Segment::file_range(std::make_shared<UniqueFd>(std::move(fd)), 0, size, member));
  std::string padding = tar_padding(size);
  if (!padding.empty()) out.push_back(Segment::bytes(std::move(padding)));
  return {};
}

// An only= path as a manifest names one: relative, each component a
// name (not empty, ".", ".." or over NAME_MAX), no NUL (openat would end
// the name there). fstatat and readlinkat are not confined as openat2 is:
// the name must not climb out by itself.
Status check_only(const std::string& only) {
  bool ok = !only.empty() && only.size() <= 4095 && only.find('\0') == std::string::npos;
  for (size_t start = 0; ok && start <= only.size();) {
    size_t slash = std::min(only.find('/', start), only.size());
    std::string_view part = std::string_view(only).substr(start, slash - start);
    ok = !part.empty() && part != "." && part != ".." && part.size() <= 255;
    start = slash + 1;
  }
  if (!ok) return Status::invalid("tar only= must name a path inside the directory");
  return {};
}


// TarOptions::only: one level per run of paths sharing a parent, pushed
// last first so that next() visits them in the order asked (visit_only).
// Their directories are not in the stream.
Status TarSource::start_only(UniqueFd dir, const struct stat& st, const std::string& member_prefix) {
  for (const std::string& only : options_.only) {
    if (Status s = check_only(only); !s) return s;
  }
  std::vector<Level> levels;
  for (const std::string& only : options_.only) {
    size_t slash = only.rfind('/');
    std::string parent = slash == std::string::npos ? "" : only.substr(0, slash + 1);
    if (levels.empty() || levels.back().path_prefix != top_ + parent) {
      Level level;
      level.path_prefix = top_ + parent;
      level.member_prefix = member_prefix + parent;
      level.dev = st.st_dev;
      level.ino = st.st_ino;
      levels.push_back(std::move(level));
    }
    levels.back().names.push_back({only.substr(slash + 1), DT_UNKNOWN});  // npos + 1 == 0
  }
  dir.reset();
  for (auto it = levels.rbegin(); it != levels.rend(); ++it) stack_.push_back(std::move(*it));
  pending_.clear();
  return {};
}

// One only= name: a regular file, or with keep_links a link inside the
// tree, as fstatat in its parent (opened beneath the root) sees it; all
// else is left out as the walk leaves it out, and the client, finding it
// missing, says so.
Result<bool> TarSource::visit_only(const std::string& name, std::deque<Segment>& out) {
  Level& level = stack_.back();
  const std::string path = level.path_prefix + name, member = level.member_prefix + name;
  const std::string relative = path.substr(top_.size());
  if (!options_.dotfiles && has_dot_component(relative)) return false;
  auto dir = level_fd(level);
  if (!dir) return skippable(dir.status()) ? Result<bool>(false) : std::move(dir).take_status();
  struct stat st {};
  if (::fstatat(*dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    Status s = Status::from_errno("fstatat").at(path);
    return skippable(s) ? Result<bool>(false) : s;
  }
  if (S_ISREG(st.st_mode)) return visit_regular(name, path, relative, member, out);
  if (S_ISLNK(st.st_mode) && options_.keep_links) return add_link(path, relative, member, st, out);
  return false;
}

// A symlink as a '2' member when its target stays inside the tree.
Result<bool> TarSource::add_link(const std::string& path, const std::string& relative,
                                 const std::string& member, const struct stat& st,
                                 std::deque<Segment>& out) {
  if (options_.want && !options_.want(relative)) return false;
  // The parent opened beneath the root: readlinkat on the whole path could
  // follow a link in it out of the root.
  size_t slash = path.rfind('/');
  auto parent = open_beneath(root_.get(), slash == std::string::npos ? "." : path.substr(0, slash),
                             O_PATH | O_DIRECTORY);
  if (!parent) return false;
  const std::string base = path.substr(slash == std::string::npos ? 0 : slash + 1);
  struct stat again {};
  if (::fstatat(parent->get(), base.c_str(), &again, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISLNK(again.st_mode)) {
    return false;
  }
  std::string target(4096, '\0');
  ssize_t n = ::readlinkat(parent->get(), base.c_str(), target.data(), target.size());
  if (n <= 0) return false;
  target.resize(static_cast<size_t>(n));
  if (!link_stays_inside(relative, target)) return false;
  TarEntry e;
  e.name = member;
  e.type = '2';
  e.mode = 0777;
  e.mtime = st.st_mtim.tv_sec;
  e.linkname = std::move(target);
  out.push_back(Segment::bytes(encode_tar_header(e)));
  return true;
}

// Depth first: pops finished directories, visits the next name, and stops
// as soon as one entry added segments; ends with the two zero blocks.
Result<bool> TarSource::next(std::deque<Segment>& out) {
  if (done_) return false;
  if (!pending_.empty()) {
    out.push_back(Segment::bytes(std::move(pending_)));
    pending_.clear();
    return true;
  }
  while (!stack_.empty()) {
    Level& top = stack_.back();
    if (top.next == top.names.size()) {
      stack_.pop_back();
      continue;
    }
    Name entry = std::move(top.names[top.next++]);
    // may push onto stack_: `top` is stale after
    auto added = options_.only.empty() ? visit(entry.name, entry.type, out) : visit_only(entry.name, out);
    if (!added) return std::move(added).take_status();
    if (*added) return true;
  }
  // ZCP.delete members go in the last part only: once.
  const bool last_part = options_.part_index + 1 >= options_.part_count;
  for (const std::string& gone : options_.deletions) {
    if (!last_part) break;
    TarEntry e;
    e.name = options_.prefix.empty() ? gone : options_.prefix + "/" + gone;
    e.mode = 0600;
    e.zcp_delete = true;
    out.push_back(Segment::bytes(encode_tar_header(e)));
  }
  out.push_back(Segment::bytes(tar_end_blocks()));
  done_ = true;
  return false;
}

}  // namespace

Result<std::unique_ptr<BodySource>> make_tar_source(int root_fd, const std::string& dir_relative,
                                                    TarOptions options) {
  int dup = ::fcntl(root_fd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) return Status::from_errno("fcntl F_DUPFD_CLOEXEC");
  auto source = std::make_unique<TarSource>(UniqueFd(dup), std::move(options));
  if (Status status = source->start(dir_relative); !status) return status;
  return std::unique_ptr<BodySource>(std::move(source));
}

}  // namespace zcp
