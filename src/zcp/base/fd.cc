#include "zcp/fd.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace zcp {

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

Status UniqueFd::close() {
  if (fd_ < 0) return {};
  // Linux releases the descriptor even when close fails, so never retry.
  if (::close(std::exchange(fd_, -1)) != 0 && errno != EINTR) return Status::from_errno("close");
  return {};
}

Result<UniqueFd> open_file(const std::string& path, int flags, unsigned mode) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return Status::from_errno("open").at(path);
  return UniqueFd(fd);
}

Result<UniqueFd> openat_beneath(int dir_fd, const std::string& path, int flags, unsigned mode) {
  open_how how{};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  // openat2 refuses a mode unless the call can create a file.
  if ((flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE) how.mode = mode;
  long fd;
  do {
    fd = ::syscall(SYS_openat2, dir_fd, path.c_str(), &how, sizeof(how));
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return Status::from_errno("openat2").at(path);
  return UniqueFd(static_cast<int>(fd));
}

Result<Pipe> make_pipe(size_t size) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Status::from_errno("pipe2");
  Pipe p{UniqueFd(fds[0]), UniqueFd(fds[1]), 0};
  // Try the asked size, then halve: pipe-max-size may be lower for non-root.
  for (size_t want = size; want >= 65536; want /= 2) {
    int got = ::fcntl(p.write_end.get(), F_SETPIPE_SZ, static_cast<int>(want));
    if (got > 0) {
      p.capacity = static_cast<size_t>(got);
      return p;
    }
  }
  int got = ::fcntl(p.write_end.get(), F_GETPIPE_SZ);
  p.capacity = got > 0 ? static_cast<size_t>(got) : 65536;
  return p;
}

int count_open_fds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  int n = 0;
  while (::readdir(dir) != nullptr) ++n;
  ::closedir(dir);
  return n - 3;  // ".", ".." and the directory's own descriptor
}

}  // namespace zcp
