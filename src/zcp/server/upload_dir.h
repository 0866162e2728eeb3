// The directory a PUT lands in (`zcp serve --upload`): opened beneath the
// root as GET opens paths, and when missing created one component at a
// time, never through a symlink, never outside the root. Not the target
// file itself: put_handler opens that.
#pragma once

#include <string>

#include "zcp/fd.h"
#include "zcp/server/path_resolve.h"

namespace zcp {

// Opens `dir` ("." or "a/b", already checked by parse_request_path and the
// dotfile rule) beneath `root_fd`, creating missing components with mode
// 0755 minus the umask. Refusals in `error`: 409 when a component is a
// regular file, 403 for a symlink met while creating, others as
// status_for_errno maps them.
Result<UniqueFd> open_upload_dir(int root_fd, const std::string& dir, PathError* error);

}  // namespace zcp
