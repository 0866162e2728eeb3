#include "zcp/server/upload_dir.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>

namespace zcp {
namespace {

Status refuse(PathError* error, int status, std::string reason) {
  *error = PathError{status, reason};
  return Status::invalid(std::move(reason));
}

// One directory beneath `dir_fd`, refusing any symlink on the way
// (RESOLVE_NO_SYMLINKS): the walk that creates directories must not be
// steered elsewhere by a link planted between two of its steps.
Result<UniqueFd> open_child_dir(int dir_fd, const std::string& name) {
  open_how how{};
  how.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  long fd;
  do {
    fd = ::syscall(SYS_openat2, dir_fd, name.c_str(), &how, sizeof(how));
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return Status::from_errno("openat2").at(name);
  return UniqueFd(static_cast<int>(fd));
}

// The refusal for a component that exists but is no directory we may use.
Status refuse_component(PathError* error, int err, const std::string& so_far) {
  if (err == ENOTDIR) return refuse(error, 409, "'" + so_far + "' is a file, not a directory");
  if (err == ELOOP) return refuse(error, 403, "'" + so_far + "' is a symlink: no directories are created through one");
  return refuse(error, status_for_errno(err), "cannot open directory '" + so_far + "'");
}

// Opens `name` in `parent`, creating it first when it is missing; a
// racing PUT that creates it first (EEXIST) is as good.
Result<UniqueFd> open_or_make(int parent, const std::string& name, const std::string& so_far,
                              PathError* error) {
  auto child = open_child_dir(parent, name);
  if (child || child.status().error_number() != ENOENT) {
    if (!child) return refuse_component(error, child.status().error_number(), so_far);
    return child;
  }
  if (::mkdirat(parent, name.c_str(), 0755) != 0 && errno != EEXIST) {
    int err = errno;
    return refuse(error, status_for_errno(err), "cannot create directory '" + so_far + "'");
  }
  ::fsync(parent);  // the new entry survives a crash along with the file
  child = open_child_dir(parent, name);
  if (!child) return refuse_component(error, child.status().error_number(), so_far);
  return child;
}

}  // namespace

Result<UniqueFd> open_upload_dir(int root_fd, const std::string& dir, PathError* error) {
  // The common case: the directory is there (symlinks inside the root are
  // followed, as for GET).
  auto fd = open_beneath(root_fd, dir, O_RDONLY | O_DIRECTORY, error);
  if (fd) return fd;
  int err = fd.status().error_number();
  if (err == ENOTDIR) return refuse(error, 409, "a parent of the target is a file, not a directory");
  if (err != ENOENT) return fd;
  // Walk from the root, one component at a time.
  auto cur = open_child_dir(root_fd, ".");
  if (!cur) return refuse(error, status_for_errno(cur.status().error_number()), "cannot open the root");
  std::string so_far;
  for (size_t start = 0; start < dir.size();) {
    size_t slash = dir.find('/', start);
    if (slash == std::string::npos) slash = dir.size();
    std::string name = dir.substr(start, slash - start);
    so_far += (so_far.empty() ? "" : "/") + name;
    auto next = open_or_make(cur->get(), name, so_far, error);
    if (!next) return next;
    cur = std::move(next);
    start = slash + 1;
  }
  return cur;
}

}  // namespace zcp
