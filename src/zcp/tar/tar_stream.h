// A directory tree as one POSIX tar stream (pax format: ustar headers, with
// pax extended headers for names longer than ustar holds, non-ASCII names
// and sizes over 8 GiB), produced lazily as a BodySource: tar headers and
// padding are small in-memory segments, a file body above
// TarOptions::copy_below is a file-range segment that the send engine moves
// without copying, a smaller one is read into the member's bytes (several
// members then leave in one send). GNU tar extracts it
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

// The default TarOptions::copy_below.
inline constexpr uint64_t kTarCopyBelow = 16 * 1024;

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
  // Non-empty: the stream holds just these files and links beneath the
  // directory, in this order, and no directories (?only=A&only=B: a pull
  // re-run's changed files, and names the server's URL paths refuse, such
  // as one with a newline). A path that is missing, a directory, a link
  // out (or any link without keep_links), a special file or a dotfile
  // without `dotfiles` is left out; one that could leave the directory
  // (absolute, "..", an empty or "." component, a NUL) fails the start
  // (kInvalid). The request-target's limit bounds how many there are.
  std::vector<std::string> only;
  // Files up to this size are read (pread) into the stream with their
  // header instead of sent as file ranges: 4 syscalls a file instead of 6,
  // and the chunked framing gathers ~16 such members into one send.
  // Measured in docs/BENCHMARKS.md section 5 ("tar members by pread").
  uint64_t copy_below = kTarCopyBelow;
  // ?part=K/N (part_index K-1, part_count N): only the files and links
  // this part is given, chosen by a hash of the entry's path (never by
  // sizes or walk order), so N requests get disjoint parts that cover the
  // tree even if it changes between their walks;
  // directories are in every part (a part's files need their parents).
  // part_count <= 1: everything.
  uint32_t part_index = 0, part_count = 1;
};

// Streams the tree under `dir_fd` (a directory opened beneath `root_fd`;
// the source dups what it needs and takes ownership of nothing passed in).
// Directories are walked with openat2(RESOLVE_BENEATH) relative to
// `root_fd`, so symlinks are followed only while they stay beneath the root
// and skipped otherwise; sockets, FIFOs and devices are skipped. A name that
// readdir calls a regular file is opened relative to its directory's own
// descriptor (see open_regular in tar_stream.cc for why that is as safe).
// At most one directory (the one being listed) and one file are open at a
// time.
// The total size is unknown up front: the response uses chunked encoding
// (HTTP/1.1) or close-delimited framing (HTTP/1.0).
Result<std::unique_ptr<BodySource>> make_tar_source(int root_fd, const std::string& dir_relative,
                                                    TarOptions options);

}  // namespace zcp
