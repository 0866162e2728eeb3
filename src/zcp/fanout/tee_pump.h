// The relay's data path: bytes from one socket go both into a file and out
// to another socket without entering user space. splice(2) moves them from
// the socket into pipe A; tee(2) duplicates A into pipe B (page references,
// no copy); B is spliced to the next host's socket and A into the file.
//
//   in socket --splice--> A --tee--> B --splice--> out socket
//                         \--splice--> file
//
// All three fds block (the sockets with SO_RCVTIMEO/SO_SNDTIMEO), so the
// slowest of input, output and disk sets the pace and nothing buffers
// beyond the two pipes: back-pressure reaches the sender through TCP.
#pragma once

#include <cstdint>

#include "zcp/base/stream.h"
#include "zcp/status.h"

namespace zcp {

struct TeeResult {
  uint64_t received = 0;  // bytes taken from the input
  Status in;              // the input failed or ended early
  Status file;            // writing the file failed (the stream still goes out)
  Status out;             // the next host failed (the file is still written)
};

// Moves `length` bytes from `in` into `file` at `offset` and to `out`.
// `file` or `out` may be -1 (not wanted). A failing sink is dropped and the
// other goes on; with no sink left the rest is read and dropped, so the
// sender finishes and can read the answer saying why. Only a failing input
// stops the pump early.
TeeResult tee_pump(int in, uint64_t length, int file, uint64_t offset, int out, size_t pipe_size);

// The same contract when either side is TLS (no kernel offload here):
// in.read() into a 256 KiB buffer, then pwrite and out->write(). `out` may
// be null (not wanted); plain sockets are PlainStreams. One user-space copy
// in, one out each: no zero copy claimed.
TeeResult stream_pump(ByteStream& in, uint64_t length, int file, uint64_t offset, ByteStream* out);

}  // namespace zcp
