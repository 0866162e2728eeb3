// Encoding of one tar member's header: a POSIX ustar block, preceded by a pax
// extended header when ustar cannot hold the name (too long, non-ASCII), the
// size (8 GiB or more) or the mtime. Pure byte formatting: no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace zcp {

inline constexpr size_t kTarBlock = 512;

struct TarEntry {
  std::string name;   // member name; a directory's ends in '/'
  char type = '0';    // '0' regular file, '5' directory
  uint32_t mode = 0;  // permission bits (st_mode & 07777)
  uint64_t size = 0;  // body bytes; 0 for a directory
  int64_t mtime = 0;  // seconds since the epoch
  std::string linkname;  // '2' (symlink): its target, always as a pax linkpath
  // zcp's sync: this member stands for "delete the path" (pax ZCP.delete=1),
  // a zero-size '0' member that other tars extract as an empty file.
  bool zcp_delete = false;
};

// The bytes that precede the entry's body: a multiple of 512.
std::string encode_tar_header(const TarEntry& entry);

// One pax record, "<len> <key>=<value>\n", where <len> counts itself.
std::string pax_record(std::string_view key, std::string_view value);

// Zero bytes that pad a body of `size` bytes to a whole block.
std::string tar_padding(uint64_t size);

// The two zero blocks that end an archive.
std::string tar_end_blocks();

}  // namespace zcp
