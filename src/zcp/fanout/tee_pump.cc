#include "zcp/fanout/tee_pump.h"

#include <fcntl.h>
#include <unistd.h>
#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "zcp/base/sigpipe.h"
#include "zcp/base/socket.h"
#include "zcp/fd.h"

namespace zcp {
namespace {

// Splices exactly `len` bytes out of `pipe` into `fd` (at *off if given).
// SPLICE_F_MORE (MSG_MORE) except for the stream's last bytes, which must
// not wait for more that never comes.
Status splice_all(int pipe, int fd, loff_t* off, uint64_t len, bool more, const char* what) {
  unsigned flags = SPLICE_F_MOVE | (more ? SPLICE_F_MORE : 0);
  while (len > 0) {
    ssize_t n = ::splice(pipe, nullptr, fd, off, static_cast<size_t>(len), flags);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return socket_io_error(what, errno);
    if (n == 0) return Status(Code::kSystem, what, "wrote nothing", EIO);
    len -= static_cast<uint64_t>(n);
  }
  return {};
}

class Pump {
 public:
  Pump(int in, uint64_t length, int file, uint64_t offset, int out)
      : in_(in), file_(file), out_(out), length_(length), offset_(offset) {}

  TeeResult run(size_t pipe_size) {
    const uint64_t length = length_;
    if (Status s = open_pipes(pipe_size); !s) {
      r_.in = std::move(s);
      return r_;
    }
    while (r_.received < length) {
      uint64_t want = std::min<uint64_t>(length - r_.received, a_.capacity);
      ssize_t n = ::splice(in_, nullptr, a_.write_end.get(), nullptr, static_cast<size_t>(want),
                           SPLICE_F_MOVE);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        r_.in = socket_io_error("splice socket->pipe", errno);
        break;
      }
      if (n == 0) {
        r_.in = Status(Code::kPeerClosed, "relay",
                       fmt::format("sender closed after {} of {} bytes", r_.received, length));
        break;
      }
      move_chunk(static_cast<uint64_t>(n));
      r_.received += static_cast<uint64_t>(n);
    }
    return r_;
  }

 private:
  Status open_pipes(size_t size) {
    auto a = make_pipe(size);
    if (!a) return std::move(a).take_status();
    a_ = std::move(*a);
    if (out_ >= 0 && file_ >= 0) {
      // B as large as A: tee takes all of A at once only if B has the room,
      // and a second tee would duplicate A's first bytes again.
      auto b = make_pipe(a_.capacity);
      if (!b) return std::move(b).take_status();
      b_ = std::move(*b);
      if (b_.capacity < a_.capacity) {
        // The user's pipe quota (pipe-user-pages-soft) gave B less: A
        // shrinks to match (always allowed, and A is empty).
        int got = ::fcntl(a_.write_end.get(), F_SETPIPE_SZ, static_cast<int>(b_.capacity));
        if (got < 0) return Status::from_errno("fcntl F_SETPIPE_SZ");
        a_.capacity = static_cast<size_t>(got);
      }
    }
    return {};
  }

  // Pipe A holds `n` new bytes: to the next host first (it waits on us),
  // then into the file.
  void move_chunk(uint64_t n) {
    bool more = r_.received + n < length_;
    if (out_ < 0 && file_ < 0) return discard();
    if (out_ >= 0 && file_ >= 0) {
      ssize_t t;
      do {
        t = ::tee(a_.read_end.get(), b_.write_end.get(), static_cast<size_t>(n), 0);
      } while (t < 0 && errno == EINTR);
      if (t != static_cast<ssize_t>(n)) {
        drop_out(t < 0
                     ? Status::from_errno("tee")
                     : Status(Code::kSystem, "tee", fmt::format("took {} of {} bytes", t, n), EIO));
      } else if (Status s = splice_all(b_.read_end.get(), out_, nullptr, n, more,
                                       "splice pipe->next host");
                 !s) {
        drop_out(std::move(s));
      }
    } else if (out_ >= 0) {
      if (Status s =
              splice_all(a_.read_end.get(), out_, nullptr, n, more, "splice pipe->next host");
          !s) {
        drop_out(std::move(s));
        discard();  // part of the chunk may still sit in A
      }
      return;
    }
    loff_t at = static_cast<loff_t>(offset_ + r_.received);
    if (Status s = splice_all(a_.read_end.get(), file_, &at, n, false, "splice pipe->file"); !s) {
      r_.file = std::move(s);
      file_ = -1;
      discard();
    }
  }

  void drop_out(Status why) {
    r_.out = std::move(why);
    out_ = -1;
    b_ = Pipe{};
  }

  // Empties A: after a sink failed mid-chunk, or when no sink is left.
  void discard() {
    if (!null_) {
      auto null_fd = open_file("/dev/null", O_WRONLY);
      if (!null_fd) {
        a_ = Pipe{};  // cannot happen in practice; stop cleanly instead
        file_ = out_ = -1;
        return;
      }
      null_ = std::move(*null_fd);
    }
    // Non-blocking: A holds fewer bytes than the chunk when a sink took some.
    while (::splice(a_.read_end.get(), nullptr, null_.get(), nullptr, a_.capacity,
                    SPLICE_F_NONBLOCK) > 0) {
    }
  }

  int in_, file_, out_;
  uint64_t length_, offset_;
  Pipe a_, b_;
  UniqueFd null_;
  TeeResult r_;
};

}  // namespace

TeeResult tee_pump(int in, uint64_t length, int file, uint64_t offset, int out, size_t pipe_size) {
  ScopedSigpipeBlock no_sigpipe;  // a next host that vanished is an error, not a signal
  return Pump(in, length, file, offset, out).run(pipe_size);
}

TeeResult stream_pump(ByteStream& in, uint64_t length, int file, uint64_t offset, ByteStream* out) {
  ScopedSigpipeBlock no_sigpipe;
  TeeResult r;
  std::vector<char> buf(256 * 1024);
  while (r.received < length) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), length - r.received));
    auto got = in.read(buf.data(), want);
    if (!got) {
      r.in = got.status();
      return r;
    }
    if (*got == 0) {
      r.in = Status(Code::kPeerClosed, "relay", "the upstream closed before the whole body arrived");
      return r;
    }
    std::string_view piece(buf.data(), *got);
    for (size_t done = 0; file >= 0 && r.file && done < piece.size();) {
      auto at = static_cast<off_t>(offset + r.received + done);
      ssize_t w = ::pwrite(file, piece.data() + done, piece.size() - done, at);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) r.file = Status::from_errno("pwrite");
      else done += static_cast<size_t>(w);
    }
    if (out && r.out) r.out = out->write(piece);
    r.received += *got;
  }
  return r;
}

}  // namespace zcp
