#include "zcp/http/body_reader.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <string_view>

#include "zcp/base/socket.h"

namespace zcp {
namespace {

// Chunk framing lines are read in small pieces: whatever data of the next
// chunk comes along has to be written from user space instead of spliced,
// so a small read keeps that copy to a few dozen bytes per chunk.
constexpr size_t kLineRecv = 64;
constexpr size_t kMaxLine = 4096;      // a chunk-size line with extensions, or a trailer
constexpr int kMaxTrailers = 100;
constexpr size_t kMaxRead = 1 << 20;  // per read() call into memory
// A body that must pass through user space (TLS without kernel offload)
// is decrypted into this much before each write to the file. Onto ext4
// the write's copy into the page cache is the client's largest cost, and
// it is cheapest while the decrypted bytes are still in the CPU's cache:
// 2 GiB over https, 4 interleaved rounds on a quiet machine, client CPU
// 1.7-2.5 s with 64 KiB, 2.5-2.8 s with 256 KiB, 2.2-2.8 s with 16 KiB
// (4 times the pwrites); docs/BENCHMARKS.md. To /dev/null the size was
// within noise.
constexpr size_t kUserspaceBuffer = 64 << 10;

Status framing_error(std::string why) {
  return Status(Code::kInvalid, "chunked body", std::move(why));
}

Status closed_early(uint64_t missing, const char* where) {
  return Status(Code::kPeerClosed, "recv",
                "connection closed " + std::to_string(missing) + " bytes before the end of " +
                    where);
}

// The body ended cleanly, but the caller expected more of it.
Status body_too_short(uint64_t missing) {
  return Status(Code::kPeerClosed, "recv",
                "body ended " + std::to_string(missing) + " bytes short");
}

// A read of up to `n` bytes appended to `out`; 0 at EOF.
Result<size_t> recv_append(ByteStream& in, std::string& out, size_t n) {
  size_t old = out.size();
  out.resize(old + n);
  auto got = in.read(out.data() + old, n);
  out.resize(old + (got ? *got : 0));
  return got;
}

// The same onto the buffer's unconsumed bytes, which move to its front
// first (few by then: a line's start, or nothing).
Result<size_t> recv_append(ByteStream& in, BodyReader::RecvBuffer& out, size_t n) {
  if (out.head > 0) {
    out.bytes.erase(0, out.head);
    out.head = 0;
  }
  return recv_append(in, out.bytes, n);
}

// One CRLF-terminated line (without the CRLF), received into `buffer`
// piece by piece and consumed from it.
Result<std::string> read_line(ByteStream& fd, BodyReader::RecvBuffer& buffer) {
  size_t scanned = 0;
  for (;;) {
    const std::string_view text(buffer.data(), buffer.size());
    size_t lf = text.find('\n', scanned);
    if (lf != std::string_view::npos) {
      if (lf == 0 || text[lf - 1] != '\r') return framing_error("line not ended by CRLF");
      std::string line(text.substr(0, lf - 1));
      buffer.consume(lf + 1);
      return line;
    }
    if (buffer.size() > kMaxLine) return framing_error("framing line over 4096 bytes");
    scanned = buffer.size();
    auto got = recv_append(fd, buffer, kLineRecv);
    if (!got) return std::move(got).take_status();
    if (*got == 0) {
      return Status(Code::kPeerClosed, "recv", "connection closed inside chunked framing");
    }
  }
}

// "1a2B[ ;ext=val...]" (RFC 9112 section 7.1): hex digits, then nothing or
// extensions, which carry nothing zcp uses.
Result<uint64_t> parse_chunk_size(std::string_view line) {
  uint64_t size = 0;
  const char* end = line.data() + line.size();
  auto [ptr, ec] = std::from_chars(line.data(), end, size, 16);
  std::string_view rest(ptr, static_cast<size_t>(end - ptr));
  rest.remove_prefix(std::min(rest.find_first_not_of(" \t"), rest.size()));
  if (ptr == line.data() || ec != std::errc() || (!rest.empty() && rest.front() != ';')) {
    return framing_error("bad chunk size '" + std::string(line.substr(0, 40)) + "'");
  }
  return size;
}

// Trailer fields after the last chunk, up to the empty line; dropped.
Status skip_trailers(ByteStream& fd, BodyReader::RecvBuffer& buffer) {
  for (int i = 0; i <= kMaxTrailers; ++i) {
    auto line = read_line(fd, buffer);
    if (!line) return std::move(line).take_status();
    if (line->empty()) return {};
  }
  return framing_error("more than 100 trailer fields");
}

// Writes `len` bytes to `fd` at `offset` (kStreamOffset: at its position).
Progress write_at(const char* data, size_t len, int fd, uint64_t offset) {
  Progress p;
  bool stream = offset == kStreamOffset;
  while (p.moved < len) {
    const char* from = data + p.moved;
    size_t left = len - static_cast<size_t>(p.moved);
    ssize_t w = stream ? ::write(fd, from, left)
                       : ::pwrite(fd, from, left, static_cast<off_t>(offset + p.moved));
    if (w < 0) {
      if (errno == EINTR) continue;
      p.status = Status::from_errno(stream ? "write" : "pwrite");
      p.file_failed = true;
      break;
    }
    p.moved += static_cast<uint64_t>(w);
  }
  return p;
}

// Writes the first `n` bytes of `buffer` (or all it has) to `fd` at
// `offset` and drops them from `buffer`.
Progress write_buffered(BodyReader::RecvBuffer& buffer, int fd, uint64_t offset, uint64_t n) {
  size_t len = static_cast<size_t>(std::min<uint64_t>(buffer.size(), n));
  Progress p = write_at(buffer.data(), len, fd, offset);
  buffer.consume(static_cast<size_t>(p.moved));
  return p;
}

uint64_t advance(uint64_t offset, uint64_t n) {
  return offset == kStreamOffset ? offset : offset + n;
}

// Books `n` consumed body bytes against the body (kLength) or the chunk.
void consume(Framing framing, uint64_t n, uint64_t& remaining, bool& done) {
  if (framing == Framing::kUntilClose) return;
  remaining -= n;
  if (framing == Framing::kLength && remaining == 0) done = true;
}

}  // namespace

BodyReader::BodyReader(int sock_fd, Framing framing, uint64_t length, std::string leftover)
    : BodyReader(nullptr, framing, length, std::move(leftover)) {
  own_ = std::make_unique<PlainStream>(sock_fd);
  stream_ = own_.get();
}

BodyReader::BodyReader(ByteStream* stream, Framing framing, uint64_t length, std::string leftover)
    : stream_(stream),
      framing_(framing),
      remaining_(framing == Framing::kLength ? length : 0),
      buffer_{std::move(leftover), 0},
      done_(framing == Framing::kLength && length == 0) {}

Result<bool> BodyReader::open_chunk() {
  if (done_) return false;
  if (in_chunk_ && remaining_ > 0) return true;
  if (in_chunk_) {  // the chunk's data is through: its CRLF follows
    auto end = read_line(*stream_, buffer_);
    if (!end) return std::move(end).take_status();
    if (!end->empty()) return framing_error("no CRLF after chunk data");
    in_chunk_ = false;
  }
  auto line = read_line(*stream_, buffer_);
  if (!line) return std::move(line).take_status();
  auto size = parse_chunk_size(*line);
  if (!size) return std::move(size).take_status();
  if (*size > 0) {
    remaining_ = *size;
    in_chunk_ = true;
    return true;
  }
  if (Status s = skip_trailers(*stream_, buffer_); !s) return s;
  done_ = true;
  return false;
}

Result<uint64_t> BodyReader::available() {
  switch (framing_) {
    case Framing::kLength:
      return remaining_;
    case Framing::kUntilClose:
      return done_ ? 0 : kUntilEof;
    case Framing::kChunked: {
      auto open = open_chunk();
      if (!open) return std::move(open).take_status();
      return *open ? remaining_ : 0;
    }
  }
  return uint64_t{0};
}

Result<size_t> BodyReader::read(std::string& out, size_t n) {
  auto avail = available();
  if (!avail) return std::move(avail).take_status();
  auto want = static_cast<size_t>(std::min<uint64_t>({*avail, n, kMaxRead}));
  if (want == 0) return size_t{0};
  size_t got = std::min(want, buffer_.size());
  if (got == 0 && read_ahead_ > want) {
    // One recv for many small pieces; chunk framing in it is parsed from buffer_.
    size_t ahead = read_ahead_;
    if (framing_ == Framing::kLength) ahead = static_cast<size_t>(std::min<uint64_t>(ahead, remaining_));
    auto r = recv_append(*stream_, buffer_, std::max(ahead, want));
    if (!r) return std::move(r).take_status();
    got = std::min(want, buffer_.size());
  }
  if (got > 0) {
    out.append(buffer_.data(), got);
    buffer_.consume(got);
  } else {
    auto r = recv_append(*stream_, out, want);
    if (!r) return std::move(r).take_status();
    got = *r;
  }
  if (got == 0) {  // EOF: the end of the body only when the close frames it
    if (framing_ == Framing::kUntilClose) {
      done_ = true;
      return size_t{0};
    }
    return closed_early(remaining_, framing_ == Framing::kLength ? "the body" : "a chunk");
  }
  consume(framing_, got, remaining_, done_);
  return got;
}

Status BodyReader::read_exact(std::string& out, size_t n) {
  size_t got = 0;
  while (got < n) {
    auto r = read(out, n - got);
    if (!r) return std::move(r).take_status();
    if (*r == 0) return body_too_short(n - got);
    got += *r;
  }
  return {};
}

Status BodyReader::to_file(int file_fd, uint64_t offset, uint64_t n, RecvEngine& engine,
                           const std::function<void(uint64_t)>& progress) {
  uint64_t moved = 0;
  while (moved < n) {
    auto avail = available();
    if (!avail) return std::move(avail).take_status();
    if (*avail == 0) return body_too_short(n - moved);
    uint64_t want = std::min(*avail, n - moved);
    uint64_t at = advance(offset, moved);
    // Bytes that came with the head or a chunk line go first, from user
    // space; the rest never enters it when `engine` splices.
    int splice_fd = stream_->splice_fd();
    Progress p = !buffer_.empty() ? write_buffered(buffer_, file_fd, at, want)
                 : splice_fd >= 0 ? engine.receive_some(splice_fd, file_fd, at, want)
                                  : through_userspace(file_fd, at, want);
    consume(framing_, p.moved, remaining_, done_);
    moved += p.moved;
    if (p.moved > 0 && progress) progress(moved);
    if (p.status.would_block()) return socket_io_error(p.status.op().c_str(), EAGAIN);
    if (!p.status) {
      write_failed_ = p.file_failed;
      return std::move(p.status);
    }
    if (p.eof) {
      if (framing_ == Framing::kUntilClose) {
        done_ = true;
        return closed_early(n - moved, "the requested range");
      }
      return closed_early(remaining_, framing_ == Framing::kLength ? "the body" : "a chunk");
    }
  }
  return {};
}

// Reads up to `n` bytes (at most a buffer-full, waiting for it to fill)
// and writes them at `offset`; bytes read before a failure are written
// first, so `moved` never counts bytes that did not land.
Progress BodyReader::through_userspace(int file_fd, uint64_t offset, uint64_t n) {
  if (user_buffer_.empty()) user_buffer_.resize(kUserspaceBuffer);
  auto cap = static_cast<size_t>(std::min<uint64_t>(n, user_buffer_.size()));
  size_t got = 0;
  Progress p;
  while (got < cap) {
    auto r = stream_->read(user_buffer_.data() + got, cap - got);
    if (!r) {
      p.status = std::move(r).take_status();
      break;
    }
    if (*r == 0) {
      p.eof = true;
      break;
    }
    got += *r;
  }
  Progress w = write_at(user_buffer_.data(), got, file_fd, offset);
  p.moved = w.moved;
  if (!w.status) {  // the disk's failure outranks the socket's
    p.status = std::move(w.status);
    p.file_failed = true;
  }
  return p;
}

Result<uint64_t> BodyReader::rest_to_file(int file_fd, uint64_t offset, RecvEngine& engine,
                                          const std::function<void(uint64_t)>& progress) {
  uint64_t total = 0;
  for (;;) {
    auto avail = available();
    if (!avail) return std::move(avail).take_status();
    if (*avail == 0) return total;
    uint64_t base = total;
    Status s = to_file(file_fd, advance(offset, base), *avail, engine, [&](uint64_t k) {
      total = base + k;
      if (progress) progress(total);
    });
    // Until-close bodies end with the EOF that to_file reports as short.
    if (!s && !(framing_ == Framing::kUntilClose && done_)) return s;
  }
}

}  // namespace zcp
