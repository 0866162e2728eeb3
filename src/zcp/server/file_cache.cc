#include "zcp/server/file_cache.h"

#include <fcntl.h>
#include <unistd.h>

#include "zcp/http/validators.h"

namespace zcp {
namespace {

// pread until `want` bytes or EOF; -1 on an error.
ssize_t read_whole(int fd, char* buf, size_t want) {
  size_t got = 0;
  while (got < want) {
    ssize_t n = ::pread(fd, buf + got, want - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  return static_cast<ssize_t>(got);
}

}  // namespace

Result<OpenFilePtr> open_fresh(int root_fd, const std::string& relative, uint64_t keep_bytes,
                            PathError* error) {
  // O_NONBLOCK: opening a FIFO must not block the worker; the caller refuses it.
  auto fd = open_beneath(root_fd, relative, O_RDONLY | O_NONBLOCK, error);
  if (!fd) return std::move(fd).take_status();
  auto fp = std::make_shared<OpenFile>();
  OpenFile& f = *fp;
  if (::fstat(fd->get(), &f.st) != 0) {
    if (error) *error = {500, "fstat"};
    return Status::from_errno("fstat").at(relative);
  }
  if (S_ISREG(f.st.st_mode) && static_cast<uint64_t>(f.st.st_size) <= keep_bytes) {
    // One byte more than fstat said, so a file that grew is noticed too.
    for (int attempt = 0; attempt < 3; ++attempt) {
      auto size = static_cast<size_t>(f.st.st_size);
      f.bytes.assign(size + 1, '\0');
      ssize_t n = read_whole(fd->get(), f.bytes.data(), size + 1);
      if (n < 0) {
        if (error) *error = {status_for_errno(errno), "read"};
        return Status::from_errno("read").at(relative);
      }
      if (static_cast<size_t>(n) == size) {
        f.bytes.resize(size);
        f.has_bytes = true;
        break;
      }
      if (::fstat(fd->get(), &f.st) != 0) return Status::from_errno("fstat").at(relative);
      if (static_cast<uint64_t>(f.st.st_size) > keep_bytes) break;
    }
  }
  if (!f.has_bytes) f.bytes.clear();
  f.fd = std::move(*fd);
  if (S_ISREG(f.st.st_mode)) {
    f.etag = make_etag(f.st);
    f.last_modified = http_date(f.st.st_mtim.tv_sec);
  }
  return fp;
}

Result<OpenFilePtr> FileCache::open(const std::string& relative, Clock::time_point now,
                                 PathError* error) {
  if (auto it = index_.find(relative); it != index_.end()) {
    Entry& e = *it->second;
    if (now - e.opened < limits_.valid_for) {
      ++counters_.hits;
      lru_.splice(lru_.begin(), lru_, it->second);  // most recently used first
      return e.file;
    }
    erase(relative);  // too old to trust: open it again, as if never cached
  }
  ++counters_.opens;
  auto fresh = open_fresh(root_fd_, relative, limits_.keep_bytes, error);
  if (!fresh) return fresh;
  if (S_ISREG((*fresh)->st.st_mode) && limits_.max_entries > 0) insert(relative, *fresh, now);
  return fresh;
}

void FileCache::insert(const std::string& relative, OpenFilePtr file, Clock::time_point now) {
  while (index_.size() >= limits_.max_entries) {
    // The least recently used goes; a response still sending it keeps its
    // descriptor open through the segment's shared_ptr until it is done.
    index_.erase(lru_.back().path);
    lru_.pop_back();
    ++counters_.evictions;
  }
  lru_.push_front(Entry{relative, std::move(file), now});
  index_.emplace(relative, lru_.begin());
}

void FileCache::expire(Clock::time_point now) {
  // Not in age order (a hit moves an entry to the front without renewing
  // it), so look at all of them; at most max_entries, once per tick.
  for (auto it = lru_.begin(); it != lru_.end();) {
    if (now - it->opened < limits_.valid_for) {
      ++it;
      continue;
    }
    index_.erase(it->path);
    it = lru_.erase(it);
  }
}

void FileCache::erase(const std::string& relative) {
  auto it = index_.find(relative);
  if (it == index_.end()) return;
  lru_.erase(it->second);
  index_.erase(it);
}

}  // namespace zcp
