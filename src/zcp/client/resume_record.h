// What a DEST.part holds: the byte intervals known to be in it, the size
// and validator (ETag or Last-Modified) of the server's file they came from.
// Kept as the extended attribute user.zcp.resume of the .part itself (no
// second temporary name to plant or to fit under NAME_MAX), replaced whole
// by each fsetxattr, so a reader sees the old record or the new one.
// It never claims a byte before that byte's write returned (and, with
// fsync, before fdatasync made it durable): SIGKILL or a power cut
// between a write and its record loses bookkeeping, never truthfulness.
// Not a scheduler: the downloader decides what to fetch from missing().
#pragma once

#include <chrono>
#include <memory>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "zcp/status.h"

namespace zcp {

struct ByteInterval {
  uint64_t first = 0, end = 0;  // [first, end)
  uint64_t size() const { return end - first; }
};

class ResumeRecord {
 public:
  // A fresh record for `fd` (borrowed; a .part of `size` bytes).
  ResumeRecord(int fd, uint64_t size, std::string validator, bool fsync);
  // The record kept on `fd`, if there is a readable one.
  static std::unique_ptr<ResumeRecord> load(int fd, bool fsync);
  // Removes the record from `fd` (a fresh start, or a finished file).
  static void erase(int fd);

  uint64_t size() const { return size_; }
  const std::string& validator() const { return validator_; }
  // Whether fsetxattr works here (else only the in-memory record helps).
  bool persistent() const { return persistent_; }

  // The intervals not yet in the file, in order.
  std::vector<ByteInterval> missing() const;
  // Bytes the record claims (complete intervals and landed parts of active ones).
  uint64_t kept() const;

  // A worker starts filling [first, ...): returns its slot.
  size_t start(uint64_t first);
  // Slot `slot` now holds `done` bytes from its first (its write returned).
  // Persists when enough changed since the last time (see kPersistEvery).
  void advance(size_t slot, uint64_t done);
  // Writes the record now (fdatasync first when fsync was asked).
  Status persist();

 private:
  struct Slot {
    uint64_t first = 0, done = 0;
  };
  std::vector<ByteInterval> merged_locked() const;
  Status persist_locked();

  int fd_;
  uint64_t size_;
  std::string validator_;
  bool fsync_;
  bool persistent_ = true;
  mutable std::mutex mu_;
  std::vector<ByteInterval> have_;  // complete before this run
  std::vector<Slot> slots_;
  uint64_t unsaved_ = 0;
  std::chrono::steady_clock::time_point saved_at_;
};

// Parses the attribute's text (exposed for tests); nullopt if malformed.
struct ResumeRecordText {
  uint64_t size = 0;
  std::string validator;
  std::vector<ByteInterval> have;
};
std::optional<ResumeRecordText> parse_resume_record(const std::string& text);
std::string format_resume_record(const ResumeRecordText& r);

}  // namespace zcp
