// SHA-256 of files (OpenSSL EVP) and the server's digest cache: digests are
// computed once per (device, inode, size, mtime) on a background thread, so
// the first request for a huge file never waits for hashing; responses
// carry RFC 9530 `Repr-Digest: sha-256=:BASE64:` once the digest is known.
#pragma once

#include <sys/stat.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <tuple>

#include "zcp/fd.h"
#include "zcp/status.h"

namespace zcp {

// SHA-256 of `length` bytes of `fd` from `offset` (pread, 1 MiB blocks).
Result<std::string> sha256_file(int fd, uint64_t offset, uint64_t length);
// The raw 32-byte digest as "sha-256=:BASE64:" (RFC 9530 header value).
std::string repr_digest_value(const std::string& raw_sha256);
// Finds "sha-256=:...:" in a Repr-Digest header; the raw 32 bytes.
std::optional<std::string> parse_repr_digest(std::string_view header);

class DigestCache {
 public:
  // At most `max_queued` files wait for hashing (kMaxQueued by default).
  explicit DigestCache(size_t max_queued = kMaxQueued);
  ~DigestCache();  // stops the background thread
  DigestCache(const DigestCache&) = delete;
  DigestCache& operator=(const DigestCache&) = delete;

  // Files waiting to be hashed hold a descriptor each (a dup), and the one
  // being hashed one more: the server counts these in its descriptor
  // budget (descriptors()) so a full queue cannot starve accept().
  static constexpr size_t kMaxQueued = 64;
  size_t descriptors() const { return max_queued_ + 1; }

  // The digest if known for exactly this file state; otherwise queues the
  // file (a dup of `fd`) for hashing and returns nullopt.
  std::optional<std::string> lookup(int fd, const struct stat& st);
  // Hashes now, on the calling thread (for --digest at startup).
  Status compute_now(int fd, const struct stat& st);
  // The digest for a request that asked for it: known, or computed now on
  // the calling thread (a worker: it blocks that worker's other
  // connections for the hash, ~0.5 s a GiB) and remembered. nullopt when
  // hashing fails or the file changes meanwhile.
  std::optional<std::string> lookup_now(int fd, const struct stat& st);

 private:
  using Key = std::tuple<dev_t, ino_t, off_t, int64_t, int64_t>;  // dev, ino, size, mtime s, ns
  static Key key_of(const struct stat& st);
  void run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::map<Key, std::string> done_;  // raw digests
  std::map<Key, bool> queued_;
  std::deque<std::pair<Key, UniqueFd>> work_;
  bool stopping_ = false;
  size_t max_queued_;
  std::thread thread_;
};

}  // namespace zcp
