#include "zcp/tar/tar_extract.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "zcp/base/temp_name.h"
#include "zcp/fd.h"
#include "zcp/tar/tar_header.h"
#include "zcp/tar/tar_parse.h"
#include "zcp/tar/tree_manifest.h"

namespace zcp {
namespace {

// pax and GNU long-name bodies are held in memory; real ones are a few
// hundred bytes (PATH_MAX is 4096), so anything larger is refused.
constexpr uint64_t kMaxMetaSize = 1 << 20;
// Bodies of skipped members (and trailing zeros) pass through this much
// memory at a time.
constexpr size_t kSkipChunk = 64 * 1024;

// Opens beneath DEST; a path that a symlink or ".." leads outside DEST is
// an error of the archive, not of the disk.
Result<UniqueFd> open_beneath(int root_fd, const std::string& path, uint64_t flags) {
  auto fd = openat_beneath(root_fd, path, static_cast<int>(flags));
  if (!fd && fd.status().error_number() == EXDEV) {
    return Status(Code::kInvalid, "openat2", "leads outside the destination").at(path);
  }
  return fd;
}

// `mode` is extracted_mode()'s: fchmod, unlike open and mkdir, ignores
// the umask, and runs after the body is written (a write clears setuid).
// `chmod` false: the file was created with `mode` already.
Status set_mode_and_mtime(int fd, uint32_t mode, timespec mtime, const std::string& path,
                          bool chmod = true) {
  if (chmod && ::fchmod(fd, mode) != 0) return Status::from_errno("fchmod").at(path);
  const timespec times[2] = {{0, UTIME_OMIT}, mtime};
  if (::futimens(fd, times) != 0) return Status::from_errno("futimens").at(path);
  return {};
}

// NAME.part, new (O_EXCL), so `mode` is surely the file's: a regular file
// left by an interrupted run is removed and the open tried once more;
// anything else under that name (a link planted there) fails the member,
// as O_NOFOLLOW would, and is not followed; with `replace` (a sync, whose
// DEST the user hands over as the pull's own GETs do) it is unlinked, never
// followed, and the open tried once more.
Result<UniqueFd> create_part(int parent, const std::string& name, uint32_t mode, bool replace) {
  constexpr int kFlags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
  int fd = ::openat(parent, name.c_str(), kFlags, mode);
  if (fd < 0 && errno == EEXIST) {
    struct stat st {};
    if (::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || (!S_ISREG(st.st_mode) && !replace)) {
      return Status::from_errno("open", ELOOP).at(name);
    }
    if (::unlinkat(parent, name.c_str(), 0) == 0) fd = ::openat(parent, name.c_str(), kFlags, mode);
  }
  if (fd < 0) return Status::from_errno("open").at(name);
  return UniqueFd(fd);
}

// Makes the unnamed file `fd` (O_TMPFILE) appear as `name` in `parent`:
// linkat through /proc/self/fd (AT_EMPTY_PATH would need
// CAP_DAC_READ_SEARCH). A name already there (a tree changed between the
// streams' walks) is replaced, as a rename would, when `replace` says so.
Status link_unnamed(int fd, int parent, const std::string& name, const std::string& path,
                    bool replace) {
  const std::string proc = "/proc/self/fd/" + std::to_string(fd);
  if (::linkat(AT_FDCWD, proc.c_str(), parent, name.c_str(), AT_SYMLINK_FOLLOW) == 0) return {};
  int err = errno;
  if (err == EEXIST && replace) {
    auto removed = remove_entry_at(parent, name, path);
    if (!removed) return std::move(removed).take_status();
    if (::linkat(AT_FDCWD, proc.c_str(), parent, name.c_str(), AT_SYMLINK_FOLLOW) == 0) return {};
    err = errno;
  }
  return Status::from_errno("linkat", err).at(path);
}

// An unnamed file in `parent` (O_TMPFILE), or an invalid fd when the file
// system (or a missing /proc) cannot do it: the caller falls back to
// NAME.part. Other errors (EACCES, ENOSPC) are the member's.
Result<UniqueFd> create_unnamed(int parent, uint32_t mode, const std::string& path) {
  static const bool proc = ::access("/proc/self/fd", X_OK) == 0;
  if (!proc) return UniqueFd();
  int fd = ::openat(parent, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
  if (fd >= 0) return UniqueFd(fd);
  if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL) return UniqueFd();
  return Status::from_errno("open O_TMPFILE").at(path);
}

class Extractor {
 public:
  Extractor(BodyReader& body, int dest_fd, RecvEngine& engine,
            const std::function<void(uint64_t)>& progress, const ExtractOptions& options)
      : body_(body), dest_fd_(dest_fd), engine_(engine), progress_(progress), options_(options) {}

  Result<ExtractStats> run();

 private:
  Result<bool> next_member(TarMember& m);
  Result<size_t> read_block(std::string& block);
  Status read_meta(const TarMember& header, std::string& out);
  Status skip(uint64_t n);
  Status skip_padding(uint64_t size) { return skip((kTarBlock - size % kTarBlock) % kTarBlock); }
  void drain_rest();

  Status extract(const TarMember& m);
  Status extract_file(const TarMember& m, const std::vector<std::string>& parts);
  Status write_file(int fd, const TarMember& m, const std::string& path, uint32_t created);
  Status finish_file(const TarMember& m, const std::string& path);
  Status extract_directory(const TarMember& m, const std::vector<std::string>& parts);
  Status extract_symlink(const TarMember& m, const std::vector<std::string>& parts);
  Status delete_entry(const std::vector<std::string>& parts);
  Status make_link_via_temp(int parent, const std::string& target, const std::string& name,
                            const std::string& path);
  Status make_link_in_place(int parent, const std::string& target, const std::string& name,
                            const std::string& path);
  Status rename_into_place(int parent, const std::string& temp, const std::string& name,
                           const std::string& path);
  Result<int> open_parent(const std::vector<std::string>& parts);
  Result<UniqueFd> make_parents(const std::vector<std::string>& parts);
  Status finish_directories();

  BodyReader& body_;
  int dest_fd_;  // O_PATH, borrowed
  RecvEngine& engine_;
  const std::function<void(uint64_t)>& progress_;
  const ExtractOptions& options_;
  const uint32_t umask_ = process_umask();  // open's, which may differ from options_.umask
  ExtractStats stats_;
  uint64_t offset_ = 0;  // archive bytes consumed, for error messages
  std::string scratch_;
  // The last parent directory used: members of one directory come together.
  std::string parent_path_;
  UniqueFd parent_fd_;
  std::vector<DirectoryMeta> dirs_;
};

// Member by member until the end-of-archive zero block; then the zeros
// that pad the archive's last record, and the delayed directory metadata.
Result<ExtractStats> Extractor::run() {
  for (;;) {
    TarMember m;
    auto more = next_member(m);
    if (!more) return std::move(more).take_status();
    if (!*more) break;
    if (Status s = extract(m); !s) return s;
  }
  drain_rest();
  if (options_.shared_dest) {
    parent_fd_.reset();
    stats_.pending_dirs = std::move(dirs_);
    return stats_;
  }
  if (Status s = finish_directories(); !s) return s;
  return stats_;
}

// The next member to extract or skip, after any pax and GNU long-name
// headers that describe it; false at the end of the archive.
Result<bool> Extractor::next_member(TarMember& m) {
  TarOverrides pending;
  std::string block;
  for (;;) {
    const uint64_t at = offset_;
    auto n = read_block(block);
    if (!n) return std::move(n).take_status();
    if (*n < kTarBlock) {
      return Status(Code::kPeerClosed, "tar", "archive ends without its end marker");
    }
    if (is_zero_block(block)) return false;
    const std::string where = "header at byte " + std::to_string(at);
    if (!tar_checksum_ok(block)) return Status(Code::kInvalid, "tar", "bad checksum").at(where);
    auto header = parse_tar_header(block);
    if (!header) return std::move(header).take_status().at(where);
    if (header->type == 'x' || header->type == 'L') {
      std::string meta;
      if (Status s = read_meta(*header, meta); !s) return s;
      if (header->type == 'L') {
        pending.path = meta.substr(0, meta.find('\0'));
      } else if (Status s = parse_pax(meta, pending); !s) {
        return std::move(s).at(where);
      }
      continue;
    }
    m = std::move(*header);
    if (pending.path) m.name = *pending.path;
    if (pending.size) m.size = *pending.size;
    if (pending.mtime) m.mtime = *pending.mtime;
    if (pending.linkpath) m.linkname = *pending.linkpath;
    m.zcp_delete = pending.zcp_delete;
    return true;
  }
}

// Up to one block: fewer bytes only when the body ends.
Result<size_t> Extractor::read_block(std::string& block) {
  block.clear();
  while (block.size() < kTarBlock) {
    auto n = body_.read(block, kTarBlock - block.size());
    if (!n) return std::move(n).take_status();
    if (*n == 0) break;
  }
  offset_ += block.size();
  return block.size();
}

Status Extractor::read_meta(const TarMember& header, std::string& out) {
  if (header.size > kMaxMetaSize) {
    return Status(Code::kInvalid, "tar", "extended header too large")
        .at("header at byte " + std::to_string(offset_ - kTarBlock));
  }
  if (Status s = body_.read_exact(out, header.size); !s) return s;
  offset_ += header.size;
  return skip_padding(header.size);
}

Status Extractor::skip(uint64_t n) {
  while (n > 0) {
    size_t chunk = static_cast<size_t>(std::min<uint64_t>(n, kSkipChunk));
    scratch_.clear();
    if (Status s = body_.read_exact(scratch_, chunk); !s) return s;
    offset_ += chunk;
    n -= chunk;
  }
  return {};
}

// Reads what follows the end marker (the second zero block and the zeros
// GNU tar pads its 10 KiB records with) so the body ends cleanly and the
// connection could be reused; the archive is complete either way.
void Extractor::drain_rest() {
  for (;;) {
    scratch_.clear();
    auto n = body_.read(scratch_, kSkipChunk);
    if (!n || *n == 0) return;
  }
}

// Skipped members' names are not checked: nothing is created for them, and
// GNU tar names global pax headers after $TMPDIR, an absolute path.
Status Extractor::extract(const TarMember& m) {
  TarKind kind = tar_kind(m);
  if (kind == TarKind::kSymlink && !options_.symlinks) kind = TarKind::kSkip;
  if (m.zcp_delete && !options_.deletions) kind = TarKind::kSkip;
  if (kind == TarKind::kSkip) {
    if (Status s = skip(m.size); !s) return s;
    return skip_padding(m.size);
  }
  auto parts = safe_components(m.name);
  if (!parts) return std::move(parts).take_status();
  if (!options_.dotfiles && std::any_of(parts->begin(), parts->end(),
                                        [](const std::string& p) { return p[0] == '.'; })) {
    if (options_.refuse_dotfiles) {
      return Status(Code::kSystem, "tar member",
                    "dotfiles are off on this server (start zcp serve with --dotfiles)", EACCES)
          .at(join_components(*parts, parts->size()));
    }
    if (Status s = skip(m.size); !s) return s;  // the server would not serve it either
    return skip_padding(m.size);
  }
  Status s;
  if (m.zcp_delete) {
    if (s = skip(m.size); s) s = skip_padding(m.size);
    if (s) s = delete_entry(*parts);
  } else if (kind == TarKind::kSymlink) {
    s = extract_symlink(m, *parts);
  } else {
    s = kind == TarKind::kFile ? extract_file(m, *parts) : extract_directory(m, *parts);
  }
  // "openat2 planted: leads outside" says more as the member's name.
  if (s.code() == Code::kInvalid) s.at(m.name);
  return s;
}

// NAME.part in its directory, then renamed: an interrupted extraction never
// leaves a truncated file under the final name. O_NOFOLLOW: a symlink
// planted as NAME.part is not written through.
Status Extractor::extract_file(const TarMember& m, const std::vector<std::string>& parts) {
  const std::string path = join_components(parts, parts.size());
  if (parts.empty()) return Status(Code::kInvalid, "tar member", "names DEST itself").at(m.name);
  if (options_.max_bytes > 0 && m.size > options_.max_bytes - std::min(stats_.bytes, options_.max_bytes)) {
    return Status(Code::kUnsupported, "tar member", "over the size limit").at(path);
  }
  auto parent = open_parent(parts);
  if (!parent) return std::move(parent).take_status();
  const uint32_t created = creation_mode(extracted_mode(m.mode, options_), umask_);
  if (options_.shared_dest) {
    auto unnamed = create_unnamed(*parent, created, path);
    if (!unnamed) return std::move(unnamed).take_status();
    if (UniqueFd file = std::move(*unnamed)) {
      Status s = write_file(file.get(), m, path, created);
      if (s && options_.fsync && ::fsync(file.get()) != 0) s = Status::from_errno("fsync").at(path);
      if (s) s = link_unnamed(file.get(), *parent, parts.back(), path, options_.replace);
      if (s) s = file.close().at(path);
      return s ? finish_file(m, path) : s;  // unnamed: an error leaves nothing behind
    }
  }
  const std::string part_name = part_name_for(parts.back());  // fits wherever the name fits
  auto opened = create_part(*parent, part_name, created, options_.replace);
  if (!opened) return std::move(opened).take_status();
  UniqueFd file = std::move(*opened);
  Status s = write_file(file.get(), m, path, created);
  if (s && options_.fsync && ::fsync(file.get()) != 0) s = Status::from_errno("fsync").at(path);
  if (s) s = file.close().at(path + ".part");
  if (s) s = rename_into_place(*parent, part_name, parts.back(), path);
  if (!s) {
    ::unlinkat(*parent, part_name.c_str(), 0);  // no resume for archives
    return s;
  }
  return finish_file(m, path);
}

// A file under its final name: counted and reported.
Status Extractor::finish_file(const TarMember& m, const std::string& path) {
  ++stats_.files;
  stats_.bytes += m.size;
  if (options_.file_done) options_.file_done(path, m.size);
  return {};
}

// The body straight from the socket to the file (splice: zero-copy), then
// the padding to the next block, then the member's mode and mtime.
Status Extractor::write_file(int fd, const TarMember& m, const std::string& path, uint32_t created) {
  if (m.size > 0) {
    // to_file counts this file's bytes; the caller sees the archive's.
    std::function<void(uint64_t)> report;
    if (progress_) report = [this, base = stats_.bytes](uint64_t n) { progress_(base + n); };
    if (Status s = body_.to_file(fd, 0, m.size, engine_, report); !s) return s;
    offset_ += m.size;
  }
  if (Status s = skip_padding(m.size); !s) return s;
  const uint32_t mode = extracted_mode(m.mode, options_);
  return set_mode_and_mtime(fd, mode, m.mtime, path, mode != created);
}

// Created owner-writable (files go in next); the real mode and mtime wait
// for the end, since every file added changes the mtime.
Status Extractor::extract_directory(const TarMember& m, const std::vector<std::string>& parts) {
  if (Status s = skip(m.size); !s) return s;  // a directory has no body, normally
  if (Status s = skip_padding(m.size); !s) return s;
  if (parts.empty()) return {};  // "./": DEST itself, left as the user made it
  auto parent = open_parent(parts);
  if (!parent) return std::move(parent).take_status();
  const std::string path = join_components(parts, parts.size());
  struct stat st {};
  if (options_.replace && ::fstatat(*parent, parts.back().c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
      !S_ISDIR(st.st_mode)) {
    // A file or link where the archive has a directory: the archive wins.
    auto removed = remove_entry_at(*parent, parts.back(), path);
    if (!removed) return std::move(removed).take_status();
  }
  if (::mkdirat(*parent, parts.back().c_str(), 0700) != 0 && errno != EEXIST) {
    return Status::from_errno("mkdir").at(path);
  }
  // An existing entry must be a directory beneath DEST, not a symlink out.
  auto dir = open_beneath(dest_fd_, path, O_PATH | O_DIRECTORY);
  if (!dir) return std::move(dir).take_status();
  parent_fd_ = std::move(*dir);  // its files usually come next
  parent_path_ = path;
  dirs_.push_back({path, extracted_mode(m.mode, options_), m.mtime, parts.size()});
  ++stats_.directories;
  return {};
}

// renameat, and with `replace` a directory under the final name is
// removed first (rename cannot put a file over a directory).
Status Extractor::rename_into_place(int parent, const std::string& temp, const std::string& name,
                                    const std::string& path) {
  if (::renameat(parent, temp.c_str(), parent, name.c_str()) == 0) return {};
  int err = errno;
  if (options_.replace && (err == EISDIR || err == ENOTEMPTY || err == EEXIST)) {
    auto removed = remove_entry_at(parent, name, path);
    if (!removed) return std::move(removed).take_status();
    if (::renameat(parent, temp.c_str(), parent, name.c_str()) == 0) return {};
    err = errno;
  }
  return Status::from_errno("rename", err).at(path + ".part -> " + path);
}

// A link whose target stays inside DEST by its text alone; others are
// skipped, as are links a plain tar carries (options_.symlinks off). Made
// under the temporary name and renamed, like a file.
Status Extractor::extract_symlink(const TarMember& m, const std::vector<std::string>& parts) {
  if (Status s = skip(m.size); !s) return s;
  if (Status s = skip_padding(m.size); !s) return s;
  if (parts.empty()) return Status(Code::kInvalid, "tar member", "names DEST itself").at(m.name);
  const std::string path = join_components(parts, parts.size());
  if (!link_stays_inside(path, m.linkname)) return {};  // a link out is not extracted
  auto parent = open_parent(parts);
  if (!parent) return std::move(parent).take_status();
  if (options_.shared_dest) {
    // Made at once under its name (a link appears whole); no temporary name.
    if (Status s = make_link_in_place(*parent, m.linkname, parts.back(), path); !s) return s;
  } else if (Status s = make_link_via_temp(*parent, m.linkname, parts.back(), path); !s) {
    return s;
  }
  const timespec times[2] = {{0, UTIME_OMIT}, m.mtime};
  ::utimensat(*parent, parts.back().c_str(), times, AT_SYMLINK_NOFOLLOW);  // best effort, as tar
  ++stats_.symlinks;
  return {};
}

// NAME.part made and renamed over NAME (which may exist).
Status Extractor::make_link_via_temp(int parent, const std::string& target, const std::string& name,
                                     const std::string& path) {
  const std::string temp = part_name_for(name);
  ::unlinkat(parent, temp.c_str(), 0);  // a leftover of an interrupted run
  if (::symlinkat(target.c_str(), parent, temp.c_str()) != 0) {
    return Status::from_errno("symlink").at(path);
  }
  if (Status s = rename_into_place(parent, temp, name, path); !s) {
    ::unlinkat(parent, temp.c_str(), 0);
    return s;
  }
  return {};
}

// shared_dest: symlinkat under NAME; with `replace`, an entry already
// there (a tree changed between the streams' walks) goes first.
Status Extractor::make_link_in_place(int parent, const std::string& target, const std::string& name,
                                     const std::string& path) {
  if (::symlinkat(target.c_str(), parent, name.c_str()) == 0) return {};
  if (errno == EEXIST && options_.replace) {
    auto removed = remove_entry_at(parent, name, path);
    if (!removed) return std::move(removed).take_status();
    if (::symlinkat(target.c_str(), parent, name.c_str()) == 0) return {};
  }
  return Status::from_errno("symlink").at(path);
}

// ZCP.delete: the entry goes, whatever it is, never anything outside DEST
// (its parent is opened beneath DEST; the entry itself is not followed).
Status Extractor::delete_entry(const std::vector<std::string>& parts) {
  if (parts.empty()) return Status(Code::kInvalid, "tar member", "deletes DEST itself");
  const std::string path = join_components(parts, parts.size());
  auto parent = open_beneath(dest_fd_, parts.size() == 1 ? "." : join_components(parts, parts.size() - 1),
                             O_RDONLY | O_DIRECTORY);
  if (!parent) {
    // Gone already: with its directory, or a file now stands where that
    // directory was (a directory replaced by a file earlier in the stream).
    const int e = parent.status().error_number();
    if (e == ENOENT || e == ENOTDIR) return {};
    return std::move(parent).take_status();
  }
  parent_fd_.reset();  // a cached parent may be what goes
  parent_path_.clear();
  auto removed = remove_entry_at(parent->get(), parts.back(), path);
  if (!removed) return std::move(removed).take_status();
  if (*removed > 0) ++stats_.deleted;
  return {};
}

// The directory holding the last component (borrowed fd), created with its
// ancestors when the archive has no entries for them.
Result<int> Extractor::open_parent(const std::vector<std::string>& parts) {
  const std::string path = join_components(parts, parts.size() - 1);
  if (path.empty()) return dest_fd_;
  if (parent_fd_ && path == parent_path_) return parent_fd_.get();
  auto fd = open_beneath(dest_fd_, path, O_PATH | O_DIRECTORY);
  if (!fd && fd.status().error_number() == ENOENT) fd = make_parents(parts);
  if (!fd) return std::move(fd).take_status();
  parent_fd_ = std::move(*fd);
  parent_path_ = path;
  return parent_fd_.get();
}

// mkdir -p of all but the last component, each step reopened beneath DEST
// so that no symlink on the way can lead out.
Result<UniqueFd> Extractor::make_parents(const std::vector<std::string>& parts) {
  UniqueFd dir;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    int at = dir ? dir.get() : dest_fd_;
    const std::string path = join_components(parts, i + 1);
    if (::mkdirat(at, parts[i].c_str(), 0777) != 0 && errno != EEXIST) {
      return Status::from_errno("mkdir").at(path);
    }
    auto next = open_beneath(dest_fd_, path, O_PATH | O_DIRECTORY);
    if (!next) return std::move(next).take_status();
    dir = std::move(*next);
  }
  return dir;
}

// Deepest first, so setting a directory's mtime never disturbs its parent's.
Status Extractor::finish_directories() {
  parent_fd_.reset();
  return apply_directory_meta(dest_fd_, std::move(dirs_));
}

}  // namespace

Status apply_directory_meta(int dest_fd, std::vector<DirectoryMeta> dirs) {
  // Deepest first; equal paths together, so each is set once.
  std::stable_sort(dirs.begin(), dirs.end(), [](const DirectoryMeta& a, const DirectoryMeta& b) {
    return a.depth != b.depth ? a.depth > b.depth : a.path < b.path;
  });
  for (size_t i = 0; i < dirs.size(); ++i) {
    const DirectoryMeta& d = dirs[i];
    if (i > 0 && dirs[i - 1].path == d.path) continue;
    auto fd = open_beneath(dest_fd, d.path, O_RDONLY | O_DIRECTORY);
    if (!fd) return std::move(fd).take_status();
    if (Status s = set_mode_and_mtime(fd->get(), d.mode, d.mtime, d.path); !s) return s;
  }
  return {};
}

// GNU tar 1.34, measured on archives holding 04755, 02755, 01777, 0777 and
// 0666 entries: an ordinary user gets mode & 0777 & ~umask (setuid, setgid
// and sticky dropped, files and directories alike); with -p, and for root
// by default, every one of the 07777 bits as archived, umask ignored.
uint32_t extracted_mode(uint32_t archive_mode, const ExtractOptions& options) {
  if (options.preserve_permissions) return archive_mode & 07777;
  return archive_mode & 0777 & ~options.umask;
}

Result<ExtractStats> extract_tar(BodyReader& body, const std::string& dest, RecvEngine& engine,
                                 const std::function<void(uint64_t)>& progress,
                                 const ExtractOptions& options) {
  auto dest_fd = open_file(dest, O_PATH | O_DIRECTORY);
  if (!dest_fd) return std::move(dest_fd).take_status();
  return extract_tar_at(body, dest_fd->get(), engine, progress, options);
}

Result<ExtractStats> extract_tar_at(BodyReader& body, int dest_fd, RecvEngine& engine,
                                    const std::function<void(uint64_t)>& progress,
                                    const ExtractOptions& options) {
  Extractor extractor(body, dest_fd, engine, progress, options);
  return extractor.run();
}

uint32_t creation_mode(uint32_t final_mode, uint32_t umask) {
  const bool direct = (final_mode & 07022) == 0 && (final_mode & ~umask) == final_mode;
  return direct ? final_mode : 0600;
}

uint32_t process_umask() {
  FILE* f = std::fopen("/proc/self/status", "re");
  if (f == nullptr) return 022;
  char line[256];
  unsigned mask = 022;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::sscanf(line, "Umask: %o", &mask) == 1) break;
  }
  std::fclose(f);
  return mask;
}

}  // namespace zcp
