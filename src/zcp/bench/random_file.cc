#include "zcp/bench/random_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "zcp/fd.h"

namespace zcp {

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t next(uint64_t s[4]) {  // xoshiro256** (Blackman & Vigna)
  uint64_t result = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

void fill_random(uint64_t state[4], char* out, size_t len) {
  size_t i = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t v = next(state);
    std::memcpy(out + i, &v, 8);
  }
  if (i < len) {
    uint64_t v = next(state);
    std::memcpy(out + i, &v, len - i);
  }
}

Status write_random_file(const std::string& path, uint64_t size, uint64_t seed) {
  auto fd = open_file(path, O_WRONLY | O_CREAT | O_TRUNC);
  if (!fd) return std::move(fd).take_status();
  uint64_t state[4] = {seed ^ 0x9E3779B97F4A7C15ULL, seed + 1, seed * 31 + 7, ~seed};
  std::vector<char> buf(4 << 20);
  for (uint64_t done = 0; done < size;) {
    size_t len = static_cast<size_t>(std::min<uint64_t>(buf.size(), size - done));
    fill_random(state, buf.data(), len);
    for (size_t off = 0; off < len;) {
      ssize_t n = ::write(fd->get(), buf.data() + off, len - off);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Status::from_errno("write").at(path);
      off += static_cast<size_t>(n);
    }
    done += len;
  }
  // On disk before anyone times reads of it: otherwise the kernel writes
  // gigabytes back in the background while the runs measure.
  if (::fsync(fd->get()) != 0) return Status::from_errno("fsync").at(path);
  if (Status s = fd->close(); !s) return std::move(s).at(path);
  return {};
}

}  // namespace zcp
