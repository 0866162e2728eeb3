// Creates a file of pseudo-random bytes for benchmarks and tests, fast
// (~2 GB/s: xoshiro256**, not /dev/urandom's ~0.4 GB/s); not for secrets.
#pragma once

#include <cstdint>
#include <string>

#include "zcp/status.h"

namespace zcp {

// Writes `size` bytes derived from `seed` to `path` (created or truncated).
Status write_random_file(const std::string& path, uint64_t size, uint64_t seed = 1);

// Fills `len` bytes at `out` from a generator state advanced by the call.
void fill_random(uint64_t state[4], char* out, size_t len);

}  // namespace zcp
