#include "zcp/tar/tar_parse.h"

#include <algorithm>
#include <charconv>

namespace zcp {
namespace {

// ustar field offsets and widths (POSIX.1-2001 "ustar Interchange Format").
constexpr size_t kNameOff = 0, kNameLen = 100;
constexpr size_t kModeOff = 100, kModeLen = 8;
constexpr size_t kSizeOff = 124, kMtimeOff = 136, kNumLen = 12;
constexpr size_t kChksumOff = 148, kChksumLen = 8;
constexpr size_t kTypeOff = 156;
constexpr size_t kMagicOff = 257, kPrefixOff = 345, kPrefixLen = 155;

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

// Applies one pax record's key=value; unknown keys (uid, linkpath, atime,
// GNU.sparse...) mean nothing to this extractor.
bool apply_pax(std::string_view key, std::string_view value, TarOverrides& o) {
  if (key == "path") {
    o.path = std::string(value);
  } else if (key == "size") {
    uint64_t size = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), size);
    if (ec != std::errc() || end != value.data() + value.size()) return false;
    o.size = size;
  } else if (key == "linkpath") {
    o.linkpath = std::string(value);
  } else if (key == "ZCP.delete") {
    o.zcp_delete = value == "1";
  } else if (key == "mtime") {
    timespec t{};
    if (!parse_pax_time(value, t)) return false;
    o.mtime = t;
  }
  return true;
}

}  // namespace

// Octal digits after optional spaces, ended by a space or NUL (or base-256).
bool parse_tar_number(std::string_view f, int64_t& out) {
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
bool tar_checksum_ok(std::string_view block) {
  int64_t stored = 0;
  if (!parse_tar_number(block.substr(kChksumOff, kChksumLen), stored)) return false;
  int64_t unsigned_sum = 0, signed_sum = 0;
  for (size_t i = 0; i < block.size(); ++i) {
    bool in_field = i >= kChksumOff && i < kChksumOff + kChksumLen;
    unsigned_sum += in_field ? ' ' : static_cast<unsigned char>(block[i]);
    signed_sum += in_field ? ' ' : static_cast<signed char>(block[i]);
  }
  return stored == unsigned_sum || stored == signed_sum;
}

Result<TarMember> parse_tar_header(std::string_view block) {
  TarMember m;
  int64_t mode = 0, size = 0, mtime = 0;
  if (!parse_tar_number(block.substr(kModeOff, kModeLen), mode) ||
      !parse_tar_number(block.substr(kSizeOff, kNumLen), size) ||
      !parse_tar_number(block.substr(kMtimeOff, kNumLen), mtime) || size < 0) {
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
  m.linkname = field_text(block, 157, 100);  // ustar linkname
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

// Records "<len> <key>=<value>\n", where <len> counts the whole record.
Status parse_pax(std::string_view records, TarOverrides& o) {
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

std::string join_components(const std::vector<std::string>& parts, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += (i ? "/" : "") + parts[i];
  return out;
}

TarKind tar_kind(const TarMember& m) {
  switch (m.type) {
    case '0':
    case '\0':
    case '7':  // '7': contiguous file, a regular file elsewhere
      // Pre-POSIX archives mark directories with a trailing '/' only.
      return !m.name.empty() && m.name.back() == '/' ? TarKind::kDirectory : TarKind::kFile;
    case '5':
      return TarKind::kDirectory;
    case '2':
      return TarKind::kSymlink;
    default:  // links, devices, FIFOs, GNU extensions: not extracted
      return TarKind::kSkip;
  }
}

}  // namespace zcp
