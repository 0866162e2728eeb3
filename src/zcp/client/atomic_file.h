// Writing a download so that nothing corrupt ever appears under its final
// name: bytes go to "DEST.part", which is renamed over DEST only by
// commit(), after every byte arrived (and fsync when asked). A failed or
// interrupted transfer leaves DEST.part for a later resume. When DEST
// exists and is not a regular file (/dev/null, a FIFO, a terminal), it is
// written directly and never replaced; so is DEST "-", standard output.
// DEST.part is never followed if it is a symlink (or shared by a hard
// link): such a planted name is unlinked and a file of our own created
// with O_EXCL | O_NOFOLLOW. A name too long for ".part" gets a shorter,
// stable one (part_name_for), so whatever DEST fits, its .part fits.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "zcp/base/temp_name.h"
#include "zcp/fd.h"
#include "zcp/status.h"

namespace zcp {

struct AtomicFileOptions {
  bool resume = false;  // keep DEST.part's bytes (else truncate it)
  bool fsync = false;   // fsync before rename
};

// DEST + ".part", or when that exceeds NAME_MAX (255 bytes), DEST's name cut
// and tagged with a hash of the whole name: "<first 200 bytes>~<16 hex>.part".


class AtomicFile {
 public:
  static Result<AtomicFile> open(const std::string& dest, AtomicFileOptions opts);

  int fd() const { return fd_.get(); }
  // Bytes already in DEST.part (resume), 0 otherwise.
  uint64_t existing_size() const { return existing_; }
  // Whether this writes DEST directly (a device, FIFO...): no offsets, no rename.
  bool direct() const { return direct_; }
  const std::string& dest() const { return dest_; }
  const std::string& part_path() const { return part_; }

  // Sets the size (for parallel ranges written at offsets) up front.
  Status preallocate(uint64_t size);
  // fsync (if asked), set mtime (if given), rename DEST.part -> DEST.
  Status commit(std::optional<int64_t> mtime);
  // Drops the partial bytes (a fresh start): truncates DEST.part to 0.
  Status restart();
  // Removes DEST.part (a failure that left nothing worth resuming).
  void discard();

 private:
  AtomicFile() = default;
  UniqueFd fd_;
  std::string dest_, part_;
  uint64_t existing_ = 0;
  bool direct_ = false;
  bool fsync_ = false;
};

}  // namespace zcp
