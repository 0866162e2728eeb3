// A response body as the connection sends it: a queue of segments, each
// either bytes held in memory (headers, tar headers, listings) or a range of
// an open file that a SendEngine moves without copying. Large bodies (a tar
// of a whole tree) come from a BodySource that adds segments on demand, so a
// connection holds at most a few open files and a few KiB at a time.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>

#include "zcp/fd.h"
#include "zcp/status.h"

namespace zcp {

struct Segment {
  // Bytes sent as they are; used when `file` and `held` are null.
  std::string data;
  // Or: `count` bytes of `held` from `offset`, bytes owned by someone else
  // (the server's open-file cache keeps small files in memory), so a
  // response of a cached file copies nothing and allocates nothing.
  std::shared_ptr<const std::string> held;
  // Or: `count` bytes of `file` from `offset`, sent by the send engine.
  std::shared_ptr<UniqueFd> file;
  uint64_t offset = 0;
  uint64_t count = 0;
  std::string label;  // what the file is, for errors ("docs/a.bin")

  static Segment bytes(std::string d) {
    Segment s;
    s.data = std::move(d);
    return s;
  }
  static Segment file_range(std::shared_ptr<UniqueFd> f, uint64_t off, uint64_t n,
                            std::string label = {}) {
    Segment s;
    s.file = std::move(f);
    s.offset = off;
    s.count = n;
    s.label = std::move(label);
    return s;
  }
  static Segment shared_bytes(std::shared_ptr<const std::string> b, uint64_t off, uint64_t n) {
    Segment s;
    s.held = std::move(b);
    s.offset = off;
    s.count = n;
    return s;
  }
  bool is_file() const { return file != nullptr; }
  uint64_t size() const { return is_file() || held ? count : data.size(); }
  // The bytes of a segment that is not a file range.
  std::string_view bytes_view() const {
    return held ? std::string_view(*held).substr(offset, count) : std::string_view(data);
  }
};

// Produces a body piece by piece.
class BodySource {
 public:
  virtual ~BodySource() = default;
  // Appends the next segments to `out`. Returns true while more may come,
  // false once the body is complete, or a Status when it cannot go on (the
  // connection is then closed: the client sees a short body).
  virtual Result<bool> next(std::deque<Segment>& out) = 0;
};

}  // namespace zcp
