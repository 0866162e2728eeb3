#include "zcp/tar/tar_header.h"

#include <algorithm>
#include <cstring>

namespace zcp {
namespace {

// Field offsets and widths of a ustar header (POSIX.1-2001, "ustar
// Interchange Format").
constexpr size_t kNameOff = 0, kNameLen = 100;
constexpr size_t kModeOff = 100, kUidOff = 108, kGidOff = 116, kIdLen = 8;
constexpr size_t kSizeOff = 124, kMtimeOff = 136, kNumLen = 12;
constexpr size_t kChksumOff = 148, kChksumLen = 8;
constexpr size_t kTypeOff = 156;
constexpr size_t kMagicOff = 257, kVersionOff = 263;
constexpr size_t kPrefixOff = 345, kPrefixLen = 155;

// 11 octal digits and a NUL: sizes and mtimes below 8^11 (8 GiB, year 2242).
constexpr uint64_t kNumLimit = uint64_t{1} << 33;

// Writes `value` as zero-padded octal filling all but the field's last
// byte, which stays NUL. The caller has checked that it fits.
void put_octal(std::string& block, size_t off, size_t len, uint64_t value) {
  for (size_t i = len - 1; i-- > 0;) {
    block[off + i] = static_cast<char>('0' + (value & 7));
    value >>= 3;
  }
}

void put_text(std::string& block, size_t off, std::string_view text) {
  std::copy(text.begin(), text.end(), block.begin() + static_cast<ptrdiff_t>(off));
}

// Splits `name` into ustar's prefix and name fields at a '/' so that both
// fit and the name part is not empty. False when no such '/' exists.
bool split_ustar_name(std::string_view name, std::string_view& prefix, std::string_view& base) {
  if (name.size() <= kNameLen) {
    prefix = {};
    base = name;
    return true;
  }
  // Leftmost usable '/' keeps the prefix short; it must leave <= 100 after it.
  size_t from = name.size() - kNameLen - 1;
  for (size_t i = name.find('/', from); i != std::string_view::npos; i = name.find('/', i + 1)) {
    if (i > kPrefixLen) return false;
    if (i + 1 >= name.size()) return false;  // "a/b/": the name part would be empty
    prefix = name.substr(0, i);
    base = name.substr(i + 1);
    return true;
  }
  return false;
}

bool is_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// Fills the checksum field: the sum of all bytes, counting the field itself
// as eight spaces, as six octal digits, a NUL and a space.
void put_checksum(std::string& block) {
  std::fill_n(block.begin() + kChksumOff, kChksumLen, ' ');
  uint64_t sum = 0;
  for (char c : block) sum += static_cast<unsigned char>(c);
  put_octal(block, kChksumOff, kChksumLen - 1, sum);
  block[kChksumOff + 6] = '\0';
}

// One 512-byte ustar block. Fields pax overrides get what fits: a truncated
// name, zero size or mtime; readers that know pax ignore them.
std::string ustar_block(std::string_view name, char type, uint32_t mode, uint64_t size,
                        int64_t mtime) {
  std::string block(kTarBlock, '\0');
  std::string_view prefix, base;
  if (!split_ustar_name(name, prefix, base)) base = name.substr(0, kNameLen);
  put_text(block, kNameOff, base);
  put_text(block, kPrefixOff, prefix);
  put_octal(block, kModeOff, kIdLen, mode & 07777);
  put_octal(block, kUidOff, kIdLen, 0);  // owners mean nothing to the client
  put_octal(block, kGidOff, kIdLen, 0);
  put_octal(block, kSizeOff, kNumLen, size < kNumLimit ? size : 0);
  bool mtime_fits = mtime >= 0 && static_cast<uint64_t>(mtime) < kNumLimit;
  put_octal(block, kMtimeOff, kNumLen, mtime_fits ? static_cast<uint64_t>(mtime) : 0);
  block[kTypeOff] = type;
  put_text(block, kMagicOff, std::string_view("ustar", 6));  // with its NUL
  put_text(block, kVersionOff, "00");
  put_checksum(block);
  return block;
}

// The pax records `entry` needs; empty when plain ustar holds it all.
std::string pax_records(const TarEntry& entry) {
  std::string records;
  std::string_view prefix, base;
  if (!is_ascii(entry.name) || !split_ustar_name(entry.name, prefix, base)) {
    // Linux names are bytes, not always UTF-8 as pax wants. No
    // "hdrcharset=BINARY": GNU tar 1.34 warns about it, and it keeps the raw
    // bytes of a path that does not decode anyway.
    records += pax_record("path", entry.name);
  }
  if (!entry.linkname.empty()) records += pax_record("linkpath", entry.linkname);
  if (entry.zcp_delete) records += pax_record("ZCP.delete", "1");
  if (entry.size >= kNumLimit) records += pax_record("size", std::to_string(entry.size));
  if (entry.mtime < 0 || static_cast<uint64_t>(entry.mtime) >= kNumLimit) {
    records += pax_record("mtime", std::to_string(entry.mtime));
  }
  return records;
}

}  // namespace

std::string pax_record(std::string_view key, std::string_view value) {
  // The length field counts its own digits: grow it until it is stable.
  size_t body = key.size() + value.size() + 3;  // ' ', '=', '\n'
  size_t len = body + 1;
  while (std::to_string(len).size() + body != len) len = std::to_string(len).size() + body;
  std::string out = std::to_string(len);
  out += ' ';
  out += key;
  out += '=';
  out += value;
  out += '\n';
  return out;
}

std::string encode_tar_header(const TarEntry& entry) {
  std::string out;
  std::string records = pax_records(entry);
  if (!records.empty()) {
    // Python's tarfile names it so; readers ignore the name of an 'x' member.
    out =
        ustar_block("././@PaxHeader", 'x', 0644, records.size(), std::max<int64_t>(entry.mtime, 0));
    out += records;
    out += tar_padding(records.size());
  }
  out += ustar_block(entry.name, entry.type, entry.mode, entry.size, entry.mtime);
  return out;
}

std::string tar_padding(uint64_t size) {
  return std::string((kTarBlock - size % kTarBlock) % kTarBlock, '\0');
}

std::string tar_end_blocks() { return std::string(2 * kTarBlock, '\0'); }

}  // namespace zcp
