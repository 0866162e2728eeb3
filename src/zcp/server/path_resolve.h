// Maps a request-target to a file beneath the served root, and opens it so
// that nothing outside the root can ever be reached: percent-decoding
// first, then openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS) relative to
// the root's descriptor, so the kernel refuses `..` escapes and symlinks
// that leave the root, whatever the string looked like.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "zcp/fd.h"
#include "zcp/status.h"

namespace zcp {

// The path part of a request-target, decoded. `relative` never starts with
// '/', has no empty, "." or ".." segments, and is "." for the root.
struct RequestPath {
  std::string relative;      // "docs/a b.txt" or "."
  bool trailing_slash = false;  // "/docs/" or "/docs/." (a directory URL)
  std::string query;         // raw text after '?', without the '?'
};

// Limits on a decoded path, as Linux has them: NAME_MAX per segment and
// PATH_MAX (with its NUL) for the whole; longer gets 414 URI Too Long
// before any system call, so a PUT is refused before its body is read.
inline constexpr size_t kMaxNameBytes = 255;
inline constexpr size_t kMaxPathBytes = 4095;

// How a path was refused, as the HTTP status to answer with.
struct PathError {
  int status = 400;  // 400 malformed, 403 forbidden, 404 not found
  std::string reason;
};

// Decodes "/a%20b/c?x=1". Refuses (400): a target not starting with '/'
// (absolute-form "http://host/p" is accepted and its path used), bad
// percent escapes, NUL (raw or %00), encoded '/' (%2F) and '\\' (%5C),
// ".." segments (403), control characters, and a segment or path beyond
// kMaxNameBytes / kMaxPathBytes (414).
Result<RequestPath> parse_request_path(std::string_view target, PathError* error);

// True when any segment of `relative` starts with '.' (dotfiles and
// dot-directories are neither listed nor served unless --dotfiles).
bool has_dot_segment(std::string_view relative);

// The HTTP status for the errno of a failed path operation: ENOENT and
// ENOTDIR 404, ENAMETOOLONG 414, EXDEV/ELOOP/EACCES/EPERM/EROFS/ENXIO/
// ENODEV/EISDIR 403, ETXTBSY/EEXIST 409, ENOSPC/EDQUOT 507, EMFILE/ENFILE/
// ENOMEM/EAGAIN 503, anything else 500.
int status_for_errno(int err);

// openat2(root_fd, relative, flags | O_CLOEXEC, RESOLVE_BENEATH |
// RESOLVE_NO_MAGICLINKS), failures mapped by status_for_errno. `error` may
// be null; the Status names the relative path.
Result<UniqueFd> open_beneath(int root_fd, const std::string& relative, int flags,
                              PathError* error);

// Percent-encodes a path for use in a URL (keeps '/' and unreserved bytes).
std::string percent_encode_path(std::string_view path);

// The value of `key` in a query string ("format=json&x=1"), decoded.
std::string query_param(std::string_view query, std::string_view key);
// Every value of `key`, in order ("only=a&only=b": {"a", "b"}); as many as
// the request-target holds, so the head limit bounds them.
std::vector<std::string> query_params(std::string_view query, std::string_view key);

// ?part=K/N of a tree GET or PUT (docs/DESIGN.md, "Tree sync"): digits
// only, 1 <= K <= N <= kMaxTreeParts; *index = K-1, *count = N. False for
// anything else (a 400).
inline constexpr uint32_t kMaxTreeParts = 64;
bool parse_tree_part(std::string_view text, uint32_t* index, uint32_t* count);

}  // namespace zcp
