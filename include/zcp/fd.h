// UniqueFd: sole owner of one file descriptor, closed on destruction. A plain
// `int` parameter elsewhere in zcp means a borrowed descriptor.
#pragma once

#include <cstddef>
#include <string>
#include <utility>

#include "zcp/status.h"

namespace zcp {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  explicit operator bool() const { return valid(); }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1);
  // close(2) whose error is worth seeing (a file being written: NFS, quota).
  Status close();

 private:
  int fd_ = -1;
};

// open(2) with O_CLOEXEC added; the error names the path.
Result<UniqueFd> open_file(const std::string& path, int flags, unsigned mode = 0644);

// openat2(dir_fd, path, flags | O_CLOEXEC, RESOLVE_BENEATH |
// RESOLVE_NO_MAGICLINKS): the kernel refuses (EXDEV, ELOOP) any path that
// "..", an absolute name or a symlink would lead outside `dir_fd`. glibc
// 2.36 has no wrapper. `mode` applies when creating.
Result<UniqueFd> openat_beneath(int dir_fd, const std::string& path, int flags, unsigned mode = 0644);

// A pipe for splice(2), both ends O_CLOEXEC, grown to `size` bytes when the
// kernel allows (F_SETPIPE_SZ; unprivileged users are capped by
// /proc/sys/fs/pipe-max-size, and a smaller pipe still works).
struct Pipe {
  UniqueFd read_end;
  UniqueFd write_end;
  size_t capacity = 0;
};
Result<Pipe> make_pipe(size_t size);

// Number of open descriptors in this process (for leak checks in tests).
int count_open_fds();

}  // namespace zcp
