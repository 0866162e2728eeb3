#include "zcp/client/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <functional>

#include <fmt/format.h>

namespace zcp {
namespace {

// Opens the temporary name for writing without ever following what may be
// planted there: a symlink, a hard link to someone else's file, a FIFO.
// Our own regular .part is kept (resume) or truncated; anything else is
// unlinked (the name, never its target) and replaced by a new file.
Result<UniqueFd> open_part(const std::string& part, bool keep) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto fd = open_file(part, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, 0666);
    if (fd) return fd;
    if (fd.status().error_number() != EEXIST) return fd;
    auto old = open_file(part, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
    struct stat st {};
    if (old && ::fstat(old->get(), &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 1) {
      if (::fcntl(old->get(), F_SETFL, 0) != 0) return Status::from_errno("fcntl").at(part);
      if (!keep && ::ftruncate(old->get(), 0) != 0) return Status::from_errno("ftruncate").at(part);
      return old;
    }
    if (::unlink(part.c_str()) != 0 && errno != ENOENT) return Status::from_errno("unlink").at(part);
  }
  return Status(Code::kSystem, "open", "keeps being replaced", EEXIST).at(part);
}

// The directory holding `path`, to fsync after the rename: without it the
// new name may not survive a crash even though the data does.
std::string parent_directory(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Status fsync_directory(const std::string& dir) {
  auto fd = open_file(dir, O_RDONLY | O_DIRECTORY);
  if (!fd) return std::move(fd).take_status();
  if (::fsync(fd->get()) != 0) return Status::from_errno("fsync").at(dir);
  return {};
}

}  // namespace

Result<AtomicFile> AtomicFile::open(const std::string& dest, AtomicFileOptions opts) {
  AtomicFile f;
  if (dest == "-") {
    // Standard output: whatever it is (a pipe, a terminal, or a file the
    // shell opened), it is written as it is, at its current position.
    UniqueFd out(::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3));
    if (!out) return Status::from_errno("dup").at("standard output");
    f.dest_ = "(stdout)";
    f.fd_ = std::move(out);
    f.direct_ = true;
    return f;
  }
  f.dest_ = dest;
  f.fsync_ = opts.fsync;
  struct stat st {};
  if (::stat(dest.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    // The caller appends the file name to a directory; here it is a mistake.
    if (S_ISDIR(st.st_mode)) return Status(Code::kInvalid, "open", "is a directory").at(dest);
    // A device or FIFO cannot be replaced by a rename, and truncating a
    // device means nothing: write it as it is (like `curl -o /dev/null`).
    // Opening a FIFO blocks until a reader comes, as a shell redirect does.
    auto fd = open_file(dest, O_WRONLY | O_NOCTTY);
    if (!fd) return std::move(fd).take_status();
    f.fd_ = std::move(*fd);
    f.direct_ = true;
    return f;
  }
  f.part_ = part_name_for(dest);
  // O_RDWR: --verify reads back what landed.
  auto fd = open_part(f.part_, opts.resume);
  if (!fd) return std::move(fd).take_status();
  f.fd_ = std::move(*fd);
  if (opts.resume) {
    if (::fstat(f.fd_.get(), &st) != 0) return Status::from_errno("fstat").at(f.part_);
    f.existing_ = static_cast<uint64_t>(st.st_size);
  }
  return f;
}

Status AtomicFile::preallocate(uint64_t size) {
  if (direct_) return {};  // a device has no size to set
  if (::ftruncate(fd_.get(), static_cast<off_t>(size)) != 0) {
    return Status::from_errno("ftruncate").at(part_);
  }
  return {};
}

Status AtomicFile::commit(std::optional<int64_t> mtime) {
  if (!fd_) return Status(Code::kInvalid, "commit", "already committed").at(dest_);
  if (direct_) return fd_.close().at(dest_);
  if (fsync_ && ::fsync(fd_.get()) != 0) return Status::from_errno("fsync").at(part_);
  if (mtime) {
    const timespec times[2] = {{0, UTIME_OMIT}, {static_cast<time_t>(*mtime), 0}};
    if (::futimens(fd_.get(), times) != 0) return Status::from_errno("futimens").at(part_);
  }
  // close reports late write errors (NFS, quota): the file is not complete.
  if (Status s = fd_.close(); !s) return std::move(s).at(part_);
  if (::rename(part_.c_str(), dest_.c_str()) != 0) {
    return Status::from_errno("rename").at(part_ + " -> " + dest_);
  }
  if (fsync_) return fsync_directory(parent_directory(dest_));
  return {};
}

void AtomicFile::discard() {
  if (direct_ || !fd_) return;
  fd_.reset();
  ::unlink(part_.c_str());
}

Status AtomicFile::restart() {
  existing_ = 0;
  if (direct_) return {};  // nothing kept to drop
  if (::ftruncate(fd_.get(), 0) != 0) return Status::from_errno("ftruncate").at(part_);
  return {};
}

}  // namespace zcp
