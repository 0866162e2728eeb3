// The open-file cache of one server worker: descriptors, stat results and
// (for small files) the bytes of recently served regular files, so a hot
// file costs no openat2/fstat/close per request. Not shared between
// workers (each worker's thread is its only user: no locks), and not a
// cache of directories or errors: those are looked up fresh every time.
//
// Staleness bound: an entry is trusted for at most `valid_for` (100 ms by
// default) after it was opened; the first lookup after that opens the path
// again from scratch (openat2 RESOLVE_BENEATH, fstat, read) and replaces the
// entry, or drops it when the fresh open fails. So a file replaced,
// truncated, deleted, chmod-ed or swapped for a symlink is seen at most
// `valid_for` later. nginx's open_file_cache_valid (60 s by default) and
// h2o's per-event-loop-iteration cache are the anchors; 100 ms keeps the
// bound short for people editing files while the revalidations stay rare
// (one open per hot file per 100 ms, against ~10k requests in that time).
// Path rules cannot be bypassed: an entry only ever comes from the same
// open_beneath a fresh request uses, keyed by the decoded relative path
// after the dotfile check, so it names a file that was beneath the root
// when it was opened, at most `valid_for` ago.
#pragma once

#include <sys/stat.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>

#include "zcp/fd.h"
#include "zcp/server/path_resolve.h"

namespace zcp {

// What a cached (or freshly opened) file gives a response, made once per
// open so a cache hit builds nothing: segments alias this object
// (shared_ptr's aliasing constructor) instead of allocating their own.
struct OpenFile {
  UniqueFd fd;
  struct stat st {};
  // The whole file when it is a regular file of at most the keep_bytes
  // given to open_fresh (read right after fstat, consistent with `st`).
  bool has_bytes = false;
  std::string bytes;
  std::string etag;           // make_etag(st)
  std::string last_modified;  // http_date(st.st_mtim.tv_sec)
  // Filled by the first response that needs them (the request handler).
  std::string content_type;
  std::string repr_digest;  // once the digest cache has it
};
using OpenFilePtr = std::shared_ptr<OpenFile>;

class FileCache {
 public:
  using Clock = std::chrono::steady_clock;
  struct Limits {
    size_t max_entries = 256;  // also the descriptors it may hold open
    std::chrono::milliseconds valid_for{100};
    uint64_t keep_bytes = 8 * 1024;  // files up to this size are kept in memory too
  };

  FileCache(int root_fd, Limits limits) : root_fd_(root_fd), limits_(limits) {}

  // The file at `relative` (already checked by parse_request_path
  // and the dotfile rule): from the cache when opened less than valid_for
  // ago, else opened now. A directory or anything else that is not a
  // regular file is returned as well (fd and st set, never cached), so the
  // caller handles it as it would a fresh open. Errors are those of
  // open_beneath, with `error` filled in.
  Result<OpenFilePtr> open(const std::string& relative, Clock::time_point now, PathError* error);

  // Closes the entries opened valid_for or longer ago: the next request
  // would open them again anyway, and an idle server then holds no file
  // (a deleted file's space is freed, a test counting descriptors sees
  // none left). The worker calls it every tick (100 ms).
  void expire(Clock::time_point now);

  size_t size() const { return index_.size(); }
  const Limits& limits() const { return limits_; }
  // For tests and the access log: how lookups went.
  struct Counters {
    uint64_t hits = 0, opens = 0, evictions = 0;
  };
  const Counters& counters() const { return counters_; }

 private:
  struct Entry {
    std::string path;
    OpenFilePtr file;
    Clock::time_point opened;
  };
  using Lru = std::list<Entry>;  // most recently used first

  void insert(const std::string& relative, OpenFilePtr file, Clock::time_point now);
  void erase(const std::string& relative);

  int root_fd_;  // borrowed: the server's root
  Limits limits_;
  Lru lru_;
  std::unordered_map<std::string, Lru::iterator> index_;
  Counters counters_;
};

// Opens `relative` beneath `root_fd` and fstats it; for a regular file of
// at most `keep_bytes` also reads it whole. A file whose length changes
// between fstat and read is stat'ed and read again (3 tries), then left
// without `bytes`: the send engine then sends it and notices a short file.
Result<OpenFilePtr> open_fresh(int root_fd, const std::string& relative, uint64_t keep_bytes,
                            PathError* error);

}  // namespace zcp
