// Decoding of tar headers for the extractor: pure functions over one
// 512-byte ustar block, the pax records before a member, and member names.
// No I/O, no file system; the writing side is tar_header.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zcp/status.h"

namespace zcp {

// One member as its headers describe it, pax and GNU records applied.
struct TarMember {
  std::string name;
  char type = '0';    // ustar typeflag: '0'/'\0' file, '5' directory, 'x' pax ...
  uint32_t mode = 0;  // permission bits only (& 07777)
  uint64_t size = 0;  // body bytes
  timespec mtime{};
  std::string linkname;     // '2': the target (pax linkpath, else ustar's field)
  bool zcp_delete = false;  // pax ZCP.delete=1: remove the path (zcp sync)
};

// What 'x' (pax) and 'L' (GNU long name) headers say about the next member.
struct TarOverrides {
  std::optional<std::string> path;
  std::optional<uint64_t> size;
  std::optional<timespec> mtime;
  std::optional<std::string> linkpath;
  bool zcp_delete = false;
};

// A numeric header field (not empty): octal digits after optional spaces,
// ended by a space or NUL, or GNU base-256 when the first byte's top bit is
// set (big-endian two's complement: sizes of 8 GiB and more, negative
// mtimes). False for other bytes and values beyond 64 bits.
bool parse_tar_number(std::string_view field, int64_t& out);

// True when all bytes are NUL: the end-of-archive marker.
bool is_zero_block(std::string_view block);

// The stored checksum against the sum of all bytes with the field itself
// counted as spaces; old tars summed signed chars, so either sum is accepted.
bool tar_checksum_ok(std::string_view block);

// Name (with the POSIX ustar prefix), type, mode, size and mtime of a
// 512-byte header block whose checksum was checked. Invalid on a malformed
// number or a negative size.
Result<TarMember> parse_tar_header(std::string_view block);

// A pax time: "[-]seconds[.fraction]", the fraction to nanoseconds
// ("-1.25" is 2 s before the epoch plus 0.75 s).
bool parse_pax_time(std::string_view text, timespec& out);

// Pax records "<len> <key>=<value>\n", <len> counting the whole record,
// into `o`: path, size and mtime are kept, other keys (uid, linkpath,
// atime, GNU.sparse...) are ignored. Invalid on a bad length or a bad value.
Status parse_pax(std::string_view records, TarOverrides& o);

// The components of a member name, "." and empty ones dropped ("./a//b/"
// is a/b; "./" is DEST itself: no components). Refuses anything that could
// land outside DEST: absolute names, ".." components; also empty names and
// names with a NUL.
Result<std::vector<std::string>> safe_components(const std::string& name);

// The first `n` components joined with '/'.
std::string join_components(const std::vector<std::string>& parts, size_t n);

enum class TarKind { kFile, kDirectory, kSymlink, kSkip };

// What the extractor makes of a member: regular ('0', '\0', '7') and
// directory ('5', or a pre-POSIX name ending in '/') members are extracted;
// symlinks ('2') are kSymlink (the extractor decides), hard links, devices,
// FIFOs and GNU extensions are skipped.
TarKind tar_kind(const TarMember& m);

}  // namespace zcp
