// zcp get -r: a whole directory from zcp serve into DEST. The first copy
// is one tar stream (?format=tar) extracted with tar_extract's safety;
// later runs (tree_sync.h) move only what changed. Not the single-file
// downloader (downloader.h): no ranges, no resume record.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "zcp/downloader.h"
#include "zcp/engine_spec.h"
#include "zcp/status.h"
#include "zcp/tar/tar_extract.h"
#include "zcp/url.h"

namespace zcp {

// What a tree transfer has done so far; totals are 0 while unknown.
struct TreeProgress {
  uint64_t files_done = 0, files_total = 0;
  uint64_t bytes_done = 0, bytes_total = 0;
};

struct TreeGetOptions {
  std::string dest;  // empty: the directory's own name ("/a/photos/" -> "photos")
  EngineSpec engine{"splice", 0};
  std::chrono::milliseconds timeout{30000};
  ExtractOptions extract;
  std::function<void(const TreeProgress&)> progress;  // may be null
};

struct TreeGetResult {
  std::string name;  // the tree's name, for messages ("photos"; "" for the root)
  std::string dest;
  uint64_t files = 0;        // files transferred
  uint64_t directories = 0;  // directories created or updated
  uint64_t bytes = 0;        // file content bytes transferred
  double seconds = 0;
};

// The tree's name and the DEST a -r download of `url` lands in.
std::string tree_name(const Url& url);

// Connects, asks for the tar stream, and only once the server answers 200
// creates DEST (a refused -r leaves no empty directory) and extracts.
// A 404 for a URL naming a file says "not a directory".
Result<TreeGetResult> download_tree(const Url& url, const TreeGetOptions& opts, GetFailure* failure);

}  // namespace zcp
