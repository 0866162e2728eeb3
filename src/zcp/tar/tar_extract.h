// Extracts a tar stream (pax/ustar, as zcp serve's ?format=tar writes and
// GNU tar reads) from an HTTP body into a directory: headers are read into
// memory, file bodies go straight to disk with the receive engine (splice:
// never through user space). Refuses any entry that would land outside
// DEST: absolute names, ".." components, and paths through symlinks (every
// file is created with openat2(RESOLVE_BENEATH) relative to DEST).
#pragma once

#include <cstdint>
#include <functional>
#include <ctime>
#include <string>
#include <vector>

#include "zcp/http/body_reader.h"
#include "zcp/recv_engine.h"
#include "zcp/status.h"

namespace zcp {

// Which of an archive's permission bits an extracted entry gets: GNU tar's
// rules (docs/DESIGN.md, "Permissions of an extracted tree"). The caller
// decides, since the defaults depend on who runs it (root preserves, as
// tar does).
struct ExtractOptions {
  bool preserve_permissions = false;  // tar -p: the archived 07777 bits as they are
  uint32_t umask = 022;               // applied (with 07000 dropped) when not preserving
  // Called after each file lands under its final name (relative path,
  // bytes): progress counts files, a sync remembers what is done.
  std::function<void(const std::string&, uint64_t)> file_done;
  // zcp's sync (docs/DESIGN.md, "Tree sync"); all off for a plain tar:
  bool symlinks = false;   // '2' members become links when their target stays inside DEST
  bool replace = false;    // an entry of another type under the name is removed first
  bool deletions = false;  // honour ZCP.delete members (else they are skipped)
  bool fsync = false;      // each file flushed before its rename
  bool dotfiles = true;    // false: members with a component starting with '.' are skipped
  // With !dotfiles: such a member fails the extraction (EACCES, naming
  // --dotfiles) instead: a tree PUT never loses a .env without a word.
  bool refuse_dotfiles = false;
  uint64_t max_bytes = 0;  // file bytes in all (serve --max-upload); 0: no limit
  // One of several streams extracting disjoint parts of a tree into the
  // same DEST at once (zcp get -r's parallel first copy): a file is
  // written unnamed (O_TMPFILE) and linked under its name when complete,
  // a link is made under its name, so no temporary name exists that
  // another stream's member (a file really named NAME.part) could take
  // or replace; and directory modes and mtimes are not set but returned
  // (ExtractStats::pending_dirs) for apply_directory_meta() once every
  // stream is done (a read-only directory would refuse the others' files,
  // and their files would change its mtime).
  bool shared_dest = false;
};

// A directory's metadata, set after everything inside it is extracted.
struct DirectoryMeta {
  std::string path;  // relative to DEST
  uint32_t mode = 0;
  timespec mtime{};
  size_t depth = 0;
};

// The process's umask, without setting it (umask(2) can only be read by
// setting it, which for a moment would change it for every thread): from
// /proc/self/status (Linux 4.7+), 022 if that fails.
uint32_t process_umask();

// The mode a new file (its .part, made with O_EXCL) is created with: its
// final mode when open's `umask` leaves that as it is and it has no
// setuid/setgid/sticky bit (a write would clear them) and no group/other
// write bit (the .part is open for a while); then no fchmod follows the
// body, one call of ~9 per file (strace -c of the mixed tree's first
// copy: 2,108 of 2,490 fchmod gone). Otherwise 0600, and fchmod after.
uint32_t creation_mode(uint32_t final_mode, uint32_t umask);

// The mode a file or directory archived with `archive_mode` is given.
uint32_t extracted_mode(uint32_t archive_mode, const ExtractOptions& options);

struct ExtractStats {
  uint64_t files = 0;
  uint64_t directories = 0;
  uint64_t bytes = 0;  // file content bytes
  uint64_t symlinks = 0;
  uint64_t deleted = 0;  // ZCP.delete members that removed something
  std::vector<DirectoryMeta> pending_dirs;  // shared_dest: left for apply_directory_meta()
};

// Sets each directory's mode and mtime beneath `dest_fd`, deepest first
// (so setting one never disturbs its parent's), once per path however
// many streams listed it.
Status apply_directory_meta(int dest_fd, std::vector<DirectoryMeta> dirs);

// DEST must exist and be a directory. Regular files, directories (modes
// as `options` say, mtimes kept; directory modes and mtimes set after
// their contents), and pax path/size/mtime records are supported;
// symlinks, hard links and devices are skipped (counted nowhere). Each
// file is written as NAME.part in its directory and renamed when complete,
// so an interrupted extraction leaves no truncated file under a final name.
Result<ExtractStats> extract_tar(BodyReader& body, const std::string& dest, RecvEngine& engine,
                                 const std::function<void(uint64_t)>& progress,
                                 const ExtractOptions& options = {});
// The same into an open directory (borrowed; O_PATH is enough).
Result<ExtractStats> extract_tar_at(BodyReader& body, int dest_fd, RecvEngine& engine,
                                    const std::function<void(uint64_t)>& progress,
                                    const ExtractOptions& options = {});

}  // namespace zcp
