#include "zcp/client/resume_record.h"

#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <sstream>

#include "zcp/http/http_text.h"

namespace zcp {
namespace {

constexpr const char* kRecordXattr = "user.zcp.resume";
constexpr const char* kMagic = "zcp-resume 1";
// ext4 keeps an attribute within one 4 KiB block: 64 streams' intervals fit.
constexpr size_t kMaxRecord = 4000;

// How much may land unrecorded: what a SIGKILL costs a resume. fsetxattr
// is a few microseconds, so every 16 MiB or 50 ms is ~100 calls a second
// at 1.5 GiB/s. With --fsync each record waits for fdatasync, so rarer.
constexpr uint64_t kPersistBytes = 16ULL << 20;
constexpr auto kPersistInterval = std::chrono::milliseconds(50);
constexpr uint64_t kPersistBytesFsync = 256ULL << 20;
constexpr auto kPersistIntervalFsync = std::chrono::milliseconds(1000);

std::vector<ByteInterval> merge(std::vector<ByteInterval> v) {
  std::sort(v.begin(), v.end(), [](auto& a, auto& b) { return a.first < b.first; });
  std::vector<ByteInterval> out;
  for (const auto& i : v) {
    if (i.end <= i.first) continue;
    if (!out.empty() && i.first <= out.back().end) {
      out.back().end = std::max(out.back().end, i.end);
    } else {
      out.push_back(i);
    }
  }
  return out;
}

}  // namespace

std::string format_resume_record(const ResumeRecordText& r) {
  std::string s = std::string(kMagic) + "\nsize " + std::to_string(r.size) + "\nvalidator " +
                  r.validator + "\nhave";
  for (const auto& i : r.have) s += " " + std::to_string(i.first) + "-" + std::to_string(i.end);
  return s + "\n";
}

std::optional<ResumeRecordText> parse_resume_record(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  ResumeRecordText r;
  if (!std::getline(in, line) || line != kMagic) return std::nullopt;
  if (!std::getline(in, line) || line.rfind("size ", 0) != 0) return std::nullopt;
  auto size = parse_decimal(std::string_view(line).substr(5));
  if (!size) return std::nullopt;
  r.size = *size;
  if (!std::getline(in, line) || line.rfind("validator ", 0) != 0) return std::nullopt;
  r.validator = line.substr(10);
  if (!std::getline(in, line) || line.rfind("have", 0) != 0) return std::nullopt;
  std::istringstream have(line.substr(4));
  std::string item;
  uint64_t last_end = 0;
  while (have >> item) {
    size_t dash = item.find('-');
    if (dash == std::string::npos) return std::nullopt;
    auto first = parse_decimal(std::string_view(item).substr(0, dash));
    auto end = parse_decimal(std::string_view(item).substr(dash + 1));
    // In order, disjoint, inside the file: anything else is not ours.
    if (!first || !end || *first >= *end || *end > r.size || *first < last_end) return std::nullopt;
    r.have.push_back({*first, *end});
    last_end = *end;
  }
  return r;
}

ResumeRecord::ResumeRecord(int fd, uint64_t size, std::string validator, bool fsync)
    : fd_(fd),
      size_(size),
      validator_(std::move(validator)),
      fsync_(fsync),
      saved_at_(std::chrono::steady_clock::now()) {}

std::unique_ptr<ResumeRecord> ResumeRecord::load(int fd, bool fsync) {
  std::string buf(kMaxRecord, '\0');
  ssize_t n = ::fgetxattr(fd, kRecordXattr, buf.data(), buf.size());
  if (n <= 0) return nullptr;
  buf.resize(static_cast<size_t>(n));
  auto text = parse_resume_record(buf);
  if (!text) return nullptr;
  auto r = std::make_unique<ResumeRecord>(fd, text->size, text->validator, fsync);
  r->have_ = std::move(text->have);
  return r;
}

void ResumeRecord::erase(int fd) { ::fremovexattr(fd, kRecordXattr); }

std::vector<ByteInterval> ResumeRecord::merged_locked() const {
  std::vector<ByteInterval> all = have_;
  for (const auto& s : slots_) all.push_back({s.first, s.first + s.done});
  return merge(std::move(all));
}

std::vector<ByteInterval> ResumeRecord::missing() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ByteInterval> out;
  uint64_t at = 0;
  for (const auto& i : merged_locked()) {
    if (i.first > at) out.push_back({at, i.first});
    at = i.end;
  }
  if (at < size_) out.push_back({at, size_});
  return out;
}

uint64_t ResumeRecord::kept() const {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t n = 0;
  for (const auto& i : merged_locked()) n += i.size();
  return n;
}

size_t ResumeRecord::start(uint64_t first) {
  std::lock_guard<std::mutex> lock(mu_);
  slots_.push_back({first, 0});
  return slots_.size() - 1;
}

void ResumeRecord::advance(size_t slot, uint64_t done) {
  std::lock_guard<std::mutex> lock(mu_);
  Slot& s = slots_[slot];
  if (done <= s.done) return;
  unsaved_ += done - s.done;
  s.done = done;
  auto now = std::chrono::steady_clock::now();
  uint64_t bytes = fsync_ ? kPersistBytesFsync : kPersistBytes;
  auto interval = fsync_ ? kPersistIntervalFsync : kPersistInterval;
  if (persistent_ && (unsaved_ >= bytes || now - saved_at_ >= interval)) {
    // A record that cannot be written only costs a later resume bytes.
    [[maybe_unused]] Status st = persist_locked();
  }
}

Status ResumeRecord::persist() {
  std::lock_guard<std::mutex> lock(mu_);
  return persist_locked();
}

Status ResumeRecord::persist_locked() {
  if (!persistent_) return Status(Code::kUnsupported, "fsetxattr", "no extended attributes here");
  // Data first: the record below must not outlive the bytes it names.
  if (fsync_ && ::fdatasync(fd_) != 0) return Status::from_errno("fdatasync");
  ResumeRecordText t{size_, validator_, merged_locked()};
  std::string text = format_resume_record(t);
  if (text.size() > kMaxRecord) {
    // Too fragmented to name: keep only what the prefix proves.
    t.have.resize(t.have.empty() || t.have[0].first != 0 ? 0 : 1);
    text = format_resume_record(t);
  }
  unsaved_ = 0;
  saved_at_ = std::chrono::steady_clock::now();
  if (::fsetxattr(fd_, kRecordXattr, text.data(), text.size(), 0) != 0) {
    int err = errno;
    if (err == ENOTSUP || err == EOPNOTSUPP) persistent_ = false;
    return Status::from_errno("fsetxattr", err);
  }
  return {};
}

}  // namespace zcp
