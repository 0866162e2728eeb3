// The progress line of zcp get/put on stderr: bytes, percent, rate, ETA,
// redrawn in place at most 10 times a second (at most 100 ms apart
// while bytes move, so a terminal sees 4 or more frames a second); thread-safe (parallel
// streams report from their own threads).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace zcp::cli {

class ProgressLine {
 public:
  // `enabled`: draw at all (a terminal, or --progress; never with --quiet).
  ProgressLine(std::string label, bool enabled);
  void update(uint64_t done, uint64_t total);
  // A tree: files done (of a total when known, else 0) before the bytes.
  void update_files(uint64_t files_done, uint64_t files_total, uint64_t done, uint64_t total);
  // Clears the line (before a final summary or an error message).
  void finish();

 private:
  std::string label_;
  bool enabled_;
  std::mutex mu_;
  std::chrono::steady_clock::time_point start_, last_draw_;
  bool drawn_ = false;
  std::string files_;  // "12/40 files " while a tree moves
};

// "1.5 GiB", "12.0 MiB": IEC units, as everywhere zcp shows sizes.
std::string human_bytes(double bytes);

}  // namespace zcp::cli
