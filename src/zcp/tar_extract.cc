#include "zcp/tar_extract.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <string_view>
#include <vector>

#include "zcp/fd.h"
#include "zcp/tar_header.h"

namespace zcp {
namespace {

// pax and GNU long-name bodies are held in memory; real ones are a few
// hundred bytes (PATH_MAX is 4096), so anything larger is refused.
constexpr uint64_t kMaxMetaSize = 1 << 20;
// Bodies of skipped members (and trailing zeros) pass through this much
// memory at a time.
constexpr size_t kSkipChunk = 64 * 1024;

// --- header parsing: pure functions over one 512-byte block ------------------

// ustar field offsets and widths (POSIX.1-2001 "ustar Interchange Format").
constexpr size_t kNameOff = 0, kNameLen = 100;
constexpr size_t kModeOff = 100, kModeLen = 8;
constexpr size_t kSizeOff = 124, kMtimeOff = 136, kNumLen = 12;
constexpr size_t kChksumOff = 148, kChksumLen = 8;
constexpr size_t kTypeOff = 156;
constexpr size_t kMagicOff = 257, kPrefixOff = 345, kPrefixLen = 155;

// One member as its headers describe it, pax and GNU records applied.
struct Member {
  std::string name;
  char type = '0';
  uint32_t mode = 0;
  uint64_t size = 0;
  timespec mtime{};
};

// What 'x' (pax) and 'L' (GNU long name) headers say about the next member.
struct Overrides {
  std::optional<std::string> path;
  std::optional<uint64_t> size;
  std::optional<timespec> mtime;
};

// A NUL-terminated (or full-width) text field.
std::string field_text(std::string_view block, size_t off, size_t len) {
  std::string_view f = block.substr(off, len);
  return std::string(f.substr(0, f.find('\0')));
}

// GNU base-256 (top bit of the first byte set): big-endian two's complement,
// used for sizes of 8 GiB and more and for negative mtimes.
bool parse_base256(std::string_view f, int64_t& out) {
  auto first = static_cast<unsigned char>(f[0]);
  uint64_t v = (first & 0x40) != 0 ? ~uint64_t{0} : 0;  // sign-extend
  v = (v << 7) | (first & 0x7f);
  for (size_t i = 1; i < f.size(); ++i) {
    int64_t top = static_cast<int64_t>(v) >> 55;
    if (top != 0 && top != -1) return false;  // would not fit in 64 bits
    v = (v << 8) | static_cast<unsigned char>(f[i]);
  }
  out = static_cast<int64_t>(v);
  return true;
}

// Octal digits after optional spaces, ended by a space or NUL (or base-256).
bool parse_number(std::string_view f, int64_t& out) {
  if ((static_cast<unsigned char>(f[0]) & 0x80) != 0) return parse_base256(f, out);
  size_t i = 0;
  while (i < f.size() && f[i] == ' ') ++i;
  uint64_t v = 0;
  for (; i < f.size() && f[i] >= '0' && f[i] <= '7'; ++i) {
    if ((v >> 60) != 0) return false;
    v = (v << 3) | static_cast<uint64_t>(f[i] - '0');
  }
  if (i < f.size() && f[i] != ' ' && f[i] != '\0') return false;
  out = static_cast<int64_t>(v);
  return true;
}

bool is_zero_block(std::string_view block) {
  return std::all_of(block.begin(), block.end(), [](char c) { return c == '\0'; });
}

// The stored checksum against the sum of all bytes with the field itself
// counted as spaces; old tars summed signed chars, so either sum is accepted.
bool checksum_ok(std::string_view block) {
  int64_t stored = 0;
  if (!parse_number(block.substr(kChksumOff, kChksumLen), stored)) return false;
  int64_t unsigned_sum = 0, signed_sum = 0;
  for (size_t i = 0; i < block.size(); ++i) {
    bool in_field = i >= kChksumOff && i < kChksumOff + kChksumLen;
    unsigned_sum += in_field ? ' ' : static_cast<unsigned char>(block[i]);
    signed_sum += in_field ? ' ' : static_cast<signed char>(block[i]);
  }
  return stored == unsigned_sum || stored == signed_sum;
}

Result<Member> parse_header(std::string_view block) {
  Member m;
  int64_t mode = 0, size = 0, mtime = 0;
  if (!parse_number(block.substr(kModeOff, kModeLen), mode) ||
      !parse_number(block.substr(kSizeOff, kNumLen), size) ||
      !parse_number(block.substr(kMtimeOff, kNumLen), mtime) || size < 0) {
    return Status::invalid("malformed number in tar header");
  }
  m.name = field_text(block, kNameOff, kNameLen);
  // POSIX ustar ("ustar\0") splits long names; GNU's "ustar  " uses those
  // bytes for other things.
  if (block.substr(kMagicOff, 6) == std::string_view("ustar\0", 6)) {
    std::string prefix = field_text(block, kPrefixOff, kPrefixLen);
    if (!prefix.empty()) m.name = prefix + "/" + m.name;
  }
  m.type = block[kTypeOff];
  m.mode = static_cast<uint32_t>(mode) & 07777;
  m.size = static_cast<uint64_t>(size);
  m.mtime.tv_sec = static_cast<time_t>(mtime);
  return m;
}

// A pax time: "[-]seconds[.fraction]", the fraction to nanoseconds.
bool parse_pax_time(std::string_view text, timespec& out) {
  bool negative = !text.empty() && text.front() == '-';
  if (negative) text.remove_prefix(1);
  uint64_t sec = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), sec);
  if (ec != std::errc() || end == text.data()) return false;
  std::string_view rest(end, static_cast<size_t>(text.data() + text.size() - end));
  long nsec = 0;
  if (!rest.empty()) {
    if (rest.front() != '.') return false;
    rest.remove_prefix(1);
    long scale = 100000000;
    for (char c : rest) {
      if (c < '0' || c > '9') return false;
      nsec += (c - '0') * scale;  // digits past nanoseconds add 0
      scale /= 10;
    }
  }
  out.tv_sec = static_cast<time_t>(sec);
  out.tv_nsec = nsec;
  if (negative) {  // -1.25 is 2 s before the epoch plus 0.75 s
    out.tv_sec = -out.tv_sec - (nsec > 0 ? 1 : 0);
    out.tv_nsec = nsec > 0 ? 1000000000 - nsec : 0;
  }
  return true;
}

// Applies one pax record's key=value; unknown keys (uid, linkpath, atime,
// GNU.sparse...) mean nothing to this extractor.
bool apply_pax(std::string_view key, std::string_view value, Overrides& o) {
  if (key == "path") {
    o.path = std::string(value);
  } else if (key == "size") {
    uint64_t size = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), size);
    if (ec != std::errc() || end != value.data() + value.size()) return false;
    o.size = size;
  } else if (key == "mtime") {
    timespec t{};
    if (!parse_pax_time(value, t)) return false;
    o.mtime = t;
  }
  return true;
}

// Records "<len> <key>=<value>\n", where <len> counts the whole record.
Status parse_pax(std::string_view records, Overrides& o) {
  while (!records.empty()) {
    size_t len = 0;
    auto [end, ec] = std::from_chars(records.data(), records.data() + records.size(), len);
    size_t space = static_cast<size_t>(end - records.data());
    if (ec != std::errc() || len <= space + 1 || len > records.size() || *end != ' ' ||
        records[len - 1] != '\n') {
      return Status::invalid("malformed pax record");
    }
    std::string_view record = records.substr(space + 1, len - space - 2);
    size_t eq = record.find('=');
    if (eq == std::string_view::npos ||
        !apply_pax(record.substr(0, eq), record.substr(eq + 1), o)) {
      return Status::invalid("malformed pax record");
    }
    records.remove_prefix(len);
  }
  return {};
}

// The components of a member name, "." and empty ones dropped ("./a//b/"
// is a/b; "./" is DEST itself: no components). Refuses anything that could
// land outside DEST.
Result<std::vector<std::string>> safe_components(const std::string& name) {
  auto refuse = [&](const char* why) { return Status(Code::kInvalid, "tar member", why).at(name); };
  if (name.empty()) return refuse("empty name");
  if (name.find('\0') != std::string::npos) return refuse("NUL in name");
  if (name.front() == '/') return refuse("absolute name");
  std::vector<std::string> parts;
  for (size_t start = 0; start <= name.size();) {
    size_t slash = std::min(name.find('/', start), name.size());
    std::string_view part = std::string_view(name).substr(start, slash - start);
    if (part == "..") return refuse("'..' in name");
    if (!part.empty() && part != ".") parts.emplace_back(part);
    start = slash + 1;
  }
  return parts;
}

std::string join(const std::vector<std::string>& parts, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += (i ? "/" : "") + parts[i];
  return out;
}

enum class Kind { kFile, kDirectory, kSkip };

Kind kind_of(const Member& m) {
  switch (m.type) {
    case '0':
    case '\0':
    case '7':  // '7': contiguous file, a regular file elsewhere
      // Pre-POSIX archives mark directories with a trailing '/' only.
      return !m.name.empty() && m.name.back() == '/' ? Kind::kDirectory : Kind::kFile;
    case '5':
      return Kind::kDirectory;
    default:  // links, devices, FIFOs, GNU extensions: not extracted
      return Kind::kSkip;
  }
}

// --- the file system side ----------------------------------------------------

// Opens beneath DEST; a path that a symlink or ".." leads outside DEST is
// an error of the archive, not of the disk.
Result<UniqueFd> open_beneath(int root_fd, const std::string& path, uint64_t flags) {
  auto fd = openat_beneath(root_fd, path, static_cast<int>(flags));
  if (!fd && fd.status().error_number() == EXDEV) {
    return Status(Code::kInvalid, "openat2", "leads outside the destination").at(path);
  }
  return fd;
}

Status set_mode_and_mtime(int fd, uint32_t mode, timespec mtime, const std::string& path) {
  if (::fchmod(fd, mode) != 0) return Status::from_errno("fchmod").at(path);
  const timespec times[2] = {{0, UTIME_OMIT}, mtime};
  if (::futimens(fd, times) != 0) return Status::from_errno("futimens").at(path);
  return {};
}

// A directory extracted, whose mode and mtime are set once it is complete.
struct PendingDir {
  std::string path;
  uint32_t mode = 0;
  timespec mtime{};
  size_t depth = 0;
};

class Extractor {
 public:
  Extractor(BodyReader& body, int dest_fd, RecvEngine& engine,
            const std::function<void(uint64_t)>& progress)
      : body_(body), dest_fd_(dest_fd), engine_(engine), progress_(progress) {}

  Result<ExtractStats> run();

 private:
  Result<bool> next_member(Member& m);
  Result<size_t> read_block(std::string& block);
  Status read_meta(const Member& header, std::string& out);
  Status skip(uint64_t n);
  Status skip_padding(uint64_t size) { return skip((kTarBlock - size % kTarBlock) % kTarBlock); }
  void drain_rest();

  Status extract(const Member& m);
  Status extract_file(const Member& m, const std::vector<std::string>& parts);
  Status write_file(int fd, const Member& m, const std::string& path);
  Status extract_directory(const Member& m, const std::vector<std::string>& parts);
  Result<int> open_parent(const std::vector<std::string>& parts);
  Result<UniqueFd> make_parents(const std::vector<std::string>& parts);
  Status finish_directories();

  BodyReader& body_;
  int dest_fd_;  // O_PATH, borrowed
  RecvEngine& engine_;
  const std::function<void(uint64_t)>& progress_;
  ExtractStats stats_;
  uint64_t offset_ = 0;  // archive bytes consumed, for error messages
  std::string scratch_;
  // The last parent directory used: members of one directory come together.
  std::string parent_path_;
  UniqueFd parent_fd_;
  std::vector<PendingDir> dirs_;
};

// Member by member until the end-of-archive zero block; then the zeros
// that pad the archive's last record, and the delayed directory metadata.
Result<ExtractStats> Extractor::run() {
  for (;;) {
    Member m;
    auto more = next_member(m);
    if (!more) return std::move(more).take_status();
    if (!*more) break;
    if (Status s = extract(m); !s) return s;
  }
  drain_rest();
  if (Status s = finish_directories(); !s) return s;
  return stats_;
}

// The next member to extract or skip, after any pax and GNU long-name
// headers that describe it; false at the end of the archive.
Result<bool> Extractor::next_member(Member& m) {
  Overrides pending;
  std::string block;
  for (;;) {
    const uint64_t at = offset_;
    auto n = read_block(block);
    if (!n) return std::move(n).take_status();
    if (*n < kTarBlock) {
      return Status(Code::kPeerClosed, "tar", "archive ends without its end marker");
    }
    if (is_zero_block(block)) return false;
    const std::string where = "header at byte " + std::to_string(at);
    if (!checksum_ok(block)) return Status(Code::kInvalid, "tar", "bad checksum").at(where);
    auto header = parse_header(block);
    if (!header) return std::move(header).take_status().at(where);
    if (header->type == 'x' || header->type == 'L') {
      std::string meta;
      if (Status s = read_meta(*header, meta); !s) return s;
      if (header->type == 'L') {
        pending.path = meta.substr(0, meta.find('\0'));
      } else if (Status s = parse_pax(meta, pending); !s) {
        return std::move(s).at(where);
      }
      continue;
    }
    m = std::move(*header);
    if (pending.path) m.name = *pending.path;
    if (pending.size) m.size = *pending.size;
    if (pending.mtime) m.mtime = *pending.mtime;
    return true;
  }
}

// Up to one block: fewer bytes only when the body ends.
Result<size_t> Extractor::read_block(std::string& block) {
  block.clear();
  while (block.size() < kTarBlock) {
    auto n = body_.read(block, kTarBlock - block.size());
    if (!n) return std::move(n).take_status();
    if (*n == 0) break;
  }
  offset_ += block.size();
  return block.size();
}

Status Extractor::read_meta(const Member& header, std::string& out) {
  if (header.size > kMaxMetaSize) {
    return Status(Code::kInvalid, "tar", "extended header too large")
        .at("header at byte " + std::to_string(offset_ - kTarBlock));
  }
  if (Status s = body_.read_exact(out, header.size); !s) return s;
  offset_ += header.size;
  return skip_padding(header.size);
}

Status Extractor::skip(uint64_t n) {
  while (n > 0) {
    size_t chunk = static_cast<size_t>(std::min<uint64_t>(n, kSkipChunk));
    scratch_.clear();
    if (Status s = body_.read_exact(scratch_, chunk); !s) return s;
    offset_ += chunk;
    n -= chunk;
  }
  return {};
}

// Reads what follows the end marker (the second zero block and the zeros
// GNU tar pads its 10 KiB records with) so the body ends cleanly and the
// connection could be reused; the archive is complete either way.
void Extractor::drain_rest() {
  for (;;) {
    scratch_.clear();
    auto n = body_.read(scratch_, kSkipChunk);
    if (!n || *n == 0) return;
  }
}

// Skipped members' names are not checked: nothing is created for them, and
// GNU tar names global pax headers after $TMPDIR, an absolute path.
Status Extractor::extract(const Member& m) {
  const Kind kind = kind_of(m);
  if (kind == Kind::kSkip) {
    if (Status s = skip(m.size); !s) return s;
    return skip_padding(m.size);
  }
  auto parts = safe_components(m.name);
  if (!parts) return std::move(parts).take_status();
  Status s = kind == Kind::kFile ? extract_file(m, *parts) : extract_directory(m, *parts);
  // "openat2 planted: leads outside" says more as the member's name.
  if (s.code() == Code::kInvalid) s.at(m.name);
  return s;
}

// NAME.part in its directory, then renamed: an interrupted extraction never
// leaves a truncated file under the final name. O_NOFOLLOW: a symlink
// planted as NAME.part is not written through.
Status Extractor::extract_file(const Member& m, const std::vector<std::string>& parts) {
  const std::string path = join(parts, parts.size());
  if (parts.empty()) return Status(Code::kInvalid, "tar member", "names DEST itself").at(m.name);
  auto parent = open_parent(parts);
  if (!parent) return std::move(parent).take_status();
  const std::string part_name = parts.back() + ".part";
  int fd = ::openat(*parent, part_name.c_str(),
                    O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return Status::from_errno("open").at(path + ".part");
  UniqueFd file(fd);
  Status s = write_file(file.get(), m, path);
  if (s) s = file.close().at(path + ".part");
  if (s && ::renameat(*parent, part_name.c_str(), *parent, parts.back().c_str()) != 0) {
    s = Status::from_errno("rename").at(path + ".part -> " + path);
  }
  if (!s) {
    ::unlinkat(*parent, part_name.c_str(), 0);  // no resume for archives
    return s;
  }
  ++stats_.files;
  stats_.bytes += m.size;
  return {};
}

// The body straight from the socket to the file (splice: zero-copy), then
// the padding to the next block, then the member's mode and mtime.
Status Extractor::write_file(int fd, const Member& m, const std::string& path) {
  if (m.size > 0) {
    // to_file counts this file's bytes; the caller sees the archive's.
    std::function<void(uint64_t)> report;
    if (progress_) report = [this, base = stats_.bytes](uint64_t n) { progress_(base + n); };
    if (Status s = body_.to_file(fd, 0, m.size, engine_, report); !s) return s;
    offset_ += m.size;
  }
  if (Status s = skip_padding(m.size); !s) return s;
  return set_mode_and_mtime(fd, m.mode, m.mtime, path);
}

// Created owner-writable (files go in next); the real mode and mtime wait
// for the end, since every file added changes the mtime.
Status Extractor::extract_directory(const Member& m, const std::vector<std::string>& parts) {
  if (Status s = skip(m.size); !s) return s;  // a directory has no body, normally
  if (Status s = skip_padding(m.size); !s) return s;
  if (parts.empty()) return {};  // "./": DEST itself, left as the user made it
  auto parent = open_parent(parts);
  if (!parent) return std::move(parent).take_status();
  const std::string path = join(parts, parts.size());
  if (::mkdirat(*parent, parts.back().c_str(), 0700) != 0 && errno != EEXIST) {
    return Status::from_errno("mkdir").at(path);
  }
  // An existing entry must be a directory beneath DEST, not a symlink out.
  auto dir = open_beneath(dest_fd_, path, O_PATH | O_DIRECTORY);
  if (!dir) return std::move(dir).take_status();
  parent_fd_ = std::move(*dir);  // its files usually come next
  parent_path_ = path;
  dirs_.push_back({path, m.mode, m.mtime, parts.size()});
  ++stats_.directories;
  return {};
}

// The directory holding the last component (borrowed fd), created with its
// ancestors when the archive has no entries for them.
Result<int> Extractor::open_parent(const std::vector<std::string>& parts) {
  const std::string path = join(parts, parts.size() - 1);
  if (path.empty()) return dest_fd_;
  if (parent_fd_ && path == parent_path_) return parent_fd_.get();
  auto fd = open_beneath(dest_fd_, path, O_PATH | O_DIRECTORY);
  if (!fd && fd.status().error_number() == ENOENT) fd = make_parents(parts);
  if (!fd) return std::move(fd).take_status();
  parent_fd_ = std::move(*fd);
  parent_path_ = path;
  return parent_fd_.get();
}

// mkdir -p of all but the last component, each step reopened beneath DEST
// so that no symlink on the way can lead out.
Result<UniqueFd> Extractor::make_parents(const std::vector<std::string>& parts) {
  UniqueFd dir;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    int at = dir ? dir.get() : dest_fd_;
    const std::string path = join(parts, i + 1);
    if (::mkdirat(at, parts[i].c_str(), 0777) != 0 && errno != EEXIST) {
      return Status::from_errno("mkdir").at(path);
    }
    auto next = open_beneath(dest_fd_, path, O_PATH | O_DIRECTORY);
    if (!next) return std::move(next).take_status();
    dir = std::move(*next);
  }
  return dir;
}

// Deepest first, so setting a directory's mtime never disturbs its parent's.
Status Extractor::finish_directories() {
  parent_fd_.reset();
  std::stable_sort(dirs_.begin(), dirs_.end(),
                   [](const PendingDir& a, const PendingDir& b) { return a.depth > b.depth; });
  for (const PendingDir& d : dirs_) {
    auto fd = open_beneath(dest_fd_, d.path, O_RDONLY | O_DIRECTORY);
    if (!fd) return std::move(fd).take_status();
    if (Status s = set_mode_and_mtime(fd->get(), d.mode, d.mtime, d.path); !s) return s;
  }
  return {};
}

}  // namespace

Result<ExtractStats> extract_tar(BodyReader& body, const std::string& dest, RecvEngine& engine,
                                 const std::function<void(uint64_t)>& progress) {
  auto dest_fd = open_file(dest, O_PATH | O_DIRECTORY);
  if (!dest_fd) return std::move(dest_fd).take_status();
  Extractor extractor(body, dest_fd->get(), engine, progress);
  return extractor.run();
}

}  // namespace zcp
