#include "zcp/http/digest.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <limits>
#include <memory>
#include <vector>

#include "zcp/http/http_text.h"

namespace zcp {
namespace {

// 1 MiB reads: few enough syscalls that hashing dominates, and often
// enough between them that a cache being destroyed notices soon.
constexpr uint64_t kBlockSize = 1 << 20;
// Pending files beyond max_queued_ are not queued: the disk is already
// busy hashing, and the next request for the file offers it again.
// ~120 bytes an entry: 64 Ki entries bound the cache near 8 MiB.
constexpr size_t kMaxDigests = 1 << 16;
constexpr size_t kSha256Size = 32;

// The same type as DigestCache::Key (tuples are structural), usable here.
using CacheKey = std::tuple<dev_t, ino_t, off_t, int64_t, int64_t>;

CacheKey cache_key(const struct stat& st) {
  return {st.st_dev, st.st_ino, st.st_size, static_cast<int64_t>(st.st_mtim.tv_sec),
          static_cast<int64_t>(st.st_mtim.tv_nsec)};
}

struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

Status openssl_error(const char* op) { return {Code::kSystem, op, "OpenSSL failure"}; }

// pread(2) that retries EINTR; -1 with errno set on failure.
ssize_t pread_retry(int fd, unsigned char* buf, size_t count, uint64_t offset) {
  ssize_t got;
  do {
    got = ::pread(fd, buf, count, static_cast<off_t>(offset));
  } while (got < 0 && errno == EINTR);
  return got;
}

Result<std::string> finish_digest(EVP_MD_CTX* ctx) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_DigestFinal_ex(ctx, md, &size) != 1) return openssl_error("EVP_DigestFinal_ex");
  return std::string(reinterpret_cast<const char*>(md), size);
}

// The hashing loop. `cancelled` is asked once per block, so stopping a
// cache need not wait for the rest of a 100 GiB file.
template <typename Cancelled>
Result<std::string> hash_range(int fd, uint64_t offset, uint64_t length, Cancelled cancelled) {
  MdCtx ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    return openssl_error("EVP_DigestInit_ex");
  }
  const auto block = static_cast<size_t>(std::min(length, kBlockSize));
  auto buf = std::make_unique_for_overwrite<unsigned char[]>(std::max<size_t>(block, 1));
  for (uint64_t done = 0; done < length;) {
    if (cancelled()) return Status{Code::kInvalid, "sha256", "cancelled"};
    const auto want = static_cast<size_t>(std::min<uint64_t>(length - done, block));
    const ssize_t got = pread_retry(fd, buf.get(), want, offset + done);
    if (got < 0) return Status::from_errno("pread");
    if (got == 0) {
      return Status{Code::kShortFile, "sha256",
                    fmt::format("file ended at byte {}, {} bytes were expected", offset + done,
                                offset + length)};
    }
    if (EVP_DigestUpdate(ctx.get(), buf.get(), static_cast<size_t>(got)) != 1) {
      return openssl_error("EVP_DigestUpdate");
    }
    done += static_cast<uint64_t>(got);
  }
  return finish_digest(ctx.get());
}

// Hashes the whole file `key` describes, then fstats again: a file written
// while being read must not be remembered with a digest of mixed contents.
// (A write landing in the same mtime tick with the same size goes unseen;
// the key cannot tell those states apart.)
template <typename Cancelled>
Result<std::string> hash_unchanged(int fd, const CacheKey& key, Cancelled cancelled) {
  const auto size = static_cast<uint64_t>(std::max<off_t>(std::get<2>(key), 0));
  auto digest = hash_range(fd, 0, size, cancelled);
  if (!digest) return digest;
  struct stat now {};
  if (::fstat(fd, &now) != 0) return Status::from_errno("fstat");
  if (cache_key(now) != key) return Status{Code::kInvalid, "sha256", "file changed while hashed"};
  return digest;
}

// Remembers `digest`, dropping older states of the same inode (they can
// never match again) and, past kMaxDigests, an arbitrary entry.
void store_digest(std::map<CacheKey, std::string>& done, const CacheKey& key, std::string digest) {
  const dev_t dev = std::get<0>(key);
  const ino_t ino = std::get<1>(key);
  auto it = done.lower_bound({dev, ino, std::numeric_limits<off_t>::min(),
                              std::numeric_limits<int64_t>::min(),
                              std::numeric_limits<int64_t>::min()});
  while (it != done.end() && std::get<0>(it->first) == dev && std::get<1>(it->first) == ino) {
    it = done.erase(it);
  }
  if (done.size() >= kMaxDigests) done.erase(done.begin());
  done.emplace(key, std::move(digest));
}

std::string base64_encode(std::string_view raw) {
  std::string out(4 * ((raw.size() + 2) / 3) + 1, '\0');  // + EVP's NUL
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(raw.data()),
                                static_cast<int>(raw.size()));
  out.resize(static_cast<size_t>(std::max(n, 0)));
  return out;
}

bool is_base64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

// Standard base64. Missing '=' padding is accepted, as RFC 8941 4.2.7 asks;
// EVP_DecodeBlock would silently skip whitespace, so characters are checked here.
std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string padded(text);
  padded.append((4 - padded.size() % 4) % 4, '=');
  const size_t data_end = padded.find_last_not_of('=') + 1;  // npos + 1 == 0
  const size_t pad = padded.size() - data_end;
  if (pad > 2 || !std::all_of(padded.begin(), padded.begin() + static_cast<ptrdiff_t>(data_end),
                              is_base64_char)) {
    return std::nullopt;
  }
  std::string out(padded.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(padded.data()),
                                static_cast<int>(padded.size()));
  // EVP_DecodeBlock counts the padding as decoded zero bytes.
  if (n < 0 || static_cast<size_t>(n) < pad) return std::nullopt;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}


// Splits an RFC 8941 dictionary at its top-level commas: a quoted string
// (another algorithm's parameter, say) may hold a comma of its own.
std::vector<std::string_view> dictionary_members(std::string_view header) {
  std::vector<std::string_view> members;
  bool quoted = false;
  size_t start = 0;
  for (size_t i = 0; i < header.size(); ++i) {
    if (quoted && header[i] == '\\') {
      ++i;  // an escaped '"' or '\' does not end the string
    } else if (header[i] == '"') {
      quoted = !quoted;
    } else if (!quoted && header[i] == ',') {
      members.push_back(header.substr(start, i - start));
      start = i + 1;
    }
  }
  members.push_back(header.substr(start));
  return members;
}

// ":BASE64:" with optional parameters after it; the raw SHA-256 or nullopt.
std::optional<std::string> decode_sha256_item(std::string_view item) {
  item = trim_ows(item.substr(0, item.find(';')));
  if (item.size() < 2 || item.front() != ':' || item.back() != ':') return std::nullopt;
  auto raw = base64_decode(item.substr(1, item.size() - 2));
  if (!raw || raw->size() != kSha256Size) return std::nullopt;
  return raw;
}

}  // namespace

Result<std::string> sha256_file(int fd, uint64_t offset, uint64_t length) {
  return hash_range(fd, offset, length, [] { return false; });
}

std::string repr_digest_value(const std::string& raw_sha256) {
  return "sha-256=:" + base64_encode(raw_sha256) + ":";
}

std::optional<std::string> parse_repr_digest(std::string_view header) {
  // Other members are skipped however odd they are: an algorithm we do not
  // know must not cost us the one we can check.
  std::optional<std::string_view> item;
  for (std::string_view member : dictionary_members(header)) {
    member = trim_ows(member);
    const size_t key_end = std::min(member.find_first_of("=;"), member.size());
    if (member.substr(0, key_end) != "sha-256") continue;
    // A repeated key overrides the earlier one (RFC 8941 4.2.2); a bare
    // "sha-256" is boolean true, not a digest.
    item = key_end < member.size() && member[key_end] == '=' ? member.substr(key_end + 1)
                                                              : std::string_view();
  }
  if (!item) return std::nullopt;
  return decode_sha256_item(*item);
}

DigestCache::DigestCache(size_t max_queued)
    : max_queued_(std::max<size_t>(1, max_queued)), thread_([this] { run(); }) {}

DigestCache::~DigestCache() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
  // Descriptors still in work_ close with the deque.
}

DigestCache::Key DigestCache::key_of(const struct stat& st) { return cache_key(st); }

std::optional<std::string> DigestCache::lookup(int fd, const struct stat& st) {
  const Key key = key_of(st);
  std::lock_guard lock(mu_);
  if (auto it = done_.find(key); it != done_.end()) return it->second;
  // Only a regular file has contents that a digest can stand for.
  if (!S_ISREG(st.st_mode) || stopping_ || queued_.count(key) != 0 ||
      work_.size() >= max_queued_) {
    return std::nullopt;
  }
  // A dup keeps the file readable after the request closes it; the worker
  // uses pread, so the shared file offset is never moved.
  const int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) return std::nullopt;  // EMFILE: serving matters more than digests
  queued_[key] = true;
  work_.emplace_back(key, UniqueFd(copy));
  cv_.notify_one();
  return std::nullopt;
}

Status DigestCache::compute_now(int fd, const struct stat& st) {
  const Key key = key_of(st);
  auto digest = hash_unchanged(fd, key, [] { return false; });
  if (!digest) return std::move(digest).take_status();
  std::lock_guard lock(mu_);
  store_digest(done_, key, std::move(*digest));
  return {};
}

std::optional<std::string> DigestCache::lookup_now(int fd, const struct stat& st) {
  if (!S_ISREG(st.st_mode)) return std::nullopt;
  const Key key = key_of(st);
  {
    std::lock_guard lock(mu_);
    if (auto it = done_.find(key); it != done_.end()) return it->second;
  }
  auto digest = hash_unchanged(fd, key, [] { return false; });
  if (!digest) return std::nullopt;
  std::lock_guard lock(mu_);
  store_digest(done_, key, *digest);
  return std::move(*digest);
}

// The background thread: takes queued files one at a time and hashes them
// without holding mu_, so lookups never wait for the disk.
void DigestCache::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stopping_ || !work_.empty(); });
    if (stopping_) return;
    auto [key, fd] = std::move(work_.front());
    work_.pop_front();
    const bool known = done_.count(key) != 0;  // compute_now got there first
    lock.unlock();
    std::optional<std::string> digest;
    if (!known) {
      auto hashed = hash_unchanged(fd.get(), key, [this] {
        std::lock_guard stop_lock(mu_);
        return stopping_;
      });
      if (hashed) digest = std::move(*hashed);  // failures are retried on a later lookup
    }
    fd.reset();
    lock.lock();
    if (digest) store_digest(done_, key, std::move(*digest));
    queued_.erase(key);
  }
}

}  // namespace zcp
