#include "cli/progress.h"

#include <unistd.h>

#include <fmt/format.h>

#include "zcp/base/byte_size.h"

namespace zcp::cli {

std::string human_bytes(double b) { return human_byte_size(b); }

ProgressLine::ProgressLine(std::string label, bool enabled)
    : label_(std::move(label)), enabled_(enabled), start_(std::chrono::steady_clock::now()) {}

void ProgressLine::update_files(uint64_t files_done, uint64_t files_total, uint64_t done,
                                uint64_t total) {
  if (!enabled_) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    files_ = files_total > 0 ? fmt::format("{}/{} files ", files_done, files_total)
                             : fmt::format("{} {} ", files_done, files_done == 1 ? "file" : "files");
  }
  update(done, total);
}

void ProgressLine::update(uint64_t done, uint64_t total) {
  if (!enabled_) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  drawn_ = true;
  double secs = std::chrono::duration<double>(now - start_).count();
  double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
  std::string line = fmt::format("\r{} {}{}", label_, files_, human_bytes(static_cast<double>(done)));
  if (total > 0) {
    double left = rate > 0 ? static_cast<double>(total - std::min(done, total)) / rate : 0;
    line += fmt::format(" of {} ({:.1f}%) {}/s ETA {:.0f}s", human_bytes(static_cast<double>(total)),
                        100.0 * static_cast<double>(done) / static_cast<double>(total),
                        human_bytes(rate), left);
  } else {
    line += fmt::format(" {}/s", human_bytes(rate));
  }
  line += "\x1b[K";  // clear the rest of the previous, longer line
  [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
}

void ProgressLine::finish() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!drawn_) return;
  const char clear[] = "\r\x1b[K";
  [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, clear, sizeof(clear) - 1);
  drawn_ = false;
}

}  // namespace zcp::cli
