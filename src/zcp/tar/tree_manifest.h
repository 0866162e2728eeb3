// The tree manifest of zcp's sync protocol (docs/DESIGN.md, "Tree sync"):
// one text line per entry of a directory tree (type, mode, mtime, size,
// optional sha-256, percent-encoded path), a walker that produces the
// entries of a local tree with bounded memory, and the server's streamed
// body of it. Both sides use it: the server describes its tree, the client
// describes DEST or the tree it pushes. Not the transfer itself (tar).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zcp/fd.h"
#include "zcp/http/response_body.h"
#include "zcp/status.h"

namespace zcp {

struct ManifestEntry {
  char type = 'f';     // 'f' regular file, 'd' directory, 'l' symlink, 'o' other (WalkOptions::others)
  uint32_t mode = 0;   // permission bits (& 07777); 0 for a link
  int64_t mtime = 0;   // seconds, as tar keeps them (rsync's quick check compares seconds too)
  uint64_t size = 0;   // files only
  std::string sha256;  // raw 32 bytes, or empty when not asked for
  std::string path;    // relative, '/'-separated, no "." or ".." components
  std::string target;  // a link's target (relative, staying inside the tree)
};

inline constexpr std::string_view kManifestMagic = "zcp-manifest 1";
// Lines longer than this are refused: a path is at most 4096 bytes, and
// percent-encoding triples it.
inline constexpr size_t kMaxManifestLine = 32 * 1024;

// Whether a tree-relative path (a manifest's, a tar member's) is or lies
// beneath a dotfile: zcp serve neither lists nor serves those without
// --dotfiles, so every side of a sync judges them by this one rule.
bool has_dot_component(std::string_view path);

// "f 644 1700000000 4096 - a%20b/c\n" (sha-256 in hex instead of "-");
// "o 1700000000 a%20b/link-out\n" for an entry that is not part of the tree.
std::string format_manifest_line(const ManifestEntry& e);
// One line without its '\n'. Invalid for any malformed field, a path that
// is empty, absolute, has "." / ".." / empty components or a NUL, or a link
// whose target leaves the tree.
Result<ManifestEntry> parse_manifest_line(std::string_view line);
// The trailer "end FILES BYTES": a manifest cut short is seen as such.
std::string format_manifest_end(uint64_t files, uint64_t bytes);
bool is_manifest_end(std::string_view line);

// Whether a symlink at `link_path` with `target` resolves, by its text
// alone, to a place inside the tree: relative, and its ".." never climbs
// above the tree's top.
bool link_stays_inside(std::string_view link_path, std::string_view target);

struct WalkOptions {
  bool dotfiles = false;  // include names starting with '.'
  bool digests = false;   // fill ManifestEntry::sha256 (reads every file)
  bool all_links = false; // links out of the tree too (a DEST's own scan: --delete removes them)
  // What is not part of the tree (links out, sockets, FIFOs, devices) as
  // 'o' entries, mtime and path only: a push's --delete can remove them and
  // a push of a file there knows it replaces something, and a link's
  // target stays the server's secret. Ignored for links when all_links.
  bool others = false;
};

// Depth first, names sorted bytewise, a directory before its contents;
// symlinks are not followed (kept as 'l' when they stay inside the tree,
// else left out), sockets, FIFOs and devices left out. Memory: one sorted
// name list per depth. Every open is beneath `root_fd` without symlinks.
class TreeWalker {
 public:
  // `dir_relative`: the tree's top beneath `root_fd` ("." for the root itself).
  static Result<TreeWalker> open(int root_fd, const std::string& dir_relative, WalkOptions o);
  // The next entry; nullopt at the end.
  Result<std::optional<ManifestEntry>> next();

  TreeWalker(TreeWalker&&) = default;
  TreeWalker& operator=(TreeWalker&&) = default;
  ~TreeWalker();

  struct Level;  // one directory on the walk's stack (tree_manifest.cc)

 private:
  TreeWalker() = default;
  UniqueFd top_;
  WalkOptions options_;
  std::vector<std::unique_ptr<Level>> stack_;
};

// Removes `name` in `dir_fd` whatever it is: a file or link (the link
// itself, never its target), or a directory with everything in it, each
// level opened with O_NOFOLLOW so that nothing outside is reached.
// `path` names it in errors. Returns the number of entries removed.
Result<uint64_t> remove_entry_at(int dir_fd, const std::string& name, const std::string& path);

// The server's body for GET DIR/?format=manifest: the magic line, one line
// per entry, the trailer, produced as the walk goes (64 KiB at a time).
Result<std::unique_ptr<BodySource>> make_manifest_source(int root_fd, const std::string& dir_relative,
                                                         WalkOptions o);

}  // namespace zcp
