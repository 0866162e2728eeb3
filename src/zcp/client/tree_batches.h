// A pull re-run's changed files as batches: request-targets of the form
// DIR/?format=tar&links=keep&only=A&only=B..., each within zcp serve's
// request-target limit (docs/DESIGN.md, "Tree sync"). Pure: the pull
// (tree_sync_pull.cc) sends them; nothing here does I/O.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "zcp/tar/tree_manifest.h"

namespace zcp {

struct Batch {
  std::string target;  // empty: files[from] alone is too long for any batch
  size_t from = 0, to = 0;  // the files it asks for: [from, to)
};

// Consecutive runs of `files` (in their order), each target at most
// `max_target` bytes; a path too long to fit even alone gets a Batch of
// its own with an empty target. Every file is in exactly one batch.
std::vector<Batch> plan_batches(const std::string& dir_target,
                                const std::vector<const ManifestEntry*>& files, size_t max_target);

}  // namespace zcp
