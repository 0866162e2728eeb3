// The loop every receive engine runs, written once: take bytes off the
// socket a chunk at a time until `limit`, EOF or an error, and land each
// chunk where the engine puts it (a file, a pipe's other end, nowhere).
// The engines differ only in the two calls, so a fix to EINTR, EOF or
// the `once` rule (receive_some) reaches all of them.
#pragma once

#include <algorithm>
#include <cerrno>
#include <cstdint>

#include "zcp/send_engine.h"

namespace zcp {

// `take(want)` is the one kernel call that reads from the socket (recv,
// splice into a pipe) and returns its result; `what` names it in errors.
// `land(n, p)` moves those n bytes on, adds them to p.moved and returns
// false after setting p.status when it cannot. With `once`, returns after
// the first chunk that moved bytes.
template <class Take, class Land>
Progress receive_chunks(uint64_t limit, uint64_t chunk, bool once, const char* what,
                        EngineStats& stats, Take take, Land land) {
  Progress p;
  while (p.moved < limit) {
    uint64_t want = std::min<uint64_t>(chunk, limit - p.moved);
    ssize_t n = take(want);
    ++stats.syscalls;
    if (n < 0) {
      if (errno == EINTR) continue;
      p.status = Status::from_errno(what);
      return p;
    }
    if (n == 0) {
      p.eof = true;
      return p;
    }
    if (!land(static_cast<uint64_t>(n), p)) return p;
    if (once) return p;
  }
  return p;
}

}  // namespace zcp
