// zcp get -r: a whole directory from zcp serve into DEST. The first copy
// (DEST missing or empty) is tar streams (?format=tar&links=keep, one per
// CPU, each a part of the tree: &part=K/N) extracted with tar_extract's
// safety; later runs fetch the server's
// manifest (?format=manifest), plan with tree_plan.h and move only what
// changed, one keep-alive GET per file, each landing under a temporary
// name and renamed. A server that is not zcp serve (its answer is a
// directory listing) is crawled instead (tree_crawl.h). Not the
// single-file downloader (downloader.h).
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
  bool checksum = false;      // compare sha-256 (the server's manifest digests), not size+mtime
  bool delete_extra = false;  // --delete: remove what the source no longer has (never outside DEST)
  bool dry_run = false;       // plan only: `listed` hears each action, nothing changes
  bool fsync = false;         // flush each file before its rename
  // get -r -j N: a first copy as N tar streams, each one part of the tree
  // (?part=K/N); 0: one per CPU, at most 4 (1 on one CPU). A server that
  // does not honour part= (no Zcp-Part in its answer) gets one stream.
  int streams = 0;
  bool dotfiles = true;       // put -r: send names starting with '.' (rsync -a does)
  std::string token;          // put -r: "Authorization: Bearer TOKEN"
  TlsOptions tls;             // https:// URLs: how the server is trusted
  // Crawl mode's one-line notices for stderr (tree_crawl.h): that the
  // server is not zcp serve, links skipped, bounds reached. May be null.
  std::function<void(const std::string&)> notice;
  // '+' a file or link to transfer, '-' a path to delete, for --dry-run.
  std::function<void(char, const std::string&)> listed;
};

struct TreeGetResult {
  std::string name;  // the tree's name, for messages ("photos"; "" for the root)
  std::string dest;
  uint64_t files = 0;        // files transferred
  uint64_t directories = 0;  // directories created or updated
  uint64_t bytes = 0;        // file content bytes transferred
  uint64_t symlinks = 0;     // links made
  uint64_t skipped = 0;      // files and links already up to date
  uint64_t deleted = 0;      // entries removed (--delete)
  // Crawl mode: files and listings the server refused (404, 403 ...) or
  // a name conflict cost, each already named by `notice`; the rest was
  // fetched and --delete not applied. zcp serve's: files that vanished
  // between the manifest and their batch, named too. 0: the whole tree.
  uint64_t failed = 0;
  bool incremental = false;  // planned from manifests (else one tar of everything)
  int streams = 1;           // tar streams of a first copy
  double seconds = 0;
};

// The tree's name and the DEST a -r download of `url` lands in.
std::string tree_name(const Url& url);

// Connects, asks for the tar stream, and only once the server answers 200
// creates DEST (a refused -r leaves no empty directory) and extracts.
// A 404 for a URL naming a file says "not a directory".
GetResultOr<TreeGetResult> download_tree(const Url& url, const TreeGetOptions& opts);

}  // namespace zcp
