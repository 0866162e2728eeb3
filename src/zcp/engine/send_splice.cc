// splice(2) file -> pipe -> socket: pages move by reference, never through
// user space. The pipe is the engine's only state: when the socket fills
// up (EAGAIN) bytes may wait in it, and the next call sends them first.
#include <fcntl.h>
#include <unistd.h>

#include "zcp/base/byte_size.h"
#include "zcp/base/sigpipe.h"
#include "zcp/fd.h"
#include "zcp/send_engine.h"

namespace zcp {
namespace {

class SpliceSender final : public SendEngine {
 public:
  explicit SpliceSender(size_t pipe_size) : pipe_size_(pipe_size) {}

  std::string name() const override {
    return pipe_size_ == kDefaultPipeSize ? "splice" : "splice:" + format_byte_size(pipe_size_);
  }
  int cpu_copies() const override { return 0; }

  Progress send(int file_fd, uint64_t offset, uint64_t count, int sock_fd) override {
    ScopedSigpipeBlock no_sigpipe;
    Progress p;
    if (Status s = prepare(offset); !s) {
      p.status = std::move(s);
      return p;
    }
    while (p.moved < count) {
      if (in_pipe_ == 0) {
        uint64_t want = std::min<uint64_t>(pipe_.capacity, count - p.moved);
        if (!fill(file_fd, offset + p.moved, want, offset + count, p)) return p;
      }
      if (!drain(sock_fd, count - p.moved, p)) return p;
    }
    return p;
  }

 private:
  // Makes the pipe ready for a transfer resuming at `offset`: bytes left
  // from another position are stale, so the pipe is replaced.
  Status prepare(uint64_t offset) {
    if (pipe_.read_end && in_pipe_ > 0 && offset != next_offset_) {
      pipe_ = Pipe{};
      in_pipe_ = 0;
    }
    if (!pipe_.read_end) {
      auto made = make_pipe(pipe_size_);
      if (!made) return std::move(made).take_status();
      pipe_ = std::move(*made);
    }
    next_offset_ = offset;
    return {};
  }

  // file -> pipe, up to `want` bytes from `at`.
  bool fill(int file_fd, uint64_t at, uint64_t want, uint64_t end, Progress& p) {
    for (;;) {
      loff_t off = static_cast<loff_t>(at);
      ssize_t n = ::splice(file_fd, &off, pipe_.write_end.get(), nullptr,
                           static_cast<size_t>(want), SPLICE_F_MOVE | SPLICE_F_MORE);
      ++stats_.syscalls;
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        p.status = Status::from_errno("splice file->pipe");
        return false;
      }
      if (n == 0) {
        p.status = short_file_status("splice", at, end);
        return false;
      }
      in_pipe_ = static_cast<uint64_t>(n);
      return true;
    }
  }

  // pipe -> socket until the pipe is empty or the socket would block.
  bool drain(int sock_fd, uint64_t remaining, Progress& p) {
    while (in_pipe_ > 0) {
      unsigned flags = SPLICE_F_MOVE | (in_pipe_ < remaining ? SPLICE_F_MORE : 0U);
      ssize_t n = ::splice(pipe_.read_end.get(), nullptr, sock_fd, nullptr,
                           static_cast<size_t>(in_pipe_), flags);
      ++stats_.syscalls;
      if (n < 0) {
        if (errno == EINTR) continue;
        p.status = Status::from_errno("splice pipe->socket");
        return false;
      }
      in_pipe_ -= static_cast<uint64_t>(n);
      p.moved += static_cast<uint64_t>(n);
      next_offset_ += static_cast<uint64_t>(n);
      stats_.bytes += static_cast<uint64_t>(n);
    }
    return true;
  }

  size_t pipe_size_;
  Pipe pipe_;
  uint64_t in_pipe_ = 0;      // bytes spliced from the file, not yet sent
  uint64_t next_offset_ = 0;  // file offset of the first byte in the pipe
};

}  // namespace

std::unique_ptr<SendEngine> make_splice_sender(size_t pipe_size) {
  return std::make_unique<SpliceSender>(pipe_size);
}

}  // namespace zcp
