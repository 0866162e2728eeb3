// What a tree sync must do, decided from two manifests (tar/tree_manifest.h):
// the source's entries in walk order and the destination's by path. rsync's
// quick check (size and mtime in seconds), or sha-256 with `checksum`;
// type changes replace; `delete_extra` removes what the source lacks. Pure
// decisions: the pull (tree_download) and the push (tree_upload) act on it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "zcp/status.h"
#include "zcp/tar/tree_manifest.h"

namespace zcp {

using ManifestIndex = std::unordered_map<std::string, ManifestEntry>;

struct SyncPlan {
  std::vector<ManifestEntry> transfer;  // files and links to send, in walk order
  std::vector<ManifestEntry> dirs;      // every source directory (created or fixed up)
  std::vector<std::string> replace;     // destination entries of another type, removed first
  std::vector<std::string> remove;      // --delete: destination entries the source lacks (top-most only)
  std::vector<ManifestEntry> touch;     // same content, other mode or mtime: metadata only
  uint64_t skipped = 0;                 // files and links already up to date
  uint64_t bytes = 0;                   // content bytes to send
  uint64_t files_total = 0;             // files and links in the source
};

// `sha_of` gives a side's sha-256 for an entry whose sizes agree (from the
// manifest when it has one, else by reading the file); only with checksum.
using ShaOf = std::function<Result<std::string>(const ManifestEntry&, bool source_side)>;

Result<SyncPlan> plan_sync(const std::vector<ManifestEntry>& source, const ManifestIndex& dest,
                           bool checksum, bool delete_extra, const ShaOf& sha_of);

// All entries of the tree at `dir` (a local path), by relative path.
// Links leaving the tree are included (they are DEST's to replace or delete).
Result<ManifestIndex> scan_local_tree(const std::string& dir, bool dotfiles);
// The same in walk order (a push's source).
Result<std::vector<ManifestEntry>> walk_local_tree(const std::string& dir, bool dotfiles);

// Reads a manifest body line by line; refuses a missing magic line, a bad
// line (tree_manifest.h's checks) and a body that ends before "end ...".
class BodyReader;
Result<std::vector<ManifestEntry>> read_manifest(BodyReader& body);

// "a b/c" -> "a%20b/c": a relative path as a request target's tail.
std::string encode_path(const std::string& path);

}  // namespace zcp
