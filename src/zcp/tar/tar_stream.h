// A directory tree as one POSIX tar stream (pax format: ustar headers, with
// pax extended headers for names longer than ustar holds, non-ASCII names
// and sizes over 8 GiB), produced lazily as a BodySource: tar headers and
// padding are small in-memory segments, every file body is a file-range
// segment that the send engine moves without copying. GNU tar extracts it
// exactly: long names, empty files, empty directories, spaces and non-ASCII
// names, modes and mtimes.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>
#include <string>

#include "zcp/fd.h"
#include "zcp/http/response_body.h"

namespace zcp {

struct TarOptions {
  bool dotfiles = false;  // include names starting with '.'
  // Entry names are prefixed with this (e.g. "docs/"); empty: relative to
  // the directory itself.
  std::string prefix;
  // zcp's sync (docs/DESIGN.md, "Tree sync"), off for a plain ?format=tar:
  // symlinks are sent as links ('2') when their target stays inside the
  // tree and left out otherwise, instead of followed;
  bool keep_links = false;
  // only the files (and links) this says yes to are sent (directories
  // always are; null: all), by their path relative to the directory;
  std::function<bool(const std::string&)> want;
  // and these paths are sent as ZCP.delete members after the tree.
  std::vector<std::string> deletions;
  // Non-empty: the stream holds just this one file or link beneath the
  // directory (a name the server's URL paths refuse, such as one with a
  // newline, still reaches a syncing client this way).
  std::string only;
  // ?part=K/N (part_index K-1, part_count N): only the files and links
  // this part is given, a share of the tree's balanced by bytes (each
  // file counting 64 KiB more for its fixed cost), decided in walk order
  // from lstat, so N requests get disjoint parts that cover the tree;
  // directories are in every part (a part's files need their parents).
  // part_count <= 1: everything.
  uint32_t part_index = 0, part_count = 1;
};

// Streams the tree under `dir_fd` (a directory opened beneath `root_fd`;
// the source dups what it needs and takes ownership of nothing passed in).
// Directories are walked with openat2(RESOLVE_BENEATH) relative to
// `root_fd`, so symlinks are followed only while they stay beneath the root
// and skipped otherwise; sockets, FIFOs and devices are skipped. At most one
// directory level per depth and one file are open at a time.
// The total size is unknown up front: the response uses chunked encoding
// (HTTP/1.1) or close-delimited framing (HTTP/1.0).
Result<std::unique_ptr<BodySource>> make_tar_source(int root_fd, const std::string& dir_relative,
                                                    TarOptions options);

}  // namespace zcp
