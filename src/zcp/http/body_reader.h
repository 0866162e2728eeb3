// Reads an HTTP response body from a socket however it is framed
// (Content-Length, chunked, or until close), and lets the caller choose per
// piece how the bytes move: into memory (small things: tar headers) or
// straight into a file at an offset with a RecvEngine (splice: the bytes
// never enter user space). Bytes that arrived together with the response
// head sit in a small buffer and are written out first.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zcp/base/stream.h"
#include "zcp/recv_engine.h"
#include "zcp/status.h"

namespace zcp {

enum class Framing { kLength, kChunked, kUntilClose };

class BodyReader {
 public:
  // `sock_fd` is borrowed and blocking (with SO_RCVTIMEO for --timeout);
  // `leftover` are body bytes already read past the head.
  BodyReader(int sock_fd, Framing framing, uint64_t length, std::string leftover);
  // The same over any ByteStream (borrowed; a TLS session, say). When the
  // stream offers no splice_fd() (TLS in user space), to_file() reads
  // into a buffer and writes it: the engine is not used.
  BodyReader(ByteStream* stream, Framing framing, uint64_t length, std::string leftover);

  // Copies up to `n` bytes into `out` (appends); returns how many (0 at
  // the end of the body). For headers and other small pieces.
  Result<size_t> read(std::string& out, size_t n);
  // Reads exactly `n` bytes into `out` or fails (kPeerClosed when the body
  // ends first).
  Status read_exact(std::string& out, size_t n);
  // Moves exactly `n` body bytes into `file_fd` at `offset` with `engine`
  // (leftover bytes with pwrite first); kPeerClosed when the body ends
  // early. `progress(bytes)` is called as bytes land, may be null.
  Status to_file(int file_fd, uint64_t offset, uint64_t n, RecvEngine& engine,
                 const std::function<void(uint64_t)>& progress);
  // Moves the whole rest of the body into `file_fd` from `offset`; returns
  // the byte count.
  Result<uint64_t> rest_to_file(int file_fd, uint64_t offset, RecvEngine& engine,
                                const std::function<void(uint64_t)>& progress);
  // Whether the body ended cleanly (length reached, last chunk and
  // trailers read, or EOF for kUntilClose).
  bool done() const { return done_; }
  // The last to_file()/rest_to_file() failure was writing the file (disk
  // full, EIO), not receiving: the caller blames the disk, not the peer.
  bool write_failed() const { return write_failed_; }
  // Lets read() take up to `bytes` from the socket at once (never past a
  // Content-Length body's end; a chunked body's next chunks may come
  // along, kept in this reader). Only for a connection that carries no
  // further response after this body: read-ahead of a chunked body could
  // take the next response's bytes. A tar of small files then costs one
  // recv per many members instead of one per header.
  void set_read_ahead(size_t bytes) { read_ahead_ = bytes; }

  // The reader's bytes read from the socket, not yet consumed (public for
  // body_reader.cc's helpers only): taken from the front by
  // moving `head` (erasing the front of a 128 KiB read-ahead for every tar
  // header and chunk line moved the rest each time: memmove was 17% of a
  // 10,000-file first copy's client CPU, perf record).
  struct RecvBuffer {
    std::string bytes;
    size_t head = 0;
    const char* data() const { return bytes.data() + head; }
    size_t size() const { return bytes.size() - head; }
    bool empty() const { return size() == 0; }
    void consume(size_t n) {
      head += n;
      if (head == bytes.size()) bytes.clear(), head = 0;
    }
  };

 private:
  // Ensures a chunk is open (reads "size\r\n"); false at the last chunk.
  Result<bool> open_chunk();
  Result<uint64_t> available();  // body bytes readable before the next framing

  Progress through_userspace(int file_fd, uint64_t offset, uint64_t n);

  std::unique_ptr<PlainStream> own_;  // the fd constructor's stream
  ByteStream* stream_;
  std::vector<char> user_buffer_;  // through_userspace()'s, made on first use
  Framing framing_;
  uint64_t remaining_;  // in the body (kLength) or the current chunk (kChunked)
  RecvBuffer buffer_;  // bytes read from the socket, not yet consumed
  bool in_chunk_ = false;
  bool done_ = false;
  bool write_failed_ = false;
  size_t read_ahead_ = 0;
};

}  // namespace zcp
